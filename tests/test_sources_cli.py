"""`rsiwatch sources add|remove|test|import-opml|export-opml`: config edits keep comments; test stores nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from local_server import LocalServer

from rsiwatch.cli import DEFAULT_CONFIG_TEMPLATE, cli
from rsiwatch.config import ConfigError, load_config
from rsiwatch.source_list import add_source_text, remove_source_text

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
OPML = b"""<?xml version="1.0"?>
<opml version="1.0"><head><title>My feeds</title></head><body>
  <outline text="AI"><outline text="Import AI" type="rss" xmlUrl="https://importai.substack.com/feed"/>
    <outline text="Weekly Notes" type="rss" xmlUrl="https://notes.example.org/feed.xml"/>
    <outline text="arXiv cs.LG" type="rss" xmlUrl="https://rss.arxiv.org/rss/cs.LG"/></outline>
  <outline text="Weekly Notes" type="rss" xmlUrl="https://other.example.org/rss"/>
  <outline text="a folder link" htmlUrl="https://x.example.org/"/>
  <outline text="bad" xmlUrl="javascript:alert(1)"/>
</body></opml>"""


def invoke(*args: str, config: Path):
    return CliRunner().invoke(cli, [*args, "--config", str(config)], catch_exceptions=False)


def test_add_and_remove_keep_every_comment(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    original = DEFAULT_CONFIG_TEMPLATE.read_text()
    config.write_text(original)
    result = invoke(
        "sources",
        "add",
        "lab-blog",
        "--kind",
        "html",
        "--url",
        "https://lab.example.org/blog/",
        "--every",
        "12h",
        "--follow-links",
        "--select",
        "item=article",
        "--select",
        "link=a@href",
        config=config,
    )
    assert result.exit_code == 0, result.output
    text = config.read_text()
    assert [line for line in original.splitlines() if line.strip().startswith("#")] == [
        line for line in text.splitlines() if line.strip().startswith("#")
    ]
    source = load_config(config).source("lab-blog")
    assert source.follow_links and source.select is not None and source.select.link == "a@href"
    assert text.index("lab-blog") < text.index("review:"), "added inside the sources block"

    assert invoke("sources", "remove", "import-ai", config=config).exit_code == 0
    assert invoke("sources", "remove", "lab-blog", config=config).exit_code == 0
    names = [s.name for s in load_config(config).sources]
    assert "import-ai" not in names and "lab-blog" not in names and "last-week-in-ai" in names
    assert config.read_text() == original.replace(
        next(line for line in original.splitlines(keepends=True) if "name: import-ai" in line), ""
    )

    duplicate = invoke("sources", "add", "interconnects", "--kind", "feed", "--url", "https://x.org/f", config=config)
    assert duplicate.exit_code == 2 and "exists already" in duplicate.output
    bad = invoke("sources", "add", "x", "--kind", "feed", config=config)  # a feed needs a url
    assert bad.exit_code == 2 and "needs a url" in bad.output
    assert invoke("sources", "remove", "nope", config=config).exit_code == 2


def test_text_edits_on_block_style_and_empty_lists() -> None:
    block = (
        "# top\nsources:\n  # first\n  - name: a\n    kind: feed\n    url: https://a.org/f   # inline\n\n"
        "  # the end\nreview: {port: 9000}\n"
    )
    added = add_source_text(block, {"name": "b", "kind": "feed", "url": "https://b.org/f"})
    assert added.splitlines()[6] == "  - {name: b, kind: feed, url: 'https://b.org/f'}"
    assert (
        remove_source_text(added, "a")
        == "# top\nsources:\n  # first\n  - {name: b, kind: feed, url: 'https://b.org/f'}\n\n  # the end\nreview: "
           "{port: 9000}\n"
    )
    empty = add_source_text(
        "contact: me@example.org\nsources: []\n", {"name": "c", "kind": "feed", "url": "https://c.org/"}
    )
    assert empty == "contact: me@example.org\nsources:\n  - {name: c, kind: feed, url: 'https://c.org/'}\n"
    assert "sources:" in add_source_text("", {"name": "d", "kind": "feed", "url": "https://d.org/"})
    with pytest.raises(ConfigError):
        add_source_text(
            "sources: [{name: a, kind: feed, url: 'https://a.org'}]\n",
            {"name": "e", "kind": "feed", "url": "https://e.org"},
        )


def test_opml_import_and_export(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "# my config\nsources:\n  - {name: import-ai, kind: feed, url: 'https://importai.substack.com/feed'}\n"
    )
    opml = tmp_path / "feeds.opml"
    opml.write_bytes(OPML)
    result = invoke("sources", "import-opml", str(opml), "--every", "6h", config=config)
    assert result.exit_code == 0, result.output
    sources = {s.name: s for s in load_config(config).sources}
    assert set(sources) == {"import-ai", "weekly-notes", "arxiv-cs.lg", "weekly-notes-2"}
    assert sources["arxiv-cs.lg"].kind == "arxiv_rss" and sources["weekly-notes"].every == "6h"
    assert config.read_text().startswith("# my config\n")
    exported = invoke("sources", "export-opml", config=config).output
    assert exported.count("<outline") == 4 and 'xmlUrl="https://notes.example.org/feed.xml"' in exported
    again = tmp_path / "again.yaml"
    again.write_text("sources: []\n")
    out = tmp_path / "out.opml"
    out.write_text(exported)
    assert invoke("sources", "import-opml", str(out), config=again).exit_code == 0
    assert len(load_config(again).sources) == 4
    evil = tmp_path / "evil.opml"
    evil.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY x SYSTEM "file:///etc/passwd">]><opml><body>'
        b'<outline text="&x;" xmlUrl="https://e.org/f"/></body></opml>'
    )
    refused = invoke("sources", "import-opml", str(evil), "--dry-run", config=again)
    assert refused.exit_code == 2 and "not valid OPML" in refused.output and "root:" not in refused.output


def test_sources_test_prints_items_and_stores_nothing(tmp_path: Path, local_server: LocalServer) -> None:
    url = local_server.add(
        "/feed", body=(FIXTURES / "newsletter.xml").read_bytes(), headers={"Content-Type": "application/rss+xml"}
    )
    config = tmp_path / "config.yaml"
    config.write_text(
        f"politeness: {{default_delay_s: 0}}\nsources:\n  - "
        f"{{name: n, kind: feed, url: '{url}', split_stories: true}}\n"
    )
    result = invoke("sources", "test", "n", "--json", config=config)
    assert result.exit_code == 0, result.output
    import json

    report = json.loads(result.output)
    assert report["count"] == 6 and report["items"][0]["canonical_id"] == "arxiv:2611.04242"
    assert not (tmp_path / "candidates.db").exists()
    plain = invoke("sources", "test", "n", config=config)
    assert (
        "arxiv:2611.04242" in plain.output
        and "via https://importthings.example.org/p/import-things-412" in plain.output
    )
    from rsiwatch.store import Store

    Store(tmp_path / "candidates.db").close()  # `sources list` reads a database that exists (init's)
    listed = invoke("sources", "list", "--json", config=config)
    assert listed.exit_code == 0 and json.loads(listed.output)[0]["name"] == "n"


def test_sources_test_suggests_split_stories_for_a_newsletter(tmp_path: Path, local_server: LocalServer) -> None:
    import json

    newsletter = local_server.add(
        "/news", body=(FIXTURES / "newsletter.xml").read_bytes(), headers={"Content-Type": "application/rss+xml"}
    )
    blog = local_server.add(
        "/blog",
        body=(Path(__file__).parent / "fixtures" / "feeds" / "rss20.xml").read_bytes(),
        headers={"Content-Type": "application/rss+xml"},
    )
    config = tmp_path / "config.yaml"
    config.write_text(
        f"politeness: {{default_delay_s: 0}}\nsources:\n  - {{name: n, kind: feed, url: '{newsletter}'}}\n"
        f"  - {{name: b, kind: feed, url: '{blog}'}}\n"
    )
    plain = invoke("sources", "test", "n", config=config)
    assert plain.exit_code == 0 and "hint: its items look like newsletter issues" in plain.output
    assert "split_stories: true" in plain.output
    report = json.loads(invoke("sources", "test", "n", "--json", config=config).output)
    assert report["hint"] and report["count"] == 3  # each entry read whole until split_stories is set
    assert json.loads(invoke("sources", "test", "b", "--json", config=config).output)["hint"] is None
    assert len(local_server.hits("/news")) == 2  # one request a test, the issue read twice from it
