"""Chinese, Japanese and Korean words are found inside a title or summary (issue 23's user walk): works_fts
keeps a run of them as one token, so a second index (``works_cjk``, trigrams) holds the works with such
text, and a search holding such a word reads it.  English search and an English stream are untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from store_support import database_at_schema

from crawler.items import Item
from rsiwatch.store import Store, fts_query
from rsiwatch.store.cjk import CJK_GLOB, CJK_RANGES, has_cjk
from rsiwatch.store.queue import SEARCH_CAP
from rsiwatch.store.schema import MIGRATIONS

CHINESE = "url:https://example.cn/nas"
JAPANESE = "url:https://example.jp/agent"
KOREAN = "url:https://example.kr/rl"
ENGLISH = [
    Item(f"arxiv:2611.{n:05d}", f"Learned optimizers for kernels, part {n}",
         "An agent searches neural architectures" if n % 2 else "Self-play with a language model",
         f"https://arxiv.org/abs/2611.{n:05d}", key=f"k{n}")
    for n in range(40)
]
CJK = [
    Item(CHINESE, "基于神经网络的架构搜索", "我们提出一种新的神经网络架构搜索方法 (NAS), an agent of its own.",
         "https://example.cn/nas", key="cn"),
    Item(JAPANESE, "自己改善するAI研究エージェント", "大規模言語モデルが自ら機械学習研究を行う。",
         "https://example.jp/agent", key="ja"),
    Item(KOREAN, "자기 개선 강화학습", "스스로 개선하는 에이전트", "https://example.kr/rl", key="ko"),
]


def found(store: Store, query: str) -> list[str]:
    return sorted(w["id"] for w in store.queue.review_queue(status="all", query=query, limit=SEARCH_CAP)[0])


def cjk_rows(store: Store) -> int:
    return int(store.conn.execute("SELECT COUNT(*) FROM works_cjk").fetchone()[0])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "candidates.db")
    s.works.ingest("feed", ENGLISH[:20])
    s.works.ingest("blog", CJK)
    s.works.ingest("feed", ENGLISH[20:])
    yield s
    s.close()


def test_a_chinese_word_inside_a_title_and_a_korean_one_are_found(store: Store) -> None:
    assert found(store, "神经网络") == [CHINESE]  # inside 基于神经网络的架构搜索, and the summary
    assert found(store, "架构搜索") == [CHINESE]  # the title's end
    assert found(store, "架构搜索 NAS") == [CHINESE]  # every word, Latin ones too
    assert found(store, "架构搜索 kernels") == []
    assert found(store, "강화학습") == [KOREAN]
    assert found(store, "AI研究エ") == [JAPANESE]  # across scripts, case folded


def test_a_one_or_two_character_word_is_found_without_the_index(store: Store) -> None:
    """Trigrams cannot look up fewer than three characters: the index's own rows (the works with CJK text
    only) are read instead, so a two-character word is found however old its work."""
    assert found(store, "研究") == [JAPANESE]
    assert found(store, "网络") == [CHINESE]
    assert found(store, "学") == [JAPANESE] and found(store, "개") == [KOREAN]  # one character
    assert found(store, "研究 機械学習") == [JAPANESE]
    assert found(store, "研究 AI") == [JAPANESE]
    assert found(store, "研究 网络") == []


def test_english_search_is_unchanged_and_an_english_stream_adds_nothing_to_the_trigram_index(store: Store) -> None:
    """An English search reads works_fts exactly as before (the same query, the same works, newest first
    under the cap), and only the three works with CJK text are in works_cjk."""
    assert cjk_rows(store) == len(CJK)
    for query in ("optimizers", "agent", "agent neural", "self play", "kern", "NAS", "nothing-matches"):
        before = sorted(r[0] for r in store.conn.execute(
            "SELECT w.id FROM works_fts JOIN works w ON w.doc = works_fts.rowid WHERE works_fts MATCH ?"
            " ORDER BY works_fts.rowid DESC LIMIT ?", (fts_query(query), SEARCH_CAP + 1)))
        assert found(store, query) == before, query
    assert CHINESE in found(store, "agent")  # English beside Chinese is still found by works_fts
    store.works.ingest("feed", [Item("arxiv:2611.09999", "Kernels", "Plain English.", "u", key="k9999")])
    assert cjk_rows(store) == len(CJK)


def test_python_and_the_schema_agree_on_which_text_is_cjk() -> None:
    """``has_cjk`` (ingest) and the GLOB of the migration's fill and trigger must pick the same works, at
    every range's edges; a change to ``CJK_RANGES`` needs a new migration (the pattern is in the old one)."""
    migration = next(m for m in MIGRATIONS if "CREATE VIRTUAL TABLE works_cjk" in m)
    for column in ("title", "summary"):  # the fill and the edit trigger
        asked = f"(length(CAST({column} AS BLOB)) > length({column}) AND {column} GLOB '{CJK_GLOB}')"
        assert migration.count(asked) == 2
    conn = sqlite3.connect(":memory:")
    for low, high in CJK_RANGES:
        for code in (low - 1, low, (low + high) // 2, high, high + 1):
            text = f"abc {chr(code)} def"
            in_sql = bool(conn.execute("SELECT length(CAST(?1 AS BLOB)) > length(?1) AND ?1 GLOB ?2",
                                       (text, CJK_GLOB)).fetchone()[0])  # as the migration asks it
            assert has_cjk(text) == in_sql, hex(code)
    assert has_cjk("自己改善") and has_cjk("ｶﾀｶﾅ") and has_cjk("한국어")
    assert not has_cjk("naïve café, Ångström, Привет, ‘quotes’ — and 1,000 µm")


def test_the_migration_indexes_existing_cjk_works_and_triggers_keep_the_index(tmp_path: Path) -> None:
    """A database of the release before: its CJK works are searchable after the upgrade; an edit of the
    text (a submitted page read later) and a delete keep both indexes in step."""
    ours = next(n for n, m in enumerate(MIGRATIONS) if "CREATE VIRTUAL TABLE works_cjk" in m)
    conn = database_at_schema(tmp_path / "old.db", ours)
    rows = [(i.canonical_id, i.title, i.summary, i.url, n + 1) for n, i in enumerate([*ENGLISH[:5], *CJK])]
    conn.executemany(
        "INSERT INTO works (id, title, summary, url, first_seen, last_seen, doc) VALUES (?, ?, ?, ?, 'a', 'a', ?)", rows
    )
    conn.execute("INSERT INTO works_fts (works_fts) VALUES ('rebuild')")
    conn.close()
    with Store(tmp_path / "old.db") as store:
        assert cjk_rows(store) == len(CJK)
        assert found(store, "神经网络") == [CHINESE] and found(store, "エージェント") == [JAPANESE]
        assert found(store, "研究") == [JAPANESE] and found(store, "optimizers") == sorted(i.canonical_id
                                                                                           for i in ENGLISH[:5])
        store.conn.execute("UPDATE works SET title = '强化学习的代理', summary = '' WHERE id = ?", (CHINESE,))
        assert found(store, "强化学习") == [CHINESE] and found(store, "神经网络") == []
        store.conn.execute("UPDATE works SET title = 'Now in English', summary = '' WHERE id = ?", (JAPANESE,))
        assert found(store, "エージェント") == [] and found(store, "english") == [JAPANESE]
        assert cjk_rows(store) == len(CJK) - 1  # an English text leaves the trigram index
        store.conn.execute("DELETE FROM works WHERE id = ?", (KOREAN,))  # never done by rsiwatch; the index follows
        assert found(store, "강화학습") == [] and cjk_rows(store) == len(CJK) - 2
        for index in ("works_fts", "works_cjk"):  # raises if out of step
            store.conn.execute(f"INSERT INTO {index} ({index}, rank) VALUES ('integrity-check', 1)")
