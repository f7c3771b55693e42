"""The second user walk of issue 23, search: a Japanese curator's input method types Latin letters and
digits full width (ＡＩ, ２０２５) and kana half width (ｴｰｼﾞｪﾝﾄ); the titles hold the usual forms.  The query is
folded (NFKC); the indexed text is not, so a title written in such forms is found only as typed (left: folding it
needs a migration rebuilding works_fts and works_cjk)."""

from __future__ import annotations

from pathlib import Path

from crawler.items import Item
from rsiwatch.store import Store
from rsiwatch.store.queue import SEARCH_CAP

JAPANESE = "url:https://example.jp/agent"


def found(store: Store, query: str) -> list[str]:
    return sorted(w["id"] for w in store.queue.review_queue(status="all", query=query, limit=SEARCH_CAP)[0])


def test_full_width_letters_and_half_width_kana_find_the_usual_forms(tmp_path: Path) -> None:
    with Store(tmp_path / "candidates.db") as store:
        store.works.ingest("blog", [Item(JAPANESE, "自己改善するAI研究エージェント", "大規模言語モデルが研究を行う。",
                                         "https://example.jp/agent", key="ja")])
        assert found(store, "AI研究") == [JAPANESE]  # as typed: found
        assert found(store, "ＡＩ研究") == [JAPANESE]
        assert found(store, "ｴｰｼﾞｪﾝﾄ") == [JAPANESE]


def test_a_full_width_english_word_finds_what_the_usual_form_finds(tmp_path: Path) -> None:
    with Store(tmp_path / "candidates.db") as store:
        store.works.ingest("blog", [Item("url:https://example.org/nas", "Neural architecture search at scale",
                                         "Controllers propose networks.", "https://example.org/nas", key="en")])
        assert found(store, "ａｒｃｈｉｔｅｃｔｕｒｅ") == found(store, "architecture") == ["url:https://example.org/nas"]
