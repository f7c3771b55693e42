"""The second user walk of issue 23, the Catalog tab: a curator's spreadsheet with columns of its own
(Venue, Notes, DOI, Code, Reviewer) imported with the real command, one entry edited in Chromium without
JavaScript (the published-version fields prefilled, Code cleared), then exported again: nothing lost, and
the spreadsheet's columns where they were.  And the import's summary counts flagged rows, not warnings.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from browser_support import playwright_or_skip, serve
from cli_support import run_cli

pytestmark = [pytest.mark.browser, pytest.mark.slow]
sync_api = playwright_or_skip()
expect = sync_api.expect
expect.set_options(timeout=15_000)  # generous: the machine may be busy

HEADER = ["ID", "Description", "Source", "Date Published", "Authors", "Author Affiliations", "Submitter", "Category",
          "Title", "Venue", "Notes", "DOI", "Code", "Reviewer"]
ROWS = [
    ["200", "Kernels written by a model.", "https://arxiv.org/abs/2401.00001", "2024-01-05", "A. Author", "Lab", "ann",
     "compilers-kernels", "Kernel paper", "ICML 2024", "check, later", "10.1000/xyz", "https://github.com/x/y", "bob"],
    # one row breaking two rules (an unknown category, 30 February): one flagged row, two warnings
    ["201", "Unknown category row.", "https://arxiv.org/abs/2401.00002", "2024-02-30", "B. Author", "", "", "made-up",
     "Other paper", "", "note2", "", "", ""],
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("sheet")
    run_cli("init", cwd=folder)
    sheet = folder / "sheet.csv"
    with sheet.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER, *ROWS])
    imported = run_cli("catalog", "import", str(sheet), cwd=folder)
    return folder, imported.stderr + imported.stdout


def exported(folder: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    text = run_cli("catalog", "export", "--format", "csv", cwd=folder).stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    return next(csv.reader(io.StringIO(text))), {r["ID"]: r for r in rows}


def test_the_import_summary_counts_a_row_breaking_two_rules_once(project: tuple[Path, str]) -> None:
    _, said = project
    assert "row 3: category 'made-up' is not one of" in said and "row 3: date published '2024-02-30'" in said
    assert "2 added, 0 updated, 0 unchanged, 0 renumbered, 1 flagged" in said


def test_editing_an_imported_entry_keeps_its_columns_and_their_order(
    project: tuple[Path, str], tmp_path: Path, browser: Any
) -> None:
    folder, _ = project
    columns_before, before = exported(folder)
    assert columns_before[-5:] == ["Venue", "Notes", "DOI", "Code", "Reviewer"]
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 667})
    try:
        page = context.new_page()
        for base in serve(tmp_path, folder / "candidates.db"):
            page.goto(base + "/catalog")
            row = page.locator("tr#entry-200")
            row.locator("summary").click()
            form = row.locator("form")
            expect(form.locator('[name="published_venue"]')).to_have_value("ICML 2024")
            expect(form.locator('[name="published_doi"]')).to_have_value("10.1000/xyz")
            expect(form.locator('[name="code_url"]')).to_have_value("https://github.com/x/y")
            form.locator('[name="code_url"]').fill("")
            form.get_by_role("button", name="Save entry 200").click()
            expect(page.locator("p.saved")).to_contain_text("Saved entry 200")
    finally:
        context.close()
    columns, after = exported(folder)
    # The cleared Code was the only one: its column goes; the others stay where the spreadsheet had them.
    assert columns[-4:] == ["Venue", "Notes", "DOI", "Reviewer"] and "Code" not in columns
    assert after["200"]["Venue"] == "ICML 2024" and after["200"]["DOI"] == "10.1000/xyz"
    assert after["200"]["Notes"] == "check, later" and after["200"]["Reviewer"] == "bob"
    assert after["201"] == {k: v for k, v in before["201"].items() if k != "Code"}
    entries = json.loads(run_cli("catalog", "export", "--format", "json", cwd=folder).stdout)
    [edited] = [e for e in entries if e["id"] == 200]
    assert list(edited["extra"]) == ["Venue", "Notes", "DOI", "Reviewer"]
