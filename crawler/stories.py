"""Newsletter issues cut into stories, so one relevant story is not buried in an issue about twenty things.

Import AI, Last Week in AI, The Batch, Interconnects and alike write an issue as a run of stories, each
opened by a heading or a bold lead ("**Title.** text", a list item starting in bold) and followed by
paragraphs with links.  Each story with a link of its own becomes an ``Item`` whose ``via`` is the issue:
its work is the paper it links (arXiv or DOI) when it links one, else its main link.  An issue that does
not look like several stories stays one item.  Pure: HTML text in, ``Item``s out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag

from crawler.feed import entry_to_item, http_url, is_html, parse_document
from crawler.ids import canonical_id, canonical_url, find_references, id_to_url
from crawler.items import Item, first_per_key
from crawler.text import SUMMARY_MAX, TITLE_MAX, clean_text

MAX_STORIES = 100
MAX_LINKS = 20
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCKS = frozenset({"p", "li", "blockquote", "pre", "figure", "dd", "dt", "table"}) | _HEADINGS
_SKIPPED = frozenset({"script", "style", "img", "iframe", "svg", "noscript", "template", "form", "button"})
_BOLD = frozenset({"strong", "b"})
# Bold leads that continue a story rather than open one (Import AI's "Why this matters", "Read more"...).
_CONTINUATION = re.compile(
    r"^\W*(why (this|it) matters|read (more|the|it)|get (the|it)|check (it )?out|find out|more (info|details|here)|"
    r"paper|code|link|source|via|related|also|results?|what (they|it) did|what it means|details|context|"
    r"background|the (paper|code|results?|catch)|project page|blog|discussion|plus|bonus|note|update|tl;?dr|"
    r"takeaways?|key (points?|findings?)|how it works|findings|caveats?|meanwhile|quote|watch|listen|try it)\b",
    re.IGNORECASE,
)
# Links that belong to the newsletter's furniture, not to a story.
_FURNITURE = re.compile(
    r"/(subscribe|share|comments?|account|unsubscribe|signup|sign-up|login|about)\b|[?&]action=share", re.I
)
_SHARE_HOSTS = frozenset(
    {"twitter.com", "x.com", "facebook.com", "www.facebook.com", "linkedin.com", "www.linkedin.com"}
)


@dataclass
class _Story:
    title: str = ""
    title_links: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)  # HTML of the story's blocks, title block included
    body_text: list[str] = field(default_factory=list)


def _blocks(node: Tag) -> Iterator[Tag]:
    """Block elements in document order; containers are opened, blocks are not (a list item is one block)."""
    for child in node.children:
        if not isinstance(child, Tag):
            continue
        name = child.name.lower() if child.name else ""
        if name in _BLOCKS or name == "hr":
            yield child
        elif name not in _SKIPPED:
            yield from _blocks(child)  # containers (div, section, ul...) and stray inline wrappers


def _lead(block: Tag) -> Tag | None:
    """The bold element that opens a block (``<p><strong>..`` or ``<li><p><strong>..``), if any."""
    node: Tag = block
    for _ in range(3):
        first = next((c for c in node.children if not (isinstance(c, NavigableString) and not c.strip())), None)
        if not isinstance(first, Tag):
            return None
        name = first.name.lower()
        if name in _BOLD:
            return first
        if name in ("a", "p", "span"):
            inner = next((c for c in first.children if not (isinstance(c, NavigableString) and not c.strip())), None)
            if isinstance(inner, Tag) and inner.name.lower() in _BOLD and name != "p":
                return first
            node = first
            continue
        return None
    return None


def _links(element: Tag, base: str, issue: str) -> list[str]:
    out = []
    for anchor in element.find_all("a", href=True):
        link = http_url(str(anchor.get("href")), base)
        if not link or _is_furniture(link, issue):
            continue
        out.append(link)
    return out


def _is_furniture(link: str, issue: str) -> bool:
    parts = urlsplit(link)
    host = (parts.hostname or "").lower()
    if host in _SHARE_HOSTS and ("intent" in parts.path or "share" in parts.path):
        return True
    if canonical_url(link) == canonical_url(issue):
        return True
    return bool(_FURNITURE.search(parts.path + ("?" + parts.query if parts.query else "")))


def _opens_story(block: Tag) -> tuple[bool, Tag | None]:
    """Whether ``block`` starts a story, and the element holding the story's title."""
    name = block.name.lower()
    if name in _HEADINGS:
        return True, block
    if name not in ("p", "li"):
        return False, None
    lead = _lead(block)
    if lead is None:
        return False, None
    text = " ".join(lead.get_text(" ").split())
    if len(text) < 3 or _CONTINUATION.match(text):
        return False, None
    whole = " ".join(block.get_text(" ").split())
    if name == "li" or len(text) >= 0.8 * len(whole):
        return True, lead  # a list item led in bold, or a paragraph that is all title
    return len(text.split()) >= 3, lead


