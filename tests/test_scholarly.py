"""The scholarly graph beside the feeds (issue 24), against local servers replaying OpenAlex and arXiv API
responses written from their documented shapes: the citation watch (batched cites: filters, cursor paging,
a merged work's redirect, a 429 that waits for the budget), drafts filled in from OpenAlex with their
provenance, and the catalog's papers checked on arXiv, flagged, applied or dismissed."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from cli_support import run_cli, run_json, write_config
from local_server import Response

from crawler.openalex import abstract_text, parse_work
from rsiwatch.store import Store

KEY = "SECRET-oa-key-7f3a"
NAS, NAS_W = "1611.01578", "W2963446712"  # Neural Architecture Search with RL (a seed entry)
L2L, L2L_W = "1606.04474", "W2963000001"  # Learning to learn by gradient descent (a seed entry)
MERGED = "1707.07012"  # a seed entry whose OpenAlex work was merged into another (301)
CITING = "2611.03001"  # cites both: queued for it
ONE_CITE = "10.5555/journal.77"  # cites one: scored like any item


def inverted(text: str) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for position, word in enumerate(text.split()):
        index.setdefault(word, []).append(position)
    return index


def work(oid: str, title: str, *, doi: str | None, refs: list[str] = (), institutions: bool = True,
         venue: str | None = None, date: str = "2026-11-20") -> dict:
    authorships = [
        {"author": {"display_name": "Ada Lovelace"}, "institutions": [{"display_name": "University of Cambridge"}]
         if institutions else [], "raw_affiliation_strings": ["Dept. of CS, Cambridge, UK"]},
        {"author": {"display_name": "Alan Turing"}, "institutions": [], "raw_affiliation_strings": ["NPL, Teddington"]},
    ]
    primary = {"source": {"display_name": venue, "type": "conference"}} if venue else \
        {"source": {"display_name": "arXiv (Cornell University)", "type": "repository"}, "landing_page_url": None}
    return {
        "id": f"https://openalex.org/{oid}", "doi": f"https://doi.org/{doi}" if doi else None, "display_name": title,
        "publication_date": date, "authorships": authorships, "primary_location": primary, "locations": [primary],
        "referenced_works": [f"https://openalex.org/{r}" for r in refs],
        # Dull text, so the model's score does not queue a citing work by itself: its citations must.
        "abstract_inverted_index": inverted(f"{title}: thermal loads on concrete bridges in winter, with code at "
                                            "https://github.com/ada/nas ."),
    }


class OpenAlex:
    """A replay of OpenAlex's API: singletons by DOI, a merged work's redirect, cites: lists with cursors."""

    def __init__(self, server) -> None:
        self.server, self.budget_spent, self.lists = server, False, []
        server.add_prefix("/oa/", self.handle)

    def handle(self, request) -> Response:
        assert request.query.get("api_key") == KEY and request.query.get("mailto") == "tests@example.org"
        path = request.path
        body: object
        if path.startswith("/oa/works/doi:"):
            doi = path.removeprefix("/oa/works/doi:").lower()
            known = {f"10.48550/arxiv.{NAS}": work(NAS_W, "Neural Architecture Search", doi=f"10.48550/arxiv.{NAS}"),
                     f"10.48550/arxiv.{L2L}": work(L2L_W, "Learning to learn", doi=f"10.48550/arxiv.{L2L}"),
                     f"10.48550/arxiv.{CITING}": work("W4000000001", "Agents that cite", doi=f"10.48550/arxiv.{CITING}",
                                                       venue="ICML 2026"),
                     ONE_CITE: work("W4000000002", "One citation", doi=ONE_CITE, institutions=False)}
            if doi == f"10.48550/arxiv.{MERGED}":
                return Response(
                    301, headers={"Location": f"{self.server.url}/oa/works/W2999999999?{request.raw_query}"}
                )
            if doi not in known:
                return Response(404, json.dumps({"error": "not found"}).encode(), {"Content-Type": "application/json"})
            body = known[doi]
        elif path == "/oa/works/W2999999999":
            body = work("W2999999999", "Learning transferable architectures", doi=f"10.48550/arxiv.{MERGED}")
        elif path == "/oa/works":
            self.lists.append(request.query)
            if self.budget_spent:
                return Response(
                    429,
                    json.dumps({"error": "Rate limit exceeded"}).encode(),
                    {"Content-Type": "application/json", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7200"},
                )
            cited = request.query["filter"].split(",")[0].removeprefix("cites:").split("|")
            assert {NAS_W, L2L_W, "W2999999999"} <= set(cited)
            if request.query["cursor"] == "*":
                body = {
                    "meta": {"count": 3, "next_cursor": "page2"},
                    "results": [
                        work("W4000000001", "Agents that cite", doi=f"10.48550/arxiv.{CITING}", refs=[NAS_W, L2L_W]),
                        work("W4000000003", "A dataset without ids", doi=None, refs=[NAS_W]),
                    ],
                }
            else:
                body = {
                    "meta": {"count": 3, "next_cursor": None},
                    "results": [
                        work("W4000000002", "One citation", doi=ONE_CITE, refs=[L2L_W], venue="Journal of Tests")
                    ],
                }
        else:
            return Response(404, b"{}", {"Content-Type": "application/json"})
        return Response(200, json.dumps(body).encode(), {"Content-Type": "application/json"})


def arxiv_feed(entries: list[dict]) -> bytes:
    items = "".join(
        f"""<entry><id>http://arxiv.org/abs/{e["id"]}v{e["v"]}</id><title>{e["title"]}</title>
