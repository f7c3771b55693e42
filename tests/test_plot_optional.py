"""`tune --plot` and the Stats tab's chart after README's install, where matplotlib (an extra) may be missing:
the command says in one line how to get it, and the Stats tab shows the page without a 500.  matplotlib is
hidden here (``sys.modules['matplotlib'] = None``), so the test shows this whatever is installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import write_config
from review_fixtures import make_config, populate

from rsiwatch.review.web import create_app
from rsiwatch.store import Store

BASE = "http://127.0.0.1:8765"
HIDE = "import sys; sys.modules['matplotlib'] = None; sys.modules['matplotlib.figure'] = None; "


def _reviewed(db: Path) -> list[str]:
    ids = populate(db, 12)
    with Store(db) as store:
        for n, work_id in enumerate(ids[:8]):
            store.decisions.decide(work_id, "reject" if n % 2 else "defer")
        store.decisions.accept(ids[8], {"work_id": ids[8], "title": "T", "description": "D."})
    return ids


def test_the_stats_tab_without_matplotlib_says_how_to_get_the_chart(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "candidates.db"
    _reviewed(db)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    client = create_app(make_config(tmp_path), db).test_client()
    page = client.get("/stats", base_url=BASE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "pip install &#39;rsiwatch[plot]&#39;" in html and "tune-plot" not in html
    chart = client.get("/stats/tune.png", base_url=BASE)
    assert chart.status_code == 404 and "rsiwatch[plot]" in chart.get_data(as_text=True)


@pytest.mark.slow
def test_tune_plot_without_matplotlib_says_how_to_get_it_in_one_line(tmp_path: Path) -> None:
    write_config(tmp_path / "config.yaml", [])
    _reviewed(tmp_path / "candidates.db")
    code = HIDE + "from rsiwatch.cli import main; sys.argv = ['rsiwatch', 'tune', '--plot', 'tune.png']; main()"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "pip install 'rsiwatch[plot]'" in line and "tune.png" in line
    assert not (tmp_path / "tune.png").exists()
