"""Only `init` creates a database or a config file (issue 20).  Every other command, run in a folder without
them (or given a --db that is not there), says so in one line naming the path, exits 1 and leaves the
folder as it was; the daemon refuses a database `init` did not set up (issue 21).  And the tests themselves
never read the user's config.yaml or candidates.db from the project folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import run_cli

from rsiwatch.store import INIT_SETTING, Store

COMMANDS = [
    ("publish", "--out", "site"), ("doctor",), ("catalog", "export"), ("catalog", "import", "SHEET"),
    ("catalog", "edit", "1", "--description", "x"), ("sources", "list"), ("score", "ITEMS"), ("serve",),
    ("serve", "--public"), ("review",), ("daemon",), ("train",), ("crawl",), ("candidates",), ("status",),
    ("accept", "arxiv:2501.00001"), ("undo", "arxiv:2501.00001"), ("tune",), ("digest",),
    ("submit", "https://example.org/x"), ("sources", "pause", "arxiv"), ("backfill", "--from", "2025-01-01"),
    ("backup", "copy.db"), ("vacuum",),
]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """Input files a command reads, kept outside the folder it runs in."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "items.jsonl").write_text(json.dumps({"id": "a", "title": "t", "summary": "s"}) + "\n")
    (inputs / "sheet.csv").write_text("ID,Description,Source\n1,An example.,https://example.org/a\n")
    return {"ITEMS": str(inputs / "items.jsonl"), "SHEET": str(inputs / "sheet.csv")}


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_command_in_a_folder_without_config_or_database_makes_nothing(
        command: tuple[str, ...], files: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "wrong"
    folder.mkdir()
    args = [files.get(a, a) for a in command]
    proc = run_cli(*args, cwd=folder, check=False, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert (
        len(proc.stderr.strip().splitlines()) == 1 and "config.yaml" in proc.stderr and "rsiwatch init" in proc.stderr
    )
    # given a database that is not there, it names that path and does not create it
    proc = run_cli(*args, "--db", "missing.db", cwd=folder, check=False, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "missing.db: no such database" in proc.stderr
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    "command", [("sources", "add", "blog", "--url", "https://example.org/feed"), ("sources", "remove", "blog")]
)
def test_editing_the_sources_without_a_config_refuses_instead_of_writing_one(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    proc = run_cli(*command, "--db", "candidates.db", cwd=tmp_path, check=False)
    assert proc.returncode == 1 and "config.yaml: no config file here" in proc.stderr
    assert not (tmp_path / "config.yaml").exists()


@pytest.mark.parametrize(
    ("args", "folder"),
    [
        (("--db", "nodir/x.db", "--config", "c2.yaml"), "nodir"),
        (("--config", "nodir/c2.yaml"), "nodir"),
        (("--config", "given.yaml"), "data"),  # the existing config's database lies in a missing folder
    ],
)
def test_init_names_a_missing_folder_before_writing_anything(
    args: tuple[str, ...], folder: str, tmp_path: Path
) -> None:
    """A user walk found `init --db nodir/x.db --config c2.yaml` writing c2.yaml, then failing with SQLite's
    "unable to open database file" and no word of the missing folder."""
    (tmp_path / "given.yaml").write_text("database: data/x.db\n")
    proc = run_cli("init", *args, cwd=tmp_path, check=False)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith(f"rsiwatch: {folder}: no such folder"), proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["given.yaml"]


@pytest.mark.slow
def test_evaluate_still_needs_no_config_and_writes_no_database(tmp_path: Path) -> None:
    rows = [
        {
            "id": str(i),
            "title": f"self-play search {i}" if i % 2 else f"weather report {i}",
            "summary": "a model improves the training of models" if i % 2 else "rain tomorrow",
            "label": i % 2,
        }
        for i in range(20)
    ]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    run_cli("evaluate", "--train", "train.jsonl", "--test", "train.jsonl", cwd=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl"]


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("init")
    run_cli("init", cwd=folder)
    return folder


@pytest.mark.slow
def test_the_daemon_refuses_a_database_init_did_not_set_up(initialised: Path, tmp_path: Path) -> None:
    Store(tmp_path / "made-elsewhere.db").close()  # what a command of an earlier release left behind
    proc = run_cli(
        "daemon", "--config", str(initialised / "config.yaml"), "--db", "made-elsewhere.db", cwd=tmp_path, check=False
    )
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1
    assert "not a database `rsiwatch init` set up" in proc.stderr and "rsiwatch init --config" in proc.stderr
    with Store(initialised / "candidates.db") as store:
        assert store.models.setting(INIT_SETTING) == {"by": "init"}


@pytest.mark.slow
def test_a_database_of_an_earlier_release_with_a_catalog_counts_as_set_up(initialised: Path, tmp_path: Path) -> None:
    import sqlite3

    from rsiwatch.store.schema import MIGRATIONS

    def older(path: Path, with_catalog: bool) -> None:
        conn = sqlite3.connect(path)
        cut = next(i for i, m in enumerate(MIGRATIONS) if "'initialised'" in m)  # the release before it
        for number, script in enumerate(MIGRATIONS[:cut]):
            conn.executescript(script)
            conn.execute(f"PRAGMA user_version = {number + 1}")
        if with_catalog:
            conn.execute(
                "INSERT INTO catalog (title, date_published, origin, added_at) VALUES"
                " ('An entry', 'April 2023', 'seed', '2024-01-01T00:00:00Z')"
            )
        conn.commit()
        conn.close()

    older(tmp_path / "old.db", True)
    older(tmp_path / "empty-old.db", False)
    with Store(tmp_path / "old.db") as store:
        assert store.models.setting(INIT_SETTING) is not None
        assert store.catalog.entries()[0]["date_iso"] == "2023-04"  # its dates parsed on the way up
    with Store(tmp_path / "empty-old.db") as store:
        assert store.models.setting(INIT_SETTING) is None


def test_doctor_warns_about_an_empty_catalog_and_a_model_trained_on_no_positives(tmp_path: Path) -> None:
    from rsiwatch.scoring import train_and_save

    with Store(tmp_path / "candidates.db") as store:
        train_and_save(store, "cold start on nothing")
    proc = run_cli("doctor", "--db", "candidates.db", cwd=tmp_path, check=False)
    assert proc.returncode == 1
    assert "warning: the catalog is empty" in proc.stdout
    assert "warning: the active model (version 1) was trained on no positives" in proc.stdout


HOSTILE_CONFIG = """\
database: hostile.db
contact: hostile@example.org
review: {host: 0.0.0.0, port: 1, curators: {mallory: "$argon2id$v=19$m=65536,t=3,p=4$x$y"}}
sources:
  - {name: hostile, kind: feed, url: "http://10.255.255.1/feed", every: 1m}
"""

INNER_TEST = """
from pathlib import Path

from click.testing import CliRunner

from rsiwatch.cli import cli


def test_reads_nothing_of_the_project_folder():
    assert not Path("config.yaml").exists() and not Path("candidates.db").exists()
    result = CliRunner().invoke(cli, ["sources", "list"])
    assert result.exit_code == 1 and "no config file here" in result.output, result.output
"""


@pytest.mark.slow
def test_a_hostile_config_and_database_in_the_project_folder_are_not_read(tmp_path: Path) -> None:
    """A project folder after README's `rsiwatch init` (here a copy, with hostile files) runs its tests in
    private folders: the inner test finds no config.yaml or candidates.db where it runs."""
    here = Path(__file__).resolve().parent
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    for name in ("conftest.py", "local_server.py"):
        (project / "tests" / name).write_bytes((here / name).read_bytes())
    (project / "tests" / "test_inner.py").write_text(INNER_TEST)
    (project / "config.yaml").write_text(HOSTILE_CONFIG)
    (project / "candidates.db").write_bytes(b"not a database at all")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(project), "tests"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
    assert (project / "candidates.db").read_bytes() == b"not a database at all"


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_empty_file_is_no_database_either(command: tuple[str, ...], files: dict[str, str], tmp_path: Path) -> None:
    """A user walk found `status --db empty.db` (a 0-byte file: `touch`, a failed copy) migrating it into a
    fresh database with every default source and no catalog, and reporting on that as if it were real."""
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "empty.db").touch()
    args = [files.get(a, a) for a in command]
    proc = run_cli(*args, "--db", "empty.db", cwd=folder, check=False, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "empty.db: an empty file, no database" in proc.stderr
    assert [p.name for p in folder.iterdir()] == ["empty.db"] and (folder / "empty.db").stat().st_size == 0
