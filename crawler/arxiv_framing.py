"""arXiv's listing framing, recognised in the document itself (not from the host that served it).

arXiv's RSS and Atom listings (since January 2024) declare the ``http://arxiv.org/schemas/atom`` namespace,
carry ``<arxiv:announce_type>`` per entry and start each description ``arXiv:2401.01234v2 Announce Type:
new Abstract: ...``.  A mirror, a proxy or a saved file serves the same bytes from another address, so the
kind of document is read from those bytes; and that framing is taken off any summary that carries it,
whatever source it came from, so it never becomes a description.
"""

from __future__ import annotations

import re

SNIFF_BYTES = 256 * 1024  # the first entries say it; a listing is not read to the end to decide
_ANNOUNCE_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?announce_type[\s>]")
_ANNOUNCE_LINE = re.compile(rb"arXiv:\s*\S+\s+Announce\s+Type:\s*[A-Za-z-]+", re.IGNORECASE)
_PREFIX = re.compile(
    r"^\s*arXiv:\s*(?P<id>\S+?)\s+Announce\s+Type:\s*(?P<type>[A-Za-z\-]+)\s*(?:Abstract:\s*)?", re.IGNORECASE
)


def is_arxiv_listing(body: bytes) -> bool:
    """Whether a feed document is an arXiv listing: announce-type elements, or descriptions framed
    ``arXiv:ID Announce Type: ...`` (an arXiv API result has the namespace but neither)."""
    head = body[:SNIFF_BYTES]
    return bool(_ANNOUNCE_ELEMENT.search(head) or _ANNOUNCE_LINE.search(head))


def split_abstract(text: str) -> tuple[str | None, str | None, str]:
    """``arXiv:2401.01234v2 Announce Type: new Abstract: X`` -> (``2401.01234v2``, ``new``, ``X``)."""
    match = _PREFIX.match(text or "")
    if not match:
        return None, None, text
    return match.group("id"), match.group("type").lower(), text[match.end():].strip()


def strip_framing(text: str) -> str:
    """A summary without arXiv's ``arXiv:ID Announce Type: T Abstract:`` framing (unchanged without it)."""
    return split_abstract(text)[2]
