"""Review-page test data: a candidates.db filled through the real Store API (ingest, record_scores).

Scores are recorded with simple objects carrying the fields of ``classifier.Scored``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from classifier import Scored
from crawler.items import Item
from rsiwatch.config import Config, parse_config
from rsiwatch.store import Store

CATEGORIES = (
    "training-data-self-play", "architecture-algorithm-search", "feedback-evaluation-alignment", "compilers-kernels",
    "prompt-agent-optimization", "hardware-design", "coding-assistance", "infrastructure-datacenter",
    "research-automation",
)
TOPICS = [
    ("Self-play reinforcement learning for theorem provers", "self-play", "training-data-self-play"),
    ("Evolutionary neural architecture search at scale", "architecture search", "architecture-algorithm-search"),
    ("Reward models trained from AI feedback", "AI feedback", "feedback-evaluation-alignment"),
    ("LLM-generated CUDA kernels beat cuBLAS", "GPU kernels", "compilers-kernels"),
    ("Automatic prompt optimisation with language models", "prompt optimisation", "prompt-agent-optimization"),
    ("Reinforcement learning for chip floorplanning", "chip floorplanning", "hardware-design"),
    ("Code assistants inside an AI lab", "code assistants", "coding-assistance"),
    ("Learned data-centre cooling control", "data-centre cooling", "infrastructure-datacenter"),
    ("An AI scientist writes machine learning papers", "research agents", "research-automation"),
    ("Learned optimizers discovered by program search", "learned optimizers", "architecture-algorithm-search"),
]

SCRIPT = "<script>alert('xss-title')</script>"
IMG = '<img src=x onerror="alert(1)">'
HOSTILE = [
    Item(
        "url:https://evil.example/post-1",
        f"{SCRIPT} self-play {IMG}",
        '<p>Summary <svg onload="alert(2)"></svg><script>alert(3)</script> with <a '
        'href="javascript:alert(4)">link</a></p>'
        '<iframe src="https://evil.example"></iframe> &lt;script&gt;alert(5)&lt;/script&gt;',
        "javascript:alert('url')",
        key="evil-1",
        authors=(SCRIPT, "Eve <b onmouseover=alert(6)>"),
        links=("javascript:alert(7)", "data:text/html,<script>alert(8)</script>", "https://github.com/evil/repo"),
        via='"><script>alert(9)</script>',
    ),
    Item(
        "url:https://evil.example/post-2",
        '"><img src=x onerror=alert(10)> architecture search',
        "Plain text with \x1b[31mterminal escapes\x1b[0m and \u202eright-to-left override",
        "  JaVaScRiPt:alert(11)",
        key="evil-2",
        links=("java\tscript:alert(12)", "//evil.example/x"),
    ),
]


def make_config(tmp_path: Path, **review: Any) -> Config:
    lines = ["review:", f"  export_dir: {tmp_path / 'exports'}"] + [f"  {k}: {v}" for k, v in review.items()]
    return parse_config("\n".join(lines) + "\n")


def populate(db: Path, n: int = 24, *, hostile: bool = False) -> list[str]:
    """Fill ``db`` with ``n`` queued candidates (best first: descending scores); returns their ids in order."""
    items_a, items_b, scored = [], [], []
    for i in range(n):
        title, phrase, category = TOPICS[i % len(TOPICS)]
        work_id = f"arxiv:2501.{10000 + i:05d}"
        item = Item(
            work_id,
            f"{title} ({i})",
            f"We study {phrase} as a way for AI to improve AI development. Experiments show gains over "
            f"human-designed baselines on benchmark {i}. Code is released.",
            f"https://arxiv.org/abs/2501.{10000 + i:05d}",
            key=f"key-{i}",
            published=f"2025-01-{1 + i % 28:02d}T00:00:00Z",
            authors=(f"Author {i}", "Second Author"),
            links=(f"https://github.com/lab/project-{i}",),
        )
        (items_a if i % 2 == 0 else items_b).append(item)
        why = [(phrase.lower().split()[0], 0.42), ("ai", 0.12), ("benchmark", -0.05)]
        scored.append(
            Scored(
                id=work_id,
                score=round(0.95 - i * 0.02, 4),
                category=category,
                category_confidence=0.8,
                category_fits=True,
                why=why,
                nearest=[("AlphaGo Zero: self-play", 0.41), ("Neural architecture search", 0.33)],
            )
        )
    if hostile:
        for j, item in enumerate(HOSTILE):
            scored.append(
                Scored(
                    id=item.canonical_id,
                    score=0.99 - j * 0.001,
                    category="\"><script>alert('cat')</script>",
                    category_confidence=0.5,
                    category_fits=False,
                    why=[("<script>", 0.3), ("self-play", 0.2)],
                    nearest=[(IMG, 0.5)],
                )
            )
    with Store(db) as store:
        store.sources.ensure_sources(
            [("arxiv-ml", "arxiv_rss", "https://rss.arxiv.org/rss/cs.LG"), ("import-ai", "feed", None)]
        )
        if items_a:
            store.works.ingest("arxiv-ml", items_a)
        if items_b:
            store.works.ingest("import-ai", items_b)
        if items_a:
            store.works.ingest("import-ai", items_a[:3])  # some works seen by two sources
        if hostile:
            store.works.ingest("<b>evil-source</b>", HOSTILE)
        store.scores.record_scores(1, scored, {s.id: 0.35 for s in scored})
    return [s.id for s in sorted(scored, key=lambda s: (-s.score, s.id))]
