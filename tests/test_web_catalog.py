"""Catalog CSV: import then export gives back the same rows (the public list's columns plus Category)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from review.catalog import PUBLIC_COLUMNS, parse_catalog, to_csv
from review.catalog_store import import_entries
from review.store import Store

EXPORTED = """ID,Description,Source,Date Published,Authors,Author Affiliations,Submitter,Category,Title,Flags
1,"AlphaGo Zero learns Go by self-play, with no human games.",https://www.nature.com/articles/nature24270,2017-10-18,"Silver, D.; Schrittwieser, J.",DeepMind,curator,training-data-self-play,AlphaGo Zero,
2,"Reinforcement learning designs the floorplans of TPU chips, ""in hours"".",https://arxiv.org/abs/2004.10746,2021,Mirhoseini et al.,Google,curator,hardware-design,Chip placement with deep RL,company_reported;disputed
3,Learned inlining heuristics inside LLVM.,https://arxiv.org/abs/2101.04808,2021-01-13,Trofin et al.,Google,,compilers-kernels,MLGO,deployed_in_production
"""

SPREADSHEET = """ID,Description,Source,Date Published,Authors,Author Affiliations,Submitter,Category
7,Neural architecture search with reinforcement learning. Controllers propose nets.,https://arxiv.org/abs/1611.01578,2016-11-05,Zoph and Le,Google Brain,someone,architecture-algorithm-search
8,Copilot-style code assistants used by AI engineers.,https://github.blog/2021-06-29-introducing-github-copilot-ai-pair-programmer/,2021,,GitHub,someone,coding-assistance
"""


def roundtrip(tmp_path: Path, text: str) -> str:
    with Store(tmp_path / "candidates.db") as store:
        import_entries(store, parse_catalog(text, "test.csv"), origin="import")
        return to_csv(store.catalog())


def test_export_reimports_to_the_same_text(tmp_path: Path) -> None:
    assert roundtrip(tmp_path, EXPORTED) == EXPORTED


def test_curators_spreadsheet_keeps_its_rows(tmp_path: Path) -> None:
    exported = roundtrip(tmp_path, SPREADSHEET)
    columns = [*PUBLIC_COLUMNS, "Category"]
    before = [{c: r[c] for c in columns} for r in csv.DictReader(io.StringIO(SPREADSHEET))]
    after = [{c: r[c] for c in columns} for r in csv.DictReader(io.StringIO(exported))]
    assert after == before
    again = tmp_path / "again"
    again.mkdir()
    assert roundtrip(again, exported) == exported
