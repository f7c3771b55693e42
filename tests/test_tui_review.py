"""Terminal review: the same keys as the page, read one character at a time (here from a pipe)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from review_fixtures import make_config, populate
from rich.console import Console
from store_support import decisions

from rsiwatch.review.tui import review_terminal
from rsiwatch.store import Store

PROJECT = Path(__file__).resolve().parents[1]


def run(db: Path, keys: str, **kwargs: object) -> tuple[dict[str, int], str]:
    out = io.StringIO()
    with Store(db) as store:
        counts = review_terminal(store, stream=io.StringIO(keys), console=Console(file=out, width=100), **kwargs)
    return counts, out.getvalue()


def test_keys_decide_and_undo(tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 6)
    # accept #0 as hardware-design (6), reject #1 with a reason, out-of-scope #2 without, j skips #3,
    # defer #4, k back to #4, undo (the defer), q.
    counts, output = run(db, "a6\nrtoo vague\no\njdku" + "q")
    assert counts == {"accept": 1, "reject": 1, "out_of_scope": 1, "defer": 1, "undo": 1}
    with Store(db) as store:
        assert [store.works.work(i)["status"] for i in ids] == [
            "accepted",
            "rejected",
            "out_of_scope",
            "new",
            "new",
            "new",
        ]
        [entry] = store.catalog.entries()
        assert entry["work_id"] == ids[0] and entry["category"] == "hardware-design"
        assert entry["description"].startswith("We study self-play")
        assert decisions(store, ids[1])[0]["note"] == "too vague" and decisions(store, ids[1])[0]["origin"] == "tui"
        assert [d["action"] for d in decisions(store, ids[4])] == ["defer", "undo"]
    assert "1 of 6" in output and "Self-play reinforcement learning" in output


def test_end_of_input_stops_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    populate(db, 2)
    counts, output = run(db, "jjjj")
    assert counts == {} and "2 of 2" in output
    counts, _ = run(tmp_path / "empty.db", "a\n")
    assert counts == {}


def test_hostile_text_cannot_drive_the_terminal(tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    populate(db, 0, hostile=True)
    _, output = run(db, "jq")
    assert "\x1b" not in output and "\u202e" not in output
    assert "terminal escapes" in output


def test_review_command_reads_a_pipe(tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 3)
    make_config(tmp_path)  # the command runs with defaults; --db is enough
    env = {**os.environ, "COLUMNS": "100", "PYTHONPATH": str(PROJECT)}
    result = subprocess.run(
        [sys.executable, "-c", "from rsiwatch.cli import main; main()", "review", "--db", str(db)],
        input="d" + "r\n" + "q",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "review finished: 1 defer, 1 reject" in result.stderr
    with Store(db) as store:
        assert [store.works.work(i)["status"] for i in ids] == ["deferred", "rejected", "new"]


class DecidedMeanwhile(io.StringIO):
    """Keys from a pipe; before the first key arrives, another curator rejects the work on screen."""

    def __init__(self, keys: str, db: Path, work_id: str) -> None:
        super().__init__(keys)
        self.db, self.work_id, self.done = db, work_id, False

    def read(self, size: int | None = -1) -> str:
        if not self.done:
            self.done = True
            with Store(self.db) as other:
                other.decisions.decide(self.work_id, "reject", origin="web", by="alice")
        return super().read(size)


def test_a_decision_taken_elsewhere_meanwhile_is_shown_not_overridden(tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    ids = populate(db, 3)
    out = io.StringIO()
    with Store(db) as store:
        counts = review_terminal(
            store, stream=DecidedMeanwhile("a\nq", db, ids[0]), console=Console(file=out, width=200), by="bob"
        )
    assert counts == {} and "reject by alice" in out.getvalue() and "press the key again" in out.getvalue()
    with Store(db) as store:
        assert [d["action"] for d in decisions(store, ids[0])] == ["reject"] and store.catalog.entries() == []
    # Seen now: the same key replaces it on purpose.
    out = io.StringIO()
    with Store(db) as store:
        counts = review_terminal(
            store,
            stream=DecidedMeanwhile("a\na\nq", db, ids[1]),
            console=Console(file=out, width=200),
            by="bob",
            status="new",
        )
    with Store(db) as store:
        assert [(d["action"], d["decided_by"]) for d in decisions(store, ids[1])] == [
            ("reject", "alice"),
            ("accept", "bob"),
        ]
        assert [e["work_id"] for e in store.catalog.entries()] == [
            ids[1]
        ] and store.catalog.catalog_disagreements() == []


def test_a_readers_suggestion_shows_who_sent_it_and_why(tmp_path: Path) -> None:
    """A user walk found the terminal card of a public suggestion saying only "seen in: submitted": the
    review page shows the submitter, the reason and why the page is not read yet; the terminal now too."""
    db = tmp_path / "candidates.db"
    ids = populate(db, 2)
    with Store(db) as store:
        store.submissions.record_submission(ids[1], "https://arxiv.org/abs/" + ids[1][6:],
                                            note="AIがAI開発を改善する例です。", submitter="佐藤 花子",
                                            fetch_error="127.0.0.1: refused")
    _, output = run(db, "jq")  # the suggestion comes first (as on the page), then the other card
    assert "submitted by 佐藤 花子: “AIがAI開発を改善する例です。”" in output, output
    assert "page not read yet: 127.0.0.1: refused" in output
    assert output.count("submitted by") == 1 and "2 of 2" in output  # the other card is no suggestion
