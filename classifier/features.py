"""TF-IDF features over title and summary, built for fast scoring and pickle-free storage.

Why not sklearn's TfidfVectorizer: its transform runs at ~5,000 abstracts/s and fitting a bigram
vocabulary on the whole stream needs gigabytes. Here tokens are mapped to integer ids once per text,
bigrams become ``id1 * n_tokens + id2`` keys looked up with ``np.searchsorted`` over a whole batch, and
the state is a handful of arrays plus a token list, which serialise with ``np.savez`` and JSON.

Choices (measured with ``bench/bench_classifier.py --sweep`` on an inner time split that never sees the
test period): word unigrams + bigrams of adjacent content words (a stopword or rare word breaks a
bigram), sublinear tf, smooth idf, title counts weighted ``title_weight`` times, l2 rows.

Variants measured and not adopted are recorded in docs/classifier-experiments.md.

Fitting tokenises each text once: every token gets a provisional id, the texts become one flat id array,
and document frequencies of tokens and bigrams come from sorted distinct (doc, term) keys, so a fit on
35k docs takes a few seconds.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, count, repeat

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from .docs import Doc

_TOKEN = re.compile(r"[^\W_]{2,}")
_TOKEN_ASCII = re.compile(r"[a-z0-9]{2,}")  # the same tokens on lower-cased ASCII text, ~20% faster
_STOP = frozenset(ENGLISH_STOP_WORDS) | {"paper", "propose", "proposed", "approach", "method", "methods",
                                         "results", "show", "shows", "based", "using", "use", "used"}


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (letters/digits, 2+ chars); NFKC folds ligatures and full-width forms."""
    if not text:
        return []
    if text.isascii():
        return _TOKEN_ASCII.findall(text.lower())
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


