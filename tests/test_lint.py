"""ruff and mypy in the test command, as import-linter is (tests/test_layers.py): the configuration is in
pyproject.toml, the findings stay at zero, and the type checker is shown to see a call on the store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / tool), *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_library_function_is_too_complex_to_follow() -> None:
    """radon's cyclomatic complexity: no function of the library above 20 (grade D and worse), so each one
    reads as one stage; a function that grows past it is split where it does two things."""
    result = run("radon", "cc", "--min", "D", "--show-complexity", "rsiwatch", "crawler", "classifier")
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_finds_nothing() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_sees_a_misspelt_call_on_the_store(tmp_path: Path) -> None:
    """What the old ``__getattr__`` facade let through: a misspelt method and a wrong argument type."""
    caller = tmp_path / "caller.py"
    caller.write_text(
        "from rsiwatch.store import Store\n\n\n"
        "def use(store: Store) -> None:\n"
        "    store.acept('arxiv:2401.00001', {})\n"
        "    store.decisions.accept(42, {})\n"
    )
    result = run("mypy", "--config-file", str(ROOT / "pyproject.toml"), str(caller))
    assert result.returncode == 1, result.stdout
    assert '"Store" has no attribute "acept"' in result.stdout
    assert 'Argument 1 to "accept" of "Decisions" has incompatible type "int"' in result.stdout