def _text(element: Tag) -> str:
    return clean_text(str(element), SUMMARY_MAX)


def _only_furniture(block: Tag, issue: str) -> bool:
    anchors = [a for a in block.find_all("a", href=True)]
    if not anchors:
        return False
    links = [http_url(str(a.get("href")), issue) for a in anchors]
    return all(link is None or _is_furniture(link, issue) for link in links)


def cut_stories(content: str, issue_url: str) -> list[_Story]:
    """The issue's stories, in order (before they are given ids)."""
    soup = BeautifulSoup(content, "lxml")
    root = soup.body or soup
    stories: list[_Story] = []
    current: _Story | None = None
    for block in _blocks(root):
        if block.name.lower() == "hr":
            current = None
            continue
        if _only_furniture(block, issue_url):
            continue  # share buttons, "leave a comment", "subscribe"
        opens, title_el = _opens_story(block)
        if opens or current is None:
            current = _Story()
            stories.append(current)
            if title_el is not None:
                current.title = clean_text(title_el.get_text(" "), TITLE_MAX, html=False).rstrip(":.-–— ")
                current.title_links = _links(title_el, issue_url, issue_url)
                if title_el is block:
                    current.parts.append(str(block))
                    continue
                rest = _text(block)
                lead_text = _text(title_el)
                current.body_text.append(
                    rest[len(lead_text) :].lstrip(" :.-–—") if rest.startswith(lead_text) else rest
                )
                current.parts.append(str(block))
                continue
        current.parts.append(str(block))
        current.body_text.append(_text(block))
        if len(stories) > MAX_STORIES:
            break
    return stories[:MAX_STORIES]


def split_stories(content: str, issue: Item) -> list[Item]:
    """The stories of one issue as items, ``via`` the issue; [] when it does not hold two stories or more."""
    if not content or "<" not in content:
        return []
    issue_url = issue.url or issue.key
    items: list[Item] = []
    seen: set[str] = set()
    for story in cut_stories(content, issue_url):
        html = "".join(story.parts)
        fragment = BeautifulSoup(html, "lxml")
        links = _links(fragment, issue_url, issue_url)
        if not links:
            continue
        references = find_references(html)
        papers = [r for r in references if r.startswith(("arxiv:", "doi:"))]
        main = story.title_links[0] if story.title_links else links[0]
        cid = papers[0] if papers else canonical_id(main)
        if cid in seen:
            continue
        seen.add(cid)
        summary = clean_text(" ".join(story.body_text), SUMMARY_MAX, html=False)
        title = story.title or clean_text(fragment.get_text(" "), 200, html=False)
        extra = [id_to_url(r) for r in references if r != cid]
        if papers and canonical_id(main) != cid:
            extra.insert(0, canonical_url(main))
        items.append(
            Item(
                canonical_id=cid,
                title=title,
                summary=summary,
                url=id_to_url(cid) if papers else canonical_url(main),
                key=f"{issue.key}#{cid}",
                published=issue.published,
                links=tuple(dict.fromkeys(extra))[:MAX_LINKS],
                via=issue_url,
            )
        )
    return items if len(items) >= 2 else []


def _issue_html(entry: Any) -> str:
    """The fullest HTML the entry carries: ``content:encoded`` usually, else the summary."""
    best = ""
    for content in entry.get("content", []):
        value = content.get("value") or ""
        if is_html(content) and len(value) > len(best):
            best = value
    summary = entry.get("summary") or ""
    if is_html(entry.get("summary_detail")) and len(summary) > len(best):
        best = summary
    return best


def parse_newsletter(
    body: bytes, headers: Mapping[str, str], url: str, warnings: list[str] | None = None
) -> list[Item]:
    """A feed whose entries are newsletter issues: each issue's stories, or the issue itself when it has none."""
    items: list[Item] = []
    for entry in parse_document(body, headers, url, warnings).entries:
        issue = entry_to_item(entry, url)
        if issue is not None:
            items += split_stories(_issue_html(entry), issue) or [issue]
    return first_per_key(items)


def stories_per_issue(body: bytes, headers: Mapping[str, str], url: str) -> list[int]:
    """How many stories each entry of a feed splits into (0: it reads as one piece).  ``rsiwatch sources
    test`` suggests ``split_stories`` for a feed whose entries mostly hold several."""
    counts = []
    for entry in parse_document(body, headers, url).entries:
        issue = entry_to_item(entry, url)
        counts.append(len(split_stories(_issue_html(entry), issue)) if issue is not None else 0)
    return counts


def looks_like_newsletter(counts: list[int], min_stories: int = 3) -> bool:
    """Whether a feed reads as newsletter issues: a third or more of its entries hold ``min_stories``
    stories or more (a newsletter's feed may carry short notes between its issues)."""
    return bool(counts) and 3 * sum(1 for c in counts if c >= min_stories) >= len(counts)
