"""Counted nouns in messages (a user walk found "crawled 1 sources", "removed 1 entries from the site")."""

from __future__ import annotations

import pytest

from rsiwatch.words import plural


@pytest.mark.parametrize(
    ("count", "noun", "said"),
    [
        (1, "source", "1 source"), (0, "source", "0 sources"), (2, "source", "2 sources"),
        (1, "published catalog entry", "1 published catalog entry"), (3, "catalog entry", "3 catalog entries"),
        (2, "day", "2 days"), (2, "match", "2 matches"), (2, "new work", "2 new works"),
    ],
)
def test_a_count_takes_its_noun_singular_only_for_one(count: int, noun: str, said: str) -> None:
    assert plural(count, noun) == said


def test_an_irregular_plural_and_grouped_thousands() -> None:
    assert plural(2, "person", "people") == "2 people" and plural(1, "person", "people") == "1 person"
    assert plural(12345, "work", grouped=True) == "12,345 works" and plural(12345, "work") == "12345 works"
