"""What the scale benchmarks share: paths, the stream, peak memory, a model, a local server, the table.

Every benchmark prints its figures next to a baseline measured in the same run, the ratio and the goal,
and says MET or NOT MET.  Nothing here asserts a time: these are measurements, not tests.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # "one core", as the goals say

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
SHARED_DATA = ROOT.parent / "shared" / "data"
STREAM = SHARED_DATA / "arxiv_2025_2026.jsonl.gz"
sys.path.insert(0, str(ROOT))

from classifier import Doc, TrainingSet, train  # noqa: E402
from crawler.http import PoliteClient  # noqa: E402
from crawler.items import Item  # noqa: E402
from rsiwatch.catalog.formats import read_catalog  # noqa: E402
from rsiwatch.catalog.load import import_entries  # noqa: E402
from rsiwatch.cli import SEED_CATALOG  # noqa: E402
from rsiwatch.config import Config, Http, Politeness, Source  # noqa: E402
from rsiwatch.scoring import catalog_docs, score_works, train_and_save  # noqa: E402
from rsiwatch.store import Store  # noqa: E402

PAGE = 1_000  # works a page of ingest or scoring, as a crawl hands them over


def progress(message: str) -> None:
    """Progress goes to stderr; stdout carries the figures only."""
    print(message, file=sys.stderr, flush=True)


# ---- memory --------------------------------------------------------------------------------------


def reset_peak() -> None:
    """Start a new peak-RSS measurement (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_mb() -> float:
    """Peak resident memory of this process since the last ``reset_peak`` (MiB)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
    except (OSError, AttributeError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


# ---- data ----------------------------------------------------------------------------------------


def stream_available() -> bool:
    return STREAM.exists()


def read_stream(limit: int | None = None) -> Iterator[dict[str, Any]]:
    """The real arXiv stream, one paper (dict) at a time, in file order."""
    with gzip.open(STREAM, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if limit is not None and n >= limit:
                return
            yield json.loads(line)


def require_stream(message: str) -> None:
    """Exit with ``message`` where ../shared's stream is absent: every figure is built from it."""
    if not stream_available():
        sys.exit(message)


def papers_arguments(doc: str, default: int) -> argparse.ArgumentParser:
    """The options of a benchmark that builds a database from the stream: ``--papers N`` and ``--json``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=default, help=f"papers from the stream (default {default:,})")
    parser.add_argument("--json", action="store_true")
    return parser


def to_item(r: dict) -> Item:
    """A paper of the stream as the arXiv crawler yields it."""
    pid = r["id"].removeprefix("arxiv:")
    return Item(canonical_id=r["id"], title=r["title"], summary=r["summary"], url=f"https://arxiv.org/abs/{pid}",
                key=f"oai:arXiv.org:{pid}", published=f"{r['date'][:10]}T00:00:00Z" if r.get("date") else None,
                authors=tuple(r.get("authors") or ()))


def papers_and_pool(papers: int, pool: int) -> tuple[list[dict[str, Any]], list[Doc]]:
    """The first ``papers`` of the stream (to serve), and the ``pool`` after them as the model's stream."""
    read = list(read_stream(papers + pool))
    return read[:papers], [Doc(p["id"], p["title"], p["summary"]) for p in read[papers:]]


def seed_catalog(store: Store) -> int:
    """The shipped seed catalog, as ``rsiwatch init`` loads it."""
    return len(import_entries(store, read_catalog(SEED_CATALOG), origin="seed").added)


def install_model(store: Store, pool: Sequence[Doc]) -> int:
    """Train a model the way a running install has one (catalog positives, ``pool`` as the stream) and
    make it active, so a timed crawl measures scoring, not a first cold training."""
    catalog = catalog_docs(store)
    model = train(TrainingSet(positives=catalog, negatives=[], pool=list(pool), catalog=catalog))
    trained_on = {"positives": len(catalog), "negatives": 0, "pool": len(pool), "catalog": len(catalog)}
    return store.models.save_model(model.to_bytes(), trained_on=trained_on, params=model.params.to_dict(),
                            note="bench")


def fresh_store_with_model(db: Path, pool: Sequence[Doc]) -> None:
    """``db`` made anew holding the seed catalog and an active model, as a running install has them."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with Store(db) as store:
        seed_catalog(store)
        install_model(store, pool)


def ingest_and_score(store: Store, items: Sequence[Item], note: str) -> None:
    """``items`` as a crawl leaves them: ingested and title-indexed, a first model trained, every one scored."""
    for i in range(0, len(items), PAGE):
        store.works.ingest("arxiv-stream", items[i:i + PAGE])
    store.linking.index_titles()
    train_and_save(store, note)
    ids = [x.canonical_id for x in items]
    for i in range(0, len(ids), PAGE):
        score_works(store, Config(), ids[i:i + PAGE])


def vacuumed(path: Path) -> sqlite3.Connection:
    """A connection to ``path`` after its WAL is checkpointed and the file VACUUMed: the bytes it needs."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return conn


def bench_config(sources: Sequence[Source] = (), **http: Any) -> Config:
    """Benchmarks measure the software, not the politeness: no spacing between requests."""
    return Config(
        sources=list(sources),
        politeness=Politeness(default_delay_s=0, per_host_delay_s={}, host_groups={}, obey_robots=False),
        http=Http(retries=0, **http),
    )


def bench_client(config: Config) -> PoliteClient:
    """The crawler's client as a crawl opens it from ``config``."""
    return PoliteClient(config.http.settings, config.politeness.settings, config.contact)


# ---- a server in its own process (the second core), on 127.0.0.1 ---------------------------------


class ServerProcess:
    """``bench/servers.py`` in a child process; ``url`` once it listens.  Stopped on exit, by its own pid."""

    def __init__(self, *args: str, max_seconds: float = 3600) -> None:
        self.args = [sys.executable, str(BENCH / "servers.py"), *args, "--max-seconds", str(max_seconds)]
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> ServerProcess:
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://127.0.0.1:"):
            self.proc.kill()
            raise RuntimeError(f"bench server did not start: {line!r}")
        self.url = line
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def peak_mb(self) -> float:
        """The server's own peak RSS (it must stay flat however many records it serves)."""
        assert self.proc is not None
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


# ---- the table -----------------------------------------------------------------------------------


@dataclass
class Row:
    """One measured figure, its baseline from the same run, and the goal (a bound on ``ratio`` or ``value``)."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    goal: str = ""  # e.g. ">= 0.80 x baseline", "<= 100 ms"
    met: bool | None = None  # None: no goal, a figure for the record

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


@dataclass
class Report:
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def print(self, as_json: bool = False) -> None:
        if as_json:
            print(json.dumps({
                "title": self.title, "extra": self.extra, "notes": self.notes,
                "rows": [{**row.__dict__, "ratio": row.ratio} for row in self.rows],
            }, indent=2))
            return
        print(f"\n{self.title}\n{'=' * len(self.title)}")
        header = f"{'measure':54s} {'figure':>14s} {'baseline':>24s} {'ratio':>8s}  {'goal':24s} verdict"
        print(header)
        print("-" * len(header))
        for r in self.rows:
            base = f"{fmt(r.baseline)} ({r.baseline_name})" if r.baseline is not None else ""
            ratio = f"{r.ratio:.3f}" if r.ratio is not None else ""
            verdict = "" if r.met is None else ("MET" if r.met else "NOT MET")
            print(f"{r.name:54s} {fmt(r.value) + ' ' + r.unit:>14s} {base:>24s} {ratio:>8s}  {r.goal:24s} {verdict}")
        for note in self.notes:
            print(f"  * {note}")


def fmt(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def profile_to(path: Path | None, fn: Any, *args: Any, timer: Any = None, **kwargs: Any) -> Any:
    """Run ``fn`` under cProfile when ``path`` is given (stats written there, top 25 on stderr).

    ``timer``: what the profile counts, e.g. ``time.thread_time`` (this thread's CPU seconds: on a
    machine others load, the wall clock charges their time to whatever runs)."""
    if path is None:
        return fn(*args, **kwargs)
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile(timer) if timer is not None else cProfile.Profile()
    result = prof.runcall(fn, *args, **kwargs)
    prof.dump_stats(str(path))
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(30)
    progress(out.getvalue())
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
    progress(out.getvalue())
    return result
