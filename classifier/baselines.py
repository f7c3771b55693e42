"""A hand-written keyword filter: the baseline every learned ranking must beat.

It is what a curator would write on day one without a model: a list of phrases for the four kinds of
"AI improving AI" as the catalog's rules define it. Score = number of distinct phrases matched, a title match
counting double. Kept in the package (not the benchmark) so tests can check the model against it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .docs import Doc

KEYWORDS: tuple[str, ...] = (
    # (a) training data and signal
    r"self[- ]play", r"synthetic (training )?data", r"self[- ]generated", r"data synthesis", r"self[- ]instruct",
    r"self[- ]improv\w*", r"self[- ]rewarding", r"self[- ]training", r"data (filtering|selection|curation)",
    r"curriculum", r"generated (training )?data", r"self[- ]evolv\w*", r"bootstrap\w*",
    # feedback, judges, evaluation
    r"ai feedback", r"rlaif", r"reward model\w*", r"llm[- ]as[- ]a[- ]judge", r"llm judges?", r"judge models?",
    r"red[- ]teaming", r"automated interpretability", r"critique\w*", r"constitutional",
    # (b) design of models, algorithms, prompts, agents
    r"neural architecture search", r"\bnas\b", r"automl", r"architecture search", r"learned optimi[sz]er\w*",
    r"algorithm discovery", r"discover\w* (new )?algorithms?", r"evolutionary search", r"program search",
    r"prompt optimi[sz]ation", r"automatic prompt", r"agent design", r"self[- ]modifying", r"meta[- ]learn\w*",
    r"hyperparameter optimi[sz]ation",
    # (c) compute stack
    r"compiler", r"gpu kernels?", r"cuda kernels?", r"kernel generation", r"tensor program", r"auto[- ]?tun\w*",
    r"chip design", r"floorplan\w*", r"placement", r"accelerator design", r"verilog", r"\brtl\b",
    r"data ?cent(er|re)", r"cluster scheduling",
    # (d) AI research and engineering
    r"ai scientist", r"research agents?", r"automated (ml|machine learning) research", r"ml engineering agents?",
    r"automat\w* (scientific )?research", r"ai research",
)


def _required_literal(pattern: str) -> str:
    """Longest plain word every match must contain: a cheap substring test skips most regex searches."""
    s = re.sub(r"\([^()]*\)\??", " ", pattern)  # groups (optional or alternatives)
    s = re.sub(r"\[[^\]]*\]\??", " ", s)  # character classes
    s = re.sub(r"\\[a-zA-Z][*+?]?", " ", s)  # \b, \w*
    s = re.sub(r".\?", " ", s)  # optional characters
    return max(re.findall(r"[a-z]+", s), key=len, default="")


_PATTERNS = [(re.compile(k), _required_literal(k)) for k in KEYWORDS]


def _hits(text: str) -> set[int]:
    text = text.lower()
    return {i for i, (p, lit) in enumerate(_PATTERNS) if lit in text and p.search(text)}


def keyword_scores(docs: Sequence[Doc]) -> np.ndarray:
    """Distinct phrases matched per doc, a phrase found in the title counting twice."""
    out = np.zeros(len(docs))
    for i, d in enumerate(docs):
        in_title = _hits(d.title or "")
        out[i] = 2 * len(in_title) + len(_hits(d.summary or "") - in_title)
    return out


def keyword_prior(feature_names: Sequence[str]) -> np.ndarray:
    """1.0 for every feature (word or bigram) that one of the keyword phrases matches, else 0: the list
    as a linear weight vector, so it can join a model without a second pass over the text."""
    out = np.zeros(len(feature_names), dtype=np.float32)
    for i, name in enumerate(feature_names):
        if _hits(name):
            out[i] = 1.0
    return out
