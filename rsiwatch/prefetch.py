"""Fetch ahead, parse elsewhere: a crawl of several feeds overlaps the fetch and parse of the next
sources with the link/store/score of the current one (README, "Benchmarks": the crawl's
throughput against feedparser alone).

One thread fetches in source order (the client stays the single, serial politeness gate); big feed
bodies are parsed in a process pool; the store is only ever touched from the caller's thread.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

from crawler.http import PoliteClient
from crawler.items import SourceResult, Validators
from crawler.parsing import parse_fetched
from crawler.settings import SourceSpec
from crawler.sources import collect, fetch_feed, is_separable, parse_spec, with_parsed
from crawler.worker import exit_with_parent
from rsiwatch.config import Source
from rsiwatch.store import Store, utcnow

PARSE_IN_WORKER_FROM = 64 * 1024  # bytes: a smaller body is parsed in the fetching thread (IPC would cost more)
PREFETCH_AHEAD = 4  # sources fetched (and parsed) ahead of the one being stored: bounds the memory held


def parse_workers() -> int:
    """Parse processes: one core is left to this process's link/store/score (2 workers on 2 cores were slower)."""
    return max(1, (os.cpu_count() or 2) - 1)


def seen_posts(source: Source, store: Store) -> dict[str, str]:
    """Item key -> work of the posts an ``html`` source that follows links gave before: not read again."""
    if source.kind != "html" or not source.follow_links:
        return {}
    return store.works.sighting_works(source.name)


@contextmanager
def workers_skip_main_script() -> Iterator[None]:
    """Workers started inside this skip the parent's main script.

    A spawned worker re-runs the parent's ``__main__`` file before its first task (multiprocessing does
    so that functions defined there can be unpickled), which for ``rsiwatch`` imports the whole CLI (0.6 s
    of CPU) and for bench/bench_crawl.py the classifier too (1.3 s).  Parse tasks name functions of
    ``crawler.parsing``; with no ``__file__`` on ``__main__`` while a worker starts, it imports only those.
    """
    main = sys.modules["__main__"]
    path = main.__dict__.pop("__file__", None)
    try:
        yield
    finally:
        if path is not None:
            main.__file__ = path


class Prefetcher:
    """Fetches sources in order on one thread (the client stays the single, serial gate) and parses big
    feed bodies in a process pool; ``take`` hands back each source's (started, result) in source order.

    Exceptions of a source's fetch or parse are raised by ``take``, as ``collect`` would raise them.
    """

    def __init__(self, store: Store, client: PoliteClient, sources: Sequence[Source]) -> None:
        self.store, self.client, self.sources = store, client, sources
        self.fetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rsiwatch-fetch")
        self.parser: ProcessPoolExecutor | None = None  # started by the first big body
        self.pending: deque[Future] = deque()
        self.submitted = 0

    def _submit_next(self) -> None:
        source = self.sources[self.submitted]
        # Read here: the store is this thread's.
        validators, seen = self.store.sources.source_state(source.name).validators, seen_posts(source, self.store)
        self.pending.append(self.fetcher.submit(self._fetch, source.spec, validators, seen))
        self.submitted += 1

    def _fetch(
        self, source: SourceSpec, validators: Validators, seen: Mapping[str, str]
    ) -> tuple:  # on the fetch thread
        started = utcnow()
        if not is_separable(source):
            return started, collect(source, self.client, validators, seen), None
        result, fetched = fetch_feed(source, self.client, validators)
        if fetched is None:
            return started, result, None
        spec = parse_spec(source)
        if len(fetched.body) < PARSE_IN_WORKER_FROM:
            return started, with_parsed(result, parse_fetched(spec, fetched.body, fetched.headers, fetched.url)), None
        if self.parser is None:
            # Each worker exits when this process dies, however it dies (crawler/worker.py).
            self.parser = ProcessPoolExecutor(
                max_workers=parse_workers(),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=exit_with_parent,
                initargs=(os.getpid(),),
            )
        try:
            with workers_skip_main_script():  # a submit may start a worker
                parsing = self.parser.submit(parse_fetched, spec, fetched.body, fetched.headers, fetched.url)
        except (BrokenProcessPool, RuntimeError):
            parsing = None
        return started, result, (parsing, spec, fetched)

    def take(self) -> tuple[str, SourceResult]:
        """The next source's (started, result); its fetch or parse error is raised here."""
        while self.submitted < len(self.sources) and len(self.pending) <= PREFETCH_AHEAD:
            self._submit_next()
        started, result, parsing = self.pending.popleft().result()
        if parsing is not None:
            future, spec, fetched = parsing
            try:
                if future is None:
                    raise BrokenProcessPool("no parser pool")
                parsed = future.result()
            except BrokenProcessPool:  # a worker died: parse here, as a crawl without workers would
                parsed = parse_fetched(spec, fetched.body, fetched.headers, fetched.url)
            with_parsed(result, parsed)
        return started, result

    def ready(self) -> bool:
        """Whether ``take`` would hand the next source without waiting (fetched, and parsed if in a worker)."""
        if not self.pending:
            return False
        head = self.pending[0]
        if not head.done():
            return False
        if head.exception() is not None:
            return True
        parsing = head.result()[2]
        return parsing is None or parsing[0] is None or parsing[0].done()

    def close(self) -> None:
        for future in self.pending:
            future.cancel()
        self.fetcher.shutdown(wait=True, cancel_futures=True)
        if self.parser is not None:
            self.parser.shutdown(wait=True, cancel_futures=True)
