"""Score scale: the share of the unlabelled stream an item outranks, on a log scale.

Why this reference: a linear model's raw margin (and any probability fitted to a handful of labels)
shifts every time the model is retrained, so a threshold would silently change meaning. The stream of
ordinary arXiv papers is the one thing that stays put from one version to the next. So after training,
a held-out sample of the pool (never used to fit the weights, so it scores like fresh items) is scored
and the score of an item is

    score = log10(1 / q) / DECADES,   q = share of the stream scoring at least as high.

With ``DECADES = 4``: 0.25 = top 10% of the stream, 0.5 = top 1%, 0.75 = top 0.1%, 1.0 = top 0.01%.
A threshold therefore always means the same reading load (0.35 = top ~4.5% of arXiv items), whatever
the model version; precision and recall at that load are what improve as the model learns. Between
sample points the map is linear; above the best sampled item the exponential tail of the top decade is
extrapolated and squashed below 1, so the order of the very best items is kept.

Small pools (fewer than ``SMALL_POOL`` unlabelled items, e.g. the first crawl of a new user): a held-out
sample would be a handful of items, so the empirical map is replaced by a normal approximation
(:meth:`StreamCalibration.normal`). The reference is every pool item (plus, below ``MIN_SAMPLE`` pool
items, the built-in background of ordinary ML abstracts, background.py) scored by the model itself; its
robust centre (median) and spread (1.4826 x MAD, floored) define ``q = P(N(centre, spread) >= raw)``.
Those items were training negatives, so they score a little lower than fresh items would: the error
leans towards more candidates, not fewer. The score keeps its meaning, "log10 of 1 / the estimated share of
ordinary papers scoring higher, over 4", but it is an estimate from a few dozen items and an assumed
normal tail: expect errors of about +-0.1 around 0.5 (measured in bench/bench_classifier.py). The
model's ``trained_on["calibration"]`` says which map a version uses; ``calibrated`` is True only for the
empirical one.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

DECADES = 4.0
MIN_SAMPLE = 50
SMALL_POOL = 500  # below this many pool items: normal approximation on out-of-fold scores


class StreamCalibration:
    """Monotone map raw margin -> 0..1, stored as knots (raw, score) plus two tail slopes."""

    def __init__(self, raw: np.ndarray, score: np.ndarray, top_slope: float, low_slope: float) -> None:
        self.raw = raw.astype(np.float64)
        self.score = score.astype(np.float64)
        self.top_slope = float(top_slope)
        self.low_slope = float(low_slope)

    @classmethod
    def fit(cls, stream_raw: np.ndarray, max_knots: int = 2000) -> StreamCalibration:
        r = np.sort(np.asarray(stream_raw, dtype=np.float64))
        n = r.size
        if n < MIN_SAMPLE:
            # no stream to speak of: fall back to a logistic of the margin (documented, flagged by trained_on)
            grid = np.linspace(-6, 6, 49)
            return cls(grid, 1.0 / (1.0 + np.exp(-grid)), 0.0, 1.0)
        q = (n - np.arange(n)) / (n + 1.0)  # share of the sample scoring >= r[i]
        s = np.log10(1.0 / q) / DECADES
        r_u, last = np.unique(r[::-1], return_index=True)  # for ties keep the highest score
        s_u = s[::-1][last]
        keep = s_u <= 0.9  # the top knots rest on one or two items: use the fitted tail instead
        r_u, s_u = r_u[keep], s_u[keep]
        if r_u.size > max_knots:
            idx = np.unique(np.concatenate([np.linspace(0, r_u.size - 1, max_knots).round().astype(int),
                                            np.arange(max(0, r_u.size - 200), r_u.size)]))
            r_u, s_u = r_u[idx], s_u[idx]
        top = s_u >= s_u[-1] - 1.0 / DECADES  # the top decade of the sample
        if top.sum() >= 3 and np.ptp(r_u[top]) > 0:
            slope = float(np.polyfit(r_u[top], s_u[top], 1)[0])
        else:
            slope = 0.0
        spread = float(np.std(r)) or 1.0
        return cls(r_u, s_u, max(slope, 1e-3 / spread), 1.0 / spread)

    @classmethod
    def normal(cls, ref_raw: np.ndarray, min_spread: float = 0.0) -> StreamCalibration:
        """The map for a normal approximation of the stream: centre = median, spread = 1.4826 x MAD of
        ``ref_raw`` (std if the MAD is 0; never below ``min_spread``, so a pool of near-identical items
        cannot make every other item look extreme), stored as knots like the empirical map."""
        r = np.asarray(ref_raw, dtype=np.float64)
        if r.size == 0:
            r = np.zeros(1)
        centre = float(np.median(r))
        spread = 1.4826 * float(np.median(np.abs(r - centre)))
        if not spread > 0:
            spread = float(np.std(r))
        spread = max(spread, float(min_spread)) or 1.0
        z = np.linspace(-4.0, 4.0, 161)
        q = ndtr(-z)
        s = np.log10(1.0 / q) / DECADES
        keep = s <= 0.9
        z, s = z[keep], s[keep]
        slope = float((s[-1] - s[-2]) / ((z[-1] - z[-2]) * spread))
        return cls(centre + spread * z, s, slope, 1.0 / spread)

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=np.float64)
        out = np.interp(raw, self.raw, self.score)
        r_top, s_top = self.raw[-1], self.score[-1]
        hi = raw > r_top
        if hi.any():
            room = max(1.0 - s_top, 1e-6)
            lin = self.top_slope * (raw[hi] - r_top)
            out[hi] = s_top + room * np.tanh(lin / room)
        lo = raw < self.raw[0]
        if lo.any():
            out[lo] = self.score[0] * np.exp(self.low_slope * (raw[lo] - self.raw[0]))
        clipped: np.ndarray = np.clip(out, 0.0, 1.0)
        return clipped

    def arrays(self) -> dict[str, np.ndarray]:
        return {"cal_raw": self.raw, "cal_score": self.score,
                "cal_slopes": np.array([self.top_slope, self.low_slope], dtype=np.float64)}

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> StreamCalibration:
        return cls(a["cal_raw"], a["cal_score"], float(a["cal_slopes"][0]), float(a["cal_slopes"][1]))
