"""A new user's first crawl: a catalog, a pool of a dozen items, and sensible scores anyway."""

from __future__ import annotations

import json

import numpy as np
import pytest

from classifier import Doc, FeatureParams, Model, TrainingSet, TrainParams, load_jsonl_docs, train
from classifier.background import background_docs
from classifier.baselines import keyword_prior
from classifier.calibration import DECADES, StreamCalibration
from classifier.features import Featurizer

CATALOG = [
    Doc(
        "c:1",
        "Neural architecture search with reinforcement learning",
        "A controller proposes architectures rewarded by the accuracy of child networks.",
        "architecture-algorithm-search",
    ),
    Doc(
        "c:2",
        "Learned optimizers that outperform hand-designed ones",
        "A neural network learns the update rule used to train other networks.",
        "architecture-algorithm-search",
    ),
    Doc(
        "c:3",
        "Chip floorplanning with deep reinforcement learning",
        "An agent places macros on accelerator chips better than human experts.",
        "hardware-design",
    ),
    Doc(
        "c:4",
        "Learned inlining heuristics in the LLVM compiler",
        "Machine learning replaces hand-written compiler heuristics.",
        "compilers-kernels",
    ),
    Doc(
        "c:5",
        "Language models write faster CUDA kernels",
        "An LLM generates and tunes GPU kernels that speed up model training.",
        "compilers-kernels",
    ),
    Doc(
        "c:6",
        "Self-play generates training data",
        "The policy improves by playing against itself.",
        "training-data-self-play",
    ),
    Doc(
        "c:7",
        "Reward models trained from AI feedback",
        "An AI judge's preferences train the reward model used in RLHF.",
        "feedback-evaluation-alignment",
    ),
]
IN_SCOPE = Doc(
    "p:star",
    "An LLM agent tunes tensor programs for transformer training",
    "The agent rewrites GPU kernels and compiler schedules; the generated kernels make model training faster than "
    "vendor libraries.",
)
FILLER = [
    Doc("p:1", "Coral reef monitoring from underwater photographs", "A detector counts fish species in diver footage."),
    Doc(
        "p:2",
        "Predicting wine quality from chemical measurements",
        "Gradient boosting ranks vintages by acidity and sugar.",
    ),
    Doc("p:3", "Sign language translation from video", "A sequence model turns signing into text for deaf users."),
    Doc(
        "p:4",
        "Wildfire spread prediction with satellite data",
        "Convolutional networks forecast burned area from weather and vegetation maps.",
    ),
    Doc(
        "p:5", "Optical character recognition for historical newspapers", "We digitise degraded scans of printed pages."
    ),
    Doc("p:6", "Earthquake detection in seismograms", "A recurrent network picks seismic phases at many stations."),
    Doc("p:7", "Customer churn prediction for telecom operators", "Tabular models flag subscribers likely to leave."),
    Doc(
        "p:8", "Poetry generation in the style of sonnets", "A language model writes rhyming verse with a fixed metre."
    ),
]


@pytest.mark.parametrize("where", range(len(FILLER) + 1))
def test_in_scope_item_leads_a_tiny_pool_it_belongs_to(where: int) -> None:
    pool = [*FILLER[:where], IN_SCOPE, *FILLER[where:]]
    model = train(TrainingSet(positives=list(CATALOG), negatives=[], pool=pool, catalog=list(CATALOG)))
    assert model.trained_on["calibration"].startswith("normal")
    assert model.trained_on["calibrated"] is False
    s = model.score(pool)
    assert int(np.argmax(s)) == where
    assert s[where] >= 0.5 > float(np.median(s))  # at least "top 1%", the filler around the middle


def test_unseen_filler_does_not_outrank_a_pool_member_that_fits() -> None:
    """The earlier failure: words never seen were neutral, words of pool items negative."""
    model = train(
        TrainingSet(positives=list(CATALOG), negatives=[], pool=[IN_SCOPE, *FILLER[:4]], catalog=list(CATALOG))
    )
    s = model.score([IN_SCOPE, *FILLER[4:]])
    assert s[0] > s[1:].max()


def test_small_pool_model_round_trips() -> None:
    model = train(TrainingSet(positives=list(CATALOG), negatives=[], pool=FILLER, catalog=list(CATALOG)))
    again = Model.from_bytes(model.to_bytes())
    assert np.array_equal(model.score([*FILLER, IN_SCOPE]), again.score([*FILLER, IN_SCOPE]))


def test_normal_calibration_means_stream_share() -> None:
    ref = np.random.default_rng(0).normal(3.0, 2.0, 400)
    cal = StreamCalibration.normal(ref)
    centre, spread = np.median(ref), 1.4826 * np.median(np.abs(ref - np.median(ref)))
    got = cal(np.array([centre, centre + 2.3263 * spread, centre + 3.0902 * spread]))  # q = 1/2, 1%, 0.1%
    assert got == pytest.approx([np.log10(2) / DECADES, 2 / DECADES, 3 / DECADES], abs=0.01)
    assert np.all(np.diff(cal(np.linspace(-20, 40, 500))) >= 0)
    assert 0.9 < cal(np.array([centre + 4.5 * spread]))[0] < 1.0  # the tail keeps order above the knots


def test_background_is_ordinary_and_distinct() -> None:
    bg = background_docs()
    assert len(bg) >= 40 and len({d.title for d in bg}) == len(bg)
    assert all(d.id.startswith("background:") for d in bg)


def test_keyword_prior_marks_keyword_terms() -> None:
    v = keyword_prior(["self play", "reward model", "tumour", "compiler", "weather"])
    assert v.tolist() == [1.0, 1.0, 0.0, 1.0, 0.0]


def test_arxiv_categories_are_features(tmp_path) -> None:
    f = tmp_path / "items.jsonl"
    f.write_text(
        json.dumps({"id": "a", "title": "t", "summary": "s", "categories": ["cs.AR", "cs.LG"]})
        + "\n"
        + json.dumps({"id": "b", "title": "t", "summary": "s"})
        + "\n",
        encoding="utf-8",
    )
    (a, _), (b, _) = load_jsonl_docs(f)
    assert a.categories == ("cs.AR", "cs.LG") and b.categories == ()
    docs = [a, Doc("c", "chip", "design", categories=("cs.AR",))]
    feat = Featurizer.fit(docs, FeatureParams(min_df=1, category_weight=4.0))
    assert "[arXiv csar]" in feat.feature_names()
    off = Featurizer.fit(docs, FeatureParams(min_df=1, category_weight=0.0))
    assert not any(n.startswith("[arXiv") for n in off.feature_names())


def test_old_params_without_new_fields_still_load() -> None:
    d = TrainParams().to_dict()
    for k in ("background_weight", "pool_sim_drop", "similarity_n0", "keyword_prior"):
        d.pop(k)
    d["features"].pop("category_weight")
    assert TrainParams.from_dict(d).C == TrainParams().C
