"""Linking posts and stories to the works they are about: references first, then titles."""

from __future__ import annotations

import gzip
import json
import random
from collections import defaultdict
from pathlib import Path

import pytest

from crawler.items import Item
from crawler.link import (
    MIN_EXACT_TOKENS,
    link_by_references,
    link_items,
    normalise_title,
    same_title,
    title_similarity,
    title_tokens,
)
from rsiwatch.store import Store

PAPER = "arxiv:2611.04242"
TITLE = "Evolving GPU Kernels with Language Model Agents for Faster Transformer Training"


def post(n: int, title: str, links: tuple[str, ...] = ()) -> Item:
    return Item(f"url:https://blog.example.org/{n}", title, "", f"https://blog.example.org/{n}", f"k{n}", links=links)


def test_normalised_titles() -> None:
    assert normalise_title("GPT-4 Technical Report.") == "gpt 4 technical report"
    assert normalise_title("  Évolving  the Kernels: a Study ") == "evolving kernels study"
    assert normalise_title(TITLE) == normalise_title(TITLE.upper().replace(" ", "  ") + "!")
    assert title_tokens("Introducing: AlphaEvolve") == ["alphaevolve"]


def test_similarity_has_a_length_guard() -> None:
    assert title_similarity(TITLE, TITLE.replace("Faster", "Fast")) < 1
    assert same_title(TITLE, "Evolving GPU kernels with language-model agents for faster transformer training")
    assert not same_title("Scaling laws", "Scaling Laws")  # too short to be distinctive
    assert title_similarity(TITLE, TITLE + " and a long tail of many other different words here") == 0.0


def test_references_attach_a_post_to_the_one_paper_it_names() -> None:
    one = link_by_references(post(1, "Our new kernels", ("https://arxiv.org/pdf/2611.04242v2", "https://github.com/a/b")))
    assert one.canonical_id == PAPER and one.url == "https://blog.example.org/1"
    assert one.links[0] == "https://blog.example.org/1" and "https://github.com/a/b" in one.links
    doi = link_by_references(post(2, "A post", ("https://doi.org/10.1145/ABC.1",)))
    assert doi.canonical_id == "doi:10.1145/abc.1"
    several = post(3, "Related work roundup", ("https://arxiv.org/abs/2401.00001", "https://arxiv.org/abs/2401.00002"))
    assert link_by_references(several).canonical_id == several.canonical_id
    matched = link_by_references(post(4, TITLE, ("https://arxiv.org/abs/2401.00001", "https://arxiv.org/abs/2611.04242")),
                                 {PAPER: TITLE, "arxiv:2401.00001": "Something else entirely, surely different"})
    assert matched.canonical_id == PAPER
    github_only = post(5, "Code drop", ("https://github.com/a/b",))
    assert link_by_references(github_only) == github_only


def test_titles_link_through_the_store(tmp_path: Path) -> None:
    with Store(tmp_path / "c.db") as store:
        store.works.ingest(
            "arxiv",
            [
                Item(PAPER, TITLE, "", f"https://arxiv.org/abs/{PAPER[6:]}", "a1"),
                Item(
                    "arxiv:2611.00002",
                    "AlphaEvolve: A coding agent for scientific and algorithmic discovery",
                    "",
                    "u",
                    "a2",
                ),
                Item("arxiv:2611.00003", "Twin titles about the same thing", "", "u", "a3"),
                Item("arxiv:2611.00004", "Twin titles about the same thing", "", "u", "a4"),
            ],
        )
        assert store.linking.work_ids_by_title([normalise_title(TITLE)]) == {normalise_title(TITLE): [PAPER]}
        posts = [
            post(1, TITLE.lower() + " | Example Lab"),  # exact once the site name is gone
            post(2, "AlphaEvolve: a coding agent for algorithmic and scientific discovery"),  # same words reordered
            post(3, "Twin titles about the same thing"),  # two papers share the title: ambiguous, left alone
            post(4, "Evolving GPU kernels with LLM agents for faster transformer training runs"),  # too different
            post(5, "Cooking with robots"),
        ]
        linked = link_items(posts, store.linking)
        assert [i.canonical_id for i in linked] == [
            PAPER,
            "arxiv:2611.00002",
            posts[2].canonical_id,
            posts[3].canonical_id,
            posts[4].canonical_id,
        ]
        assert linked[0].url == "https://blog.example.org/1"
        # Works that arrive later are indexed on the next lookup.
        store.works.ingest(
            "arxiv", [Item("arxiv:2611.00005", "Cooking with robots in the kitchen at scale", "", "u", "a5")]
        )
        assert (
            link_items([post(6, "Cooking with robots in the kitchen at scale")], store.linking)[0].canonical_id
            == "arxiv:2611.00005"
        )


@pytest.mark.slow
@pytest.mark.shared
def test_false_title_matches_on_real_arxiv_titles(shared_dir: Path) -> None:
    """Distinct papers of 2025-2026 whose titles the matcher would confuse: the false-match rate.

    Exact normalised collisions (a handful, mostly one paper posted twice) are refused when ambiguous;
    similarity matches between distinct papers must be (nearly) absent, while reworded copies of a
    title still match.
    """
    path = shared_dir / "data" / "arxiv_2025_2026.jsonl.gz"
    if not path.exists():
        pytest.skip("arxiv_2025_2026.jsonl.gz is not in ../shared")
    titles = {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            titles[row["id"]] = row["title"]
    exact = defaultdict(set)
    tokens = {}
    index = defaultdict(set)
    for work_id, title in titles.items():
        exact[normalise_title(title)].add(work_id)
        tokens[work_id] = set(title_tokens(title))
        for token in tokens[work_id]:
            index[token].add(work_id)
    collisions = sum(len(v) for k, v in exact.items() if len(v) > 1 and len(k.split()) >= MIN_EXACT_TOKENS)
    assert collisions / len(titles) < 0.001

    sample = random.Random(7).sample(sorted(titles), 1500)
    false_matches = 0
    recalled = 0
    for work_id in sample:
        rare = sorted(tokens[work_id], key=lambda t: len(index[t]))[:2]
        candidates = set().union(*(index[t] for t in rare)) - {work_id} if rare else set()
        false_matches += any(same_title(titles[work_id], titles[c]) for c in candidates)
        reworded = titles[work_id].upper().replace(":", " -") + " | Lab Blog"
        recalled += same_title(reworded.rsplit(" | ", 1)[0], titles[work_id])
    rate = false_matches / len(sample)
    print(
        f"false title matches: {false_matches}/{len(sample)} = {rate:.4%}; exact collisions {collisions}/{len(titles)}"
    )
    assert rate <= 0.002
    assert recalled / len(sample) > 0.95
