"""Category suggestion among the nine catalog categories, with a confidence and a "no fit" flag.

Nearest centroid in TF-IDF space: each category is the normalised mean of its catalog entries, the
accepted works filed under it, and a short descriptor text (``labels.CATEGORY_TEXT``, so a category
with two catalog entries still has a sensible centroid). With under a hundred examples a centroid is as
accurate as a multinomial model and cannot overfit. Confidence is a softmax over cosine similarities;
an item whose best similarity is below ``min_sim`` fits no category (a possible new kind of example).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .docs import Doc
from .labels import CATEGORY_SLUGS, CATEGORY_TEXT


def descriptor_docs() -> list[Doc]:
    """One pseudo-document per category, built from the catalog rules."""
    return [Doc(id=f"category:{s}", title=s.replace("-", " "), summary=t, category=s) for s, t in CATEGORY_TEXT.items()]


@dataclass(frozen=True)
class Suggestion:
    category: str | None
    confidence: float
    fits: bool


class CategoryModel:
    """Cosine nearest centroid over the nine slugs (rows of ``centroids`` follow ``CATEGORY_SLUGS``)."""

    def __init__(self, centroids: np.ndarray, min_sim: float, temperature: float) -> None:
        self.centroids = centroids.astype(np.float32)
        self.min_sim = float(min_sim)
        self.temperature = float(temperature)

    @classmethod
    def fit(cls, x: sp.csr_matrix, cats: Sequence[str | None], min_sim: float, temperature: float) -> CategoryModel:
        """``x`` holds l2-normalised rows of categorised docs; unknown slugs are ignored."""
        cent = np.zeros((len(CATEGORY_SLUGS), x.shape[1]), dtype=np.float32)
        for k, slug in enumerate(CATEGORY_SLUGS):
            rows = [i for i, c in enumerate(cats) if c == slug]
            if rows:
                v = np.asarray(x[rows].mean(axis=0)).ravel()
                n = float(np.linalg.norm(v))
                if n > 0:
                    cent[k] = v / n
        return cls(cent, min_sim, temperature)

    def similarities(self, x: sp.csr_matrix) -> np.ndarray:
        return np.asarray(x @ self.centroids.T)

    def suggest(self, x: sp.csr_matrix) -> list[Suggestion]:
        sims = self.similarities(x)
        out: list[Suggestion] = []
        for row in sims:
            k = int(np.argmax(row))
            z = (row - row[k]) / self.temperature
            conf = float(1.0 / np.exp(z).sum())
            fits = bool(row[k] >= self.min_sim)
            out.append(Suggestion(CATEGORY_SLUGS[k] if row[k] > 0 else None, conf, fits))
        return out
