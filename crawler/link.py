"""Linking across sources: a post or story about a paper becomes a sighting of that paper's work.

Two rules, in order, for an item that has no id of its own beyond its URL:

1. **References.**  The arXiv ids, DOIs and arxiv.org links it carries (``Item.links``, filled by the
   parsers from the text and its links).  One paper named: the item is about it.  Several: only a paper
   whose title the post's title matches (a post citing related work is not about all of it).
2. **Title.**  A post titled like a paper already in the store (normalised title equal, or a token-set
   similarity of at least ``SIMILARITY_MIN`` between titles long enough to be distinctive).

The item keeps its own URL (the sighting's URL is the post) and gets the work's canonical id; the post's
URL joins its links.  ``normalise_title`` and ``title_similarity`` are pure; ``link_items`` asks the store.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from crawler.ids import arxiv_id, canonical_id
from crawler.items import Item

SIMILARITY_MIN = 0.85  # Jaccard over title tokens (stop words out)
MIN_TOKENS = 4  # shorter titles ("Scaling laws") name too many things to match on similarity
LENGTH_RATIO_MIN = 0.75  # a title twice as long as the other is a different title
MIN_EXACT_TOKENS = 3  # an exact normalised match still needs this many distinctive tokens
STOP_WORDS = frozenset(
    """a an the of for and or to in on with by from at as via into onto over under about towards toward is are be
    we our its it this that these those do does how what why when which who can using use used new
    introducing announcing paper blog post""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+")
# "Paper title | Lab blog", "Paper title - Lab": the site's name is not part of the title.
_SITE_SUFFIX = re.compile(r"\s+(?:\||·|—|–|-)\s+[^|·—–]{1,40}$")


class TitleIndex(Protocol):
    """What linking needs from the store (``rsiwatch.store.Store.linking`` provides it)."""

    def work_ids_by_title(self, norm_titles: Sequence[str]) -> dict[str, list[str]]: ...

    def similar_titles(self, norm_title: str, limit: int = 10) -> list[tuple[str, str]]: ...

    def titles_of(self, work_ids: Sequence[str]) -> dict[str, str]: ...


def title_tokens(title: str) -> list[str]:
    """Lower case, accents folded, punctuation and stop words dropped, in order."""
    text = unicodedata.normalize("NFKD", title or "").encode("ascii", "ignore").decode().lower()
    return [t for t in _TOKEN.findall(text) if t not in STOP_WORDS]


def normalise_title(title: str) -> str:
    """The key two spellings of one title share: ``"GPT-4 Technical Report."`` -> ``"gpt 4 technical report"``."""
    return " ".join(title_tokens(title))


def title_variants(title: str) -> list[str]:
    """The normalised title, and the same without a trailing site name ("... | DeepMind")."""
    variants = [normalise_title(title)]
    trimmed = _SITE_SUFFIX.sub("", title or "")
    if trimmed != title:
        variants.append(normalise_title(trimmed))
    return [v for v in dict.fromkeys(variants) if v]


def title_similarity(a: str, b: str) -> float:
    """Jaccard similarity of the token sets of two titles (normalised or not), 0 with a length guard failing."""
    ta, tb = set(title_tokens(a)), set(title_tokens(b))
    if len(ta) < MIN_TOKENS or len(tb) < MIN_TOKENS:
        return 0.0
    if min(len(ta), len(tb)) / max(len(ta), len(tb)) < LENGTH_RATIO_MIN:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def same_title(a: str, b: str) -> bool:
    """Whether two titles name one work: equal once normalised (and distinctive), or near-duplicates."""
    na, nb = normalise_title(a), normalise_title(b)
    if na and na == nb and len(na.split()) >= MIN_EXACT_TOKENS:
        return True
    return title_similarity(na, nb) >= SIMILARITY_MIN


def paper_references(item: Item) -> list[str]:
    """Canonical ids of the papers (arXiv, DOI) an item's links name, first mention first."""
    out = []
    for link in item.links:
        try:
            cid = canonical_id(link)
        except ValueError:
            continue
        if cid.startswith(("arxiv:", "doi:")) and cid != item.canonical_id:
            out.append(cid)
    return list(dict.fromkeys(out))


def attach(item: Item, work_id: str) -> Item:
    """The item as a sighting of ``work_id``: its URL stays the post's, the post joins its links."""
    if work_id == item.canonical_id:
        return item
    links = [link for link in item.links if _cid(link) != work_id]
    if item.url and not arxiv_id(item.url):
        links.insert(0, item.url)
    return replace(item, canonical_id=work_id, links=tuple(dict.fromkeys(links)))


