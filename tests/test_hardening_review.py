"""The review page, attacked: payloads in every field a feed controls go through a real crawl into the
database and out through the real ``rsiwatch serve`` (over HTTP), and must render inert; cross-site
requests without the token, requests naming another Host, and export paths outside the export folder
(``..``, absolute paths, encoded separators, a planted symlink) must all be refused.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import httpx2
import pytest
from hardening_support import FaultResult, connect, injected, run_measured, write_config
from local_server import LocalServer
from test_hardening_concurrent import session, start_serve, stop

SECRET = "REVIEW-SECRET-51c0"

_RSS_ITEMS = [
    ("<![CDATA[<script>alert('t1')</script>Self-play <img src=x onerror=alert(2)>]]>",
     "https://evil.example.org/1",
     "<![CDATA[<svg onload=alert(3)></svg><a href=\"javascript:alert(4)\">click</a><iframe src=//evil.example.org>"
     "</iframe><math><mi xlink:href=\"javascript:alert(5)\">m</mi></math><object data=x></object>"
     " &lt;script&gt;alert(6)&lt;/script&gt;]]>",
     "<![CDATA[<script>alert('author')</script> Eve <b onmouseover=alert(7)>]]>"),
    ("Link is javascript", "javascript:alert(8)", "plain", "a@example.org (Mallory)"),
    ("Quote breaker", "https://evil.example.org/2\"><script>alert(9)</script>", "x", ""),
    ("Query payload", "https://evil.example.org/3?q=<img src=x onerror=alert(10)>&r='\"><svg/onload=alert(11)>", "y", ""),
    ("\u202eBidi \x1b[31m escape", "https://evil.example.org/4", "<![CDATA[<body onload=alert(12)>text]]>", ""),
    ("<![CDATA[<a href=\"javascript:alert(13)\">architecture search</a>]]>", "https://evil.example.org/5",
     "<![CDATA[<form action=\"javascript:alert(14)\"><button formaction=\"javascript:alert(15)\">b</button></form>]]>", ""),
]

_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>evil atom</title><id>urn:evil</id><updated>2025-01-01T00:00:00Z</updated>
<entry><title type="html">&lt;img src=x onerror=alert(20)&gt;neural architecture search</title><id>urn:evil:1</id>
<link href="javascript:alert(21)"/><link rel="alternate" href="https://evil.example.org/atom/1"/>
<updated>2025-01-01T00:00:00Z</updated><author><name>&lt;script&gt;alert(22)&lt;/script&gt;</name></author>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><script>alert(23)</script><p onclick="alert(24)">self-improving compilers</p></div></content></entry>
<entry><title>Atom data link</title><id>urn:evil:2</id><link href="data:text/html,&lt;script&gt;alert(25)&lt;/script&gt;"/>
<updated>2025-01-01T00:00:00Z</updated><summary type="html">&lt;a href="vbscript:x"&gt;v&lt;/a&gt;</summary></entry>
</feed>
"""


def _evil_rss() -> bytes:
    items = "".join(
        f"<item><title>{t}</title><link>{link.replace('&', '&amp;').replace('<', '&lt;')}</link>"
        f"<description>{d}</description>{f'<author>{a}</author>' if a else ''}<guid>evil-{n}</guid></item>"
        for n, (t, link, d, a) in enumerate(_RSS_ITEMS)
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title><![CDATA[<script>alert(30)</script>]]></title>'
            f"<link>https://evil.example.org/</link><description>d</description>{items}</channel></rss>").encode()


