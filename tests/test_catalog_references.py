"""The catalog for reference managers (issue 25): BibTeX, RIS and CSL-JSON from `catalog export` and from
`publish`, read back by the libraries reference managers use (bibtexparser, pybtex, rispy, citeproc-py)
and, where Debian's bibtool is installed, by bibtool."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import bibtexparser
import pybtex.database
import pytest
import rispy
from cli_support import run_cli
from pylatexenc.latex2text import LatexNodes2Text

from rsiwatch.catalog.references import citation_key, family_given, split_authors
from rsiwatch.store import Store

HOSTILE_TITLE = "Kernels & <Compilers>: 100% of $x_1$ #hash ~tilde \\backslash"
# Braces and carets have no escape every decoder reads back: they are written as LaTeX's text commands.
UNBALANCED = "{unbalanced ^caret"
ARABIC = "محمد العلي"
JAPANESE = "山田 太郎"


@pytest.fixture(scope="module")
def catalog_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`init` (the seed catalog), then an import that adds entries with hostile text and long bylines."""
    folder = tmp_path_factory.mktemp("refs")
    run_cli("init", cwd=folder)
    sheet = folder / "more.csv"
    rows = [
        [
            "ID",
            "Description",
            "Source",
            "Date Published",
            "Authors",
            "Author Affiliations",
            "Submitter",
            "Category",
            "Title",
        ],
        [
            "500",
            f"A {ARABIC} description; with & and %. {UNBALANCED}",
            "https://arxiv.org/abs/2501.00001v2",
            "2025-03-21",
            f"Ada Lovelace, Alan Turing and {JAPANESE}",
            "",
            "",
            "training-data-self-play",
            HOSTILE_TITLE,
        ],
        [
            "501",
            "Semicolon bylines keep Last, First.",
            "https://doi.org/10.1234/ABC.5",
            "April 2023",
            "Lovelace, Ada; Turing, Alan",
            "",
            "",
            "architecture-algorithm-search",
            "A DOI paper",
        ],
        [
            "502",
            "Cut bylines say so.",
            "https://example.org/post?utm_source=x",
            "2016",
            "Silver et al.",
            "",
            "",
            "training-data-self-play",
            "A blog post",
        ],
    ]
    with sheet.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    run_cli("catalog", "import", str(sheet), cwd=folder)
    return folder


def catalog_of(folder: Path) -> list[dict]:
    with Store(folder / "candidates.db") as store:
        return store.catalog.entries()


def export(folder: Path, fmt: str) -> str:
    return run_cli("catalog", "export", "--format", fmt, cwd=folder).stdout


def test_split_authors_reads_bylines_as_curators_write_them() -> None:
    assert split_authors("Ada Lovelace, Alan Turing and Grace Hopper").names == (
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
    )
    assert split_authors("Lovelace, Ada; Turing, Alan").names == ("Lovelace, Ada", "Turing, Alan")
    cut = split_authors("D. Silver, A. Huang et al.")
    assert cut.names == ("D. Silver", "A. Huang") and cut.truncated
    assert split_authors("Silver et al").names == ("Silver",)
    assert split_authors(None).names == () and split_authors("  ").names == ()
    assert family_given("Lovelace, Ada") == {"family": "Lovelace", "given": "Ada"}
    assert family_given("Ada King Lovelace") == {"family": "Lovelace", "given": "Ada King"}
    assert family_given("DeepMind") == {"literal": "DeepMind"}


@pytest.mark.slow
def test_bibtex_reads_back_whole_in_bibtexparser_and_pybtex(catalog_folder: Path) -> None:
    entries = catalog_of(catalog_folder)
    text = export(catalog_folder, "bibtex")
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    keys = [e.key for e in library.entries]
    assert keys == [citation_key(e) for e in entries] and len(set(keys)) == len(entries)
    parsed = pybtex.database.parse_string(text, "bibtex")  # strict: unbalanced braces raise
    assert len(parsed.entries) == len(entries)

    hostile = parsed.entries["rsiwatch500:2501.00001"]
    assert LatexNodes2Text().latex_to_text(hostile.fields["title"]) == HOSTILE_TITLE
    assert hostile.fields["annote"].endswith(r"\textbraceleft{}unbalanced \textasciicircum{}caret")
    assert hostile.fields["eprint"] == "2501.00001" and hostile.fields["archiveprefix"] == "arXiv"
    assert (hostile.fields["year"], hostile.fields["month"]) == ("2025", "3")
    assert [str(p) for p in hostile.persons["author"]] == [
        "Lovelace, Ada",
        "Turing, Alan",
        f"{JAPANESE.split()[1]}, {JAPANESE.split()[0]}",
    ]
    doi_entry = parsed.entries["rsiwatch501"]
    assert doi_entry.fields["doi"] == "10.1234/abc.5"
    assert [p.last_names for p in doi_entry.persons["author"]] == [["Lovelace"], ["Turing"]]
    cut = parsed.entries["rsiwatch502"]
    assert [str(p) for p in cut.persons["author"]] == ["Silver", "others"]
    assert "utm_source" not in cut.fields.get("url", "") or cut.fields["url"].startswith("https://example.org")


