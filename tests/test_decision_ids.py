"""Issue 16: decision commands take a work's id as people paste it (a versioned id, a bare number, any
link to the paper, a DOI, a URL) and act on its one canonical work; an unknown work is one line, exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import run_cli, write_config
from store_support import decisions

from crawler.items import Item
from rsiwatch.store import Store

PAPER = "arxiv:2606.08092"
ARTICLE = "doi:10.1145/3377811.3380330"
POST = "url:https://example.org/post"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_config(tmp_path / "config.yaml", [])
    with Store(tmp_path / "candidates.db") as store:
        store.works.ingest(
            "blog",
            [
                Item(
                    canonical_id=PAPER,
                    title="Agents that improve agents",
                    summary="",
                    url="https://arxiv.org/abs/2606.08092",
                    key="a",
                ),
                Item(
                    canonical_id=ARTICLE,
                    title="A journal article",
                    summary="",
                    url="https://doi.org/10.1145/3377811.3380330",
                    key="b",
                ),
                Item(canonical_id=POST, title="A post", summary="", url="https://example.org/post", key="c"),
            ],
        )
    return tmp_path


# Each row: the command, the id as pasted, the work it must act on.  Rows alternate decision and undo so
# every row acts on a work with a decision to undo.
PASTED = [
    ("reject", "arxiv:2606.08092v2", PAPER),
    ("undo", "2606.08092", PAPER),
    ("defer", "https://arxiv.org/abs/2606.08092", PAPER),
    ("undo", "https://huggingface.co/papers/2606.08092", PAPER),
    ("out-of-scope", "https://www.alphaxiv.org/abs/2606.08092v1?ref=x", PAPER),
    ("undo", "https://ar5iv.labs.arxiv.org/html/2606.08092/", PAPER),
    ("accept", "https://arxiv.org/html/2606.08092v2", PAPER),
    ("undo", "10.48550/arXiv.2606.08092", PAPER),
    ("reject", "https://doi.org/10.1145/3377811.3380330", ARTICLE),
    ("undo", "doi:10.1145/3377811.3380330", ARTICLE),
    ("defer", "https://example.org/post?utm_source=newsletter", POST),
    ("undo", POST, POST),
]


@pytest.mark.slow
def test_decisions_take_ids_as_pasted(project: Path) -> None:
    for command, pasted, work in PASTED:
        result = run_cli(command, pasted, cwd=project)
        assert work in result.stderr, (command, pasted, result.stderr)
    with Store(project / "candidates.db") as store:
        assert [d["action"] for d in decisions(store, PAPER)] == [
            "reject",
            "undo",
            "defer",
            "undo",
            "out_of_scope",
            "undo",
            "accept",
            "undo",
        ]
        assert [d["action"] for d in decisions(store, ARTICLE)] == ["reject", "undo"]
        assert [d["action"] for d in decisions(store, POST)] == ["defer", "undo"]
        assert store.works.work(PAPER)["status"] == "new"


@pytest.mark.slow
@pytest.mark.parametrize("command", ["accept", "reject", "defer", "out-of-scope", "undo"])
def test_an_unknown_work_is_one_line_and_exit_1(project: Path, command: str) -> None:
    result = run_cli(command, "https://huggingface.co/papers/2606.99999", cwd=project, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "rsiwatch: no work with id arxiv:2606.99999 (read from 'https://huggingface.co/papers/2606.99999') "
        "(see `rsiwatch candidates`)"
    ]
    with Store(project / "candidates.db") as store:
        assert decisions(store) == [] and store.works.work("arxiv:2606.99999") is None


def test_text_that_names_no_work_is_a_usage_error(project: Path) -> None:
    result = run_cli("reject", "last week's kernel paper", cwd=project, check=False)
    assert result.returncode == 2 and "names no work" in result.stderr and "Traceback" not in result.stderr
