"""Script, event-handler and ``javascript:`` payloads in every feed-controlled field render inert."""

from __future__ import annotations

from pathlib import Path

import pytest
from hardening_support import elements
from review_fixtures import make_config, populate

from rsiwatch.present.text import highlight_html, html_to_text, safe_url
from rsiwatch.review.web import create_app

BASE = "http://127.0.0.1:8765"


@pytest.fixture
def pages(tmp_path: Path) -> dict[str, str]:
    db = tmp_path / "candidates.db"
    populate(db, 3, hostile=True)
    client = create_app(make_config(tmp_path), db).test_client()
    urls = ["/", "/?status=all", "/?q=self", "/?q=architecture", "/stats", "/catalog"]
    out = {url: client.get(url, base_url=BASE).get_data(as_text=True) for url in urls}
    token = next(a["content"] for t, a in elements(out["/"]) if t == "meta" and a.get("name") == "csrf-token")
    for work_id in ("url:https://evil.example/post-1", "url:https://evil.example/post-2"):
        prefill = client.get(f"/api/entry?id={work_id}", base_url=BASE).json
        form = {k: v or "" for k, v in prefill.items() if k != "flags"}
        form.update(id=work_id, url="", seen="0")
        assert client.post("/api/accept", data=form, headers={"X-CSRF-Token": token}, base_url=BASE).status_code == 200
    out["/catalog"] = client.get("/catalog", base_url=BASE).get_data(as_text=True)
    return out


def test_no_injected_elements_or_handlers(pages: dict[str, str]) -> None:
    for url, html in pages.items():
        assert "evil.example/post-" in html or url in ("/stats", "/catalog"), url
        for tag, attrs in elements(html):
            assert tag not in ("img", "svg", "iframe", "b", "object", "embed"), (url, tag, attrs)
            if tag == "script":
                assert attrs == {"src": "/static/review.js"}, (url, attrs)
            for name, value in attrs.items():
                assert not name.startswith("on"), (url, tag, name)
                if name in ("href", "src", "action"):
                    assert value and (value.startswith(("http://", "https://", "/", "?"))), (url, tag, value)
                    assert not value.startswith("//"), (url, value)


def test_payload_text_is_shown_escaped(pages: dict[str, str]) -> None:
    html = pages["/"]
    assert "&lt;script&gt;alert(&#39;xss-title&#39;)&lt;/script&gt;" in html  # the authors field, as text
    assert "alert(&#39;cat&#39;)" in html  # a hostile category string
    assert "<script>alert" not in html and "onerror=" not in html.replace("onerror=&#34;", "")
    assert "javascript:" not in html.lower().replace("javascript:alert(&#39;url&#39;)", "")
    assert "\u202e" not in html and "\x1b" not in html


def test_helpers() -> None:
    for bad in (
        "javascript:alert(1)",
        " JAVASCRIPT:x",
        "java\tscript:x",
        "data:text/html,x",
        "vbscript:x",
        "//evil.example",
        "/relative",
        "file:///etc/passwd",
        "https://",
        "http://exa mple.org",
        None,
        42,
    ):
        assert safe_url(bad) is None, bad
    assert safe_url("https://arxiv.org/abs/2401.01234") == "https://arxiv.org/abs/2401.01234"
    assert html_to_text("<p>a <b>b</b><script>evil()</script> &amp; c</p>") == "a b & c"
    assert html_to_text("x < y and y > z") == "x < y and y > z"
    assert str(highlight_html("<b>self-play</b> & more", ["self play", "amp"])) == (
        "&lt;b&gt;<mark>self-play</mark>&lt;/b&gt; &amp; more"
    )
