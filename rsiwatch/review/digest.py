"""The weekly digest: the week's top candidates, what was accepted, works that came back after a
decision (a rejected paper now discussed in newsletters may deserve a second look), per-source counts.

``build_digest`` reads the store; ``to_html``, ``to_markdown`` and ``to_text`` (the mail's text part) are pure
renderers (web text escaped, only http(s) URLs linked); ``send_digest`` mails both versions by SMTP (STARTTLS
when offered, and never a password over plain text to another machine).
"""

from __future__ import annotations

import email.utils
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, FileSystemLoader, select_autoescape

from rsiwatch.config import Config, Digest as DigestConfig
from rsiwatch.present.security import is_loopback
from rsiwatch.present.text import clean_text, one_sentence, readable_text, safe_url, work_links
from rsiwatch.source_health import source_troubles
from rsiwatch.store import Store, utcnow
from rsiwatch.words import plural

DEFAULT_TOP = 20
SMTP_TIMEOUT_S = 30.0
TEMPLATES = Path(__file__).with_name("templates")


class DigestError(Exception):
    """A digest that cannot be sent, as one line naming the setting or the server's answer."""


@dataclass
class Digest:
    since: str
    until: str
    top: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    queued: int = 0
    seen_again: list[dict[str, Any]] = field(default_factory=list)
    discussed: list[dict[str, Any]] = field(default_factory=list)  # what the field is talking about
    catalog_news: list[dict[str, Any]] = field(default_factory=list)  # open flags of the catalog check
    # Sources paused or failing for long (rsiwatch/source_health.py), one line each: first in the digest.
    troubles: list[str] = field(default_factory=list)

    @property
    def subject(self) -> str:
        needs = "needs" if len(self.troubles) == 1 else "need"
        trouble = f", {plural(len(self.troubles), 'source')} {needs} attention" if self.troubles else ""
        return (
            f"rsiwatch digest {self.since[:10]} to {self.until[:10]}: {plural(self.queued, 'candidate')}, "
            f"{len(self.accepted)} accepted{trouble}"
        )


def _row(work: Mapping[str, Any]) -> dict[str, Any]:
    links = work_links(work)
    return {
        "id": work["id"],
        "title": readable_text(work.get("entry_title") or work.get("title")),
        "score": work.get("score"),
        "category": work.get("entry_category") or work.get("category"),
        "status": work.get("status"),
        "summary": one_sentence(work.get("entry_description") or work.get("summary") or ""),
        "url": links[0].url if links else None,
        "decided_by": work.get("decided_by"),  # accepted works: the curator who accepted it
    }


def _seen_again_row(work: dict[str, Any]) -> dict[str, Any]:
    return {
        **_row(work),
        "decided_at": work["decided_at"],
        "new_sightings": work["new_sightings"],
        "sources": [clean_text(s) for s in work["sources"]],
    }


def _discussed_row(work: dict[str, Any]) -> dict[str, Any]:
    return {**_row(work), "sources": [clean_text(s) for s in work["discussed_in"]]}


def build_digest(store: Store, since: str, top: int = DEFAULT_TOP, config: Config | None = None) -> Digest:
    """The week's digest; with ``config``, it opens with the sources that need the operator."""
    works, total = store.queue.review_queue(status="all", since=since, limit=top)
    troubles = (
        source_troubles(
            store.sources.source_report(), {s.name: s for s in config.sources}, config.schedule.warn_after_failures
        )
        if config is not None
        else []
    )
    return Digest(
        troubles=[clean_text(t.line) for t in troubles],
        since=since,
        until=utcnow(),
        top=[_row(w) for w in works],
        accepted=[_row(w) for w in store.queue.accepted_since(since)],
        sources=store.queue.source_counts_since(since),
        queued=total.count,
        seen_again=[_seen_again_row(w) for w in store.linking.seen_again_after_decision(since, limit=top)],
        discussed=[_discussed_row(w) for w in store.discussion.most_discussed(since, limit=10)],
        catalog_news=[
            {"id": f["id"], "entry_id": f["entry_id"], "work_id": f["work_id"], "detail": clean_text(f["detail"])}
            for f in store.scholarly.flags()
        ],
    )


def to_html(digest: Digest) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True))
    return env.get_template("digest.html").render(d=digest)


def md_text(text: Any) -> str:
    """Plain text safe inside Markdown: no markup, links or raw HTML can come out of it."""
    out = clean_text(text)
    for ch in "\\`*_[]<>|#!{}":
        out = out.replace(ch, "\\" + ch)
    return out


def md_link(text: str, url: str | None) -> str:
    url = safe_url(url)
    if not url:
        return md_text(text)
    return f"[{md_text(text)}]({url.replace('(', '%28').replace(')', '%29').replace('<', '%3C').replace('>', '%3E')})"


SOURCE_COLUMNS = ("source", "sightings", "new works", "candidates", "accepted")


