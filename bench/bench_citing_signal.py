"""How strong a signal "cites N catalog entries" is, measured offline with the one proxy the shared data
allows: an abstract that *names* a catalog system (AlphaZero, FunSearch, AutoML-Zero, ...).

The labelled 2025 sample (../shared/data/dev_labelled.jsonl) has titles and abstracts but no reference
lists, so real citations cannot be counted here; a work naming a catalog system in its abstract almost
certainly cites it, so naming is a lower bound on citing (most citations go unnamed in an abstract).
Precision of the works naming 0, 1, 2+ systems is set against the base rate of the random stratum.

    .venv/bin/python bench/bench_citing_signal.py
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT.parent / "shared" / "data" / "dev_labelled.jsonl"
SEED = ROOT / "rsiwatch" / "seed" / "catalog_seed.csv"
# Names too common to mean the catalog entry (a company, an English word).
AMBIGUOUS = {"Google", "NVIDIA", "Anthropic", "Lion", "PRIME", "APE", "STaR", "Eureka"}


def system_names() -> list[str]:
    """The short names before a seed title's colon (``AlphaZero: ...``), the distinctive ones."""
    names = []
    for row in csv.DictReader(SEED.open(encoding="utf-8")):
        head = row["title"].split(":")[0].strip()
        if len(head.split()) <= 3 and head not in AMBIGUOUS:
            names.append(head)
    return sorted(set(names))


def main() -> int:
    if not LABELLED.exists():
        print("../shared/data/dev_labelled.jsonl is not present", file=sys.stderr)
        return 1
    patterns = [re.compile(r"(?<![\w-])" + re.escape(n) + r"(?![\w-])") for n in system_names()]
    rows = [json.loads(line) for line in LABELLED.open(encoding="utf-8")]
    groups: dict[str, list[int]] = {"0": [], "1": [], "2+": []}
    for r in rows:
        text = f"{r['title']} {r['summary']}"
        named = sum(1 for p in patterns if p.search(text))
        groups["0" if named == 0 else "1" if named == 1 else "2+"].append(int(r["label"]))
    random = [int(r["label"]) for r in rows if r["stratum"] == "random"]
    print(f"{len(patterns)} catalog systems by name; {len(rows)} labelled papers (both strata)")
    print(f"base rate (random stratum): {sum(random) / len(random):.1%} of {len(random)}")
    for key, labels in groups.items():
        share = f"{sum(labels) / len(labels):.1%}" if labels else "-"
        print(f"naming {key:>2} catalog systems: {len(labels):5d} papers, precision {share}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
