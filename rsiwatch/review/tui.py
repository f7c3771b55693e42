"""Terminal review: the queue one candidate at a time, with the review page's keys.

Keys are read one character at a time, from a terminal in cbreak mode or from a pipe (so tests and
scripts can drive it).  ``a`` asks for a category (Enter keeps the suggestion), ``r``/``o`` for an
optional reason: each answer is a line.  Text from the web is stripped of control characters before it
reaches the terminal, and shown as rich ``Text`` (never parsed as markup).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from rsiwatch.present.text import (
    CATEGORIES,
    EntryError,
    clean_text,
    highlight_segments,
    positive_terms,
    readable_text,
    work_links,
)
from rsiwatch.review.accepting import accept_work, drafted_entry
from rsiwatch.store import StaleDecision, Store, StoreError, Work

HELP = "j/k move · a accept · r reject · o out of scope · d defer · u undo · ? help · q quit"
SUMMARY_CHARS = 900


class KeyReader:
    """Single characters from a stream; ``None`` at end of input."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def key(self) -> str | None:
        char = self.stream.read(1)
        return char or None

    def line(self) -> str | None:
        chars: list[str] = []
        while True:
            char = self.stream.read(1)
            if not char:
                return "".join(chars) if chars else None
            if char in "\r\n":
                return "".join(chars)
            if char in ("\x7f", "\b"):
                chars = chars[:-1]
                continue
            chars.append(char)


@contextmanager
def cbreak(stream: IO[str]) -> Iterator[None]:
    """Single-key input on a terminal; nothing to do on a pipe."""
    if not stream.isatty():
        yield
        return
    import termios
    import tty

    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@dataclass
