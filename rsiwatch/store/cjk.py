"""Search for Chinese, Japanese and Korean words, which ``works_fts`` cannot find inside a title.

``works_fts``'s tokenizer (unicode61) splits at spaces and punctuation, so a run of Han, kana or Hangul is
one token: 研究 inside 自己改善するAI研究エージェント matched nothing.  Works whose title or summary holds
these scripts also go into ``works_cjk`` (schema: FTS5 with the trigram tokenizer, which finds any
substring of three characters or more); a search holding them reads that index instead.  An English
stream adds no row to it.
"""

from __future__ import annotations

import re
from typing import Any

# Unicode blocks of the scripts written without spaces between words (code points, inclusive).  The
# schema's migration that made ``works_cjk`` and its trigger hold the same set as the GLOB pattern
# ``CJK_GLOB`` (tests/test_search_cjk.py checks it): a change here needs a new migration that refills the
# index and recreates the trigger.
CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2E80, 0x2FDF),  # CJK and Kangxi radicals
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3130, 0x318F),  # Hangul compatibility Jamo
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK unified ideographs, extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # halfwidth Katakana
    (0x20000, 0x3134F),  # CJK unified ideographs, extensions B to G
)
_CLASS = "".join(f"{chr(low)}-{chr(high)}" for low, high in CJK_RANGES)
_CJK = re.compile(f"[{_CLASS}]")
CJK_GLOB = f"*[{_CLASS}]*"  # SQLite's GLOB compares code points in a [...] range, as the regex does

TRIGRAM = 3  # the shortest word the trigram index can look up; shorter ones are read from its rows
MAX_WORDS = 20  # as many words as fts_query keeps


def has_cjk(text: str) -> bool:
    """Whether the text holds a Han, kana or Hangul character (the work belongs in ``works_cjk``)."""
    # A regex search costs 11 us over an English summary, a sixth of what indexing a work costs; an ASCII
    # text (nearly every one of an English stream) is told in well under one.
    return bool(text) and not text.isascii() and _CJK.search(text) is not None


def cjk_hits_sql(text: str) -> tuple[str, list[Any]] | None:
    """A search that holds a CJK word as (SQL, parameters) selecting the matching works' ids, newest arrival
    or edit first, from ``works_cjk``; None when it holds none (``works_fts`` answers it).

    Every word must be in the title or the summary, as a substring (case folded): a word of three
    characters or more through the index, a shorter one (研究) by reading the index's own rows, which are
    the works with CJK text only.  Latin words beside a CJK one are substrings too ("AI" in "AI研究").
    """
    words = re.findall(r"\w+", text or "")[:MAX_WORDS]
    if not any(has_cjk(w) for w in words):
        return None
    conditions, params = [], []
    long_words = [w for w in words if len(w) >= TRIGRAM]
    if long_words:  # \w+ holds no quote: each word is one quoted phrase
        conditions.append("works_cjk MATCH ?")
        params.append(" ".join(f'"{w}"' for w in long_words))
    for word in (w for w in words if len(w) < TRIGRAM):
        conditions.append("instr(lower(works_cjk.title || ' ' || works_cjk.summary), lower(?)) > 0")
        params.append(word)
    sql = ("SELECT w.id FROM works_cjk JOIN works w ON w.doc = works_cjk.rowid WHERE " + " AND ".join(conditions)
           + " ORDER BY works_cjk.rowid DESC")
    return sql, params
