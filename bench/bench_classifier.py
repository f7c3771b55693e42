"""Benchmark of the rsiwatch classifier against baselines on a time split of ../shared/data.

    .venv/bin/python bench/bench_classifier.py            # the tables (about 5 minutes)
    .venv/bin/python bench/bench_classifier.py --sweep    # parameter sweep on an inner split (slow)

Split: labelled papers listed 2025-03..2025-08 train, 2025-09..2025-12 test. The unlabelled pool is
the stream listed before 2025-09 (never a test-period paper); catalog rows dated in or after the test
period are dropped, so no test label or later knowledge reaches training. Test sets:
  * "all"    every labelled test paper, grade 2 vs grade 0 (grade 1 left out), both strata;
  * "stream" the uniform random stratum, grade 2 vs the rest: the reading-load figures (read@95 =
             share of the stream read to reach 95% recall) hold for the real stream only there.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"

from classifier import DEFAULT_THRESHOLD, Doc, FeatureParams, TrainingSet, TrainParams, load_catalog_csv, metrics, train  # noqa: E402
from classifier.baselines import keyword_scores  # noqa: E402


@dataclass
class Data:
    stream: list[tuple[Doc, str]]  # (doc, date)
    dev: dict[str, dict]  # id -> labelled row
    catalog: list[tuple[Doc, str]]  # (doc, year)
    curated: list[Doc]


def load_data() -> Data:
    stream = []
    with gzip.open(SHARED / "arxiv_2025_2026.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            stream.append(
                (Doc(r["id"], r["title"], r["summary"], categories=tuple(r.get("categories") or ())), r["date"])
            )
    dev = {}
    with open(SHARED / "dev_labelled.jsonl", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            dev[r["id"]] = r
    import csv

    years = [row["year"] for row in csv.DictReader(open(ROOT / "data" / "catalog_seed.csv", encoding="utf-8"))]
    catalog = list(zip(load_catalog_csv(ROOT / "data" / "catalog_seed.csv"), years, strict=False))
    curated = [
        Doc(r["id"], r["title"], r["summary"]) for r in map(json.loads, open(SHARED / "curated_list_positives.jsonl"))
    ]
    return Data(stream, dev, catalog, curated)


def _yymm(doc_id: str) -> str | None:
    tail = doc_id.split(":", 1)[1] if doc_id.startswith("arxiv:") else ""
    return tail[:4] if len(tail) >= 9 and tail[4] == "." else None


def known_before(doc_id: str, year: str | None, cutoff: str) -> bool:
    """Was this catalog/curated entry knowable before ``cutoff`` (YYYY-MM)? Unknown month -> year before."""
    ym = _yymm(doc_id)
    if ym:
        return ym < cutoff[2:4] + cutoff[5:7]
    if year:
        return int(year) < int(cutoff[:4])
    return True


@dataclass
class Split:
    warm: TrainingSet
    cold: TrainingSet
    curated: list[Doc]
    test_docs: list[Doc]
    test_rows: list[dict]


def make_split(data: Data, train_from: str, test_from: str, test_to: str) -> Split:
    test_rows = [r for r in data.dev.values() if test_from <= r["date"][:7] < test_to]
    test_ids = {r["id"] for r in test_rows}
    train_lab = [r for r in data.dev.values() if train_from <= r["date"][:7] < test_from]
    catalog = [d for d, y in data.catalog if known_before(d.id, y, test_from) and d.id not in test_ids]
    pool = [d for d, date in data.stream if train_from <= date[:7] < test_from and d.id not in data.dev]
    lab = lambda r: Doc(r["id"], r["title"], r["summary"], r.get("category"), tuple(r.get("categories") or ()))  # noqa: E731
    warm = TrainingSet(
        positives=catalog + [lab(r) for r in train_lab if r["label"] == 1],
        negatives=[lab(r) for r in train_lab if r["label"] == 0],
        pool=pool,
        catalog=catalog,
    )
    cold = TrainingSet(positives=list(catalog), negatives=[], pool=pool, catalog=catalog)
    curated = [d for d in data.curated if d.id not in test_ids and known_before(d.id, None, test_from)]
    return Split(warm, cold, curated, [lab(r) for r in test_rows], test_rows)


def report(split: Split, scores: np.ndarray, thr: float) -> dict:
    g = np.array([r["grade"] for r in split.test_rows])
    rnd = np.array([r["stratum"] == "random" for r in split.test_rows])
    m_all = metrics((g[g != 1] == 2).astype(int), scores[g != 1], thr)
    m_str = metrics((g[rnd] == 2).astype(int), scores[rnd], thr)
    return {
        "ap": m_all["average_precision"],
        "auc": m_all["roc_auc"],
        "ap_stream": m_str["average_precision"],
        "read95": m_str["read_at_95"],
        "wss95": m_str["wss_at_95"],
        "r1": m_str["recall_at_top_1pct"],
        "r5": m_str["recall_at_top_5pct"],
        "r10": m_str["recall_at_top_10pct"],
        "p_thr": m_str["precision_at_threshold"],
        "r_thr": m_str["recall_at_threshold"],
        "n_all": m_all["n"],
        "pos_all": m_all["positives"],
        "n_stream": m_str["n"],
        "pos_stream": m_str["positives"],
    }


# ---- baselines ----------------------------------------------------------------------------------------
def _text(d: Doc) -> str:
    return f"{d.title}. {d.summary}"


def _double_balance(
    n_one: int,
    n_zero: int,
    rng: np.random.Generator,
    a: float = 2.155,
    alpha: float = 0.94,
    b: float = 0.789,
    beta: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """ASReview's "double" balance: resample to n_one + n_zero rows, inclusions over-sampled by copying.
    Returns indices into the ones and into the zeros."""
    n_train = n_one + n_zero
    w_one = a * (n_one / n_zero) ** (-alpha)
    w_zero = 1 - (1 - b) * (1 + np.log(n_train)) ** (-beta)
    k = w_one * n_one * n_train / (w_one * n_one + w_zero * n_zero)
    n_one_train = int(np.floor(k)) + int(rng.random() < k - np.floor(k))
    n_one_train = max(1, min(n_train - 2, n_one_train))

    def fill(n_src: int, n: int) -> np.ndarray:
        copies = n // n_src
        return np.concatenate([np.tile(np.arange(n_src), copies), rng.choice(n_src, n - copies * n_src, replace=False)])

    return fill(n_one, n_one_train), fill(n_zero, n_train - n_one_train)


def naive_bayes(ts: TrainingSet, test: list[Doc]) -> np.ndarray:
    """ASReview default: TF-IDF (unigrams, English stop words) + MultinomialNB(alpha=3.822), labelled rows
    only, with ASReview's "double" balancing of the training set (without it the heavy smoothing makes the
    ranking follow document length, AUC ~0.5)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.naive_bayes import MultinomialNB

    docs = ts.positives + ts.negatives
    vec = TfidfVectorizer(stop_words="english")
    x = vec.fit_transform([_text(d) for d in docs])
    n1, n0 = len(ts.positives), len(ts.negatives)
    i1, i0 = _double_balance(n1, n0, np.random.default_rng(0))
    rows = np.concatenate([i1, n1 + i0])
    y = np.r_[np.ones(i1.size), np.zeros(i0.size)]
    nb = MultinomialNB(alpha=3.822).fit(x[rows], y)
    lp = nb.predict_log_proba(vec.transform([_text(d) for d in test]))
    return lp[:, 1] - lp[:, 0]  # log-odds: P(relevant) itself saturates and ties