<summary>{e.get("summary", "An abstract.")}</summary><published>2016-11-05T00:00:00Z</published>
<author><name>A. Author</name></author>
{f"<arxiv:comment>{e['comment']}</arxiv:comment>" if e.get("comment") else ""}
{f"<arxiv:journal_ref>{e['journal']}</arxiv:journal_ref>" if e.get("journal") else ""}
{f"<arxiv:doi>{e['doi']}</arxiv:doi>" if e.get("doi") else ""}</entry>"""
        for e in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"
 xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"><title>arXiv Query</title>
<opensearch:totalResults>{len(entries)}</opensearch:totalResults>{items}</feed>""".encode()


@pytest.fixture
def project(tmp_path: Path, local_server) -> tuple[Path, OpenAlex]:
    api = OpenAlex(local_server)
    write_config(
        tmp_path / "config.yaml",
        [{"name": "citations", "kind": "openalex", "url": local_server.url + "/oa", "every": "1d"}],
        threshold=1.0,  # a cold model on three crawled works scores them near 1: the citations must queue
        scholarly={
            "openalex": local_server.url + "/oa",
            "api_key": KEY,
            "arxiv_api": local_server.url + "/arxiv/api/query",
        },
    )
    run_cli("init", cwd=tmp_path)
    return tmp_path, api


def test_openalex_works_parse_as_documented() -> None:
    assert abstract_text({"world": [1], "hello": [0], "again": [2, 4], "and": [3]}) == "hello world again and again"
    parsed = parse_work(work("W1", "T", doi=f"10.48550/arxiv.{CITING}", refs=["W7"], venue="ICML 2026"))
    assert (parsed.canonical_id, parsed.doi, parsed.venue, parsed.referenced_works) == (
        f"arxiv:{CITING}",
        None,
        "ICML 2026",
        ("W7",),
    )
    assert parsed.affiliations == "University of Cambridge; NPL, Teddington"  # raw strings where none is known
    assert parsed.code_url == "https://github.com/ada/nas"
    preprint = parse_work(work("W2", "T", doi="10.1234/X.Y"))
    assert preprint.venue is None and preprint.canonical_id == "doi:10.1234/x.y" and preprint.doi == "10.1234/x.y"


