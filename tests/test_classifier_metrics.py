"""metrics() against values worked out by hand, and evaluate_files end to end on temp JSONL files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from classifier import Doc, evaluate_files, load_catalog_csv, load_jsonl_docs, metrics
from classifier.docs import DataFileError


def test_metrics_by_hand() -> None:
    labels = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]
    m = metrics(labels, scores, threshold=0.65)
    # AP: positives at ranks 1, 3, 6 -> (1/1 + 2/3 + 3/6) / 3
    assert m["average_precision"] == pytest.approx((1 + 2 / 3 + 0.5) / 3)
    # AUC: pairs (pos > neg): 0.9 beats 7, 0.7 beats 6, 0.4 beats 4 -> 17 / 21
    assert m["roc_auc"] == pytest.approx(17 / 21)
    # >= 0.65 selects 0.9, 0.8, 0.7: 2 TP of 3 selected, of 3 positives
    assert m["precision_at_threshold"] == pytest.approx(2 / 3)
    assert m["recall_at_threshold"] == pytest.approx(2 / 3)
    # top 1% / 5% / 10% of 10 items = the first item
    assert m["recall_at_top_1pct"] == m["recall_at_top_5pct"] == m["recall_at_top_10pct"] == pytest.approx(1 / 3)
    # 95% recall of 3 positives needs all 3: read 6 items; TN + FN = 4 -> 4/10 - 0.05
    assert m["wss_at_95"] == pytest.approx(0.35)
    assert m["read_at_95"] == pytest.approx(0.6)
    assert (m["n"], m["positives"]) == (10, 3)


def test_wss_with_many_positives_stops_at_95_percent() -> None:
    labels = [1] * 19 + [0] * 80 + [1]  # last positive is the 5% that 95% recall may miss
    scores = list(range(100, 0, -1))
    m = metrics(labels, scores, threshold=50)
    assert m["wss_at_95"] == pytest.approx((100 - 19) / 100 - 0.05)
    assert math.isnan(metrics([0, 0], [0.1, 0.2], 0.5)["average_precision"])


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


POS = ["neural architecture search controller discovers networks", "self-play generates synthetic training data",
       "reinforcement learning chip floorplanning for accelerators", "learned compiler heuristics inline code",
       "language model writes gpu kernels for training", "ai feedback trains the reward model"]
NEG = ["tumour segmentation in medical images", "pedestrian detection for driving", "weather forecasting networks",
       "speech recognition for languages", "protein folding prediction", "crop yield from satellite images",
       "stock price forecasting", "sentiment of product reviews"]


def test_evaluate_files_end_to_end(tmp_path: Path) -> None:
    train_rows = (
        [{"id": f"p{i}", "title": t, "summary": t, "label": 1} for i, t in enumerate(POS[:4])]
        + [{"id": f"n{i}", "title": t, "summary": t, "label": 0} for i, t in enumerate(NEG[:5])]
        + [
            {"id": f"u{i}", "title": f"{NEG[i % 8]} study {i}", "summary": NEG[(i * 3) % 8], "label": None}
            for i in range(60)
        ]
    )
    test_rows = (
        [
            {"id": "tp1", "title": POS[4], "summary": POS[4], "label": 1},
            {"id": "tp2", "title": POS[5], "summary": POS[5] + " ünïcode", "label": 1},
        ]
        + [{"id": f"tn{i}", "title": t, "summary": t, "label": 0} for i, t in enumerate(NEG[5:])]
        + [{"id": "tu", "title": "", "summary": ""}]
    )
    catalog = [
        Doc(
            "arxiv:1611.01578",
            "Neural Architecture Search with Reinforcement Learning",
            "A controller network proposes architectures.",
            "architecture-algorithm-search",
        )
    ]
    out = tmp_path / "scores.jsonl"
    res = evaluate_files(
        _write(tmp_path / "train.jsonl", train_rows),
        _write(tmp_path / "test.jsonl", test_rows),
        catalog,
        threshold=0.25,
        scores_out=out,
    )
    assert (res["n"], res["positives"], res["test_rows"]) == (5, 2, 6)
    assert res["trained_on"]["negatives"] == 5 and res["trained_on"]["pool"] == 60
    assert res["roc_auc"] == 1.0
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in lines] == [r["id"] for r in test_rows]
    assert all(set(x) >= {"id", "score", "category", "why"} and 0 <= x["score"] <= 1 for x in lines)
    assert all(isinstance(t, str) for t in lines[0]["why"])


def test_loaders(tmp_path: Path) -> None:
    rows = load_jsonl_docs(
        _write(
            tmp_path / "a.jsonl",
            [{"id": "x", "title": "T", "summary": None, "label": 1}, {"id": "y", "title": "U", "summary": "s"}],
        )
    )
    assert rows == [(Doc("x", "T", ""), 1), (Doc("y", "U", "s"), None)]
    (tmp_path / "b.jsonl").write_text('{"id": "x", "label": 3}\n')
    with pytest.raises(DataFileError, match=r"b\.jsonl:1"):
        load_jsonl_docs(tmp_path / "b.jsonl")
    seed = Path(__file__).resolve().parents[1] / "data" / "catalog_seed.csv"
    if seed.exists():
        cat = load_catalog_csv(seed)
        assert len(cat) == 79 and cat[0].id == "arxiv:1606.04474" and cat[0].category
        assert any(d.id.startswith("url:") for d in cat)
