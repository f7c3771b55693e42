"""The typed config: the documented shapes (README, "Config reference") are accepted; anything else is one line and
exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import run_cli

from rsiwatch.config import Config, ConfigError, parse_config, parse_duration

DESIGN_EXAMPLE = """
database: candidates.db
contact: you@example.org          # goes into the User-Agent, as arXiv asks
threshold: 0.35                   # or set by `rsiwatch tune`
politeness: {default_delay_s: 1.0, per_host_delay_s: {export.arxiv.org: 3.0, rss.arxiv.org: 3.0}}
sources:
  - {name: arxiv-ml, kind: arxiv_rss, url: "https://rss.arxiv.org/rss/cs.LG+cs.AI+cs.CL+cs.NE+cs.AR+cs.PL", every: 1d}
  - {name: arxiv-search, kind: arxiv_api, query: 'abs:"neural architecture search"', every: 1d}
  - {name: import-ai, kind: feed, url: "https://importai.substack.com/feed", every: 6h}
  - {name: deepmind-blog, kind: html, url: "https://deepmind.google/discover/blog/", every: 12h,
     select: {item: "article", title: "h3", link: "a@href", summary: "p"}}
"""


def test_the_design_example_is_accepted_as_it_is() -> None:
    config = parse_config(DESIGN_EXAMPLE)
    assert [s.name for s in config.sources] == ["arxiv-ml", "arxiv-search", "import-ai", "deepmind-blog"]
    assert config.sources[0].interval_s == 86400
    assert config.sources[2].interval_s == 6 * 3600
    assert config.sources[1].endpoint == "https://export.arxiv.org/api/query"
    assert config.sources[3].select.link == "a@href"
    assert config.politeness.per_host_delay_s["export.arxiv.org"] == 3.0


def test_the_shipped_default_config_is_valid() -> None:
    template = Path(__file__).resolve().parents[1] / "rsiwatch" / "templates" / "config.yaml"
    config = parse_config(template.read_text(), template)
    kinds = {s.kind for s in config.sources}
    assert {"arxiv_rss", "arxiv_api", "feed"} <= kinds
    rss = next(s for s in config.sources if s.kind == "arxiv_rss")
    for category in ("cs.LG", "cs.AI", "cs.CL", "cs.NE", "cs.AR", "cs.PL"):
        assert category in rss.url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("threshold: 2", "config.yaml: threshold: 2 is invalid: Input should be less than or equal to 1"),
        ("thresold: 0.3", "config.yaml: thresold: unknown key"),
        (
            "sources: [{name: a, kind: feed, url: 'https://x.org/f', every: 5x}]",
            "config.yaml: sources[0].every: '5x' is invalid: expected a duration such as 30s, 10m, 6h or 1d",
        ),
        ("sources: [{name: a, kind: blog, url: 'https://x.org/f'}]", "config.yaml: sources[0].kind: 'blog' is invalid"),
        ("sources: [{name: a, kind: feed}]", "config.yaml: sources[0]: "),
        (
            "sources: [{name: a, kind: feed, url: 'ftp://x.org/f'}]",
            "config.yaml: sources[0].url: 'ftp://x.org/f' is invalid: expected an http",
        ),
        (
            "sources: [{name: a, kind: feed, url: 'https://x.org/f', colour: red}]",
            "config.yaml: sources[0].colour: unknown key",
        ),
        ("politeness: {default_delay_s: -1}", "config.yaml: politeness.default_delay_s: -1 is invalid"),
        ("sources: {name: a}", "config.yaml: sources: {'name': 'a'} is invalid: Input should be a valid list"),
        ("- just\n- a list", "config.yaml: expected a mapping of keys"),
        ("threshold: [unclosed", "config.yaml: invalid YAML at line 1"),
        (
            "sources:\n  - {name: a, kind: feed, url: 'https://x.org/1'}\n  - {name: a, kind: feed, url: 'https://x.org/2'}",
            "source name 'a' is used twice",
        ),
    ],
)
def test_bad_config_is_one_line_naming_the_field(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("config.yaml"))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_durations_and_cron() -> None:
    assert parse_duration("3s") == 3 and parse_duration("10m") == 600 and parse_duration("1d") == 86400
    config = parse_config("sources: [{name: a, kind: feed, url: 'https://x.org/f', every: '0 6 * * mon-fri'}]")
    source = config.sources[0]
    assert source.cron_expression == "0 6 * * mon-fri"
    with pytest.raises(ValueError, match="greater than zero"):
        parse_duration("0s")


def test_the_default_threshold_is_the_classifiers() -> None:
    import classifier
    from rsiwatch.config import DEFAULT_THRESHOLD

    assert DEFAULT_THRESHOLD == classifier.DEFAULT_THRESHOLD == Config().threshold


def test_an_empty_file_gives_the_defaults() -> None:
    assert parse_config("") == Config()


@pytest.mark.slow
def test_cli_exits_2_with_one_line_on_a_bad_config(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("sources: [{name: a, kind: feed, url: 'https://x.org/f', every: soon}]\n")
    proc = run_cli("status", cwd=tmp_path, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "config.yaml: sources[0].every: 'soon' is invalid" in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_cli_exits_2_when_a_named_config_is_missing(tmp_path: Path) -> None:
    proc = run_cli("crawl", "--config", "nope.yaml", cwd=tmp_path, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "rsiwatch: nope.yaml: no such file (run `rsiwatch init` to write one)"


def test_the_crawler_settings_are_the_configs_mapped_and_share_its_defaults() -> None:
    """The crawler takes plain values; the config's defaults are the crawler's, and every field maps over."""
    from dataclasses import fields

    from crawler.settings import HttpSettings, Politeness, Selectors, SourceSpec

    assert Config().http.settings == HttpSettings()
    assert Config().politeness.settings == Politeness()
    config = parse_config("""
http: {connect_timeout_s: 4, read_timeout_s: 7, total_timeout_s: 20, max_body_bytes: 1000, max_redirects: 2,
       retries: 0, allow_private_addresses: true}
politeness: {default_delay_s: 2, per_host_delay_s: {a.org: 5}, host_groups: {g: [a.org, b.org]}, obey_robots: false,
             max_retry_after_s: 60}
sources:
  - {name: blog, kind: html, url: "https://a.org/", max_results: 7, page_size: 3, include_replacements: true,
     split_stories: true, follow_links: true, select: {item: article, title: h2, link: a@href, summary: p, date: time}}
""")
    assert config.http.settings == HttpSettings(4, 7, 20, 1000, 2, 0, True)
    assert config.politeness.settings == Politeness(2, {"a.org": 5}, {"g": ("a.org", "b.org")}, False, 60)
    spec = config.sources[0].spec
    assert spec == SourceSpec(
        "blog",
        "html",
        "https://a.org/",
        None,
        7,
        3,
        True,
        True,
        True,
        Selectors("article", "h2", "a@href", "p", "time"),
    )
    assert {f.name for f in fields(SourceSpec)} <= set(type(config.sources[0]).model_fields)
    assert (
        parse_config("sources: [{name: s, kind: arxiv_api, query: q}]").sources[0].spec.endpoint
        == "https://export.arxiv.org/api/query"
    )


def test_the_user_agent_carries_the_installed_version() -> None:
    from importlib.metadata import version

    import rsiwatch
    from crawler.http import user_agent

    assert rsiwatch.__version__ == version("rsiwatch")
    assert user_agent("a@b.org") == f"rsiwatch/{version('rsiwatch')} (+mailto:a@b.org)"