@pytest.mark.slow
def test_the_citation_watch_takes_in_works_citing_the_catalog(project, local_server) -> None:
    folder, api = project
    report = run_cli("crawl", "--json", cwd=folder)
    assert KEY not in report.stdout + report.stderr
    outcome = json.loads(report.stdout)
    assert [s["ok"] for s in outcome["sources"]] == [True] and outcome["queued_citing"] == 1
    # The catalog works OpenAlex knows (three here) in one batched list call, paged by cursor.
    assert len(api.lists) == 2 and [q["cursor"] for q in api.lists] == ["*", "page2"]
    assert all(q["per_page"] == "100" and "from_publication_date:" in q["filter"] for q in api.lists)

    queue = {c["canonical_id"]: c for c in run_json("candidates", cwd=folder)}
    cited = queue[f"arxiv:{CITING}"]
    assert cited["queue_reason"] == "cites"
    assert cited["cites"] == [f"arxiv:{L2L}", f"arxiv:{NAS}"]
    assert f"doi:{ONE_CITE}" not in queue  # one citation: it stands on its score (threshold 0.99 here)

    conn = sqlite3.connect(folder / "candidates.db")
    assert conn.execute("SELECT openalex_id FROM openalex_ids WHERE work_id = ?", (f"arxiv:{MERGED}",)).fetchone() == (
        "W2999999999",
    )  # the merged work's redirect was followed
    dump = "\n".join(conn.iterdump())
    assert KEY not in dump

    # The draft carries what OpenAlex knows, each value named as OpenAlex's, and nothing is fetched now.
    from rsiwatch.config import load_config
    from rsiwatch.review.web import create_app

    before = len(local_server.requests)
    client = create_app(load_config(folder / "config.yaml"), folder / "candidates.db").test_client()
    draft = client.get(f"/api/entry?id=arxiv:{CITING}", base_url="http://127.0.0.1:8765").get_json()
    assert draft["affiliations"] == "University of Cambridge; NPL, Teddington"
    assert draft["published_venue"] == "ICML 2026" and draft["code_url"] == "https://github.com/ada/nas"
    assert set(draft["filled_from"]) == {"affiliations", "published_venue", "code_url"}
    page = client.get(f"/accept?id=arxiv:{CITING}", base_url="http://127.0.0.1:8765").get_data(as_text=True)
    assert "Filled in from OpenAlex" in page and "University of Cambridge" in page
    card = client.get("/", base_url="http://127.0.0.1:8765").get_data(as_text=True)
    assert "queued: cites 2 catalog entries" in card
    with Store(folder / "candidates.db") as store:  # the card names the cited entries by their titles
        cited_titles = store.catalog.titles_of([f"arxiv:{L2L}", f"arxiv:{NAS}", "arxiv:0000.00000"])
    assert len(cited_titles) == 2
    assert all(f'<span class="near" dir="auto">{t}</span>' in card for t in cited_titles.values())
    assert len(local_server.requests) == before

    run_cli("accept", f"arxiv:{CITING}", "--description", "Agents cite.", cwd=folder)
    exported = json.loads(run_cli("catalog", "export", "--format", "json", cwd=folder).stdout)
    entry = next(e for e in exported if e["work_id"] == f"arxiv:{CITING}")
    assert entry["affiliations"] == "University of Cambridge; NPL, Teddington"
    assert entry["extra"] == {"Venue": "ICML 2026", "Code": "https://github.com/ada/nas"}
    run_cli("publish", "--out", "site", cwd=folder)
    assert not any(KEY in p.read_text(errors="replace") for p in (folder / "site").rglob("*") if p.is_file())


@pytest.mark.slow
def test_a_spent_budget_waits_for_the_next_day_and_says_so(project) -> None:
    folder, api = project
    api.budget_spent = True
    proc = run_cli("crawl", cwd=folder, check=False)
    assert proc.returncode == 1 and "the day's budget is spent" in proc.stderr and KEY not in proc.stderr
    assert len(api.lists) == 1  # one 429, no storm of retries
    status = run_json("status", cwd=folder)["sources"]["citations"]
    assert "budget is spent" in status["last_error"] and KEY not in json.dumps(status)
    again = run_cli("crawl", cwd=folder, check=False)
    assert len(api.lists) == 1 and "no source is due" in again.stderr  # it waits for the budget to renew


