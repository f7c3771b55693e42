"""A real paper is accepted as drafted: a system card with 484 authors and a long title (as long as the
crawler keeps one) drafts an entry that the accept form then saves unchanged; the full author list stays
on the work."""

from __future__ import annotations

import re
from pathlib import Path

from review_fixtures import make_config

from classifier import Scored
from crawler.items import Item
from crawler.text import TITLE_MAX
from rsiwatch.present.text import AUTHORS_MAX, entry_from_form
from rsiwatch.review.web import create_app
from rsiwatch.store import Store

BASE = "http://127.0.0.1:8765"
WORK = "arxiv:2601.20001"
AUTHORS = tuple(f"Contributor Number{i:03d} Surname" for i in range(484))  # 484 names, ~15,000 characters
TITLE = ("A system card: " + "capabilities, evaluations and safeguards of a frontier model, " * 20)[
    : TITLE_MAX - 1
] + "."


def _db(tmp_path: Path) -> Path:
    db = tmp_path / "candidates.db"
    item = Item(
        WORK,
        TITLE,
        "We describe the model. It improves itself.",
        f"https://arxiv.org/abs/{WORK[6:]}",
        key="card",
        published="2026-01-20T00:00:00Z",
        authors=AUTHORS,
    )
    with Store(db) as store:
        store.sources.ensure_sources([("arxiv-ml", "arxiv_rss", "https://rss.arxiv.org/rss/cs.LG")])
        store.works.ingest("arxiv-ml", [item])
        store.scores.record_scores(
            1,
            [
                Scored(
                    id=WORK,
                    score=0.9,
                    category="research-automation",
                    category_confidence=0.8,
                    category_fits=True,
                    why=[],
                    nearest=[],
                )
            ],
            {WORK: 0.35},
        )
    return db


def test_a_484_author_system_card_is_accepted_as_drafted(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with Store(db) as store:
        assert len(store.works.work(WORK)["title"]) == TITLE_MAX > 500  # what the crawler keeps
    client = create_app(make_config(tmp_path), db).test_client()
    page = client.get("/", base_url=BASE).get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
    draft = client.get(f"/api/entry?id={WORK}", base_url=BASE).json
    assert len(draft["authors"]) <= AUTHORS_MAX
    assert draft["authors"].startswith("Contributor Number000 Surname, Contributor Number001 Surname, ")
    assert draft["authors"].endswith(" et al.") and "Number483" not in draft["authors"]
    assert draft["title"] == TITLE
    form = {k: v if v is not None else "" for k, v in draft.items() if k != "flags"}
    saved = client.post(
        "/api/accept",
        data={**form, "id": WORK, "seen": "0"},
        headers={"X-CSRF-Token": token, "Origin": BASE},
        base_url=BASE,
    )
    assert saved.status_code == 200, saved.json
    with Store(db) as store:
        [entry] = store.catalog.entries()
        assert entry["authors"] == draft["authors"] and entry["title"] == TITLE
        assert list(store.works.work(WORK)["authors"]) == list(AUTHORS)  # the full list stays on the work
    # The page without JavaScript offers the same limits the form checks.
    accept = client.get(f"/accept?id={WORK}", base_url=BASE).get_data(as_text=True)
    assert f'name="title" required maxlength="{TITLE_MAX}"' in accept
    assert f'name="authors" maxlength="{AUTHORS_MAX}"' in accept


def test_the_form_takes_every_title_the_crawler_keeps() -> None:
    entry = entry_from_form({"title": "T" * TITLE_MAX, "description": "D."}, WORK)
    assert len(entry["title"]) == TITLE_MAX