def _distinct(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique's hash path is several times slower on millions of int64)."""
    a = np.sort(a)
    keep = np.ones(a.size, dtype=bool)
    keep[1:] = a[1:] != a[:-1]
    return a[keep]


CATEGORY_PREFIX = "arxivcat"  # category "cs.AR" becomes the token "arxivcatcsar"; no English word starts so


def category_text(categories: Sequence[str]) -> str:
    """arXiv subject classes as pseudo-words, one token each (the tokenizer keeps letters and digits)."""
    return " ".join(CATEGORY_PREFIX + re.sub(r"[^0-9a-z]", "", c.lower()) for c in categories)


_category_text = lru_cache(maxsize=4096)(category_text)  # a stream repeats a few hundred category lists


def _fields(d: Doc, params: FeatureParams) -> list[tuple[str, float]]:
    """The texts of a doc with the weight of each; a bigram never spans two of them."""
    out = [(d.title, float(params.title_weight)), (d.summary, 1.0)]
    if params.category_weight > 0 and d.categories:
        out.append((_category_text(tuple(d.categories)), float(params.category_weight)))
    return out


@dataclass(frozen=True)
class FeatureParams:
    """How text becomes vectors. Defaults are the measured best (see module docstring)."""

    ngram_max: int = 2  # 1 = unigrams only, 2 = unigrams + bigrams
    min_df: int = 2
    max_features: int = 50_000
    title_weight: float = 2.0  # a title word counts this many times a summary word
    sublinear_tf: bool = True
    category_weight: float = 4.0  # >0: arXiv categories (Doc.categories) are features, counted this many times


class Featurizer:
    """Maps docs to l2-normalised sparse TF-IDF rows (CSR, float32)."""

    def __init__(self, params: FeatureParams, token_list: list[str], uni_feat: np.ndarray,
                 bi_keys: np.ndarray, bi_feat: np.ndarray, idf: np.ndarray) -> None:
        self.params = params
        self.token_list = token_list
        self.token_index = {t: i for i, t in enumerate(token_list)}
        self.uni_feat = uni_feat.astype(np.int32)  # token id -> feature id or -1
        self.bi_keys = bi_keys.astype(np.int64)  # sorted bigram keys
        self.bi_feat = bi_feat.astype(np.int32)  # feature id of each key
        self.idf = idf.astype(np.float32)
        self._names: list[str] | None = None

    @property
    def n_features(self) -> int:
        return int(self.idf.shape[0])

    # ---- fitting -------------------------------------------------------------------------------------
    @classmethod
    def fit(cls, docs: Sequence[Doc], params: FeatureParams | None = None) -> Featurizer:
        """Choose the vocabulary (document frequency ranks, like sklearn's max_features) and idf."""
        params = params or FeatureParams()
        n_docs = len(docs)
        # one tokenising pass: every token gets a provisional id; the texts become one flat id array
        vocab: defaultdict[str, int] = defaultdict(count().__next__)  # a new token gets the next id
        lookup = vocab.__getitem__
        flat = array("i")
        text_len: list[int] = []
        text_doc: list[int] = []
        for r, d in enumerate(docs):
            for text, _ in _fields(d, params):
                toks = tokens(text)
                if toks:
                    flat.extend(map(lookup, toks))
                    text_len.append(len(toks))
                    text_doc.append(r)
        ids_all = np.frombuffer(flat, dtype=np.int32) if len(flat) else np.zeros(0, np.int32)
        lens = np.asarray(text_len, dtype=np.int64)
        tok_doc = np.repeat(np.asarray(text_doc, dtype=np.int64), lens)
        n_vocab = max(len(vocab), 1)
        # document frequency of each token: distinct (doc, token) pairs
        df_prov = np.bincount(_distinct(tok_doc * n_vocab + ids_all) % n_vocab, minlength=n_vocab) if ids_all.size \
            else np.zeros(n_vocab, np.int64)
        min_df = max(1, min(params.min_df, n_docs))
        prov_names = list(vocab)
        del vocab
        token_list = sorted(
            t
            for t, c in zip(prov_names, df_prov.tolist(), strict=False)
            if c >= min_df and t not in _STOP and not t.isdigit()
        )
        n_tok = max(len(token_list), 1)
        remap = np.full(n_vocab, -1, dtype=np.int64)  # provisional id -> index in token_list
        if token_list:
            prov_index = {t: i for i, t in enumerate(prov_names)}
            remap[np.fromiter((prov_index[t] for t in token_list), dtype=np.int64, count=len(token_list))] = np.arange(
                len(token_list)
            )
            del prov_index
        uni_df = (
            df_prov[remap >= 0][np.argsort(remap[remap >= 0])].astype(np.int64) if token_list else np.zeros(0, np.int64)
        )
        del prov_names
        bi_keys_all: list[np.ndarray] = []
        if params.ngram_max >= 2 and ids_all.size > 1:
            nid = remap[ids_all]
            del ids_all
            starts = np.zeros(nid.size, dtype=bool)
            starts[np.cumsum(lens)[:-1]] = True  # a bigram never spans two texts (title and summary)
            ok = (nid[:-1] >= 0) & (nid[1:] >= 0) & ~starts[1:]
            keys = nid[:-1][ok] * n_tok + nid[1:][ok]
            kdoc = tok_doc[:-1][ok]
            del nid, starts, ok
            span = n_tok * n_tok
            if n_docs * span < 2**62:
                pairs = _distinct(kdoc * span + keys)  # distinct (doc, bigram)
                bi_keys_all.append(pairs % span)
            else:  # astronomically large vocabulary: sort the pairs instead of packing them
                order = np.lexsort((keys, kdoc))
                k, dd = keys[order], kdoc[order]
                first = np.ones(k.size, dtype=bool)
                first[1:] = (k[1:] != k[:-1]) | (dd[1:] != dd[:-1])
                bi_keys_all.append(k[first])
        if bi_keys_all:
            bkeys, bdf = np.unique(np.concatenate(bi_keys_all), return_counts=True)
            keep = bdf >= min_df
            bkeys, bdf = bkeys[keep], bdf[keep]
        else:
            bkeys, bdf = np.zeros(0, np.int64), np.zeros(0, np.int64)
        # rank all candidate terms by df (ties: unigrams first, then by id) and keep max_features
        df_all = np.concatenate([uni_df, bdf])
        order = np.lexsort((np.arange(df_all.size), -df_all))[: params.max_features]
        order.sort()
        n_uni = uni_df.size
        uni_sel = order[order < n_uni]
        bi_sel = order[order >= n_uni] - n_uni
        uni_feat = np.full(len(token_list), -1, dtype=np.int32)
        uni_feat[uni_sel] = np.arange(uni_sel.size, dtype=np.int32)
        bi_feat = np.arange(uni_sel.size, uni_sel.size + bi_sel.size, dtype=np.int32)
        df_sel = np.concatenate([uni_df[uni_sel], bdf[bi_sel]]).astype(np.float64)
        idf = np.log((1.0 + n_docs) / (1.0 + df_sel)) + 1.0
        return cls(params, token_list, uni_feat, bkeys[bi_sel], bi_feat, idf)

    # ---- transforming --------------------------------------------------------------------------------
    def _ids(self, text: str) -> list[int]:
        return list(map(self.token_index.get, tokens(text), repeat(-1)))

    def counts(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        """Weighted term counts (title x title_weight + summary), before tf scaling and idf."""
        n_tok = max(len(self.token_list), 1)
        id_chunks: list[list[int]] = []
        row_idx: list[int] = []
        weights: list[float] = []
        params = self.params
        for r, d in enumerate(docs):
            for text, w in _fields(d, params):
                text_ids = self._ids(text)
                if text_ids:
                    id_chunks.append(text_ids)
                    row_idx.append(r)
                    weights.append(w)
        rows_parts: list[np.ndarray] = []
        cols_parts: list[np.ndarray] = []
        vals_parts: list[np.ndarray] = []
        if id_chunks:
            lens = np.fromiter((len(c) for c in id_chunks), dtype=np.int64, count=len(id_chunks))
            ids = np.fromiter(chain.from_iterable(id_chunks), dtype=np.int64, count=int(lens.sum()))
            seg_row = np.repeat(np.asarray(row_idx, dtype=np.int64), lens)
            seg_w = np.repeat(np.asarray(weights, dtype=np.float32), lens)
            known = ids >= 0
            f = np.where(known, self.uni_feat[np.where(known, ids, 0)], -1)
            m = f >= 0
            rows_parts.append(seg_row[m])
            cols_parts.append(f[m])
            vals_parts.append(seg_w[m])
            if self.params.ngram_max >= 2 and self.bi_keys.size and ids.size > 1:
                starts = np.zeros(ids.size, dtype=bool)
                starts[np.cumsum(lens)[:-1]] = True  # a bigram never spans two texts
                ok = known[:-1] & known[1:] & ~starts[1:]
                keys = ids[:-1] * n_tok + ids[1:]
                pos = np.searchsorted(self.bi_keys, keys)
                pos[pos >= self.bi_keys.size] = 0
                hit = ok & (self.bi_keys[pos] == keys)
                rows_parts.append(seg_row[:-1][hit])
                cols_parts.append(self.bi_feat[pos[hit]])
                vals_parts.append(seg_w[:-1][hit])
        if rows_parts:
            rows = np.concatenate(rows_parts)
            cols = np.concatenate(cols_parts)
            vals = np.concatenate(vals_parts)
        else:
            rows = cols = np.zeros(0, np.int64)
            vals = np.zeros(0, np.float32)
        m = sp.csr_matrix((vals, (rows, cols)), shape=(len(docs), self.n_features), dtype=np.float32)
        m.sum_duplicates()
        return m

    def transform(self, docs: Sequence[Doc], batch: int = 2048) -> sp.csr_matrix:
        """TF-IDF rows, l2-normalised (an empty doc is an all-zero row); batched to bound memory."""
        if len(docs) > batch:
            return sp.vstack([self._transform(docs[i : i + batch]) for i in range(0, len(docs), batch)], format="csr")
        return self._transform(docs)

    def _transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        x = self.counts(docs)
        if self.params.sublinear_tf:
            np.log(x.data, out=x.data)
            x.data += 1.0
        x = (x @ sp.diags(self.idf)).tocsr()
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        x = (sp.diags((1.0 / norms).astype(np.float32)) @ x).tocsr()
        return x.astype(np.float32, copy=False)

    def feature_names(self) -> list[str]:
        """Human-readable term of every feature (``'reward model'`` for a bigram)."""
        if self._names is None:
            names = [""] * self.n_features
            for t, f in enumerate(self.uni_feat.tolist()):
                if f >= 0:
                    tok = self.token_list[t]
                    names[f] = f"[arXiv {tok[len(CATEGORY_PREFIX) :]}]" if tok.startswith(CATEGORY_PREFIX) else tok
            n_tok = max(len(self.token_list), 1)
            for k, f in zip(self.bi_keys.tolist(), self.bi_feat.tolist(), strict=False):
                names[f] = f"{self.token_list[k // n_tok]} {self.token_list[k % n_tok]}"
            self._names = names
        return self._names

    # ---- storage -------------------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        return {"feat_uni": self.uni_feat, "feat_bi_keys": self.bi_keys, "feat_bi": self.bi_feat, "feat_idf": self.idf}

    @classmethod
    def from_arrays(cls, params: FeatureParams, token_list: list[str], arrays: dict[str, np.ndarray]) -> Featurizer:
        return cls(
            params, token_list, arrays["feat_uni"], arrays["feat_bi_keys"], arrays["feat_bi"], arrays["feat_idf"]
        )
