"""Imports run one way, downwards (README, "Layout"): the contracts in pyproject.toml, checked by
import-linter on every test run, and shown to bite on a deliberate wrong-way import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True)


def test_the_import_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_way_import_breaks_the_contracts(tmp_path: Path) -> None:
    """A copy of the tree in which the crawler imports the store: lint-imports must refuse it."""
    copy = tmp_path / "tree"
    for name in ("crawler", "classifier", "rsiwatch"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    ids = copy / "crawler" / "ids.py"
    ids.write_text(ids.read_text() + "\nfrom rsiwatch.store import Store  # noqa: E402,F401\n")
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=copy, capture_output=True, text=True,
        env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "crawler.ids -> rsiwatch.store" in result.stdout


def test_the_published_site_may_not_import_the_review_app(tmp_path: Path) -> None:
    """The review app and the published site are independent siblings: either importing the other breaks."""
    copy = tmp_path / "tree"
    for name in ("crawler", "classifier", "rsiwatch"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    public = copy / "rsiwatch" / "site" / "public.py"
    public.write_text(public.read_text() + "\nfrom rsiwatch.review.web import create_app  # noqa: E402,F401\n")
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=copy, capture_output=True, text=True,
        env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "rsiwatch.site.public -> rsiwatch.review.web" in result.stdout