def raw_get(port: int, target: str, host: str | None = None) -> tuple[int, bytes]:
    """A GET sent byte for byte (no client normalises ``..`` or encodings on the way)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host or f'127.0.0.1:{port}'}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data


def run(workdir: Path) -> FaultResult:
    result = FaultResult("Review page (payloads, cross-site, Host, export paths)")
    result.held = ("no injected element, handler or script URL on any page, JSON or export; every forged, "
                   "cross-origin or other-Host request refused and recorded nothing; no path outside the export folder served or written")
    server = LocalServer().start()
    serve = None
    try:
        server.add("/evil.rss", _evil_rss(), headers={"Content-Type": "application/rss+xml"})
        server.add("/evil.atom", _ATOM.encode(), headers={"Content-Type": "application/atom+xml"})
        project = workdir / "review"
        write_config(project, [{"name": "evil-rss", "kind": "feed", "url": server.url + "/evil.rss"},
                               {"name": "evil-atom", "kind": "feed", "url": server.url + "/evil.atom"}],
                     review={"export_dir": "exports"})
        crawl = run_measured(["crawl", "--json"], project)
        result.check(crawl.returncode == 0, f"crawl exited {crawl.returncode}: {crawl.stderr[-500:]}")
        (workdir / "secret.txt").write_text(SECRET)
        serve, base = start_serve(project, project / "serve.log")
        port = int(base.rsplit(":", 1)[1])
        counts = []
        for part in (lambda: _payload_pages(result, project, base), lambda: _cross_site(result, project, base, port),
                     lambda: _exports(result, project, workdir, base, port)):
            before = result.cases
            part()
            counts.append(result.cases - before)
        result.notes.append(f"{counts[0]} pages, JSON answers and exports carrying payloads from {len(_RSS_ITEMS) + 2} "
                            f"hostile items; {counts[1]} forged or other-Host requests; {counts[2]} export paths")
    finally:
        if serve is not None:
            stop(serve)
        server.stop()
    return result


def _payload_pages(result: FaultResult, project: Path, base: str) -> None:
    conn = connect(project)
    evil = [r[0] for r in conn.execute("SELECT DISTINCT work_id FROM sightings WHERE source LIKE 'evil-%'")]
    conn.close()
    result.check(len(evil) >= 8, f"only {len(evil)} payload works were stored")
    client, token = session(base)
    try:
        for work_id in evil[:3]:  # accepted payload works show on the catalog page and in the exports
            prefill = client.get("/api/entry", params={"id": work_id}).json()
            form = {k: v or "" for k, v in prefill.items() if k != "flags"}
            form.update(id=work_id, category="research-automation", seen="0")
            answer = client.post("/api/accept", data=form, headers={"X-CSRF-Token": token})
            result.check(answer.status_code == 200, f"accept {work_id}: HTTP {answer.status_code} {answer.text[:200]}")
        pages = ["/", "/?status=all", "/?q=alert", "/?q=script", "/?source=evil-rss&status=all", "/stats", "/catalog"]
        for path in pages:
            response = client.get(path)
            result.cases += 1
            html = response.text
            result.check(response.status_code == 200, f"{path}: HTTP {response.status_code}")
            result.check("script-src 'self'" in response.headers.get("content-security-policy", ""), f"{path}: no CSP")
            for found in injected(html):
                result.failures.append(f"{path}: injected {found}")
            result.check("\u202e" not in html and "\x1b" not in html, f"{path}: bidi or terminal escape shown raw")
        for work_id in evil:
            response = client.get("/api/entry", params={"id": work_id})
            result.cases += 1
            result.check(response.headers.get("content-type", "").startswith("application/json")
                         and response.headers.get("x-content-type-options") == "nosniff", f"/api/entry {work_id}: headers")
            text = json.dumps(response.json())
            result.check("javascript:" not in text.lower() and "<script" not in text.lower(), f"/api/entry {work_id}: {text[:200]}")
        for fmt in ("csv", "md", "json"):
            export = client.get(f"/export/catalog.{fmt}").text.lower()
            result.cases += 1
            for bad in ("javascript:", "<script", "onerror=", "data:text/html", "vbscript:"):
                result.check(bad not in export, f"catalog.{fmt} export holds {bad!r}")
    finally:
        client.close()


def _decisions(project: Path) -> int:
    conn = connect(project)
    try:
        return conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
    finally:
        conn.close()


def _cross_site(result: FaultResult, project: Path, base: str, port: int) -> None:
    conn = connect(project)
    work_id = conn.execute("SELECT id FROM works WHERE status = 'new' LIMIT 1").fetchone()[0]
    conn.close()
    before = _decisions(project)
    client, token = session(base)
    stranger = httpx2.Client(base_url=base, timeout=30, trust_env=False)
    other, other_token = session(base)
    form = {"id": work_id, "action": "reject", "note": "forged", "seen": "0"}
    attempts = [
        ("no token", lambda: client.post("/api/decide", data=form)),
        ("wrong token", lambda: client.post("/api/decide", data=form, headers={"X-CSRF-Token": "x" * 43})),
        ("token in a form field of the wrong session", lambda: client.post("/api/decide", data={**form, "csrf_token": other_token})),
        ("token without its session cookie", lambda: stranger.post("/api/decide", data=form, headers={"X-CSRF-Token": token})),
        ("another session's token", lambda: other.post("/api/decide", data=form, headers={"X-CSRF-Token": token})),
        ("cross-origin with the token", lambda: client.post("/api/decide", data=form, headers={
            "X-CSRF-Token": token, "Origin": "http://evil.example.org"})),
        ("null origin with the token", lambda: client.post("/api/decide", data=form, headers={
            "X-CSRF-Token": token, "Origin": "null"})),
        ("accept without token", lambda: client.post("/api/accept", data={"id": work_id, "title": "forged"})),
        ("undo without token", lambda: client.post("/api/undo", data={"id": work_id})),
        ("export save without token", lambda: client.post("/export/catalog.csv")),
        ("GET cannot decide", lambda: client.get("/api/decide", params=form)),
        ("other Host, GET", lambda: client.get("/", headers={"Host": "evil.example.org"})),
        ("other Host with our port", lambda: client.get("/", headers={"Host": f"evil.example.org:{port}"})),
        ("rebinding look-alike Host", lambda: client.get("/", headers={"Host": f"127.0.0.1.evil.example.org:{port}"})),
        ("right name, wrong port", lambda: client.get("/", headers={"Host": "127.0.0.1:1"})),
        ("other Host with a valid token", lambda: client.post("/api/decide", data=form, headers={
            "X-CSRF-Token": token, "Host": "evil.example.org"})),
        ("other Host, JSON call", lambda: client.get("/api/entry", params={"id": work_id}, headers={"Host": "evil.example.org"})),
    ]
    try:
        for name, attempt in attempts:
            response = attempt()
            result.cases += 1
            result.check(response.status_code in (403, 405), f"{name}: HTTP {response.status_code} (expected a refusal)")
        result.check(_decisions(project) == before, "a refused request still recorded a decision")
        ok = client.post("/api/decide", data={**form, "note": "genuine"}, headers={"X-CSRF-Token": token})
        result.check(ok.status_code == 200 and _decisions(project) == before + 1, f"the genuine request failed: {ok.text[:200]}")
        allowed = client.get("/", headers={"Host": f"localhost:{port}"})
        result.check(allowed.status_code == 200, f"localhost:{port} refused: HTTP {allowed.status_code}")
    finally:
        for c in (client, stranger, other):
            c.close()


def _snapshot(root: Path) -> set[str]:
    skip = ("candidates.db", "serve.log", "exports")
    return {str(p.relative_to(root)) for p in root.rglob("*") if not any(part.startswith(skip) for part in p.relative_to(root).parts)}


def _exports(result: FaultResult, project: Path, workdir: Path, base: str, port: int) -> None:
    exports = project / "exports"
    exports.mkdir(exist_ok=True)
    secret = workdir / "secret.txt"
    # A symlink planted in the export folder, named like an export, pointing outside it.
    os.symlink(secret, exports / "catalog-20990101-000000.csv")
    os.symlink(secret.parent, exports / "catalog-dir.json")
    before = _snapshot(workdir)
    client, token = session(base)
    try:
        saved = client.post("/export/catalog.md", data={"csrf_token": token})
        result.check(saved.status_code == 303, f"saving an export: HTTP {saved.status_code}")
        for fmt in ("csv/../../../secret", "md%2f..%2f..%2fsecret", "..%2f..%2fsecret.txt"):
            response = client.post(f"/export/catalog.{fmt}", data={"csrf_token": token})
            result.cases += 1
            result.check(response.status_code == 404, f"POST /export/catalog.{fmt}: HTTP {response.status_code}")
    finally:
        client.close()
    targets = [
        "/exports/../secret.txt", "/exports/../../secret.txt", "/exports/..%2f..%2fsecret.txt", "/exports/..%2Fsecret.txt",
        "/exports/%2e%2e/%2e%2e/secret.txt", "/exports/%2e%2e%2f%2e%2e%2fsecret.txt", "/exports/....//....//secret.txt",
        f"/exports/{secret}", f"/exports/%2F{str(secret).lstrip('/').replace('/', '%2F')}", "/exports//etc/passwd",
        "/exports/%2Fetc%2Fpasswd", "/exports/..\\..\\secret.txt", "/exports/..%5c..%5csecret.txt",
        "/exports/catalog-20990101-000000.csv", "/exports/catalog-dir.json", "/exports/catalog-dir.json/secret.txt",
        "/exports/.%2e/.%2e/secret.txt", "/exports/%252e%252e%252fsecret.txt", "/exports/~/secret.txt",
        f"http://127.0.0.1:{port}/exports/../../secret.txt", "/static/../../secret.txt", "/static/..%2f..%2fsecret.txt",
        "/static/%2e%2e/%2e%2e/%2e%2e/secret.txt",
    ]
    for target in targets:
        status, data = raw_get(port, target)
        result.cases += 1
        result.check(SECRET.encode() not in data and b"root:" not in data, f"GET {target}: the secret was served")
        result.check(status in (400, 404, 308), f"GET {target}: HTTP {status}")
    created = _snapshot(workdir) - before
    result.check(not created, f"files written outside the export folder: {sorted(created)}")
    inside = [p.name for p in exports.iterdir() if p.is_file() and not p.is_symlink()]
    result.check(len(inside) == 1 and inside[0].endswith(".md"), f"export folder holds {inside}")


@pytest.mark.slow
def test_review_page_refuses_payloads_forgeries_other_hosts_and_escapes(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.ok, "\n".join(result.failures + result.notes)
