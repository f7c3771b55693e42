"""Shared machinery of the hardening suite (issue 8): projects, measured CLI runs, feeds, checks.

The pytest files ``tests/test_hardening_*.py`` and ``bench/fault_table.py`` both run the fault cases
through the functions here, so the README table and the tests try exactly the same things.  Every
server is a ``LocalServer`` on 127.0.0.1; nothing here sends traffic anywhere else.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
HOSTILE_FIXTURES = TESTS / "fixtures" / "hostile"
SHARED_FEEDS = ROOT.parent / "shared" / "feeds"

# What a test config allows one fetch: small enough that the bounds show, large enough for real feeds.
MAX_BODY_BYTES = 4 * 1024 * 1024
TOTAL_TIMEOUT_S = 2.0
RETRIES = 1
# The slowest a failing source may take: every attempt at the total deadline, the back-off between them
# (PoliteClient's 1 s doubling) and one inline Retry-After wait, plus generous slack for a loaded machine
# (the hostile servers stall or drip for minutes, so only a missing deadline reaches the bound).
SOURCE_TIME_BOUND_S = TOTAL_TIMEOUT_S * (RETRIES + 1) + 1.0 + 2.0 + 20.0
# Peak RSS of a crawl among hostile servers may exceed a healthy crawl's by at most this much.
RSS_GROWTH_BOUND_BYTES = 8 * MAX_BODY_BYTES + 32 * 1024 * 1024

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


@dataclass
class FaultResult:
    """One class of fault: how many cases were tried, what broke (empty when everything held)."""

    fault: str
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    held: str = ""  # what "it held" means for this class, for the README table

    @property
    def ok(self) -> bool:
        return not self.failures

    def check(self, condition: bool, message: str) -> bool:
        if not condition:
            self.failures.append(message)
        return condition


# ---- the real command line, measured ----------------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_bytes: int


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def run_measured(args: list[str], cwd: Path, timeout: float = 300) -> Run:
    """Run ``python -m rsiwatch ARGS`` and read *this* child's peak RSS with ``os.wait4``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "rsiwatch", *args], cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
            env=cli_env(),
        )
        timer = threading.Timer(timeout, lambda: os.kill(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        # ru_maxrss is in kilobytes on Linux.
        return Run(proc.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                   seconds, usage.ru_maxrss * 1024)


def cli(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rsiwatch", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL, env=cli_env(),
    )


def write_config(project: Path, sources: list[dict[str, Any]], **extra: Any) -> Path:
    """A config with the bounds above and no politeness delay (every server is ours, on 127.0.0.1)."""
    project.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {
        "database": "candidates.db",
        "contact": "hardening@example.org",
        "threshold": 0.0,
        "politeness": {"default_delay_s": 0.0, "per_host_delay_s": {}},
        "http": {"connect_timeout_s": 1, "read_timeout_s": 1.5, "total_timeout_s": TOTAL_TIMEOUT_S,
                 "retries": RETRIES, "max_body_bytes": MAX_BODY_BYTES, "max_redirects": 5},
        "schedule": {"jitter_s": 0, "backoff_base_s": 60, "pause_after_failures": 50},
        "sources": sources,
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    path = project / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    if not (project / "candidates.db").exists():
        # The database `init` would make (only init creates one, issue 20), without the seed catalog these
        # tests do not need.
        from rsiwatch.store import INIT_SETTING, Store

        with Store(project / "candidates.db") as store:
            store.models.set_setting(INIT_SETTING, {"by": "tests"}, "what init records (no seed catalog here)")
    return path


def connect(project: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(project / "candidates.db", timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def status_json(project: Path) -> dict[str, Any]:
    proc = cli(["status", "--json"], project)
    if proc.returncode != 0:
        raise AssertionError(f"status exited {proc.returncode}: {proc.stderr}")
    return json.loads(proc.stdout)


def fetch_seconds(conn: sqlite3.Connection) -> dict[str, float]:
    """Per source, the longest time one recorded fetch took (from the ``fetches`` table)."""
    out: dict[str, float] = {}
    for row in conn.execute("SELECT source, started_at, finished_at FROM fetches"):
        started = _ts(row["started_at"])
        finished = _ts(row["finished_at"])
        out[row["source"]] = max(out.get(row["source"], 0.0), finished - started)
    return out


def _ts(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# ---- feeds ----------------------------------------------------------------------------------------


def rss(items: list[dict[str, str]], title: str = "a feed", encoding: str = "utf-8", declare: bool = True) -> bytes:
    """RSS 2.0 with each item's fields escaped (``raw_*`` keys are written unescaped)."""
    parts = []
    for item in items:
        fields = []
        for key, value in item.items():
            tag = key.removeprefix("raw_")
            fields.append(f"<{tag}>{value if key.startswith('raw_') else escape(value, quote=False)}</{tag}>")
        parts.append("<item>" + "".join(fields) + "</item>")
    head = f'<?xml version="1.0" encoding="{encoding}"?>' if declare else ""
    text = f'{head}<rss version="2.0"><channel><title>{escape(title)}</title><link>https://example.org/</link>' \
        f'<description>d</description>{"".join(parts)}</channel></rss>'
    return text.encode(encoding)


def healthy_items(tag: str, n: int) -> list[dict[str, str]]:
    return [
        {"title": f"Healthy {tag} item {i}: learned optimizers", "link": f"https://healthy.example.org/{tag}/{i}",
         "guid": f"https://healthy.example.org/{tag}/{i}", "description": f"Item {i} of a feed that works."}
        for i in range(n)
    ]


def healthy_ids(tag: str, n: int) -> set[str]:
    return {f"url:https://healthy.example.org/{tag}/{i}" for i in range(n)}


def work_ids(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT id FROM works")}


def text_problems(conn: sqlite3.Connection) -> list[str]:
    """Stored text that breaks the parser's promises: controls, lone surrogates, uncapped lengths."""
    problems = []
    for table, columns in (("works", ("id", "title", "summary", "url", "authors")), ("sightings", ("title", "url"))):
        for row in conn.execute(f"SELECT {', '.join(columns)} FROM {table}"):
            for column, value in zip(columns, row, strict=False):
                if isinstance(value, str) and CONTROL.search(value):
                    problems.append(f"{table}.{column} holds a control character: {value[:60]!r}")
                if isinstance(value, bytes):
                    problems.append(f"{table}.{column} holds bytes, not text: {value[:60]!r}")
        if table == "works":
            for row in conn.execute("SELECT id, length(title), length(summary) FROM works"):
                if row[1] > 1000 or row[2] > 20000:
                    problems.append(f"works {row[0]!r}: title {row[1]} / summary {row[2]} characters, over the caps")
    return problems


# ---- HTML checks for the review page ---------------------------------------------------------------


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag of a page with its attributes."""
    parser = Elements()
    parser.feed(html)
    return parser.tags


def injected(html: str) -> list[str]:
    """Elements, handlers or URLs in a page that only a payload could have put there."""
    found = []
    for tag, attrs in elements(html):
        if tag in ("img", "svg", "iframe", "object", "embed", "math", "base", "frame", "video", "audio") and not (
            tag == "img" and attrs.get("src") == "/stats/tune.png"  # the stats view's own picture
        ):
            found.append(f"<{tag}> element")
        if tag == "script" and attrs != {"src": "/static/review.js"}:
            found.append(f"<script {attrs}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"<{tag} {name}=...> handler")
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                if not value or not value.startswith(("http://", "https://", "/", "?")) or value.startswith("//"):
                    found.append(f"<{tag} {name}={value!r}>")
    return found
