"""The quick loop (`pytest -m "not slow and not browser"`, docs/development.md) leaves out every test that
drives Chromium: a test module that asks for the ``browser`` fixture, calls ``playwright_or_skip`` or imports
Playwright carries ``pytestmark = pytest.mark.browser``.  Read from the source, so it costs no browser."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def browser_fixtures(conftest: ast.Module) -> set[str]:
    """``browser`` and every conftest fixture that asks for it, directly or through another."""
    takes = {
        node.name: {arg.arg for arg in node.args.args}
        for node in conftest.body if isinstance(node, ast.FunctionDef)
    }
    names = {"browser"}
    while grown := {name for name, args in takes.items() if args & names} - names:
        names |= grown
    return names


def drives_chromium(module: ast.Module, fixtures: set[str]) -> bool:
    for node in ast.walk(module):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if {arg.arg for arg in node.args.args} & fixtures:
                return True
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "playwright_or_skip":
            return True
        elif isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "playwright" for alias in node.names):
            return True
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "playwright":
            return True
    return False


def module_marks(module: ast.Module) -> set[str]:
    """The mark names in a module-level ``pytestmark = pytest.mark.x`` or ``[pytest.mark.x, ...]``."""
    marks: set[str] = set()
    for node in module.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            values = node.value.elts if isinstance(node.value, ast.List | ast.Tuple) else [node.value]
            marks |= {v.attr for v in values if isinstance(v, ast.Attribute)}
    return marks


def unmarked_browser_modules(folder: Path) -> list[str]:
    fixtures = browser_fixtures(ast.parse((folder / "conftest.py").read_text()))
    unmarked = []
    for path in sorted(folder.glob("test_*.py")):
        text = path.read_text()
        if not any(word in text for word in (*fixtures, "playwright")):
            continue  # parsed only where a name it looks for is written
        module = ast.parse(text)
        if drives_chromium(module, fixtures) and "browser" not in module_marks(module):
            unmarked.append(path.name)
    return unmarked


def test_every_module_that_drives_chromium_is_marked_browser() -> None:
    assert unmarked_browser_modules(TESTS) == []


def test_the_check_finds_a_module_without_the_mark(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef browser(): ...\n\n@pytest.fixture\ndef page(browser): ...\n"
    )
    (tmp_path / "test_marked.py").write_text(
        "import pytest\n\npytestmark = [pytest.mark.browser, pytest.mark.slow]\n\ndef test_a(browser): ...\n"
    )
    (tmp_path / "test_through_a_fixture.py").write_text("def test_a(page): ...\n")
    (tmp_path / "test_by_hand.py").write_text("from browser_support import playwright_or_skip\nplaywright_or_skip()\n")
    (tmp_path / "test_imports.py").write_text("from playwright.sync_api import sync_playwright\n")
    (tmp_path / "test_no_browser.py").write_text("def test_a(tmp_path): ...\n")
    assert unmarked_browser_modules(tmp_path) == ["test_by_hand.py", "test_imports.py", "test_through_a_fixture.py"]
