"""A batch of sources stored at once (one scoring pass, one commit for their successes) leaves the same
rows as the same sources stored one by one, cross-source linking included; and a crawl of many feeds
leaves the same rows as crawling them one source at a time (real server, real database, real model)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from local_server import LocalServer

from crawler.http import PoliteClient
from crawler.settings import HttpSettings, Politeness
from crawler.sources import collect
from rsiwatch.catalog.formats import read_catalog
from rsiwatch.catalog.load import import_entries
from rsiwatch.cli import SEED_CATALOG
from rsiwatch.config import Config, Http, Politeness as PolitenessConfig, Source
from rsiwatch.ingest_batch import FetchedSource, store_batch
from rsiwatch.pipeline import crawl
from rsiwatch.scoring import train_and_save
from rsiwatch.store import Store, utcnow

FAST = Politeness(default_delay_s=0, per_host_delay_s={}, host_groups={})
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
PAPERS = [
    ("2611.10001", "Self-Improving Code Agents That Rewrite Their Own Scaffolding",
     "An agent edits its own scaffold and tools, measured over generations of self-modification."),
    ("2611.10002", "Language Models Generating Training Data for Their Successors",
     "We study models that write the data their next version is trained on, and the gains per round."),
    ("2611.10003", "A Survey of Protein Folding Benchmarks",
     "Benchmarks for protein structure prediction, compared across groups and years."),
    ("2611.10004", "Automated Discovery of Faster Matrix Multiplication Kernels with Evolutionary Search",
     "Evolutionary search proposes GPU kernels; the best ones speed up training of the searching model."),
]


def arxiv_feed() -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>https://arxiv.org/abs/{pid}v1</link><description>{summary}</description></item>"
        for pid, title, summary in PAPERS
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>listing</title>{items}</channel></rss>'.encode()


def blog_feed() -> bytes:
    """Posts about the listing's papers: one named by its title alone, one by an arXiv link, one about nothing."""
    posts = [
        ("Language Models Generating Training Data for Their Successors", "/post/successors", "Our paper, out now."),
        ("Kernels that speed up their own search", "/post/kernels",
         'Read it: &lt;a href="https://arxiv.org/abs/2611.10004"&gt;arXiv&lt;/a&gt;'),
        ("What we had for lunch", "/post/lunch", "Soup."),
    ]
    items = "".join(
        f"<item><title>{title}</title><link>https://lab.example.org{path}</link><description>{body}</description></item>"
        for title, path, body in posts
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>blog</title>{items}</channel></rss>'.encode()


def serve(local_server: LocalServer) -> list[Source]:
    return [
        Source(
            name="listing", kind="feed", url=local_server.add("/listing.xml", arxiv_feed(), headers=RSS, etag='"l1"')
        ),
        Source(name="blog", kind="feed", url=local_server.add("/blog.xml", blog_feed(), headers=RSS, etag='"b1"')),
    ]


def prepared_store(path: Path) -> Store:
    """A database as a running install has it: the seed catalog and an active model."""
    store = Store(path)
    import_entries(store, read_catalog(SEED_CATALOG), origin="seed")
    train_and_save(store, "test model")
    return store


def client() -> PoliteClient:
    return PoliteClient(
        HttpSettings(connect_timeout_s=2, read_timeout_s=5, total_timeout_s=10, retries=0), FAST, "curator@example.org"
    )


def rows(path: Path) -> dict[str, list[tuple]]:
    """Everything a crawl writes, without the times it wrote it."""
    conn = sqlite3.connect(path)
    queries = {
        "works": "SELECT id, title, summary, url, authors, links, status, score, model_version, category,"
        " queued_at IS NOT NULL, queue_reason FROM works ORDER BY id",
        "sightings": "SELECT work_id, source, item_key, url, title, version, via FROM sightings ORDER BY work_id, "
                     "source, item_key",
        "scores": "SELECT work_id, model_version, score, threshold, category, why, nearest FROM scores ORDER BY "
                  "work_id",
        "sources": "SELECT name, etag, last_modified, consecutive_failures, last_error FROM sources ORDER BY name",
        "fetches": "SELECT source, outcome, requests, items, new_works, new_candidates FROM fetches ORDER BY id",
        "titles": "SELECT work_id, norm FROM work_titles ORDER BY work_id",
    }
    out = {name: conn.execute(sql).fetchall() for name, sql in queries.items()}
    conn.close()
    return out


def config(sources: list[Source]) -> Config:
    return Config(
        sources=sources,
        threshold=0.3,
        review={"audit_per_week": 0},
        politeness=PolitenessConfig(default_delay_s=0, per_host_delay_s={}, host_groups={}, obey_robots=False),
        http=Http(retries=0),
    )


def test_a_batch_stores_the_same_rows_as_its_sources_one_by_one(tmp_path: Path, local_server: LocalServer) -> None:
    sources = serve(local_server)
    cfg = config(sources)
    outcomes = {}
    for mode in ("batch", "one_by_one"):
        with prepared_store(tmp_path / f"{mode}.db") as store, client() as c:
            store.sources.ensure_sources((s.name, s.kind, s.url) for s in sources)
            fetched = [FetchedSource(s, utcnow(), collect(s.spec, c)) for s in sources]
            if mode == "batch":
                outcomes[mode] = store_batch(fetched, store, cfg)
            else:
                outcomes[mode] = [store_batch([f], store, cfg)[0] for f in fetched]
    batch, one_by_one = rows(tmp_path / "batch.db"), rows(tmp_path / "one_by_one.db")
    assert batch == one_by_one
    assert outcomes["batch"] == outcomes["one_by_one"]
    # The batch did link across its sources: the post named by title alone joined the listing's paper,
    # which the same batch stored a source earlier; the post with a link joined its paper too.
    sightings = {(w, s) for w, s, *_ in batch["sightings"]}
    assert ("arxiv:2611.10002", "blog") in sightings and ("arxiv:2611.10004", "blog") in sightings
    assert [o.new_works for o in outcomes["batch"]] == [4, 1]  # the lunch post is the blog's only new work
    assert len(batch["scores"]) == 5 and all(r[8] is not None for r in batch["works"] if r[0].startswith("arxiv:26"))
    assert [r[1] for r in batch["sources"]] == ['"b1"', '"l1"']  # each source's validators saved


def test_a_crawl_of_many_feeds_leaves_the_rows_of_a_crawl_source_by_source(
    tmp_path: Path, local_server: LocalServer
) -> None:
    feeds = serve(local_server)
    # More sources than one batch needs, so the prefetching crawl stores several at once when they are ready.
    sources = [Source(name=f"{s.name}-{n}", kind="feed", url=s.url) for n in range(3) for s in feeds]
    cfg = config(sources)
    for mode in ("together", "apart"):
        with prepared_store(tmp_path / f"{mode}.db") as store, client() as c:
            if mode == "together":
                crawl(cfg, store, c, sources)
            else:
                for source in sources:
                    crawl(cfg, store, c, [source])
    together, apart = rows(tmp_path / "together.db"), rows(tmp_path / "apart.db")
    assert together == apart
    assert len(together["fetches"]) == len(sources) and all(f[1] == "ok" for f in together["fetches"])