class _Renderer(Protocol):
    """How one format writes the digest's parts; ``_render`` walks the sections in their order.  Each row
    method gets the row's place in its section (from 1) and the row, and returns its lines."""

    def title(self, text: str) -> str: ...
    def heading(self, name: str, columns: tuple[str, ...]) -> list[str]: ...
    def trouble(self, i: int, line: str) -> list[str]: ...
    def accepted(self, i: int, w: dict[str, Any]) -> list[str]: ...
    def top(self, i: int, w: dict[str, Any]) -> list[str]: ...
    def discussed(self, i: int, w: dict[str, Any]) -> list[str]: ...
    def catalog_news(self, i: int, f: dict[str, Any]) -> list[str]: ...
    def seen_again(self, i: int, w: dict[str, Any]) -> list[str]: ...
    def source(self, i: int, s: dict[str, Any]) -> list[str]: ...


def _render(digest: Digest, r: _Renderer) -> str:
    """The digest's sections, in the same order and with the same words for nothing, in either format."""
    lines = [r.title(f"rsiwatch digest, {digest.since[:10]} to {digest.until[:10]}"), ""]
    if digest.troubles:
        lines += _section(r, "Sources needing attention", digest.troubles, r.trouble)
    lines += [f"{plural(digest.queued, 'candidate')} queued, {len(digest.accepted)} accepted.", ""]
    lines += _section(r, "Accepted", digest.accepted, r.accepted, "Nothing accepted this week.")
    lines += _section(r, "Top candidates", digest.top, r.top, "No new candidates.")
    lines += _section(
        r, "Most discussed", digest.discussed, r.discussed, "No work was discussed by two or more sources."
    )
    lines += _section(r, "Catalog news", digest.catalog_news, r.catalog_news, "No news of catalog entries.")
    lines += _section(r, "Seen again after a decision", digest.seen_again, r.seen_again, "Nothing decided came back.")
    lines += _section(r, "Sources", digest.sources, r.source, columns=SOURCE_COLUMNS)
    return "\n".join(lines[:-1]) + "\n"  # no blank line after the last section


def _section(
    r: _Renderer, name: str, rows: Sequence[Any], row: Callable[[int, Any], list[str]], empty: str | None = None,
    columns: tuple[str, ...] = (),
) -> list[str]:
    """A section: its heading, then its rows (or ``empty`` when it has none), then a blank line."""
    body = [line for i, item in enumerate(rows, 1) for line in row(i, item)]
    return [*r.heading(name, columns), *(body or ([empty] if empty else [])), ""]


class _Markdown:
    """Markdown: web text escaped (``md_text``), only http(s) URLs linked (``md_link``)."""

    def title(self, text: str) -> str:
        return f"# {text}"

    def heading(self, name: str, columns: tuple[str, ...]) -> list[str]:
        table = [f"| {' | '.join(columns)} |", f"| {' | '.join('---' for _ in columns)} |"] if columns else []
        return [f"## {name}", "", *table]

    def trouble(self, i: int, line: str) -> list[str]:
        return [f"- {md_text(line)}"]

    def accepted(self, i: int, w: dict[str, Any]) -> list[str]:
        by = f", accepted by {md_text(w['decided_by'])}" if w["decided_by"] else ""
        category = md_text(w["category"] or "no category")
        return [f"- {md_link(w['title'], w['url'])} ({category}{by}): {md_text(w['summary'])}"]

    def top(self, i: int, w: dict[str, Any]) -> list[str]:
        score = "–" if w["score"] is None else format(w["score"], ".2f")
        return [
            f"{i}. **{score}** {md_link(w['title'], w['url'])} · {md_text(w['category'] or 'no category')}"
            f" · {md_text(w['status'])}"
        ]

    def discussed(self, i: int, w: dict[str, Any]) -> list[str]:
        return [
            f"- {md_link(w['title'], w['url'])}: {len(w['sources'])} sources ({md_text(', '.join(w['sources']))})"
            f" · {md_text((w['status'] or '').replace('_', ' '))}"
        ]

    def catalog_news(self, i: int, f: dict[str, Any]) -> list[str]:
        return [
            f"- entry {f['entry_id']} ({md_text(f['work_id'])}): {md_text(f['detail'])}"
            f" (rsiwatch catalog flags apply {f['id']})"
        ]

    def seen_again(self, i: int, w: dict[str, Any]) -> list[str]:
        return [
            f"- {md_link(w['title'], w['url'])}: {md_text((w['status'] or '').replace('_', ' '))} on "
            f"{w['decided_at'][:10]}, since then {w['new_sightings']} sighting(s) in {md_text(', '.join(w['sources']))}"
        ]

    def source(self, i: int, s: dict[str, Any]) -> list[str]:
        counts = (s["sightings"], s["new_works"], s["candidates"], s["accepted"])
        return [f"| {md_text(s['source'])} | {' | '.join(str(c) for c in counts)} |"]


