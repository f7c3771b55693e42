"""Training and scoring: TF-IDF + one linear model, PU-style, with scores calibrated on the stream.

Recipe (each choice measured, see ``bench/bench_classifier.py --sweep``):

* positives = catalog entries + accepted works (+ one descriptor text per category, which lets the
  model start from the catalog rules on day one); negatives = rejected / label-0 works;
* the unlabelled pool are *weak* negatives (arxiv-sanity-lite "tagged vs rest", but each pool item
  weighs ``pool_weight`` of a reviewed negative, because a few percent of the pool is relevant); pool
  items with ``keyword_seed_min`` keyword hits become weak positives, and pool items that are close
  copies of a positive (cosine >= ``pool_sim_drop``) are never negatives;
* a built-in background of hand-written ordinary-ML abstracts (background.py) are weak negatives at
  every pool size, so a tiny pool still tells the model which words are ordinary;
* PU refinement: after a first fit, the ``pu_drop`` share of the pool that scores highest (the likely
  hidden positives) is removed from the negatives and the model is refitted;
* class imbalance: positives are re-weighted so they carry ``pos_balance`` x the total negative weight;
* L2 logistic regression (liblinear), blended with a similarity component (centroid of the positives
  minus centroid of the negatives, plus the keyword list as a weight vector) whose share
  ``similarity_n0 / (similarity_n0 + pool size)`` is large for a tiny pool and ~1% for a real one.
  Both are linear, so the model stays one weight vector and the margin is a sum of term
  contributions (see explain.py);
* arXiv categories (``Doc.categories``) are features when the item carries them.

Variants measured and not adopted are recorded in docs/classifier-experiments.md.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from .background import background_docs
from .baselines import keyword_prior, keyword_scores
from .calibration import DECADES, MIN_SAMPLE, SMALL_POOL, StreamCalibration
from .categories import CategoryModel, descriptor_docs
from .docs import Doc, TrainingSet
from .explain import nearest_rows, term_contributions
from .features import FeatureParams, Featurizer
from .labels import CATEGORY_SLUGS

FORMAT = "rsiwatch-classifier/1"


@dataclass(frozen=True)
class TrainParams:
    """Everything that decides a model; stored in the blob so a score can be traced to its recipe."""

    features: FeatureParams = field(default_factory=FeatureParams)
    C: float = 4.0
    pos_balance: float = 1.0
    pool_weight: float = 0.1  # the measured best (docs/classifier-experiments.md)
    pu_drop: float = 0.1
    category_docs: bool = True
    catalog_weight: float = 0.3  # weight of a catalog positive relative to an accepted work
    keyword_seed_min: int = 2  # >0: pool items with this many keyword hits become weak positives
    keyword_seed_weight: float = 0.3
    vocab_pool_sample: int = 30_000
    calibration_fraction: float = 0.2
    calibration_max: int = 10_000
    category_min_sim: float = 0.03  # ~3% of dev grade-2 papers fall below (measured)
    category_temperature: float = 0.01  # mean confidence ~= accuracy on dev grade-2 papers
    seed: int = 0
    background_weight: float = 3.0  # each built-in ordinary-ML abstract (background.py) as a weak negative; 0 = off
    pool_sim_drop: float = 0.5  # pool items this cosine-similar to a positive never act as negatives; 1 = off
    similarity_n0: float = 300.0  # share of the similarity component = n0 / (n0 + pool size); 0 = off
    similarity_gamma: float = 1.0  # weight of the negatives' centroid in the similarity component
    keyword_prior: float = 4.0  # weight of the keyword-list vector inside the similarity component; 0 = off
    min_spread: float = 0.2  # small pools: the normal approximation's spread is at least this x the training rows' std

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainParams:
        d = dict(d)
        feats = FeatureParams(**d.pop("features", {}))
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(features=feats, **known)


@dataclass(frozen=True)
class Scored:
    id: str
    score: float  # 0..1, see calibration.py
    category: str | None
    category_confidence: float
    category_fits: bool  # False = no category fits (possible new kind)
    why: list[tuple[str, float]]  # (term, contribution), strongest first
    nearest: list[tuple[str, float]]  # (catalog entry title, cosine similarity)


def _dedupe(docs: Sequence[Doc], exclude: set[str]) -> list[Doc]:
    seen = set(exclude)
    out = []
    for d in docs:
        if d.id not in seen:
            seen.add(d.id)
            out.append(d)
    return out


def _fit_linear(x: sp.csr_matrix, y: np.ndarray, w: np.ndarray, C: float, seed: int) -> tuple[np.ndarray, float]:
    clf = LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=500, random_state=seed)
    clf.fit(x, y, sample_weight=w)
    return clf.coef_.ravel().astype(np.float32), float(clf.intercept_[0])


def _unit_mean(x: sp.csr_matrix, w: np.ndarray | None = None) -> np.ndarray:
    if x.shape[0] == 0:
        return np.zeros(x.shape[1], dtype=np.float64)
    v = np.asarray(x.T @ (np.ones(x.shape[0]) if w is None else w)).ravel()
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


@dataclass
class _Fit:
    coef: np.ndarray
    intercept: float
    pu_dropped: int = 0
    pool_excluded: int = 0
    keyword_seeds: int = 0
    similarity_share: float = 0.0


def _fit_core(xp: sp.csr_matrix, rel_pos: np.ndarray, xn: sp.csr_matrix, xu: sp.csr_matrix, hits: np.ndarray,
              xb: sp.csr_matrix, p: TrainParams, prior: np.ndarray | None = None) -> _Fit:
    """One fit on featurised rows: positives (with relative weights), reviewed negatives, the pool
    (with keyword hits per item) and the built-in background. Returns the blended linear model."""
    n_true = xp.shape[0]
    seeds = np.zeros(xu.shape[0], dtype=bool)
    if p.keyword_seed_min > 0 and xu.shape[0]:
        seeds = hits >= p.keyword_seed_min
    keep_u = ~seeds
    excluded = 0
    if p.pool_sim_drop < 1.0 and xu.shape[0] and n_true:
        sim = np.asarray((xu @ xp.T).max(axis=1).todense()).ravel()
        near = (sim >= p.pool_sim_drop) & keep_u
        excluded = int(near.sum())
        keep_u &= ~near
    xs, xu_neg = xu[np.flatnonzero(seeds)], xu[np.flatnonzero(keep_u)]
    xpos = sp.vstack([xp, xs], format="csr") if xs.shape[0] else xp
    rel = np.concatenate([rel_pos, np.full(xs.shape[0], p.keyword_seed_weight)])
    n_p, n_n, n_u, n_b = xpos.shape[0], xn.shape[0], xu_neg.shape[0], xb.shape[0]
    x = sp.vstack([xpos, xn, xu_neg, xb], format="csr")
    y = np.concatenate([np.ones(n_p), np.zeros(n_n + n_u + n_b)])
    if n_n + n_u + n_b == 0:
        raise ValueError("training set has no negatives and no pool: crawl or reject something first")

    def weights(n_u_kept: int) -> np.ndarray:
        neg_total = n_n + p.pool_weight * n_u_kept + p.background_weight * n_b
        w_pos = p.pos_balance * neg_total / max(float(rel.sum()), 1e-9)
        return np.concatenate(
            [w_pos * rel, np.ones(n_n), np.full(n_u_kept, p.pool_weight), np.full(n_b, p.background_weight)]
        )

    coef, b = _fit_linear(x, y, weights(n_u), p.C, p.seed)
    dropped = 0
    if p.pu_drop > 0 and n_u >= 100:
        pool_raw = x[n_p + n_n : n_p + n_n + n_u] @ coef
        dropped = int(n_u * p.pu_drop)
        keep = np.ones(x.shape[0], dtype=bool)
        keep[n_p + n_n + np.argsort(-pool_raw)[:dropped]] = False
        coef, b = _fit_linear(x[keep], y[keep], weights(n_u - dropped), p.C, p.seed)
    lam = p.similarity_n0 / (p.similarity_n0 + n_u) if p.similarity_n0 > 0 else 0.0
    if lam > 0:
        # similarity component (Rocchio): direction of the positives' centroid minus the negatives'. Linear
        # in the item's TF-IDF row, so the blend stays one weight vector and explanations stay exact; it
        # needs no negatives to be meaningful, which is what a tiny pool lacks.
        c_pos = _unit_mean(xpos, rel)
        c_neg = _unit_mean(x[n_p:])
        r: np.ndarray = (c_pos - p.similarity_gamma * c_neg).astype(np.float32)
        r /= float(np.std(x @ r)) or 1.0
        if prior is not None and p.keyword_prior > 0 and prior.any():
            # the hand-written keyword list as a weight vector: +1 on every term it names
            r = r + p.keyword_prior * prior / (float(np.std(x @ prior)) or 1.0)
        lr_raw, r_raw = x @ coef + b, x @ r
        s_lr, s_r = float(np.std(lr_raw)) or 1.0, float(np.std(r_raw)) or 1.0
        coef = ((1 - lam) * coef / s_lr + lam * r / s_r).astype(np.float32)
        b = (1 - lam) * b / s_lr
    return _Fit(coef, float(b), dropped, excluded, int(seeds.sum()), float(lam))


class Model:
    """A trained classifier: featurizer, weights, stream calibration, category centroids, catalog rows."""

    def __init__(
        self,
        params: TrainParams,
        trained_on: dict[str, Any],
        featurizer: Featurizer,
        coef: np.ndarray,
        intercept: float,
        calibration: StreamCalibration,
        categories: CategoryModel,
        catalog_x: sp.csr_matrix,
        catalog_titles: list[str],
    ) -> None:
        self.params = params
        self.trained_on = trained_on
        self.featurizer = featurizer
        self.coef = coef.astype(np.float32)
        self.intercept = float(intercept)
        self.calibration = calibration
        self.categories = categories
        self.catalog_x = catalog_x.tocsr()
        self.catalog_titles = catalog_titles

    def raw(self, docs: Sequence[Doc]) -> np.ndarray:
        """Uncalibrated margins (only meaningful within one model version)."""
        if not docs:
            return np.zeros(0)
        margins: np.ndarray = self.featurizer.transform(docs) @ self.coef + self.intercept
        return margins

    def score(self, docs: Sequence[Doc]) -> np.ndarray:
        """Calibrated 0..1 scores, fast path without explanations; batches keep memory flat."""
        out = [self.calibration(self.raw(docs[i : i + 4096])) for i in range(0, len(docs), 4096)]
        return np.concatenate(out) if out else np.zeros(0)

    def score_docs(
        self,
        docs: Sequence[Doc],
        explain: bool = True,
        top_terms: int = 8,
        explain_from: Mapping[str, float] | None = None,
    ) -> list[Scored]:
        """Scores with category suggestions and, when ``explain``, why-terms and nearest catalog entries.

        ``explain_from`` (doc id -> score) explains only the docs scoring at least their value (the
        queue's threshold): terms and neighbours cost more than the score itself (bench/bench_crawl.py)
        and are read only for works a curator will see.
        """
        out: list[Scored] = []
        names = self.featurizer.feature_names() if explain else []
        for i0 in range(0, len(docs), 2048):
            chunk = docs[i0 : i0 + 2048]
            x = self.featurizer.transform(chunk)
            scores = self.calibration(x @ self.coef + self.intercept)
            sugg = self.categories.suggest(x)
            shown = [
                explain and (explain_from is None or scores[j] >= explain_from.get(d.id, 0.0))
                for j, d in enumerate(chunk)
            ]
            rows = [j for j, s in enumerate(shown) if s]
            near = (
                dict(zip(rows, nearest_rows(x[rows], self.catalog_x, self.catalog_titles, 3), strict=False))
                if rows
                else {}
            )
            for j, d in enumerate(chunk):
                why = term_contributions(x, j, self.coef, names, top_terms) if shown[j] else []
                s = sugg[j]
                out.append(Scored(d.id, float(scores[j]), s.category, s.confidence, s.fits, why, near.get(j, [])))
        return out

    # ---- storage: np.savez + JSON, never pickle ----------------------------------------------------------
    def to_bytes(self) -> bytes:
        meta = {
            "format": FORMAT,
            "params": self.params.to_dict(),
            "trained_on": self.trained_on,
            "tokens": self.featurizer.token_list,
            "catalog_titles": self.catalog_titles,
            "intercept": self.intercept,
            "category_slugs": list(CATEGORY_SLUGS),
            "category_min_sim": self.categories.min_sim,
            "category_temperature": self.categories.temperature,
        }
        cx = self.catalog_x
        arrays = {
            **self.featurizer.arrays(),
            **self.calibration.arrays(),
            "coef": self.coef,
            "cat_centroids": self.categories.centroids,
            "catalog_data": cx.data,
            "catalog_indices": cx.indices,
            "catalog_indptr": cx.indptr,
            "catalog_shape": np.array(cx.shape, dtype=np.int64),
            "meta_json": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
        }
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> Model:
        with np.load(io.BytesIO(blob), allow_pickle=False) as z:
            a = {k: z[k] for k in z.files}
        meta = json.loads(a.pop("meta_json").tobytes().decode("utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"model blob format is {meta.get('format')!r}; expected {FORMAT!r}")
        params = TrainParams.from_dict(meta["params"])
        feat = Featurizer.from_arrays(params.features, meta["tokens"], a)
        cx = sp.csr_matrix(
            (a["catalog_data"], a["catalog_indices"], a["catalog_indptr"]), shape=tuple(a["catalog_shape"].tolist())
        )
        cats = CategoryModel(a["cat_centroids"], meta["category_min_sim"], meta["category_temperature"])
        return cls(
            params,
            meta["trained_on"],
            feat,
            a["coef"],
            meta["intercept"],
            StreamCalibration.from_arrays(a),
            cats,
            cx,
            meta["catalog_titles"],
        )


@dataclass
class _Prepared:
    """A training set featurised once: what every fit on it (a model, or a cross-validation fold) shares."""

    feat: Featurizer
    pos: list[Doc]
    rel_pos: np.ndarray
    xp: sp.csr_matrix
    xn: sp.csr_matrix
    pool_fit: list[Doc]
    xu: sp.csr_matrix
    hits: np.ndarray
    xb: sp.csr_matrix
    prior: np.ndarray | None
    small: bool
    cal: list[Doc]  # the held-out calibration sample (large pools) or the reference docs (small ones)
    xcal: sp.csr_matrix | None  # the calibration sample's rows (large pools only)
    neg_count: int


def _distinct_rows(ts: TrainingSet, p: TrainParams) -> tuple[list[Doc], list[Doc], list[Doc]]:
    """Positives (with the category descriptors), negatives and pool, each document in one role only."""
    extra = descriptor_docs() if p.category_docs else []
    pos = _dedupe(list(ts.positives) + extra, set())
    pos_ids = {d.id for d in pos}
    neg = _dedupe(ts.negatives, pos_ids)
    pool = _dedupe(ts.pool, pos_ids | {d.id for d in neg})
    if not pos:
        raise ValueError("training set has no positives: load the catalog or accept some works first")
    return pos, neg, pool


def _hold_out_calibration(
    pool: list[Doc], p: TrainParams, rng: np.random.Generator
) -> tuple[list[Doc], list[Doc]]:
    """(calibration sample, the pool the weights are fitted on): a sample the weights never see."""
    perm = rng.permutation(len(pool))
    n_cal = min(int(len(pool) * p.calibration_fraction), p.calibration_max)
    return [pool[i] for i in perm[:n_cal]], [pool[i] for i in np.sort(perm[n_cal:])]


def _prepare(ts: TrainingSet, p: TrainParams) -> _Prepared:
    """Split the pool, fit the vocabulary and featurise every row."""
    rng = np.random.default_rng(p.seed)
    pos, neg, pool = _distinct_rows(ts, p)
    bg = background_docs() if p.background_weight > 0 else []
    small = len(pool) < SMALL_POOL
    cal, pool_fit = ([], pool) if small else _hold_out_calibration(pool, p, rng)
    # A catalog entry's text (a short description) weighs ``catalog_weight``; an accepted work's own text
    # (a decision, passed as a positive under the same id) weighs 1.
    cat_docs = set(ts.catalog)
    rel_pos = np.asarray([p.catalog_weight if d in cat_docs or d.id.startswith("category:") else 1.0 for d in pos])
    hits = keyword_scores(pool_fit) if p.keyword_seed_min > 0 and pool_fit else np.zeros(len(pool_fit))
    sample = pool_fit
    if len(pool_fit) > p.vocab_pool_sample:
        sample = [pool_fit[i] for i in np.sort(rng.choice(len(pool_fit), p.vocab_pool_sample, replace=False))]
    feat = Featurizer.fit(pos + neg + sample + list(ts.catalog) + bg, p.features)
    xp, xn, xu, xb = (feat.transform(d) for d in (pos, neg, pool_fit, bg))
    prior = keyword_prior(feat.feature_names()) if p.keyword_prior > 0 else None
    if small:
        cal = pool_fit if len(pool_fit) >= MIN_SAMPLE else pool_fit + bg
    return _Prepared(
        feat,
        pos,
        rel_pos,
        xp,
        xn,
        pool_fit,
        xu,
        hits,
        xb,
        prior,
        small,
        cal,
        None if small else feat.transform(cal),
        len(neg),
    )


def _fit_prepared(
    prep: _Prepared, p: TrainParams, keep_pos: np.ndarray | None = None
) -> tuple[_Fit, StreamCalibration]:
    """The linear fit and its stream calibration, optionally on a subset of the positives (a fold)."""
    xp, rel = (prep.xp, prep.rel_pos) if keep_pos is None else (prep.xp[keep_pos], prep.rel_pos[keep_pos])
    xu = prep.xu
    fit = _fit_core(xp, rel, prep.xn, xu, prep.hits, prep.xb, p, prep.prior)
    if not prep.small:
        assert prep.xcal is not None
        return fit, StreamCalibration.fit(prep.xcal @ fit.coef + fit.intercept)
    # too few pool items to hold some out: a normal approximation to the pool's scores (calibration.py)
    ref = sp.vstack([xu, prep.xb] if xu.shape[0] < MIN_SAMPLE else [xu], format="csr") @ fit.coef + fit.intercept
    train_raw = sp.vstack([xp, prep.xn, xu, prep.xb], format="csr") @ fit.coef + fit.intercept
    return fit, StreamCalibration.normal(ref, min_spread=p.min_spread * float(np.std(train_raw)))


def train(ts: TrainingSet, params: TrainParams | None = None) -> Model:
    """Fit a model on a training set; deterministic for a given ``params.seed``."""
    p = params or TrainParams()
    prep = _prepare(ts, p)
    fit, calibration = _fit_prepared(prep, p)
    feat, pos = prep.feat, prep.pos
    how = "normal approximation (small pool)" if prep.small else "stream sample"
    cat_docs = [d for d in pos + list(ts.catalog) if d.category in CATEGORY_SLUGS]
    cat_docs = _dedupe(cat_docs, set())
    categories = CategoryModel.fit(
        feat.transform(cat_docs), [d.category for d in cat_docs], p.category_min_sim, p.category_temperature
    )
    catalog = _dedupe(ts.catalog, set())
    trained_on = {
        "positives": len(ts.positives),
        "negatives": prep.neg_count,
        "pool": len(prep.pool_fit),
        "calibration_sample": len(prep.cal),
        "pu_dropped": fit.pu_dropped,
        "pool_excluded": fit.pool_excluded,
        "keyword_seeds": fit.keyword_seeds,
        "background": prep.xb.shape[0],
        "similarity_share": round(fit.similarity_share, 4),
        "catalog": len(catalog),
        "features": feat.n_features,
        "calibrated": not prep.small,
        "calibration": how,
        "scale_decades": DECADES,
    }
    return Model(
        p,
        trained_on,
        feat,
        fit.coef,
        fit.intercept,
        calibration,
        categories,
        feat.transform(catalog),
        [d.title for d in catalog],
    )
