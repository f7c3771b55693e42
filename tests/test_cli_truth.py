"""Issue 16, "commands tell the truth", through the real CLI: read-only commands never create a database,
piped output keeps every id and title whole, impossible dates and unknown sources are refused in one
line, `train --rollback` takes out of the queue what only the newer model put there, and
`evaluate --json` is valid JSON."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import run_cli, run_json, write_config
from stream_feed import arxiv_id, crawled_project, items

READ_ONLY = (("status",), ("candidates",), ("tune",), ("digest",))


@pytest.mark.slow
@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: c[0])
def test_read_only_commands_never_create_a_database(command: tuple[str, ...], tmp_path: Path) -> None:
    empty = run_cli(*command, cwd=tmp_path, check=False)
    assert empty.returncode == 1, empty.stderr
    assert len(empty.stderr.strip().splitlines()) == 1 and "rsiwatch init" in empty.stderr
    # the folder has neither: the config it looked for is named (only `init` makes either)
    assert "config.yaml" in empty.stderr and list(tmp_path.iterdir()) == []

    write_config(tmp_path / "config.yaml", [])
    run_cli("init", cwd=tmp_path)
    typo = tmp_path / "candidtes.db"
    mistyped = run_cli(*command, "--db", str(typo), cwd=tmp_path, check=False)
    assert mistyped.returncode == 1 and str(typo) in mistyped.stderr and "rsiwatch init" in mistyped.stderr
    assert not typo.exists() and not Path(f"{typo}-wal").exists()


LONG_TITLE = ("Language model agents write faster GPU kernels for their own training, and we show over many "
              "pages that every part of this title matters when a curator copies it")


@pytest.mark.slow
def test_piped_output_keeps_ids_and_titles_whole(tmp_path: Path, local_server) -> None:
    feed = (
        "<?xml version='1.0'?><rss version=\"2.0\"><channel><title>t</title><link>https://e.org/</link>"
        "<description>d</description><item><title>" + LONG_TITLE + "</title>"
        "<link>https://blog.example.org/posts/2026/11/a-rather-long-address-for-one-post?id=12345</link>"
        "<description>AI improving AI development: agents optimise the kernels they are trained with.</description>"
        "</item></channel></rss>"
    ).encode()
    local_server.add("/feed", body=feed, headers={"Content-Type": "application/rss+xml"})
    name = "a-newsletter-with-a-long-name-that-a-table-would-cut"
    write_config(tmp_path / "config.yaml", [{"name": name, "kind": "feed", "url": local_server.url + "/feed"}],
                 threshold=0.0)
    run_cli("init", cwd=tmp_path)
    run_cli("crawl", cwd=tmp_path)
    [work] = run_json("candidates", cwd=tmp_path)

    listed = run_cli("candidates", cwd=tmp_path)
    assert "score\tcanonical id\ttitle\tcategory" in listed.stderr  # the header, for a person only
    [line] = listed.stdout.splitlines()  # a pipeline gets the rows alone: `| cut -f2 | xargs` works
    fields = line.split("\t")
    assert fields[1] == work["canonical_id"] and fields[2] == LONG_TITLE  # what `cut -f2` / `cut -f3` give
    run_cli("accept", fields[1], cwd=tmp_path)  # the id as copied from the output

    status = run_cli("status", cwd=tmp_path).stdout.splitlines()
    assert any(row.split("\t")[0] == name for row in status), status

    head = subprocess.run(f"{sys.executable} -m rsiwatch candidates --status all | head -0", shell=True, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert head.returncode == 0 and "Broken pipe" not in head.stderr  # a reader that stops early is no error


@pytest.mark.parametrize("args", [
    ("candidates", "--since", "2026-99-99"), ("candidates", "--since", "2026-02-30"),
    ("candidates", "--since", "2026-02-30T10:00Z"), ("digest", "--since", "2026-02-30"),
    ("backfill", "--from", "2026-02-30"), ("backfill", "--from", "2026-01-01", "--until", "2026-13-01"),
], ids=lambda a: " ".join(a))
@pytest.mark.slow
def test_impossible_dates_are_refused_in_one_line(args: tuple[str, ...], tmp_path: Path) -> None:
    write_config(tmp_path / "config.yaml", [])
    run_cli("init", cwd=tmp_path)
    proc = run_cli(*args, cwd=tmp_path, check=False)
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert args[-1] in line and ("no such date" in line or "expected" in line), line


@pytest.mark.slow
def test_candidates_of_an_unknown_source_is_an_error(tmp_path: Path, local_server) -> None:
    project = crawled_project(tmp_path, local_server, n=8)
    proc = run_cli("candidates", "--source", "papres", cwd=project, check=False)
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert "'papres'" in line and "papers" in line  # names the known sources
    run_cli("candidates", "--source", "papers", cwd=project)


def open_queue(project: Path) -> set[str]:
    conn = sqlite3.connect(project / "candidates.db")
    rows = {r[0] for r in conn.execute("SELECT id FROM works WHERE queued_at IS NOT NULL AND status = 'new'")}
    conn.close()
    return rows


@pytest.mark.slow
def test_rollback_takes_out_what_only_the_newer_model_queued(tmp_path: Path, local_server) -> None:
    from classifier import Doc, TrainingSet, train
    from rsiwatch.config import load_config
    from rsiwatch.scoring import score_works, training_set
    from rsiwatch.store import Store

    project = crawled_project(tmp_path, local_server, n=40)
    queued_by_first = open_queue(project)
    assert queued_by_first
    kept = sorted(queued_by_first)[0]
    decided = sorted(queued_by_first)[-1]
    run_cli("accept", decided, cwd=project)
    # A newer model that thinks the ordinary papers are what the catalog wants: it queues many of them.
    ordinary = [f"arxiv:{arxiv_id(i)}" for i in range(40) if i % 4 != 0]
    config = load_config(project / "config.yaml")
    with Store(project / "candidates.db") as store:
        ts = training_set(store)
        texts = {t.id: t for t in store.works.texts(ordinary)}
        skewed = TrainingSet(positives=ts.positives + [Doc(i, texts[i].title, texts[i].summary) for i in ordinary],
                             negatives=ts.negatives, pool=[d for d in ts.pool if d.id not in set(ordinary)],
                             catalog=ts.catalog)
        model = train(skewed)
        store.models.save_model(
            model.to_bytes(), trained_on=model.trained_on, params=model.params.to_dict(), note="skewed"
        )
        score_works(store, config, store.works.open_work_ids())
    only_newer = open_queue(project) - queued_by_first
    assert only_newer, "the skewed model should queue ordinary papers the first one left out"

    result = run_json("train", "--rollback", cwd=project)
    queue = open_queue(project)
    assert not (queue & only_newer)
    assert result["unqueued"] == len(only_newer)
    assert kept in queue  # queued by the restored model itself: stays
    accepted = {c["canonical_id"] for c in run_json("candidates", "--status", "accepted", cwd=project)}
    assert decided in accepted  # decided works stay decided


@pytest.mark.slow
def test_evaluate_json_is_valid_and_a_test_file_needs_labels(tmp_path: Path) -> None:
    rows = [{"id": f"t{i}", "title": t, "summary": s} for i, (_, t, s) in enumerate(items(12))]
    train_file = tmp_path / "train.jsonl"
    train_file.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    negatives_only = tmp_path / "test.jsonl"  # no relevant row: average precision is undefined
    negatives_only.write_text("\n".join(json.dumps({**r, "id": "x" + r["id"], "label": 0}) for r in rows[:4]) + "\n")
    out = run_cli("evaluate", "--train", str(train_file), "--test", str(negatives_only), "--json", cwd=tmp_path).stdout

    def no_nan(token: str) -> None:
        raise AssertionError(f"{token} is not JSON")

    report = json.loads(out, parse_constant=no_nan)
    assert report["average_precision"] is None and report["n"] == 4

    unlabelled = tmp_path / "unlabelled.jsonl"
    unlabelled.write_text("\n".join(json.dumps(r) for r in rows[:3]) + "\n")
    proc = run_cli("evaluate", "--train", str(train_file), "--test", str(unlabelled), cwd=tmp_path, check=False)
    assert proc.returncode == 1
    [line] = proc.stderr.strip().splitlines()
    assert str(unlabelled) in line and "label" in line


@pytest.mark.slow
def test_candidates_show_latex_titles_as_text(tmp_path: Path, local_server) -> None:
    feed = (
        b"<?xml version='1.0'?><rss version=\"2.0\"><channel><title>t</title><link>https://e.org/</link>"
        b"<description>d</description><item><title>$\\alpha$-scheduling of \\texttt{triton} kernels</title>"
        b"<link>https://blog.example.org/alpha</link><description>Kernels an AI tuned.</description>"
        b"</item></channel></rss>"
    )
    local_server.add("/feed", body=feed, headers={"Content-Type": "application/rss+xml"})
    write_config(
        tmp_path / "config.yaml", [{"name": "blog", "kind": "feed", "url": local_server.url + "/feed"}], threshold=0.0
    )
    run_cli("init", cwd=tmp_path)
    run_cli("crawl", cwd=tmp_path)
    [line] = run_cli("candidates", cwd=tmp_path).stdout.splitlines()
    assert line.split("\t")[2] == "α-scheduling of triton kernels"
