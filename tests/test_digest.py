"""The weekly digest: contents, escaping in HTML and Markdown, the command, and sending by real SMTP."""

from __future__ import annotations

import email
import socketserver
import threading
import time
from collections.abc import Iterator
from datetime import UTC
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from review_fixtures import populate
from store_support import catalog_add

from crawler.items import Item
from rsiwatch.cli import cli
from rsiwatch.present.text import CATEGORIES
from rsiwatch.review.digest import build_digest, md_text, to_html, to_markdown
from rsiwatch.store import Store, iso_ago


class SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to accept one message: EHLO, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server: SMTPServer = self.server  # type: ignore[assignment]
        self.reply("220 localhost test SMTP")
        envelope: dict[str, object] = {"rcpt": []}
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            verb = line.decode().strip().split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-localhost\r\n250 8BITMIME")
            elif verb == "MAIL":
                if server.refuse > 0:  # a relay that is down for a while: a transient refusal
                    server.refuse -= 1
                    self.reply("451 4.3.0 try again later")
                    continue
                envelope["from"] = line.decode().strip()
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope["rcpt"].append(line.decode().strip())  # type: ignore[union-attr]
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with .")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    chunk = self.rfile.readline(65536)
                    if not chunk:
                        return
                    data += chunk
                envelope["data"] = data[: -len(b".\r\n")].replace(b"\r\n..", b"\r\n.")
                server.messages.append(envelope)
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SMTPHandler)
        self.messages: list[dict[str, object]] = []
        self.refuse = 0  # how many MAIL commands to refuse (451) before accepting


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "candidates.db"
    ids = populate(path, 8, hostile=True)
    with Store(path) as store:
        store.decisions.decide(ids[2], "accept", category=CATEGORIES[0], origin="web")
        catalog_add(store, {"work_id": ids[2], "title": "Accepted one", "description": "It counts.",
                           "category": CATEGORIES[0]}, origin="accept")
        store.decisions.decide(ids[3], "reject", origin="web")
        store.decisions.decide(ids[4], "accept", origin="web")
        store.decisions.undo(ids[4], origin="web")
    return path


def test_digest_contents(db: Path) -> None:
    with Store(db) as store:
        digest = build_digest(store, iso_ago(7 * 86400), top=5)
    assert digest.queued == 10 and len(digest.top) == 5
    assert [w["title"] for w in digest.accepted] == ["Accepted one"]  # the entry as the curator saved it
    assert digest.accepted[0]["summary"] == "It counts."
    assert {s["source"] for s in digest.sources} == {"arxiv-ml", "import-ai", "<b>evil-source</b>"}
    html, md = to_html(digest), to_markdown(digest)
    assert "<script>" not in html and "<img" not in html and "javascript:" not in html.lower()
    assert "&lt;b&gt;evil-source&lt;/b&gt;" in html
    assert "<b>" not in md and "\\<b\\>evil-source\\</b\\>" in md
    assert "[Self" in md and "(https://arxiv.org/abs/2501.10000)" in md and "javascript" not in md.lower()
    assert md_text("*bold* [x](javascript:y) | <i>") == "\\*bold\\* \\[x\\](javascript:y) \\| \\<i\\>"