class _Text:
    """The mail's text part: plain text (no Markdown, no escapes), each link on its own line."""

    def title(self, text: str) -> str:
        return text

    def heading(self, name: str, columns: tuple[str, ...]) -> list[str]:
        named = f" ({', '.join(columns[1:])})" if columns else ""  # the first column is the row's own name
        return [f"{name.upper()}{named}", ""]

    def trouble(self, i: int, line: str) -> list[str]:
        return [f"- {line}"]

    def accepted(self, i: int, w: dict[str, Any]) -> list[str]:
        by = f", accepted by {clean_text(w['decided_by'])}" if w["decided_by"] else ""
        summary = [f"   {clean_text(w['summary'])}"] if w["summary"] else []
        return [f"- {clean_text(w['title'])} ({_category(w)}{by})", *_link(w["url"]), *summary]

    def top(self, i: int, w: dict[str, Any]) -> list[str]:
        score = "-" if w["score"] is None else format(w["score"], ".2f")
        return [f"{i}. {score}  {clean_text(w['title'])} ({_category(w)}, {clean_text(w['status'])})", *_link(w["url"])]

    def discussed(self, i: int, w: dict[str, Any]) -> list[str]:
        return [
            f"- {clean_text(w['title'])}: {len(w['sources'])} sources ({clean_text(', '.join(w['sources']))})",
            *_link(w["url"]),
        ]

    def catalog_news(self, i: int, f: dict[str, Any]) -> list[str]:
        return [f"- entry {f['entry_id']} ({f['work_id']}): {f['detail']} (rsiwatch catalog flags apply {f['id']})"]

    def seen_again(self, i: int, w: dict[str, Any]) -> list[str]:
        return [
            f"- {clean_text(w['title'])}: {clean_text((w['status'] or '').replace('_', ' '))} on "
            f"{w['decided_at'][:10]}, since then {w['new_sightings']} sighting(s) in "
            f"{clean_text(', '.join(w['sources']))}",
            *_link(w["url"]),
        ]

    def source(self, i: int, s: dict[str, Any]) -> list[str]:
        return [f"- {clean_text(s['source'])}: {s['sightings']}, {s['new_works']}, {s['candidates']}, {s['accepted']}"]


def _link(url: str | None) -> list[str]:
    """A link on its own indented line in the text part; none for an unsafe or missing URL."""
    safe = safe_url(url)
    return [f"   {safe}"] if safe else []


def _category(w: dict[str, Any]) -> str:
    return clean_text(w["category"] or "no category")


def to_markdown(digest: Digest) -> str:
    return _render(digest, _Markdown())


def to_text(digest: Digest) -> str:
    """The mail's text part: plain text (no Markdown, no escapes), each link on its own line."""
    return _render(digest, _Text())


# Addresses of the reserved example domains (RFC 2606) are placeholders (``contact`` as ``init`` writes it),
# never a sender: a relay would bounce them, or worse, deliver as someone else.
_PLACEHOLDER_DOMAINS = ("example.org", "example.com", "example.net")


def sender_address(config: DigestConfig, contact: str | None = None) -> str:
    """Who the digest comes from: ``digest.sender``, else the SMTP login when it is an address, else the
    configured ``contact`` unless it is still a placeholder; otherwise a one-line error."""
    if config.sender:
        return config.sender
    if config.smtp_user and "@" in config.smtp_user:
        return config.smtp_user
    domain = (contact or "").rpartition("@")[2].lower()
    if contact and domain and domain not in _PLACEHOLDER_DOMAINS:
        return contact
    raise DigestError(
        "digest.sender: not set, and `contact` is no real address to send from; "
        "set digest.sender to the address the digest comes from"
    )


def send_digest(config: DigestConfig, digest: Digest, *, html: str, text: str, contact: str | None = None) -> list[str]:
    """Mail the digest to ``config.to``; returns the recipients.  ``text`` is the plain-text part
    (``to_text``); the sender is ``sender_address(config, contact)``."""
    if not config.to:
        raise DigestError("digest.to: no recipients configured")
    if not config.smtp_host:
        raise DigestError("digest.smtp_host: not set (the SMTP server to send through)")
    message = EmailMessage()
    sender = sender_address(config, contact)
    message["Subject"] = digest.subject
    message["From"] = sender
    message["To"] = ", ".join(config.to)
    # What relays and spam filters expect of a machine's mail: a Date (RFC 5322 requires it), a unique
    # Message-ID in the sender's domain, and Auto-Submitted so that vacation responders stay quiet (RFC 3834).
    message["Date"] = email.utils.formatdate(usegmt=True)
    message["Message-ID"] = email.utils.make_msgid(domain=email.utils.parseaddr(sender)[1].rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    context = ssl.create_default_context()
    try:
        if config.smtp_port == 465:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                config.smtp_host, config.smtp_port, timeout=SMTP_TIMEOUT_S, context=context
            )
        else:
            smtp = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=SMTP_TIMEOUT_S)
        with smtp:
            smtp.ehlo()
            secure = config.smtp_port == 465
            if not secure and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
                secure = True
            if config.smtp_user:
                if not secure and not is_loopback(config.smtp_host):
                    raise DigestError(
                        f"digest.smtp_host: {config.smtp_host} offers no TLS; refusing to send the password"
                    )
                smtp.login(config.smtp_user, config.smtp_password or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise DigestError(f"digest: sending through {config.smtp_host}:{config.smtp_port} failed: {exc}") from None
    return list(config.to)
