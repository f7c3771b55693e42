"""A small stream for first-hour tests: an RSS feed of arXiv-like papers on a real local server.

Some titles are about AI improving AI development, most are ordinary machine learning, as in a real
arXiv listing; every item links to its own arXiv id, so each is one work.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from cli_support import run_cli, write_config

RELEVANT = [
    "Language model agents write faster GPU kernels for their own training",
    "Neural architecture search with evolutionary program synthesis",
    "Self-play generates the training data for a theorem prover",
    "Reward models trained on AI feedback replace human raters",
    "An AI research agent automates hyperparameter studies end to end",
    "Reinforcement learning places macros in accelerator chip floorplans",
]
ORDINARY = [
    "Gaussian splatting for real-time urban scene rendering",
    "A benchmark for multilingual legal question answering",
    "Graph neural networks for molecular property prediction",
    "Diffusion models for medical image segmentation",
    "Federated learning with differential privacy for mobile keyboards",
    "Sparse attention for long document summarisation",
    "Contrastive pretraining for satellite imagery",
    "Uncertainty estimates for weather forecasting networks",
]


def arxiv_id(i: int) -> str:
    return f"2611.{10000 + i:05d}"


def items(n: int) -> list[tuple[str, str, str]]:
    """(arXiv id, title, summary) for ``n`` papers, one in four about AI improving AI."""
    out = []
    for i in range(n):
        pool = RELEVANT if i % 4 == 0 else ORDINARY
        title = f"{pool[i % len(pool)]} (study {i})"
        summary = f"{title}. We report experiments on benchmark {i} and release code for study {i}."
        out.append((arxiv_id(i), title, summary))
    return out


def rss(n: int) -> bytes:
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>https://arxiv.org/abs/{i}</link>"
        f"<description>{escape(s)}</description><guid isPermaLink=\"false\">oai:arXiv.org:{i}v1</guid>"
        "<pubDate>Mon, 23 Nov 2026 00:00:00 -0500</pubDate></item>"
        for i, t, s in items(n)
    )
    return (
        "<?xml version='1.0' encoding='UTF-8'?><rss version=\"2.0\"><channel><title>papers</title>"
        f"<link>https://example.org/</link><description>a listing</description>{entries}</channel></rss>"
    ).encode()


def crawled_project(tmp_path: Path, server, n: int = 40, **config) -> Path:
    """``rsiwatch init`` and one ``crawl`` of an ``n``-paper feed: a new user's first hour."""
    server.add("/papers.rss", body=rss(n), headers={"Content-Type": "application/rss+xml"})
    write_config(tmp_path / "config.yaml", [{"name": "papers", "kind": "feed", "url": server.url + "/papers.rss",
                                              "every": "1d"}], **config)
    run_cli("init", cwd=tmp_path)
    run_cli("crawl", cwd=tmp_path)
    return tmp_path
