"""Counted nouns in messages: "1 source", "2 sources" (one home for the rule, so no message says "1 sources")."""

from __future__ import annotations


def plural_noun(count: float, noun: str, many: str | None = None) -> str:
    """``noun`` as ``count`` of it takes it: singular for exactly 1, else ``many`` or the regular plural of
    its last word ("new work" -> "new works", "catalog entry" -> "catalog entries", "match" -> "matches")."""
    if count == 1:
        return noun
    if many is not None:
        return many
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def plural(count: int, noun: str, many: str | None = None, *, grouped: bool = False) -> str:
    """The count and its noun: ``plural(1, "source")`` is "1 source", ``plural(3, "entry")`` "3 entries";
    ``grouped`` writes thousands with commas ("12,345 works")."""
    number = f"{count:,}" if grouped else str(count)
    return f"{number} {plural_noun(count, noun, many)}"