def test_digest_command_writes_html_and_md(db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for name in ("week.html", "week.md"):
        result = runner.invoke(cli, ["digest", "--since", "7d", "--db", str(db), "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "week.html").read_text().startswith("<!doctype html>")
    assert (tmp_path / "week.md").read_text().startswith("# rsiwatch digest")
    bad = runner.invoke(cli, ["digest", "--db", str(db), "--out", str(tmp_path / "week.pdf")])
    assert bad.exit_code == 2


def test_digest_send_over_smtp(db: Path, tmp_path: Path, smtp: SMTPServer) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "digest:\n  to: [curator@example.org, second@example.org]\n  smtp_host: 127.0.0.1\n"
        f"  smtp_port: {smtp.server_address[1]}\n  sender: rsiwatch@example.org\n"
    )
    result = CliRunner().invoke(cli, ["digest", "--send", "--config", str(config), "--db", str(db),
                                      "--out", str(tmp_path / "d.md")])
    assert result.exit_code == 0, result.output
    [message] = smtp.messages
    assert len(message["rcpt"]) == 2  # type: ignore[arg-type]
    parsed = email.message_from_bytes(message["data"], policy=policy.default)  # type: ignore[arg-type]
    assert parsed["To"] == "curator@example.org, second@example.org"
    assert parsed["Subject"].startswith("rsiwatch digest") and "1 accepted" in parsed["Subject"]
    assert "Accepted one" in parsed.get_body(("plain",)).get_content()
    assert "<!doctype html>" in parsed.get_body(("html",)).get_content()


def test_digest_send_without_recipients_fails_in_one_line(db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["digest", "--send", "--db", str(db)])
    assert result.exit_code == 1
    assert "digest.to" in result.output


def test_digest_lists_works_that_came_back_after_a_decision(db: Path) -> None:
    from datetime import datetime, timedelta

    from crawler.items import Item
    from rsiwatch.store import iso

    later = iso(datetime.now(UTC) + timedelta(minutes=5))
    with Store(db) as store:
        rejected = next(iter(store.scores.candidates(status="rejected", limit=None)))
        again = Item(rejected["id"], rejected["title"], "", "https://news.example.org/issue-9", "story-9")
        store.works.ingest("<i>newsletter</i>", [again], now=later)
        again = Item(rejected["id"], rejected["title"], "", "https://lab.example.org/p", "p")
        store.works.ingest("lab-blog", [again], now=later)
        digest = build_digest(store, iso_ago(7 * 86400), top=5)
    assert [w["id"] for w in digest.seen_again] == [rejected["id"]]
    row = digest.seen_again[0]
    assert row["status"] == "rejected" and row["new_sightings"] == 2
    assert row["sources"] == ["<i>newsletter</i>", "lab-blog"]
    html, md = to_html(digest), to_markdown(digest)
    assert (
        "Seen again after a decision" in html
        and "since then 2 sightings in &lt;i&gt;newsletter&lt;/i&gt;, lab-blog" in html
    )
    assert "rejected on" in md and "2 sighting(s) in \\<i\\>newsletter\\</i\\>, lab-blog" in md


def test_digest_says_when_nothing_came_back(db: Path) -> None:
    with Store(db) as store:
        digest = build_digest(store, iso_ago(7 * 86400), top=5)
    assert digest.seen_again == []
    assert "Nothing decided came back." in to_html(digest) and "Nothing decided came back." in to_markdown(digest)


@pytest.mark.slow
def test_digest_mail_carries_the_headers_relays_expect(db: Path, tmp_path: Path, smtp: SMTPServer) -> None:
    """Issue 17: Date (RFC 5322 requires it), a unique Message-ID, Auto-Submitted (RFC 3834); the real CLI."""
    from cli_support import run_cli

    config = tmp_path / "config.yaml"
    config.write_text(
        f"database: {db}\ndigest:\n  to: [curator@example.org]\n  smtp_host: 127.0.0.1\n"
        f"  smtp_port: {smtp.server_address[1]}\n  sender: rsiwatch <digest@watch.example.org>\n"
    )
    for _ in range(2):
        run_cli("digest", "--send", "--out", str(tmp_path / "d.md"), cwd=tmp_path)
    first, second = (email.message_from_bytes(m["data"], policy=policy.default) for m in smtp.messages)  # type: ignore[arg-type]
    for message in (first, second):
        assert message["Date"].datetime.tzinfo is not None
        assert abs(message["Date"].datetime.timestamp() - time.time()) < 3600
        assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@watch.example.org>")
        assert message["Auto-Submitted"] == "auto-generated"
    assert first["Message-ID"] != second["Message-ID"]


def test_a_daemon_digest_that_could_not_be_sent_is_sent_at_the_next_run(db: Path, smtp: SMTPServer) -> None:
    """Issue 21: the week was marked done with no recipients when the relay refused; now the job is due
    again soon, and the next run delivers it (from ``contact``, the configured address, as no sender is set)."""
    from datetime import datetime, timedelta

    from rsiwatch.config import Config, Digest as DigestSettings, Schedule
    from rsiwatch.daemon import DIGEST_RETRY_S, DIGEST_SETTING, digest_job
    from rsiwatch.store import parse_iso

    settings = DigestSettings(to=["curator@lab.test"], smtp_host="127.0.0.1", smtp_port=smtp.server_address[1])
    job = digest_job(Config(contact="ops@lab.test", digest=settings, schedule=Schedule(digest_every="0 8 * * mon")), db)
    smtp.refuse = 1
    job.run()
    assert smtp.messages == []
    with Store(db) as store:
        failed = store.models.setting(DIGEST_SETTING)
    assert failed["sent_to"] == [] and "451" in failed["send_error"] and failed["tries"] == 1
    assert job.due() == parse_iso(failed["at"]) + timedelta(seconds=DIGEST_RETRY_S), "due again soon, not next week"
    job.run()
    [message] = smtp.messages
    parsed = email.message_from_bytes(message["data"], policy=policy.default)  # type: ignore[arg-type]
    assert parsed["From"] == "ops@lab.test" and parsed["To"] == "curator@lab.test"
    with Store(db) as store:
        sent = store.models.setting(DIGEST_SETTING)
    assert sent["sent_to"] == ["curator@lab.test"] and "send_error" not in sent
    assert sent["since"] == failed["since"], "the retry covers the week the failed send was for"
    due = job.due()
    assert due > datetime.now(UTC) and due.weekday() == 0 and (due.hour, due.minute) == (8, 0)


def test_no_made_up_sender(db: Path, smtp: SMTPServer) -> None:
    """The sender is digest.sender, the SMTP login when it is an address, or a real contact; never a
    name invented from the host name, and never the placeholder contact."""
    from rsiwatch.config import Digest as DigestSettings
    from rsiwatch.review.digest import DigestError, send_digest, sender_address

    settings = DigestSettings(to=["curator@lab.test"], smtp_host="127.0.0.1", smtp_port=smtp.server_address[1])
    with pytest.raises(DigestError) as refused:
        sender_address(settings, "you@example.org")
    assert "digest.sender" in str(refused.value) and "\n" not in str(refused.value)
    assert (
        sender_address(settings.model_copy(update={"smtp_user": "bot@lab.test"}), "you@example.org") == "bot@lab.test"
    )
    assert sender_address(settings.model_copy(update={"sender": "A <a@lab.test>"}), None) == "A <a@lab.test>"
    with Store(db) as store:
        digest = build_digest(store, iso_ago(7 * 86400))
    with pytest.raises(DigestError):
        send_digest(settings, digest, html="<p>x</p>", text="x", contact="rsiwatch-user@example.org")
    assert smtp.messages == []


def test_the_mail_text_part_is_plain_text(db: Path, tmp_path: Path, smtp: SMTPServer) -> None:
    """Issue 21: the text part was Markdown with backslash escapes; a reader's mail client shows it as is."""
    from rsiwatch.present.text import clean_text

    with Store(db) as store:
        store.works.ingest(
            "feed",
            [
                Item(
                    "arxiv:2611.09999",
                    "Agents_that *tune* [kernels] #1",
                    "Self_improving.",
                    "https://arxiv.org/abs/2611.09999",
                    "k9",
                )
            ],
        )
        store.conn.execute(
            "UPDATE works SET score = 0.99, queued_at = ?, queue_reason = 'score' WHERE id = ?",
            (iso_ago(60), "arxiv:2611.09999"),
        )
    config = tmp_path / "config.yaml"
    config.write_text(
        f"digest:\n  to: [curator@lab.test]\n  smtp_host: 127.0.0.1\n  smtp_port: {smtp.server_address[1]}\n"
        "  sender: rsiwatch@lab.test\n"
    )
    result = CliRunner().invoke(cli, ["digest", "--send", "--config", str(config), "--db", str(db)])
    assert result.exit_code == 0, result.output
    parsed = email.message_from_bytes(smtp.messages[0]["data"], policy=policy.default)  # type: ignore[arg-type]
    text = parsed.get_body(("plain",)).get_content()
    assert "Agents_that *tune* [kernels] #1" in text
    assert "https://arxiv.org/abs/2611.09999" in text
    assert "\\" not in text and "](" not in text and "**" not in text
    with Store(db) as store:
        top = build_digest(store, iso_ago(7 * 86400)).top
    assert all(clean_text(w["title"]) in text for w in top)
