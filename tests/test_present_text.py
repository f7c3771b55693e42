"""What a paper's text, the score filter and the accept form's date look like to the curator (issue 16).

LaTeX from arXiv is rendered as text by one function (``readable_text``) used by the review page, the
digest and the terminal review; prices and percent signs from newsletters come through untouched; broken
LaTeX stays as it was; the result is still escaped wherever it is shown.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from rich.console import Console

from classifier import Scored
from crawler.items import Item
from rsiwatch.present.latex import _rendered, latex_to_text
from rsiwatch.present.text import (
    EntryError,
    entry_from_form,
    entry_prefill,
    error_field,
    highlight_html,
    readable_text,
    score_range,
    work_date,
)
from rsiwatch.review.digest import build_digest, to_html, to_markdown
from rsiwatch.review.tui import review_terminal
from rsiwatch.store import Store, iso_ago

# (raw, as the curator should read it): each row a case, adding a regression is adding a row.
CASES = [
    (r"$\alpha$-Zero", "α-Zero"),
    (r"\texttt{x} and \emph{y}", "x and y"),
    (r"50% of $O(n \log n)$ time", "50% of O(n log n) time"),
    (r"$k$-means with $\mathcal{O}(n^2)$ cost", "k-means with 𝒪(n^2) cost"),
    (r"Na\"ive R\'enyi entropy", "Naïve Rényi entropy"),
    (r"\textbf{\emph{nested}} macros", "nested macros"),
    (r"see \url{https://example.org}.", "see https://example.org."),
    (r"\href{https://example.org}{the code}", "the code"),
    (r"{\em old style} too", "old style too"),
    (r"escapes: \% \& \_ \$ \#", "escapes: % & _ $ #"),
    (r"\unknownmacro{kept} words", "kept words"),
    (r"$\leq$ 3 and $\times$ 2", "≤ 3 and × 2"),
    (r"A \LaTeX{} paper", "A LaTeX paper"),
    # Not LaTeX: prices, percent signs, plain text.
    ("raised $5 and $10 million", "raised $5 and $10 million"),
    ("costs $100M; 30% of it", "costs $100M; 30% of it"),
    ("plain title", "plain title"),
    # Plain text that is not HTML stays as written, angle brackets and ampersands included.
    ("Kernels & <Compilers>: when a model writes them", "Kernels & <Compilers>: when a model writes them"),
    ("x<y and a <T> template", "x<y and a <T> template"),
    ("<b>bold</b> &amp; <i>it</i>", "bold & it"),  # real markup still goes
    ("نموذج لغوي يكتب نوى <CUDA>", "نموذج لغوي يكتب نوى <CUDA>"),
    # Broken LaTeX stays as written.
    (r"$\frac{1}{2", r"$\frac{1}{2"),
    (r"\textbf{unclosed", r"\textbf{unclosed"),
    (r"$x^{2$ oops", r"$x^{2$ oops"),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_readable_text(raw: str, expected: str) -> None:
    assert readable_text(raw) == expected


def test_readable_text_reads_html_first_and_stays_escaped_on_the_page() -> None:
    text = readable_text(r"<p>\texttt{&lt;script&gt;alert(1)&lt;/script&gt;} $\beta$</p>")
    assert text == "<script>alert(1)</script> β"
    assert str(highlight_html(text, ["β"])) == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>β</mark>"


def test_latex_never_raises_and_is_cached() -> None:
    rng = random.Random(16)
    alphabet = "\\${}^_%&#~'\"`abcdefxyz \\alpha\\frac\\texttt\\begin\\end"
    for _ in range(2000):
        garbage = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60)))
        assert isinstance(latex_to_text(garbage), str)
    before = _rendered.cache_info().hits
    assert latex_to_text(r"$\gamma$ twice") == latex_to_text(r"$\gamma$ twice") == "γ twice"
    assert _rendered.cache_info().hits == before + 1


def test_the_digest_and_the_terminal_show_latex_as_text(tmp_path: Path) -> None:
    db = tmp_path / "candidates.db"
    with Store(db) as store:
        store.sources.ensure_sources([("arxiv-ml", "arxiv_rss", None)])
        store.works.ingest("arxiv-ml", [Item("arxiv:2603.01234", r"$\alpha$-Compile: \texttt{opt} passes",
                                       r"We tune \emph{LLVM} passes. More.", "https://arxiv.org/abs/2603.01234",
                                       key="k")])
        store.scores.record_scores(
            1,
            [
                Scored(
                    id="arxiv:2603.01234",
                    score=0.9,
                    category=None,
                    category_confidence=0.5,
                    category_fits=False,
                    why=[],
                    nearest=[],
                )
            ],
            {"arxiv:2603.01234": 0.3},
        )
        store.decisions.decide("arxiv:2603.01234", "defer")
        digest = build_digest(store, iso_ago(7 * 86400))
        out = io.StringIO()
        review_terminal(store, stream=io.StringIO("q"), console=Console(file=out, width=100), status="deferred")
    markdown, html = to_markdown(digest), to_html(digest)
    assert "α-Compile: opt passes" in markdown and "\\texttt" not in markdown
    assert "α-Compile: opt passes" in html
    assert "α-Compile: opt passes" in out.getvalue() and "We tune LLVM passes." in out.getvalue()


# ---- the score filter --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "expected", "problem"),
    [
        ("0.99", "", (0.99, None), None),
        ("0", "1", (0.0, 1.0), None),
        ("0.123", "0.5", (0.123, 0.5), None),
        ("", "", (None, None), None),
        ("0.9", "0.5", (0.9, 0.5), "minimum score 0.9 is above the maximum 0.5"),
        ("abc", "0.5", (None, 0.5), "minimum score 'abc' is not a number from 0 to 1"),
        ("0.2", "1.5", (0.2, None), "maximum score '1.5' is not a number from 0 to 1"),
        ("nan", "", (None, None), "'nan' is not a number from 0 to 1"),
    ],
)
def test_score_range(low: str, high: str, expected: tuple, problem: str | None) -> None:
    parsed = score_range(low, high)
    assert (parsed.low, parsed.high) == expected
    if problem is None:
        assert parsed.problems == ()
    else:
        assert len(parsed.problems) == 1 and problem in parsed.problems[0]


# ---- the accept form's date ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("work", "expected"),
    [
        ({"id": "arxiv:2501.10000", "published": "2025-01-03T00:00:00Z"}, (2025, "2025-01-03")),
        # A revision announced years later, or a newsletter's date: the arXiv id names the paper's month.
        ({"id": "arxiv:2101.04808", "published": "2026-03-02T00:00:00Z"}, (2021, "2021-01")),
        ({"id": "arxiv:2412.00001", "published": "2025-01-02T00:00:00Z"}, (2024, "2024-12")),
        ({"id": "arxiv:cs/9912001"}, (1999, "1999-12")),
        (
            {
                "id": "url:https://blog.example/p",
                "published": "2024-05-06T00:00:00Z",
                "first_seen": "2026-12-02T10:00:00Z",
            },
            (2024, "2024-05-06"),
        ),
        ({"id": "url:https://blog.example/p", "first_seen": "2026-12-02T10:00:00Z"}, (2026, None)),
        (
            {"id": "url:https://blog.example/p", "published": "0000-00-00", "first_seen": "2026-12-02T10:00:00Z"},
            (2026, None),
        ),
    ],
)
def test_work_date(work: dict, expected: tuple) -> None:
    assert work_date(work) == expected
    drafted = entry_prefill({"title": "T", **work})
    assert (drafted["year"], drafted["date_published"]) == expected
    assert (
        entry_from_form({k: str(v or "") for k, v in drafted.items() if k != "flags"}, work["id"])["year"]
        == expected[0]
    )


def test_an_entry_error_names_its_field() -> None:
    with pytest.raises(EntryError) as caught:
        entry_from_form({"title": "T", "year": "20x6"}, "arxiv:2101.04808")
    assert caught.value.field == "year"
    assert error_field("date_published: expected YYYY-MM-DD") == "date_published"
    assert error_field("something else went wrong: here") is None


@pytest.mark.parametrize(
    ("summary", "first"),
    [
        ("A model writes its kernels. They beat cuBLAS.", "A model writes its kernels."),
        ("自己対局で定理証明器を学習する。人間の証明は使わない。", "自己対局で定理証明器を学習する。"),
        ("本当に速いのか？速い。", "本当に速いのか？"),
        ("速い！とても。", "速い！"),
        ("Kernels & <Compilers>: a study. More.", "Kernels & <Compilers>: a study."),
        # Scripts without capitals (a walk found an Arabic summary drafted whole as the description):
        ("يكتب النموذج نوى GPU. النتائج أسرع من النوى المكتوبة يدويًا.", "يكتب النموذج نوى GPU."),
        ("هل يحسن النموذج نفسه؟ نعم، بالتعلم المعزز.", "هل يحسن النموذج نفسه؟"),
        ("המודל כותב את הגרעינים שלו. התוצאות מהירות יותר.", "המודל כותב את הגרעינים שלו."),
        ("मॉडल अपने कर्नेल लिखता है। परिणाम तेज़ हैं।", "मॉडल अपने कर्नेल लिखता है।"),
        ("As in e.g. self-play. Then more.", "As in e.g. self-play."),  # a lower-case word goes on
    ],
)
def test_the_drafted_description_is_the_first_sentence_in_any_script(summary: str, first: str) -> None:
    work = {"id": "url:https://example.org/x", "title": "t", "summary": summary}
    assert entry_prefill(work)["description"] == first
