"""The curator's rules beside the model (issue 25): pin and mute by author, phrase, source or category,
previewed on past weeks, saved in config.yaml with its comments kept, applied to new items and to the queue
as it stands, shown on the card and in `candidates --json`, audited, and counted by `tune`."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import yaml
from cli_support import run_cli, run_json, write_config

from rsiwatch.config import ConfigError, Rule, parse_config
from rsiwatch.rules import WorkFacts, active_rules, matches, verdict
from rsiwatch.source_list import remove_source_text
from rsiwatch.tuning.audit import pick

PLAIN = "We study the thermal properties of concrete bridges under seasonal load using field sensors."


def rss(items: list[dict[str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{escape(i['title'])}</title><link>{escape(i['link'])}</link><guid>{escape(i['link'])}</guid>"
        f"<description>{escape(i['summary'])}</description>"
        + "".join(f"<author>{escape(a)}</author>" for a in i.get("authors", []))
        + "</item>"
        for i in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


def work(**kwargs: object) -> WorkFacts:
    return WorkFacts(**{"id": "w", "title": "", "summary": "", **kwargs})  # type: ignore[arg-type]


def test_matching_folds_case_width_and_name_order() -> None:
    by_author = Rule(action="pin", author="David Silver")
    assert matches(by_author, work(authors=("Silver, David",)))
    assert matches(by_author, work(authors=("DAVID  SILVER",)))
    assert not matches(by_author, work(authors=("David Silverman",)))
    rl = Rule(action="mute", phrase="RL")
    assert matches(rl, work(title="Offline RL for robots")) and not matches(rl, work(title="A world model"))
    cpp = Rule(action="pin", phrase="C++")
    assert matches(cpp, work(summary="kernels written in c++ by an LLM")) and not matches(cpp, work(summary="c and go"))
    assert matches(Rule(action="pin", phrase="self improving"), work(summary="ｓｅｌｆ　improving agents"))  # NFKC
    assert matches(Rule(action="mute", source="blog"), work(sources=frozenset({"blog", "arxiv"})))
    assert matches(Rule(action="mute", category="hardware-chip-design"), work(category="hardware-chip-design"))


def test_a_pin_beats_a_mute_and_expired_rules_stop() -> None:
    pin = Rule(action="pin", author="Ada Lovelace")
    mute = Rule(action="mute", phrase="bridges", until=date(2026, 1, 31))
    facts = work(title="Bridges", authors=("Ada Lovelace",))
    assert verdict([mute, pin], facts).effective == pin
    assert active_rules([pin, mute], date(2026, 1, 31)) == [pin, mute]
    assert active_rules([pin, mute], date(2026, 2, 1)) == [pin]


def test_a_rule_names_exactly_one_thing_and_mutes_no_person() -> None:
    with pytest.raises(ConfigError, match=r"rules\[0\].*exactly one of author, phrase, source, category"):
        parse_config(yaml.safe_dump({"rules": [{"action": "pin", "author": "A B", "phrase": "x y"}]}))
    with pytest.raises(ConfigError, match=r"rules\[0\].*not an author"):
        parse_config(yaml.safe_dump({"rules": [{"action": "mute", "author": "A B"}]}))
    with pytest.raises(ConfigError, match=r"rules\[0\]\.until"):
        parse_config(yaml.safe_dump({"rules": [{"action": "mute", "phrase": "x y", "until": "2026-02-30"}]}))


def test_the_audit_samples_inside_muted_areas_whatever_their_score() -> None:
    pool = [{"id": f"low{i}", "score": 0.1, "threshold": 0.5, "muted": False} for i in range(5)]
    pool += [{"id": "muted-high", "score": 0.9, "threshold": 0.5, "muted": True},
             {"id": "high", "score": 0.9, "threshold": 0.5, "muted": False}]
    uncertain, audit, population, below = pick(pool, audit_size=10, n_uncertain=1, rng=random.Random(1))
    assert "muted-high" not in uncertain and "muted-high" in audit and "high" not in audit
    assert population == 5 and below == 6  # 4 low left after the uncertainty pick, and the muted one


def test_removing_the_last_item_of_a_list_leaves_an_empty_list(tmp_path: Path) -> None:
    text = "contact: a@b.org\nsources:  # mine\n  - {name: one, kind: feed, url: 'http://x.org/f'}\n"
    assert parse_config(remove_source_text(text, "one")).sources == []


@pytest.fixture
def project(tmp_path: Path, local_server) -> Path:
    local_server.add("/blog", body=rss([
        {"title": "Concrete bridges in winter", "link": "https://arxiv.org/abs/2611.01001", "summary": PLAIN,
         "authors": ["Ada Lovelace"]},
        {"title": "Self-play and automated kernel search for training faster models",
         "link": "https://arxiv.org/abs/2611.01002",
         "summary": "Self-play with language models writes GPU kernels and neural architecture search finds "
                    "training recipes that improve the next model; AI improves AI development, medical imaging."},
    ]), headers={"Content-Type": "application/rss+xml"})
    write_config(tmp_path / "config.yaml", [{"name": "blog", "kind": "feed", "url": local_server.url + "/blog"}],
                 threshold=0.3)
    (tmp_path / "config.yaml").write_text("# my notes stay\n" + (tmp_path / "config.yaml").read_text())
    run_cli("init", cwd=tmp_path)
    run_cli("crawl", cwd=tmp_path)
    return tmp_path


def queue_of(folder: Path) -> dict[str, dict]:
    return {c["canonical_id"]: c for c in run_json("candidates", "--limit", "500", cwd=folder)}


@pytest.mark.slow
def test_a_rule_previewed_saved_applied_and_shown(project: Path, local_server) -> None:
    before = queue_of(project)
    assert "arxiv:2611.01001" not in before and "arxiv:2611.01002" in before

    preview = run_json("rules", "test", "pin", "--author", "Ada Lovelace", cwd=project)
    assert preview["rule"] == "pinned author: Ada Lovelace" and preview["would_add"] == ["arxiv:2611.01001"]
    assert "arxiv:2611.01001" not in queue_of(project)  # a preview saves nothing
    mute = run_json("rules", "test", "mute", "--phrase", "medical imaging", cwd=project)
    assert mute["would_remove"] == ["arxiv:2611.01002"] and mute["accepted_before"] == []

    run_cli("rules", "add", "pin", "--author", "Ada Lovelace", "--apply", cwd=project)
    run_cli("rules", "add", "mute", "--phrase", "medical imaging", "--until", "2099-12-31", "--apply", cwd=project)
    text = (project / "config.yaml").read_text()
    assert text.startswith("# my notes stay\n") and "action: pin" in text and "action: mute" in text

    queue = queue_of(project)
    assert queue["arxiv:2611.01001"]["queue_reason"] == "pinned"
    assert queue["arxiv:2611.01001"]["rules"] == ["pinned author: Ada Lovelace"]
    assert "arxiv:2611.01002" not in queue  # muted: out of the queue ...
    listed = run_json("rules", "list", cwd=project)
    assert [(r["rule"], r["added"], r["removed"]) for r in listed] == [
        ("pinned author: Ada Lovelace", 1, 0), ("muted phrase: medical imaging", 0, 1)]
    # ... but still in the database, found by search on the review page.
    from rsiwatch.config import load_config
    from rsiwatch.review.web import create_app

    app = create_app(load_config(project / "config.yaml"), project / "candidates.db")
    page = app.test_client().get("/?q=medical+imaging", base_url="http://127.0.0.1:8765").get_data(as_text=True)
    assert "arxiv:2611.01002" in page and "muted phrase: medical imaging" in page
    card = app.test_client().get("/", base_url="http://127.0.0.1:8765").get_data(as_text=True)
    assert "pinned author: Ada Lovelace" in card

    tune = run_json("tune", cwd=project)
    assert {r["rule"]: r["removed"] for r in tune["rules"]}["muted phrase: medical imaging"] == 1

    # Removing the mute lets the work stand on its score again.
    run_cli("rules", "remove", "2", cwd=project)
    assert queue_of(project)["arxiv:2611.01002"]["queue_reason"] == "score"


@pytest.mark.slow
def test_saved_rules_meet_new_items(project: Path, local_server) -> None:
    run_cli("rules", "add", "pin", "--phrase", "concrete bridges", cwd=project)
    run_cli("rules", "add", "mute", "--source", "news", cwd=project)
    config = yaml.safe_load((project / "config.yaml").read_text())
    config["sources"].append({"name": "news", "kind": "feed", "url": local_server.url + "/news"})
    (project / "config.yaml").write_text(yaml.safe_dump(config))
    local_server.add("/news", body=rss([
        {"title": "Concrete bridges again", "link": "https://arxiv.org/abs/2611.01003", "summary": PLAIN},
        {"title": "LLM agents that design neural architectures and write training code for the next model",
         "link": "https://arxiv.org/abs/2611.01004",
         "summary": "Self-play and neural architecture search improve AI development; automated ML research."},
    ]), headers={"Content-Type": "application/rss+xml"})
    run_cli("crawl", "--source", "news", cwd=project)
    queue = queue_of(project)
    assert queue["arxiv:2611.01003"]["queue_reason"] == "pinned"  # the pin beats the source's mute
    assert "arxiv:2611.01004" not in queue
    found = run_json("candidates", "--status", "new", "--limit", "500", cwd=project)
    assert "arxiv:2611.01004" not in {c["canonical_id"] for c in found}


@pytest.mark.slow
def test_the_command_line_refuses_what_the_config_would(project: Path) -> None:
    proc = run_cli("rules", "add", "mute", "--author", "Ada Lovelace", cwd=project, check=False)
    assert proc.returncode == 2 and "not an author" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    proc = run_cli("rules", "add", "pin", "--author", "A B", "--phrase", "x y", cwd=project, check=False)
    assert proc.returncode == 2 and "exactly one of" in proc.stderr
    proc = run_cli("rules", "add", "pin", "--author", "A B", "--until", "2026-02-30", cwd=project, check=False)
    assert proc.returncode == 2 and "--until" in proc.stderr
    proc = run_cli("rules", "remove", "5", cwd=project, check=False)
    assert proc.returncode == 2 and "there are 0 rules" in proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("option", "value"), [("author", "X"), ("phrase", "a"), ("category", "")])
def test_a_value_the_config_refuses_is_named_by_its_own_option(project: Path, option: str, value: str) -> None:
    """A user walk found `rules add pin --author X` (too short) answered "--until None: String should have
    at least 2 characters": the wrong option and value. The line names the option given, and its value."""
    before = (project / "config.yaml").read_text()
    proc = run_cli("rules", "add", "pin", f"--{option}", value, cwd=project, check=False)
    line = proc.stderr.strip()
    assert proc.returncode == 2 and len(line.splitlines()) == 1, proc.stderr
    assert line.startswith(f"rsiwatch: --{option} {value!r}: ") and "--until" not in line, line
    assert (project / "config.yaml").read_text() == before
