"""Which of a curator's rules (config ``rules:``) a work matches: pure functions over a work's facts.

A pin beats a mute: pins are narrow (an author, a phrase the curator cares about), mutes are broad (a
topic), so a work both match is queued, and its card says which pin did it.  Matching folds case and
Unicode compatibility forms (NFKC, so full-width letters match), phrases match whole words, and an
author matches a byline name written either way round ("David Silver" or "Silver, David").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from rsiwatch.config import Rule


@dataclass(frozen=True)
class WorkFacts:
    """What a rule can look at: the work's text, its authors, the sources that mentioned it, and its
    category (the classifier's suggestion)."""

    id: str
    title: str
    summary: str
    authors: tuple[str, ...] = ()
    sources: frozenset[str] = frozenset()
    category: str | None = None


@dataclass(frozen=True)
class Verdict:
    pin: Rule | None = None
    mute: Rule | None = None

    @property
    def effective(self) -> Rule | None:
        """The rule that decides: a pin if any, else a mute."""
        return self.pin or self.mute


def fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _name_forms(name: str) -> set[str]:
    """"Silver, David" and "David Silver" name the same person."""
    folded = fold(name.replace(".", ". ")).replace(" .", ".")
    forms = {folded}
    if "," in folded:
        last, first = (p.strip() for p in folded.split(",", 1))
        forms.add(f"{first} {last}".strip())
    return forms


@lru_cache(maxsize=1024)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    # Whole words where the phrase starts or ends with one ("RL" is not "world"); as written otherwise
    # ("C++", "。"-joined text with no spaces).
    body = re.escape(fold(phrase)).replace(r"\ ", r"\s+")
    start = r"(?<!\w)" if re.match(r"\w", phrase) else ""
    end = r"(?!\w)" if re.search(r"\w$", phrase) else ""
    return re.compile(start + body + end)


def matches(rule: Rule, work: WorkFacts) -> bool:
    if rule.author is not None:
        wanted = _name_forms(rule.author)
        return any(wanted & _name_forms(a) for a in work.authors)
    if rule.phrase is not None:
        return bool(_phrase_pattern(rule.phrase).search(fold(f"{work.title} {work.summary}")))
    if rule.source is not None:
        return rule.source in work.sources
    return work.category is not None and fold(work.category) == fold(rule.category or "")


def active_rules(rules: Iterable[Rule], today: date) -> list[Rule]:
    """The rules in force on ``today`` (an ``until`` day still counts)."""
    return [r for r in rules if r.until is None or r.until >= today]


def verdict(rules: Sequence[Rule], work: WorkFacts) -> Verdict:
    """The first pin and the first mute (in the config's order) that match the work."""
    pin = next((r for r in rules if r.action == "pin" and matches(r, work)), None)
    mute = next((r for r in rules if r.action == "mute" and matches(r, work)), None)
    return Verdict(pin, mute)
