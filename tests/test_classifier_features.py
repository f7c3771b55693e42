"""The vectorised featurizer fit against a plain reference: same vocabulary, document frequencies, idf."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter

import numpy as np
import pytest

from classifier import Doc, FeatureParams
from classifier.features import _STOP, Featurizer, _fields, tokens

WORDS = ["reward", "model", "self", "play", "data", "synthetic", "kernel", "compiler", "agent", "search",
         "the", "of", "2024", "neural", "architecture", "llm", "judge", "training", "ünïcode", "ﬁle"]


def _corpus(n: int, seed: int = 0) -> list[Doc]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 6)))
        summary = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 30)))
        cats = tuple(rng.sample(["cs.LG", "cs.AI", "cs.AR"], rng.randint(0, 2)))
        docs.append(Doc(f"d{i}", title, summary, categories=cats))
    return [*docs, Doc("empty", "", "")]


def _reference(docs: list[Doc], p: FeatureParams) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Document frequencies of kept unigrams and of bigrams of adjacent kept tokens within one text."""
    df_tok: Counter[str] = Counter()
    for d in docs:
        df_tok.update({t for text, _ in _fields(d, p) for t in tokens(text)})
    min_df = max(1, min(p.min_df, len(docs)))
    kept = {t for t, c in df_tok.items() if c >= min_df and t not in _STOP and not t.isdigit()}
    df_bi: Counter[tuple[str, str]] = Counter()
    for d in docs:
        seen = set()
        for text, _ in _fields(d, p):
            toks = tokens(text)
            seen.update((a, b) for a, b in itertools.pairwise(toks) if a in kept and b in kept)
        df_bi.update(seen)
    return {t: df_tok[t] for t in kept}, {k: c for k, c in df_bi.items() if c >= min_df}


@pytest.mark.parametrize(
    "params", [FeatureParams(), FeatureParams(ngram_max=1), FeatureParams(min_df=1, max_features=25)]
)
def test_fit_matches_plain_reference(params: FeatureParams) -> None:
    docs = _corpus(300)
    f = Featurizer.fit(docs, params)
    uni, bi = _reference(docs, params)
    assert f.token_list == sorted(uni)
    names = f.feature_names()
    # expected selection: rank by df, ties unigrams first then by id (unigram ids = sorted tokens, bigram
    # ids = sorted (first, second) token indices), keep max_features
    tok_index = {t: i for i, t in enumerate(sorted(uni))}
    cands = [(-c, 0, tok_index[t], 0, t) for t, c in uni.items()]
    if params.ngram_max >= 2:
        cands += [(-c, 1, tok_index[a], tok_index[b], f"{a} {b}") for (a, b), c in bi.items()]
    chosen = sorted(cands)[: params.max_features]
    expect = {name: -negc for negc, *_, name in chosen}
    got = {}
    for name, idf in zip(names, f.idf.tolist(), strict=False):
        shown = name
        if name.startswith("[arXiv "):
            shown = "arxivcat" + name[len("[arXiv ") : -1]
        got[shown] = idf
    assert set(got) == set(expect)
    n = len(docs)
    for name, df in expect.items():
        assert math.isclose(got[name], math.log((1 + n) / (1 + df)) + 1.0, rel_tol=1e-5)


def test_fit_on_tiny_inputs() -> None:
    for docs in ([Doc("a", "x", "")], [Doc("a", "", "")], [Doc("a", "reward model", "reward model again")] * 3):
        f = Featurizer.fit(docs, FeatureParams())
        x = f.transform(docs)
        assert x.shape == (len(docs), f.n_features)
        assert np.all(np.isfinite(x.data))