def arxiv_sanity(ts: TrainingSet, test: list[Doc]) -> np.ndarray:
    """arxiv-sanity-lite: TF-IDF 1-2 grams (20k features, max_df 0.1) + LinearSVC tagged vs rest."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    docs = ts.positives + ts.negatives + ts.pool
    vec = TfidfVectorizer(
        strip_accents="unicode",
        lowercase=True,
        analyzer="word",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=20000,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=True,
        max_df=0.1,
        min_df=5,
    )
    x = vec.fit_transform([_text(d) for d in docs])
    y = np.r_[np.ones(len(ts.positives)), np.zeros(len(ts.negatives) + len(ts.pool))]
    clf = LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.01).fit(x, y)
    return clf.decision_function(vec.transform([_text(d) for d in test]))


# ---- output -------------------------------------------------------------------------------------------
COLS = [
    ("ap", "AP all"),
    ("auc", "AUC"),
    ("ap_stream", "AP strm"),
    ("read95", "read@95"),
    ("wss95", "WSS@95"),
    ("r1", "R@1%"),
    ("r5", "R@5%"),
    ("r10", "R@10%"),
    ("p_thr", "P@thr"),
    ("r_thr", "R@thr"),
]


def print_table(rows: list[tuple[str, dict]]) -> None:
    print(f"{'method':44s}" + "".join(f"{h:>9s}" for _, h in COLS))
    for name, r in rows:
        print(f"{name:44s}" + "".join(f"{r[k]:9.3f}" for k, _ in COLS))


def _peak_mb() -> float:
    """VmHWM (peak RSS of this process); unlike ru_maxrss it is not inherited from the parent on exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def footprint() -> None:
    """Child process: train on the whole 75k stream, print seconds and peak RSS (JSON)."""
    t0 = time.perf_counter()
    data = load_data()
    t_load = time.perf_counter() - t0
    catalog = [d for d, _ in data.catalog]
    ts = TrainingSet(
        positives=catalog + [Doc(r["id"], r["title"], r["summary"]) for r in data.dev.values() if r["label"] == 1],
        negatives=[Doc(r["id"], r["title"], r["summary"]) for r in data.dev.values() if r["label"] == 0],
        pool=[d for d, _ in data.stream if d.id not in data.dev],
        catalog=catalog,
    )
    rss_before = _peak_mb()
    t0 = time.perf_counter()
    model = train(ts)
    t_train = time.perf_counter() - t0
    docs = [d for d, _ in data.stream]
    model.score(docs[:2000])
    t0 = time.perf_counter()
    model.score(docs)
    t_score = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.score_docs(docs[:5000])
    t_explain = time.perf_counter() - t0
    blob = model.to_bytes()
    print(
        json.dumps(
            {
                "load_s": t_load,
                "train_s": t_train,
                "score_per_s": len(docs) / t_score,
                "explain_per_s": 5000 / t_explain,
                "n_stream": len(docs),
                "blob_mb": len(blob) / 1e6,
                "rss_before_train_mb": rss_before,
                "peak_rss_mb": _peak_mb(),
                "trained_on": model.trained_on,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--sweep", action="store_true", help="parameter sweep on the inner split (train <2025-06, validate 2025-06..08)"
    )
    ap.add_argument("--footprint", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-footprint", action="store_true", help="skip the 75k-stream speed/memory run")
    args = ap.parse_args()
    if not SHARED.exists():
        print(f"{SHARED} is absent: nothing to benchmark")
        return
    if args.footprint:
        footprint()
        return
    if args.sweep:
        sweep(load_data())
        return
    run(load_data(), not args.no_footprint)


SWEEP: list[dict] = [
    {},
    {"C": 1.0},
    {"C": 16.0},
    {"pool_weight": 0.05},
    {"pool_weight": 0.3},
    {"pool_weight": 1.0},
    {"pu_drop": 0.0},
    {"pu_drop": 0.03},
    {"catalog_weight": 1.0},
    {"keyword_seed_min": 0},
    {"keyword_seed_min": 3},
    {"keyword_seed_weight": 1.0},
    {"category_docs": False},
    {"pos_balance": 3.0},
    {"features": {"title_weight": 1.0}},
    {"features": {"title_weight": 3.0}},
    {"features": {"ngram_max": 1}},
    {"features": {"max_features": 20_000}},
    {"features": {"max_features": 150_000}},
    {"features": {"sublinear_tf": False}},
    {"features": {"category_weight": 0.0}},
    {"features": {"category_weight": 2.0}},
    {"background_weight": 0.0},
    {"background_weight": 10.0},
    {"keyword_prior": 0.0},
    {"similarity_n0": 0.0},
    {"similarity_n0": 3000.0},
    {"pool_sim_drop": 1.0},
    {"pool_sim_drop": 0.3},
]


def sweep(data: Data) -> None:
    """One change at a time from the defaults, on an inner split that never sees the test period:
    train 2025-03..05, validate on labelled papers of 2025-06..08. This is how the defaults were chosen."""
    split = make_split(data, "2025-03", "2025-06", "2025-09")
    print("inner split: train 2025-03..05, validate 2025-06..08 (AP all = grade 2 vs 0, both strata)")
    print(f"{'change from defaults':58s}{'warm AP':>9s}{'AP strm':>9s}{'read@95':>9s}{'cold AP':>9s}{'AP strm':>9s}")
    for change in SWEEP:
        ch = dict(change)
        feats = replace(FeatureParams(), **ch.pop("features", {}))
        p = replace(TrainParams(), features=feats, **ch)
        w = report(split, train(split.warm, p).score(split.test_docs), DEFAULT_THRESHOLD)
        c = report(split, train(split.cold, p).score(split.test_docs), DEFAULT_THRESHOLD)
        print(
            f"{json.dumps(change) if change else '(defaults)':58s}{w['ap']:9.3f}{w['ap_stream']:9.3f}{w['read95']:9.3f}"
            f"{c['ap']:9.3f}{c['ap_stream']:9.3f}",
            flush=True,
        )


POOL_SIZES = (10, 30, 100, 1000)
POOL_DRAWS = 5
OLD_RECIPE = {"background_weight": 0.0, "pool_sim_drop": 1.0, "similarity_n0": 0.0, "keyword_prior": 0.0}


def small_pools(data: Data, split: Split, kw: dict) -> None:
    """Cold start on the first crawl of a new user: seed catalog + a random pool of n stream papers (listed
    before the test period), mean over draws. "previous recipe" switches off the small-pool measures."""
    print(
        f"\ncold start with a small pool (catalog + n random stream papers, mean of {POOL_DRAWS} draws; "
        f"keyword filter AP {kw['ap']:.3f}, read@95 {kw['read95']:.1%})"
    )
    print("  '>=0.5' = share of the test-period stream scoring >= 0.5 (nominal 1%: the small-pool calibration's error)")
    print(
        f"{'pool size':>10s}{'AP all':>9s}{'AP strm':>9s}{'read@95':>9s}{'R@5%':>8s}{'>=0.5':>8s}   previous recipe: "
        f"{'AP all':>7s}{'read@95':>9s}"
    )
    pool = split.cold.pool
    later = [d for d, date in data.stream if "2025-09" <= date[:7] < "2026-01"]
    later = [later[i] for i in np.random.default_rng(7).choice(len(later), 3000, replace=False)]
    for n in POOL_SIZES:
        new, old = [], []
        for draw in range(POOL_DRAWS):
            rng = np.random.default_rng(1000 + draw)
            sub = [pool[i] for i in np.sort(rng.choice(len(pool), n, replace=False))]
            ts = replace(split.cold, pool=sub)
            model = train(ts)
            new.append(report(split, model.score(split.test_docs), DEFAULT_THRESHOLD))
            new[-1]["share50"] = float(np.mean(model.score(later) >= 0.5))
            old.append(
                report(split, train(ts, replace(TrainParams(), **OLD_RECIPE)).score(split.test_docs), DEFAULT_THRESHOLD)
            )
        m = lambda rs, k: float(np.mean([r[k] for r in rs]))  # noqa: E731
        print(
            f"{n:10d}{m(new, 'ap'):9.3f}{m(new, 'ap_stream'):9.3f}{m(new, 'read95'):9.3f}{m(new, 'r5'):8.3f}"
            f"{m(new, 'share50'):8.2%}"
            f"   {'':17s}{m(old, 'ap'):7.3f}{m(old, 'read95'):9.3f}",
            flush=True,
        )


WEEKLY_ITEMS = 6_250  # arXiv cs.LG+AI+CL+NE+AR+PL daily RSS: ~1,000-1,500 items, 5 listings a week


def thresholds(data: Data, split: Split, model) -> None:
    """What a threshold costs and finds on the later period: share of the whole test-period stream at or
    above it (-> candidates a week at WEEKLY_ITEMS), and recall of grade-2 papers (random stratum = the
    stream's own rate; all = both strata)."""
    later = [d for d, date in data.stream if "2025-09" <= date[:7] < "2026-01"]
    s_stream = model.score(later)
    s_test = model.score(split.test_docs)
    g = np.array([r["grade"] for r in split.test_rows])
    rnd = np.array([r["stratum"] == "random" for r in split.test_rows])
    print(f"\nthreshold (warm model) on the test-period stream ({len(later)} papers, 2025-09..12)")
    print(
        f"{'threshold':>10s}{'nominal':>9s}{'actual':>9s}{'per week':>10s}{'recall strm':>13s}{'recall all':>12s}"
        f"{'prec strm':>11s}"
    )
    for t in (0.25, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6):
        share = float(np.mean(s_stream >= t))
        r_str = float(np.mean(s_test[rnd & (g == 2)] >= t))
        r_all = float(np.mean(s_test[g == 2] >= t))
        sel = rnd & (s_test >= t)
        prec = float(np.mean(g[sel] == 2)) if sel.any() else float("nan")
        print(
            f"{t:10.2f}{10 ** (-4 * t):9.2%}{share:9.2%}{share * WEEKLY_ITEMS:10.0f}{r_str:13.3f}{r_all:12.3f}"
            f"{prec:11.3f}"
        )


def run(data: Data, with_footprint: bool) -> None:
    split = make_split(data, "2025-03", "2025-09", "2026-01")
    ts, thr = split.warm, DEFAULT_THRESHOLD
    print(
        f"train: {len(ts.positives)} positives ({len(split.cold.positives)} catalog), {len(ts.negatives)} negatives, "
        f"pool {len(ts.pool)} (stream 2025-03..08, labelled papers removed); test 2025-09..12"
    )
    rows: list[tuple[str, dict]] = []
    kw = report(split, keyword_scores(split.test_docs), 1.0)
    rows.append(("keyword filter (>=1 hit)", kw))
    rows.append(("TF-IDF + naive Bayes (ASReview default)", report(split, naive_bayes(ts, split.test_docs), 0.0)))
    rows.append(("arxiv-sanity-lite (1-2g TF-IDF + SVM)", report(split, arxiv_sanity(ts, split.test_docs), 0.0)))
    timings, models = {}, {}
    for name, tset in (
        ("rsiwatch warm", ts),
        ("rsiwatch warm + curated lists", replace(ts, positives=ts.positives + split.curated)),
        ("rsiwatch cold (catalog + pool)", split.cold),
    ):
        t0 = time.perf_counter()
        model = train(tset)
        timings[name] = time.perf_counter() - t0
        models[name] = model
        rows.append((name, report(split, model.score(split.test_docs), thr)))
    print(
        f"test 'all': {rows[0][1]['n_all']} papers, {rows[0][1]['pos_all']} grade-2; "
        f"'stream' (random stratum): {rows[0][1]['n_stream']} papers, {rows[0][1]['pos_stream']} grade-2"
    )
    print(f"threshold columns: rsiwatch at DEFAULT_THRESHOLD={thr}, keyword >=1 hit, NB/SVM at 0\n")
    print_table(rows)
    best = max(rows[:3], key=lambda r: r[1]["ap"])
    warm, cold = rows[3][1], rows[5][1]
    print("\ngoals")
    goal = lambda ok: "MET" if ok else "NOT MET"  # noqa: E731
    ratio = warm["ap"] / best[1]["ap"]
    print(
        f"  warm AP / best baseline AP ({best[0]}): {warm['ap']:.3f} / {best[1]['ap']:.3f} = {ratio:.2f}x  (goal >= "
        f"1.15x) {goal(ratio >= 1.15)}"
    )
    print(
        f"  warm share of stream read for 95% recall: {warm['read95']:.1%}  (goal <= 20%) "
        f"{goal(warm['read95'] <= 0.20)}"
        f"   [arxiv-sanity {rows[2][1]['read95']:.1%}, keyword {kw['read95']:.1%}]"
    )
    ratio_c = cold["ap"] / kw["ap"]
    print(
        f"  cold AP / keyword AP: {cold['ap']:.3f} / {kw['ap']:.3f} = {ratio_c:.2f}x  (goal >= 1.2x) "
        f"{goal(ratio_c >= 1.2)}"
    )
    print(f"  cold share of stream read for 95% recall: {cold['read95']:.1%}")
    print("  training time on this split: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    small_pools(data, split, kw)
    thresholds(data, split, models["rsiwatch warm"])
    if with_footprint:
        out = subprocess.run([sys.executable, __file__, "--footprint"], capture_output=True, text=True, check=True)
        fp = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"  75k stream ({fp['n_stream']} items): training {fp['train_s']:.1f}s (goal < 60s) "
            f"{goal(fp['train_s'] < 59.95)}; "
            f"scoring {fp['score_per_s']:,.0f} items/s one core (goal >= 5,000) {goal(fp['score_per_s'] >= 5000)}; "
            f"with explanations {fp['explain_per_s']:,.0f} items/s"
        )
        print(
            f"  peak memory {fp['peak_rss_mb']:.0f} MB incl. the loaded stream ({fp['rss_before_train_mb']:.0f} MB "
            "before "
            f"training) (goal < 1500 MB) {goal(fp['peak_rss_mb'] < 1500)}; model blob {fp['blob_mb']:.1f} MB"
        )


if __name__ == "__main__":
    main()
