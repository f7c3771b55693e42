"""Fetch ahead, parse in worker processes: the same items as parsing in line, in source order, and a
worker that dies costs nothing but time (real server, real worker processes, real database)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from local_server import LocalServer

from crawler.http import PoliteClient
from crawler.settings import HttpSettings, Politeness
from crawler.sources import collect
from rsiwatch.config import Source
from rsiwatch.prefetch import PARSE_IN_WORKER_FROM, Prefetcher
from rsiwatch.store import Store

ROOT = Path(__file__).resolve().parents[1]
FAST = Politeness(default_delay_s=0, per_host_delay_s={}, host_groups={})
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def feed(number: int, items: int) -> bytes:
    """An RSS feed; ``items`` of 1,000 characters each make it big enough for a worker from ~70 on."""
    body = "".join(
        f"<item><title>Feed {number} post {i}: learned optimizers</title>"
        f"<link>https://blog{number}.example.org/post/{i}</link>"
        f"<description>{'A long summary about search over architectures. ' * 20}"
        f"See arXiv:2611.{number:02d}{i:03d}.</description></item>"
        for i in range(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{number}</title>{body}</channel></rss>'.encode()


def client() -> PoliteClient:
    return PoliteClient(HttpSettings(connect_timeout_s=2, read_timeout_s=5, total_timeout_s=10, retries=0), FAST,
                        "curator@example.org")


def sources(local_server: LocalServer, sizes: list[int]) -> list[Source]:
    out = []
    for number, items in enumerate(sizes):
        url = local_server.add(f"/f{number}.xml", feed(number, items), headers=RSS)
        out.append(Source(name=f"f{number}", kind="feed", url=url))
    return out


@pytest.mark.slow
def test_prefetched_items_equal_items_parsed_in_line(tmp_path: Path, local_server: LocalServer) -> None:
    srcs = sources(local_server, [120, 3, 90, 1, 150])
    assert len(feed(0, 120)) >= PARSE_IN_WORKER_FROM > len(feed(1, 3))  # both paths are taken
    with Store(tmp_path / "c.db") as store, client() as c:
        store.sources.ensure_sources((s.name, s.kind, s.url) for s in srcs)
        in_line = [collect(s.spec, c) for s in srcs]
        prefetcher = Prefetcher(store, c, srcs)
        try:
            ahead = [prefetcher.take()[1] for _ in srcs]
            assert prefetcher.parser is not None  # the big bodies went to a worker process
        finally:
            prefetcher.close()
    for a, b in zip(ahead, in_line, strict=False):
        assert a.items == b.items and a.warnings == b.warnings
    assert [len(r.items) for r in ahead] == [120, 3, 90, 1, 150]


@pytest.mark.slow
def test_a_killed_worker_costs_a_parse_in_line_not_the_source(tmp_path: Path, local_server: LocalServer) -> None:
    srcs = sources(local_server, [120] * 8)  # more than PREFETCH_AHEAD: the last ones are fetched after the kill
    with Store(tmp_path / "c.db") as store, client() as c:
        store.sources.ensure_sources((s.name, s.kind, s.url) for s in srcs)
        prefetcher = Prefetcher(store, c, srcs)
        try:
            first = prefetcher.take()[1]
            assert prefetcher.parser is not None
            for process in list(prefetcher.parser._processes.values()):
                os.kill(process.pid, signal.SIGKILL)
            rest = [prefetcher.take()[1] for _ in srcs[1:]]
            assert prefetcher.parser._broken
        finally:
            prefetcher.close()
    assert [len(r.items) for r in [first, *rest]] == [120] * 8
    with client() as c:
        assert [r.items for r in rest] == [collect(s.spec, c).items for s in srcs[1:]]


def test_workers_started_from_a_script_do_not_rerun_it(tmp_path: Path) -> None:
    """multiprocessing re-runs the parent's main script in each spawned worker unless it has no __file__."""
    script = tmp_path / "main_script.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from multiprocessing.spawn import get_preparation_data
        from rsiwatch.prefetch import workers_skip_main_script

        if __name__ == "__main__":
            before = "init_main_from_path" in get_preparation_data("w")
            with workers_skip_main_script():
                during = "init_main_from_path" in get_preparation_data("w")
            print(before, during, __file__ == sys.modules["__main__"].__file__)
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False", "True"]