@pytest.mark.slow
def test_the_catalog_check_flags_news_for_the_curator(project, local_server) -> None:
    folder, _ = project
    answers = {"round": 1}

    def arxiv(request) -> Response:
        ids = request.query["id_list"].split(",")
        assert NAS in ids and len(ids) <= 100
        if answers["round"] == 1:
            entries = [
                {"id": NAS, "v": 3, "title": "Neural Architecture Search with Reinforcement Learning"},
                {"id": L2L, "v": 1, "title": "Learning to learn by gradient descent by gradient descent"},
            ]
        else:
            entries = [
                {
                    "id": NAS,
                    "v": 4,
                    "title": "Neural Architecture Search with Reinforcement Learning",
                    "journal": "ICLR 2017",
                    "doi": "10.1234/iclr.2017",
                },
                {
                    "id": L2L,
                    "v": 2,
                    "title": "Learning to Learn, Revised",
                    "comment": "This paper has been withdrawn by the authors",
                },
            ]
        return Response(200, arxiv_feed(entries), {"Content-Type": "application/atom+xml"})

    local_server.add("/arxiv/api/query", handler=arxiv)
    first = run_json("catalog", "check", cwd=folder)
    assert first["checked"] == 2 and first["flags"] == 0 and first["requests"] == 1  # 59 ids, one request
    answers["round"] = 2
    assert run_json("catalog", "check", cwd=folder)["flags"] == 5
    flags = {f["detail"]: f for f in run_json("catalog", "flags", cwd=folder)}
    assert set(flags) == {
        "v4 since accepted",
        "published in ICLR 2017",
        "v2 since accepted",
        "withdrawn on arXiv",
        "title now: Learning to Learn, Revised",
    }
    assert "catalog news: 5 open flags" in run_cli("status", cwd=folder).stdout
    assert "withdrawn on arXiv" in run_cli("doctor", cwd=folder, check=False).stderr

    title = flags["title now: Learning to Learn, Revised"]
    run_cli("catalog", "flags", "apply", str(title["id"]), "--by", "alice", cwd=folder)
    run_cli("catalog", "flags", "apply", str(flags["published in ICLR 2017"]["id"]), cwd=folder)
    run_cli("catalog", "flags", "dismiss", str(flags["v4 since accepted"]["id"]), cwd=folder)
    conn = sqlite3.connect(folder / "candidates.db")
    edits = conn.execute(
        "SELECT entry_id, after, origin, edited_by FROM catalog_edits WHERE origin LIKE 'catalog check%' ORDER BY id"
    ).fetchall()
    after = [json.loads(a) for _, a, _, _ in edits]
    assert after[0] == {"title": "Learning to Learn, Revised"}
    assert json.loads(after[1]["extra"]) == {"Venue": "ICLR 2017", "DOI": "10.1234/iclr.2017"}  # stored as JSON
    assert edits[0][3] == "alice"
    assert len(run_json("catalog", "flags", cwd=folder)) == 2
    proc = run_cli("catalog", "flags", "apply", str(title["id"]), cwd=folder, check=False)
    assert proc.returncode == 2 and "no open flag" in proc.stderr
    run_cli("digest", "--since", "7d", "--out", "week.md", cwd=folder)
    news = (folder / "week.md").read_text().split("## Catalog news", 1)[1].split("##", 1)[0]
    assert re.search(r"withdrawn on arXiv", news) and "v2 since accepted" in news


@pytest.mark.slow
def test_a_failed_catalog_check_names_its_cause_in_one_short_line(tmp_path: Path) -> None:
    """A walk found the cause cut off: the id_list URL of 59 papers filled the error's one line."""
    import socket

    with socket.socket() as probe:  # nothing listens here
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    write_config(tmp_path / "config.yaml", [], scholarly={"arxiv_api": f"http://127.0.0.1:{port}/api/query"})
    run_cli("init", cwd=tmp_path)
    proc = run_cli("catalog", "check", cwd=tmp_path, check=False)
    error = proc.stderr.strip().splitlines()[-1]
    assert proc.returncode == 1 and "refused" in error.lower() and len(error) < 300, error
