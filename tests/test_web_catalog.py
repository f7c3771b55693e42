"""Catalog CSV: import then export gives back the same rows (the public list's columns plus Category)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from rsiwatch.catalog.formats import PUBLIC_COLUMNS, parse_catalog, to_csv
from rsiwatch.catalog.load import import_entries
from rsiwatch.store import Store

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
        return to_csv(store.catalog.entries())


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


def edit_client(tmp_path: Path, *, imported: bool = True):
    from review_fixtures import make_config

    from rsiwatch.review.web import create_app

    if imported:
        with Store(tmp_path / "candidates.db") as store:
            import_entries(store, parse_catalog(EXPORTED, "test.csv"), origin="import")
    client = create_app(make_config(tmp_path), tmp_path / "candidates.db").test_client()
    page = client.get("/catalog", base_url=BASE).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client, token, page


def entry_form(token: str, **fields: str) -> dict[str, str]:
    form = {"csrf_token": token, "title": "MLGO", "description": "Learned inlining heuristics inside LLVM.",
            "category": "compilers-kernels", "url": "https://arxiv.org/abs/2101.04808", "year": "2021",
            "date_published": "2021-01-13", "authors": "Trofin et al.", "affiliations": "Google", "submitter": "",
            "deployed_in_production": "on"}
    return {**form, **fields}


BASE = "http://127.0.0.1:8765"


def test_editing_an_entry_changes_the_export_and_keeps_the_old_values(tmp_path: Path) -> None:
    client, token, page = edit_client(tmp_path)
    assert 'action="/catalog/3"' in page and '<option value="compilers-kernels" selected>' in page
    answer = client.post("/catalog/3", base_url=BASE, headers={"Origin": BASE},
                         data=entry_form(token, title="MLGO: learned inlining in LLVM", authors="Trofin, M. et al."))
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/catalog?edited=3#entry-3")
    assert "Saved entry 3" in client.get("/catalog?edited=3", base_url=BASE).get_data(as_text=True)
    with Store(tmp_path / "candidates.db") as store:
        entry = store.catalog.catalog_entry(3)
        assert entry["title"] == "MLGO: learned inlining in LLVM" and entry["authors"] == "Trofin, M. et al."
        assert entry["flags"] == ["deployed_in_production"] and entry["work_id"] == "arxiv:2101.04808"
        (edit,) = store.catalog.catalog_edits(3)
        assert edit["before"] == {"title": "MLGO", "authors": "Trofin et al."}
        assert edit["after"] == {"title": "MLGO: learned inlining in LLVM", "authors": "Trofin, M. et al."}
        exported = to_csv(store.catalog.entries())
    assert exported == EXPORTED.replace(",Trofin et al.,", ",\"Trofin, M. et al.\",").replace(
        "compilers-kernels,MLGO,", "compilers-kernels,MLGO: learned inlining in LLVM,")
    # The same form again changes nothing and logs nothing.
    client.post("/catalog/3", base_url=BASE, headers={"Origin": BASE},
                data=entry_form(token, title="MLGO: learned inlining in LLVM", authors="Trofin, M. et al."))
    with Store(tmp_path / "candidates.db") as store:
        assert len(store.catalog.catalog_edits(3)) == 1


def test_a_bad_edit_or_a_forged_one_changes_nothing(tmp_path: Path) -> None:
    client, token, _ = edit_client(tmp_path)
    bad = client.post("/catalog/3", base_url=BASE, headers={"Origin": BASE}, data=entry_form(token, category="poetry"))
    assert bad.status_code == 400 and "category" in bad.get_data(as_text=True)
    empty = client.post("/catalog/3", base_url=BASE, headers={"Origin": BASE}, data=entry_form(token, title=""))
    assert empty.status_code == 400 and "title: required" in empty.get_data(as_text=True)
    forged = client.post("/catalog/3", base_url=BASE, headers={"Origin": BASE}, data=entry_form("not-the-token", title="x"))
    assert forged.status_code == 403
    missing = client.post("/catalog/99", base_url=BASE, headers={"Origin": BASE}, data=entry_form(token))
    assert missing.status_code == 404
    with Store(tmp_path / "candidates.db") as store:
        assert store.catalog.catalog_entry(3)["title"] == "MLGO" and store.catalog.catalog_edits(3) == []
        import sqlite3

        import pytest

        store.catalog.catalog_edit(3, {**store.catalog.catalog_entry(3), "title": "changed"}, origin="test")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.conn.execute("DELETE FROM catalog_edits")


def test_editing_the_published_version_keeps_the_entrys_other_columns(tmp_path: Path) -> None:
    # An imported spreadsheet's extra columns (Notes) sit in the entry's extra beside the published
    # version's (Venue, DOI, Code). The edit form shows the published version's as fields; saving the
    # form sets those as sent (an emptied field removes its column) and keeps every other column.
    sheet = EXPORTED.replace("Title,Flags\n", "Title,Flags,Venue,Notes\n", 1).replace(
        ",MLGO,deployed_in_production\n", ",MLGO,deployed_in_production,CGO 2021,from the 2022 sheet\n")
    with Store(tmp_path / "candidates.db") as store:
        import_entries(store, parse_catalog(sheet, "sheet.csv"), origin="import")
        assert store.catalog.catalog_entry(3)["extra"] == {"Venue": "CGO 2021", "Notes": "from the 2022 sheet"}
    client, token, page = edit_client(tmp_path, imported=False)
    form_3 = page[page.index('action="/catalog/3"'):]
    assert 'name="published_venue" maxlength="500" dir="auto" value="CGO 2021"' in form_3[:form_3.index("</form>")]
    answer = client.post("/catalog/3", base_url=BASE, headers={"Origin": BASE}, data=entry_form(
        token, published_venue="", published_doi="10.1109/CGO51591.2021.9370335", code_url="https://github.com/google/ml-compiler-opt"))
    assert answer.status_code == 303
    with Store(tmp_path / "candidates.db") as store:
        assert store.catalog.catalog_entry(3)["extra"] == {
            "Notes": "from the 2022 sheet", "DOI": "10.1109/CGO51591.2021.9370335",
            "Code": "https://github.com/google/ml-compiler-opt"}
        (edit,) = store.catalog.catalog_edits(3)
        assert json.loads(edit["before"]["extra"]) == {"Venue": "CGO 2021", "Notes": "from the 2022 sheet"}