class Session:
    store: Store
    console: Console
    keys: KeyReader
    works: list[Work]
    index: int = 0
    decided: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    by: str | None = None
    # Work id -> the latest decision id this session showed or made: sent with each decision, so one
    # decided elsewhere meanwhile is refused (StaleDecision) instead of silently overridden.
    seen: dict[str, int] = field(default_factory=dict)

    # ---- display ---------------------------------------------------------------------------------

    def show(self) -> None:
        if not self.works:
            self.console.print("The queue is empty.")
            return
        work = self.store.works.work(self.works[self.index]["id"]) or self.works[self.index]
        self.seen[work["id"]] = self.store.decisions.latest_decision_id(work["id"])
        latest = self.store.scores.latest_score(work["id"]) or {}
        terms = positive_terms(latest.get("why") or [])
        title = _highlighted(readable_text(work["title"]), terms, "bold")
        summary_text = readable_text(work.get("summary"))
        if len(summary_text) > SUMMARY_CHARS:
            summary_text = summary_text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"
        score = f"{work['score']:.2f}" if work.get("score") is not None else "–"
        meta = Text(f"{score}  {work.get('category') or 'no category'}  [{work['status']}]  {work['id']}", style="cyan")
        parts: list[Any] = [meta, title, _highlighted(summary_text, terms, "")]
        why = latest.get("why") or []
        if why:
            parts.append(Text("why: " + ", ".join(f"{clean_text(t)} {v:+.2f}" for t, v in why[:8]), style="dim"))
        submission = self.store.submissions.latest_submissions([work["id"]]).get(work["id"])
        if submission:  # a reader's suggestion: who sent it and why, as its card on the page says
            parts.append(Text(_submitted(submission), style="green"))
        sources = sorted({clean_text(s["source"]) for s in self.store.works.sightings(work["id"])})
        parts.append(Text("seen in: " + (", ".join(sources) or "–"), style="dim"))
        links = work_links(work)
        if links:
            parts.append(Text("links: " + "  ".join(f"{link.label} {link.url}" for link in links), style="dim"))
        nearest = latest.get("nearest") or []
        if nearest:
            parts.append(Text("nearest: " + "; ".join(f"{clean_text(t)} ({s:.2f})" for t, s in nearest), style="dim"))
        heading = Text(f"{self.index + 1} of {len(self.works)}")
        self.console.print(Panel(Group(*parts), title=heading, subtitle=Text(HELP), border_style="blue"))

    # ---- actions ---------------------------------------------------------------------------------

    def current(self) -> Work:
        return self.works[self.index]

    def move(self, step: int) -> None:
        self.index = max(0, min(len(self.works) - 1, self.index + step))

    def ask(self, prompt: str) -> str | None:
        self.console.print(Text(prompt), end="")
        return self.keys.line()

    def accept(self) -> None:
        work = self.store.works.work(self.current()["id"]) or self.current()
        suggested = drafted_entry(self.store, work)["category"]
        choices = "  ".join(f"{i}={c}" for i, c in enumerate(CATEGORIES, 1))
        answer = self.ask(f"{choices}\ncategory [{suggested or 'none'}] (Enter keeps, 1-9 picks): ")
        if answer is None:
            return
        answer = answer.strip()
        if answer.isdigit() and 1 <= int(answer) <= len(CATEGORIES):
            suggested = CATEGORIES[int(answer) - 1]
        elif answer in CATEGORIES:
            suggested = answer
        # the one accept rule (an entry the work has is kept; here only the category is given)
        given = {"category": suggested} if suggested else {}
        try:
            accepted = accept_work(self.store, work, given, origin="tui", by=self.by, seen=self.seen.get(work["id"]))
        except EntryError as exc:  # the entry rules refuse it: nothing saved, the curator fixes it elsewhere
            self.console.print(Text(
                f"not accepted: {exc} (give the field on the review page or with `rsiwatch accept {work['id']}`)",
                style="red",
            ))
            return
        self.seen[work["id"]] = accepted.decision_id
        self.after_decision(work["id"], "accept")

    def decide(self, action: str, ask_reason: bool) -> None:
        work_id = self.current()["id"]
        note = None
        if ask_reason:
            answer = self.ask("reason (optional, Enter to skip): ")
            if answer is None:
                return
            note = clean_text(answer) or None
        self.seen[work_id] = self.store.decisions.decide(
            work_id, action, note=note, origin="tui", by=self.by, seen=self.seen.get(work_id)
        )
        self.after_decision(work_id, action)

    def after_decision(self, work_id: str, action: str) -> None:
        self.decided.append(work_id)
        self.counts[action] = self.counts.get(action, 0) + 1
        self.console.print(Text(f"{action.replace('_', ' ')}: {work_id}", style="green"))
        if self.index < len(self.works) - 1:
            self.index += 1
        else:
            self.console.print("End of the queue (u undoes, q quits).")

    def undo(self) -> None:
        work_id = self.decided.pop() if self.decided else self.current()["id"]
        status = self.store.decisions.undo(work_id, origin="tui", by=self.by, seen=self.seen.get(work_id))
        self.seen[work_id] = self.store.decisions.latest_decision_id(work_id)
        self.counts["undo"] = self.counts.get("undo", 0) + 1
        self.index = next((i for i, w in enumerate(self.works) if w["id"] == work_id), self.index)
        self.console.print(Text(f"undone: {work_id} is {status} again", style="yellow"))

    def run(self) -> dict[str, int]:
        self.show()
        while self.works:
            key = self.keys.key()
            if key is None or key == "q":
                break
            before = self.index
            try:
                if key == "j":
                    self.move(1)
                elif key == "k":
                    self.move(-1)
                elif key == "a":
                    self.accept()
                elif key in ("r", "o"):
                    self.decide("reject" if key == "r" else "out_of_scope", ask_reason=True)
                elif key == "d":
                    self.decide("defer", ask_reason=False)
                elif key == "u":
                    self.undo()
                elif key == "?":
                    self.console.print(HELP)
                    continue
                else:
                    continue
            except StaleDecision as exc:
                # Shown now; the same key again replaces the standing decision on purpose.
                self.seen[exc.work_id] = self.store.decisions.latest_decision_id(exc.work_id)
                self.console.print(Text(f"{exc} (press the key again to replace it)", style="red"))
                continue
            except StoreError as exc:
                self.console.print(Text(str(exc), style="red"))
                continue
            if key in "jk" and self.index == before:
                continue
            self.show()
        return self.counts


def review_terminal(
    store: Store,
    *,
    stream: IO[str] | None = None,
    console: Console | None = None,
    status: str = "new",
    source: str | None = None,
    category: str | None = None,
    limit: int = 500,
    by: str | None = None,
) -> dict[str, int]:
    """Step through the queue; returns how many of each decision were made."""
    stream = stream if stream is not None else sys.stdin
    console = console or Console(highlight=False, emoji=False)
    works, _ = store.queue.review_queue(status=status, source=source, category=category, limit=limit)
    session = Session(store, console, KeyReader(stream), works, by=by)
    with cbreak(stream):
        return session.run()


def _submitted(submission: dict[str, Any]) -> str:
    """"submitted by NAME: “why”", and why its page is not read yet, as the page's card says it."""
    line = "submitted by " + (clean_text(submission.get("submitter")) or "an anonymous reader")
    if submission.get("note"):
        line += f": “{clean_text(submission['note'])}”"
    if submission.get("fetch_error"):
        line += f" (page not read yet: {clean_text(submission['fetch_error'])})"
    return line


def _highlighted(text: str, terms: list[str], style: str) -> Text:
    out = Text(style=style)
    for piece, hit in highlight_segments(text, terms):
        out.append(piece, style="black on yellow" if hit else None)
    return out


__all__ = ["KeyReader", "Session", "review_terminal"]
