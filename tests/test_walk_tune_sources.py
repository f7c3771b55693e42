"""The second user walk of issue 23: `tune`'s per-source table on the default config, whose
``arxiv-kernels-compilers`` (23 characters) pushed its row one column out of line under a fixed width."""

from __future__ import annotations

from rsiwatch.commands_tune import source_table


def row(name: str, threshold: float = 0.5) -> dict[str, object]:
    return {"source": name, "threshold": threshold, "candidates": 18, "accepted_share": None, "recall": None,
            "recall_low": None, "recall_high": None, "audited": 0}


def test_every_row_lines_up_under_the_header_whatever_the_name_length() -> None:
    names = ["arxiv-ml", "arxiv-kernels-compilers", "a-source-name-of-thirty-chars-"]
    header, *rows = source_table([row(n) for n in names])
    threshold_ends = header.index("threshold") + len("threshold")
    candidates_ends = header.index("candidates") + len("candidates")
    for line, name in zip(rows, names, strict=True):
        assert line.startswith(f"  {name} ")
        assert line[:threshold_ends].endswith("0.500") and line[threshold_ends] == " "
        assert line[:candidates_ends].endswith(" 18")
