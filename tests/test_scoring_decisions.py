"""What an accepted work teaches the model: its own title and abstract, at a decision's weight (issue 26).

An accept writes a catalog entry whose description is one sentence; training on that sentence (at the seed
catalog's reduced weight) threw away the abstract the curator had just read.  Real database, real model.
"""

from __future__ import annotations

from pathlib import Path

from crawler.items import Item
from rsiwatch.catalog.formats import read_catalog
from rsiwatch.catalog.load import import_entries
from rsiwatch.cli import SEED_CATALOG
from rsiwatch.config import Config
from rsiwatch.review.accepting import accept_work
from rsiwatch.scoring import score_works, train_and_save, training_set
from rsiwatch.store import Store

ORDINARY = [
    ("Image segmentation with transformers", "We segment medical images. Results improve on three benchmarks."),
    ("Traffic forecasting with graphs", "We forecast traffic flow. A graph network beats the baselines."),
    ("Speech enhancement in noise", "We enhance noisy speech. Listening tests confirm the gains."),
    ("Crop yield from satellites", "We estimate crop yields. Satellite images feed a regression model."),
    ("Legal retrieval at scale", "We retrieve legal documents. Dense retrieval helps long queries."),
    ("Weather nowcasting from radar", "We nowcast rain. Radar sequences train a video model."),
]
ACCEPTED = (
    "A study of agents",
    "We study agents. Our quuxplorer rewrites the zorblax optimiser that trains the next model.",
)
ALSO = ("Agents at work", "Agents work. A quuxplorer tunes the zorblax optimiser of its own successor.")


def _store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "candidates.db")
    import_entries(store, read_catalog(SEED_CATALOG), origin="seed")  # as `rsiwatch init` loads it
    items = [
        Item(f"url:https://x.org/o{i}", t, s, f"https://x.org/o{i}", f"o{i}") for i, (t, s) in enumerate(ORDINARY * 10)
    ]
    items = [
        Item(f"{it.canonical_id}-{n}", it.title, it.summary, it.url, f"{it.key}-{n}") for n, it in enumerate(items)
    ]
    items.append(Item("url:https://x.org/a", *ACCEPTED, "https://x.org/a", "a"))
    items.append(Item("url:https://x.org/b", *ALSO, "https://x.org/b", "b"))
    store.works.ingest("feed", items)
    return store


def test_an_accepted_work_trains_on_its_abstract_and_the_seed_on_its_description(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        score_works(store, Config(), store.works.open_work_ids())  # a queue's accept records the score it had
        work = store.works.work("url:https://x.org/a")
        accept_work(store, work, {}, origin="cli", by="t")  # as `rsiwatch accept ID` does
        ts = training_set(store)
    by_id = {d.id: d for d in ts.positives}
    assert by_id["url:https://x.org/a"].summary == ACCEPTED[1]  # the abstract, not the entry's first sentence
    assert "zorblax" not in {d.summary for d in ts.catalog if d.id == "url:https://x.org/a"}.pop()
    seed = {d.id: d for d in ts.catalog if d.id.startswith("arxiv:")}
    assert seed and all(by_id[i].summary == d.summary for i, d in seed.items())  # seed entries: their descriptions
    assert all(by_id[i] in set(ts.catalog) for i in seed)  # ... which the model weighs as catalog entries
    assert sum(1 for d in ts.positives if d.id == "url:https://x.org/a") == 1


def test_words_past_the_first_sentence_of_an_accepted_abstract_count(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        score_works(store, Config(), store.works.open_work_ids())
        for work_id in ("url:https://x.org/a", "url:https://x.org/b"):
            work = store.works.work(work_id)
            accept_work(store, work, {}, origin="cli", by="t")
        _, model = train_and_save(store, "after the accept")
    names = model.featurizer.feature_names()
    weight = {n: float(w) for n, w in zip(names, model.coef, strict=False)}
    assert weight.get("zorblax", 0.0) > 0 and weight.get("quuxplorer", 0.0) > 0