def _cid(link: str) -> str | None:
    try:
        return canonical_id(link)
    except ValueError:
        return None


def link_by_references(item: Item, titles: Mapping[str, str] | None = None,
                       papers: Sequence[str] | None = None) -> Item:
    """Rule 1 alone (pure): attach to the one paper named, or to the named paper whose title matches.
    ``papers``: the item's ``paper_references``, when the caller has them already."""
    if not item.canonical_id.startswith("url:"):
        return item
    papers = paper_references(item) if papers is None else papers
    if len(papers) == 1:
        return attach(item, papers[0])
    for paper in papers:
        known = (titles or {}).get(paper)
        if known and same_title(item.title, known):
            return attach(item, paper)
    return item


def link_items(items: Sequence[Item], store: TitleIndex) -> list[Item]:
    """Both rules over a batch; one indexed lookup for every exact title, similarity only where needed."""
    # Each item's references, worked out once (canonical ids of every link: a third of linking's time).
    references = {
        index: paper_references(item) for index, item in enumerate(items) if item.canonical_id.startswith("url:")
    }
    if not references:
        return list(items)
    linked, unlinked = _link_by_references(items, references, store)
    linked.update(_link_by_titles(unlinked, store))
    return [linked.get(index, item) for index, item in enumerate(items)]


def _link_by_references(
    items: Sequence[Item], references: Mapping[int, list[str]], store: TitleIndex
) -> tuple[dict[int, Item], list[tuple[int, Item]]]:
    """Rule 1 over the batch: (the items linked, by index; the items that name no paper, for rule 2).
    Titles are looked up, in one query, only when some item names several papers."""
    several = any(len(papers) > 1 for papers in references.values())
    known_titles = store.titles_of(sorted({p for papers in references.values() for p in papers})) if several else {}
    linked: dict[int, Item] = {}
    unlinked: list[tuple[int, Item]] = []
    for index, papers in references.items():
        item = items[index]
        result = link_by_references(item, known_titles, papers)
        if result.canonical_id != item.canonical_id:
            linked[index] = result
        elif not papers:
            unlinked.append((index, item))
    return linked, unlinked


def _link_by_titles(unlinked: Sequence[tuple[int, Item]], store: TitleIndex) -> dict[int, Item]:
    """Rule 2: an item whose title is one paper's (exactly, in one lookup for the batch, else by similarity)."""
    variants = {index: title_variants(item.title) for index, item in unlinked}
    exact = store.work_ids_by_title(
        sorted({v for vs in variants.values() for v in vs if len(v.split()) >= MIN_EXACT_TOKENS})
    )
    linked: dict[int, Item] = {}
    for index, item in unlinked:
        if _ambiguous(variants[index], exact):
            continue
        match = _exact_match(item, variants[index], exact) or _similar_match(item, variants[index], store)
        if match:
            linked[index] = attach(item, match)
    return linked


def _ambiguous(variants: Iterable[str], exact: Mapping[str, list[str]]) -> bool:
    """Two papers share one of these titles: we cannot tell which the item means."""
    return any(len([w for w in exact.get(v, []) if w.startswith(("arxiv:", "doi:"))]) > 1 for v in variants)


def _exact_match(item: Item, variants: Iterable[str], exact: Mapping[str, list[str]]) -> str | None:
    for variant in variants:
        ids = [w for w in exact.get(variant, []) if w != item.canonical_id]
        papers = [w for w in ids if w.startswith(("arxiv:", "doi:"))]
        if len(papers) == 1:  # two papers with one title: we cannot tell which
            return papers[0]
    return None


def _similar_match(item: Item, variants: Sequence[str], store: TitleIndex) -> str | None:
    scores: dict[str, float] = {}
    for variant in variants:
        if len(variant.split()) < MIN_TOKENS:
            continue
        for work_id, title in store.similar_titles(variant):
            if work_id == item.canonical_id or not work_id.startswith(("arxiv:", "doi:")):
                continue
            score = title_similarity(variant, title)
            if score >= SIMILARITY_MIN:
                scores[work_id] = max(score, scores.get(work_id, 0.0))
    if not scores:
        return None
    best = max(scores.values())
    winners = [w for w, s in scores.items() if s == best]
    return winners[0] if len(winners) == 1 else None  # a tie between two papers: we cannot tell which
