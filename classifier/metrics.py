"""Ranking and threshold metrics for screening (as in ASReview / systematic-review tooling).

Rank-based metrics (recall at top k%, WSS@95) walk the items in score order; ties are broken by input
order (stable sort) so the figures are reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


def _recall_at_share(y_sorted: np.ndarray, share: float, n_pos: int) -> float:
    k = math.ceil(share * y_sorted.size)
    return float(y_sorted[:k].sum() / n_pos) if n_pos else float("nan")


def metrics(
    labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray, threshold: float
) -> dict[str, Any]:
    """Screening metrics of ``scores`` against binary ``labels`` (1 relevant).

    ``wss_at_95`` = (TN + FN) / N - 0.05 at the first cutoff (in score order) that reaches 95% recall;
    ``read_at_95`` = share of the items read to get there (= 0.95 - WSS@95).
    """
    import numpy as np  # here: importing the classifier package must not load numpy (the CLI starts fast)

    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape:
        raise ValueError(f"labels ({y.size}) and scores ({s.size}) differ in length")
    n, n_pos = int(y.size), int(y.sum())
    both = 0 < n_pos < n
    pred = s >= threshold
    tp = int((pred & (y == 1)).sum())
    order = np.argsort(-s, kind="stable")
    ys = y[order]
    if n_pos:
        need = math.ceil(0.95 * n_pos - 1e-9)
        m = int(np.searchsorted(np.cumsum(ys), need) + 1)  # items read to reach 95% recall
        wss = (n - m) / n - 0.05
        read = m / n
    else:
        wss = read = float("nan")
    from sklearn.metrics import average_precision_score, roc_auc_score  # loaded when metrics are asked for

    return {
        "average_precision": float(average_precision_score(y, s)) if n_pos else float("nan"),
        "roc_auc": float(roc_auc_score(y, s)) if both else float("nan"),
        "precision_at_threshold": tp / int(pred.sum()) if pred.any() else float("nan"),
        "recall_at_threshold": tp / n_pos if n_pos else float("nan"),
        "recall_at_top_1pct": _recall_at_share(ys, 0.01, n_pos),
        "recall_at_top_5pct": _recall_at_share(ys, 0.05, n_pos),
        "recall_at_top_10pct": _recall_at_share(ys, 0.10, n_pos),
        "wss_at_95": wss,
        "read_at_95": read,
        "n": n,
        "positives": n_pos,
        "threshold": float(threshold),
    }


def worse_share(labels: Sequence[int] | np.ndarray, first: Sequence[float] | np.ndarray,
                second: Sequence[float] | np.ndarray, resamples: int = 1000, seed: int = 0) -> float:
    """Share of bootstrap resamples of the items in which ``first`` ranks them worse than ``second``
    (lower average precision); resamples without both classes are left out, ties count half.

    A few dozen decisions give a noisy average precision: this says how sure "worse" is.
    """
    import numpy as np

    y = np.asarray(labels, dtype=np.int64)
    a, b = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    rng = np.random.default_rng(seed)
    worse = counted = 0.0
    for _ in range(resamples):
        idx = rng.integers(0, y.size, y.size)
        yy = y[idx]
        if not 0 < int(yy.sum()) < yy.size:
            continue
        ap_a, ap_b = _ap(yy, a[idx]), _ap(yy, b[idx])
        counted += 1
        worse += 1.0 if ap_a < ap_b else 0.5 if ap_a == ap_b else 0.0
    return worse / counted if counted else 0.5


def _ap(y: np.ndarray, s: np.ndarray) -> float:
    """Average precision as scikit-learn computes it (tied scores form one step), without its overhead."""
    import numpy as np

    order = np.argsort(-s, kind="stable")
    ys, ss = y[order], s[order]
    last = np.r_[np.flatnonzero(np.diff(ss)), ys.size - 1]  # the last item of each run of tied scores
    tp = np.cumsum(ys)[last]
    precision = tp / (last + 1)
    recall_step = np.diff(np.r_[0, tp]) / ys.sum()
    return float((precision * recall_step).sum())