@pytest.mark.skipif(shutil.which("bibtool") is None, reason="Debian's bibtool is not installed")
@pytest.mark.slow
def test_bibtool_reads_the_bibtex_without_a_complaint(catalog_folder: Path, tmp_path: Path) -> None:
    path = tmp_path / "catalog.bib"
    path.write_text(export(catalog_folder, "bibtex"), encoding="utf-8")
    proc = subprocess.run(["bibtool", "-q", "-s", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "***" not in proc.stderr, proc.stderr
    assert proc.stdout.count("@") == len(catalog_of(catalog_folder))


@pytest.mark.slow
def test_ris_reads_back_in_rispy_with_authors_split(catalog_folder: Path) -> None:
    records = rispy.loads(export(catalog_folder, "ris"))
    entries = catalog_of(catalog_folder)
    assert [r["id"] for r in records] == [citation_key(e) for e in entries]
    by_id = {r["id"]: r for r in records}
    first = by_id["rsiwatch500:2501.00001"]
    assert first["title"] == HOSTILE_TITLE
    assert first["authors"] == ["Ada Lovelace", "Alan Turing", JAPANESE]
    assert first["urls"] == ["https://arxiv.org/abs/2501.00001v2"] and first["year"] == "2025"
    assert ARABIC in first["notes"][0]
    assert by_id["rsiwatch501"]["doi"] == "10.1234/abc.5"
    assert by_id["rsiwatch501"]["authors"] == ["Lovelace, Ada", "Turing, Alan"]


@pytest.mark.slow
def test_csljson_renders_a_bibliography_in_citeproc(catalog_folder: Path) -> None:
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    items = json.loads(export(catalog_folder, "csljson"))
    entries = catalog_of(catalog_folder)
    assert [i["id"] for i in items] == [citation_key(e) for e in entries]
    first = next(i for i in items if i["id"] == "rsiwatch500:2501.00001")
    assert first["issued"] == {"date-parts": [[2025, 3, 21]]} and first["number"] == "2501.00001"
    assert first["author"][0] == {"family": "Lovelace", "given": "Ada"}

    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = [str(line) for line in bibliography.bibliography()]
    assert len(rendered) == len(items)
    assert any("Lovelace" in line and "2025" in line for line in rendered)


@pytest.mark.slow
def test_keys_are_stable_as_the_catalog_grows(catalog_folder: Path, tmp_path: Path) -> None:
    before = export(catalog_folder, "bibtex")
    assert export(catalog_folder, "bibtex") == before  # same catalog, same bytes
    for name in ("config.yaml", "candidates.db"):
        shutil.copyfile(catalog_folder / name, tmp_path / name)
    sheet = tmp_path / "one.csv"
    sheet.write_text("ID,Description,Source\n600,One more.,https://arxiv.org/abs/2502.00002\n", encoding="utf-8")
    run_cli("catalog", "import", str(sheet), cwd=tmp_path)
    after = bibtexparser.parse_string(export(tmp_path, "bibtex"))
    old_keys = [e.key for e in bibtexparser.parse_string(before).entries]
    assert [e.key for e in after.entries][: len(old_keys)] == old_keys
    assert after.entries[-1].key == "rsiwatch600:2502.00002"


@pytest.mark.slow
def test_the_published_site_offers_the_same_bytes(catalog_folder: Path, tmp_path: Path) -> None:
    for name in ("config.yaml", "candidates.db"):
        shutil.copyfile(catalog_folder / name, tmp_path / name)
    run_cli("publish", "--out", "site", cwd=tmp_path)
    site = tmp_path / "site"
    assert (site / "catalog.bib").read_text(encoding="utf-8") == export(tmp_path, "bibtex")
    assert (site / "catalog.ris").read_text(encoding="utf-8") == export(tmp_path, "ris")
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="catalog.bib"' in index and 'href="catalog.ris"' in index
