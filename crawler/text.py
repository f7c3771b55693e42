"""Untrusted markup from the web reduced to short, plain, printable text.

Titles and summaries are shown on the review page and fed to the classifier; neither wants tags,
scripts, control characters or a 100 kB title.  lxml rather than BeautifulSoup here: a feed of 10,000
items must parse in well under a second per thousand.
"""

from __future__ import annotations

import re

import lxml.etree
import lxml.html

TITLE_MAX = 1_000
SUMMARY_MAX = 20_000
NAME_MAX = 200

# C0/C1 controls (tab, newline and CR become spaces later), lone surrogates, non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
# HTML tags that turn up in feeds declaring plain text; ``<xml>`` or ``x<y`` in a title stay as written.
_TAG_LIKE = re.compile(
    r"<\s*/?\s*(?:script|style|img|iframe|frame|svg|object|embed|a|b|i|u|em|strong|p|div|span|br|sup|sub|"
    r"code|math|link|meta|base|form|input|button|video|audio|source|table|h[1-6])\b",
    re.IGNORECASE,
)
_BLOCK_TAGS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 tr td th table blockquote pre section article header footer "
    "figure figcaption dd dt dl hr aside nav main".split()
)


# Elements whose content is code or a drawing, never prose: dropped with everything inside.
_SKIPPED = ("script", "style", "noscript", "template", "iframe", "object", "svg", "math")


def html_to_text(markup: str) -> str:
    """Markup reduced to its text: skipped elements dropped, block elements spaced, entities decoded.
    The one HTML-to-text rule: feeds on the way in (``clean_text``) and the review page on the way out."""
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return markup
    lxml.etree.strip_elements(root, *_SKIPPED, with_tail=False)
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = " " + (element.tail or "")
            element.text = " " + (element.text or "")
    return str(root.text_content())


_ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")


def looks_like_markup(value: str) -> bool:
    """Whether text holds a common HTML tag or an entity: ``Kernels & <Compilers>`` is text, not markup."""
    return ("<" in value and _TAG_LIKE.search(value) is not None) or (
        "&" in value and _ENTITY.search(value) is not None
    )


def clean_text(value: str | None, limit: int, *, html: bool = True) -> str:
    """Plain text: HTML stripped, control characters dropped, whitespace collapsed, at most ``limit``
    characters.  ``html=False`` (text the feed declares plain) still loses anything that looks like a
    common HTML tag: a "plain" title of ``<img onerror=...>`` is an attack or a mislabel, not a title."""
    if not value:
        return ""
    value = value[: limit * 10 + 1000]
    if not value.isprintable():  # printable text holds none of _CONTROL's characters (a C-speed check)
        value = _CONTROL.sub(" ", value)
    if (html and ("<" in value or "&" in value)) or ("<" in value and _TAG_LIKE.search(value)):
        value = html_to_text(value)
        if _TAG_LIKE.search(value):  # markup escaped twice ("&lt;script&gt;" in an HTML field) is markup too
            value = html_to_text(value)
        value = _CONTROL.sub(" ", value)
    text = " ".join(value.split())
    return text[:limit].rstrip()
