"""Why an item scored as it did: term contributions and the nearest catalog entries.

For a linear model the margin is exactly the sum over the item's terms of tfidf value x weight (plus the
intercept), so those products are an honest explanation, not an approximation.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def term_contributions(
    x: sp.csr_matrix, i: int, coef: np.ndarray, names: list[str], top: int
) -> list[tuple[str, float]]:
    """Terms of row ``i`` ordered by |tfidf x weight|, strongest first, with the signed contribution."""
    start, end = x.indptr[i], x.indptr[i + 1]
    cols = x.indices[start:end]
    contrib = x.data[start:end].astype(np.float64) * coef[cols]
    order = np.argsort(-np.abs(contrib), kind="stable")[:top]
    return [(names[cols[j]], float(contrib[j])) for j in order if contrib[j] != 0.0]


def nearest_rows(x: sp.csr_matrix, ref: sp.csr_matrix, titles: list[str], k: int = 3) -> list[list[tuple[str, float]]]:
    """For each row of ``x`` the ``k`` most cosine-similar rows of ``ref`` (both l2-normalised)."""
    if ref.shape[0] == 0:
        return [[] for _ in range(x.shape[0])]
    sims = np.asarray((x @ ref.T).todense())
    k = min(k, ref.shape[0])
    out = []
    for row in sims:
        idx = np.argsort(-row, kind="stable")[:k]
        out.append([(titles[j], float(row[j])) for j in idx])
    return out
