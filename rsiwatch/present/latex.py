"""LaTeX in paper titles and abstracts (``$\\alpha$``, ``\\texttt{x}``, ``Na\\"ive``) as readable text.

arXiv metadata is written in LaTeX, newsletters are not: a dollar sign may be a price and a percent sign
is a percent, never a comment.  So only the pieces that are unmistakably LaTeX (a ``$...$`` span that holds
math, a ``\\macro{...}``, an accent, an escaped character) go through pylatexenc's LaTeX-to-text; the text
between them is left as it is.  A piece pylatexenc cannot read stays raw.  The result is plain text:
callers escape it like any other text from the web.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pylatexenc import latex2text, latexwalker
from pylatexenc.macrospec import MacroSpec

# Text-mode macros pylatexenc knows the arguments of but would drop, or does not know at all.
_KEEP_ARGUMENT = ("texttt", "textsf", "textup", "textnormal", "textrm", "mbox", "hbox", "text", "url", "mathtt")
_MAX_PIECE = 400  # longer spans are not LaTeX worth reading: left raw (and the parser never sees them)

_BRACED = r"\{(?:[^{}]|\{[^{}]*\})*\}"  # one level of nesting: \textbf{\emph{x}}
_PIECE = re.compile(
    rf"\$\$[^$]{{1,{_MAX_PIECE}}}\$\$"  # display math
    + rf"|\$[^$]{{1,{_MAX_PIECE}}}\$"  # inline math (checked by _is_math)
    + r"|\\[A-Za-z]+\*?(?:\s*" + _BRACED + r")*"  # \macro and its braced arguments
    + r"|\\['\"^`~=.uvHcdbr](?:\{[A-Za-z]?\}|[A-Za-z])"  # accents: \'e, \"{o}
    + r"|\\[%$&_#{}]"  # escaped characters
    + r"|\{\\(?:em|bf|it|tt|sc|rm|sf|sl)\s[^{}]*\}"  # old-style {\em x}
)
_MATH_SIGNS = re.compile(r"[\\^_{}]")
_ESCAPED = "%$&_#{}"


def _is_math(body: str) -> bool:
    """``$x$``, ``$\\alpha$``, ``$O(n^2)$`` are math; ``$5 and $`` (two prices) is not."""
    if _MATH_SIGNS.search(body):
        return True
    return not re.search(r"\s", body) and not body[0].isdigit()


def _keep_arguments(node: Any, l2tobj: Any) -> str:
    return "".join(l2tobj.nodelist_to_text([arg]) for arg in node.nodeargd.argnlist if arg is not None)


def _converter() -> tuple[Any, Any]:
    walker_db = latexwalker.get_default_latex_context_db()
    walker_db.add_context_category(
        "rsiwatch", prepend=True,
        macros=[MacroSpec("href", "{{"), MacroSpec("url", "{"), *(MacroSpec(m, "{") for m in _KEEP_ARGUMENT)],
    )
    text_db = latex2text.get_default_latex_context_db()
    text_db.add_context_category(
        "rsiwatch", prepend=True,
        macros=[latex2text.MacroTextSpec("href", "%(2)s"), latex2text.MacroTextSpec("LaTeX", "LaTeX"),
                latex2text.MacroTextSpec("TeX", "TeX"),
                *(latex2text.MacroTextSpec(m, "%s") for m in _KEEP_ARGUMENT)],
    )
    # An unknown macro keeps what it wraps (\foo{word} -> word) rather than vanishing with it.
    text_db.set_unknown_macro_spec(latex2text.MacroTextSpec("", _keep_arguments))
    return walker_db, latex2text.LatexNodes2Text(latex_context=text_db, math_mode="text")


_WALKER_DB, _TO_TEXT = _converter()


@lru_cache(maxsize=8192)  # the same pieces ($\alpha$, \emph{...}) come back across papers
def _piece_to_text(piece: str) -> str:
    if len(piece) == 2 and piece[1] in _ESCAPED:  # \% and the like, the commonest piece by far
        return piece[1]
    if piece.startswith("$") and not piece.startswith("$$") and not _is_math(piece[1:-1]):
        return piece
    try:
        nodes, _, _ = latexwalker.LatexWalker(piece, latex_context=_WALKER_DB, tolerant_parsing=False).get_latex_nodes()
        text = _TO_TEXT.nodelist_to_text(nodes)
    except Exception:
        return piece
    return " ".join(text.split())


def latex_to_text(text: str) -> str:
    """``text`` with its LaTeX pieces rendered as Unicode text; text without LaTeX comes back unchanged."""
    if "\\" not in text and "$" not in text:
        return text
    return _rendered(text)


@lru_cache(maxsize=8192)  # a page shows the same abstracts again on every load
def _rendered(text: str) -> str:
    return _PIECE.sub(lambda m: _piece_to_text(m.group(0)), text)
