"""``rsiwatch daemon``: the schedule in the foreground until SIGTERM or SIGINT.

One crawler per database (the lock of ``rsiwatch/lock.py``, which ``rsiwatch crawl`` takes too); each
source is a job that runs the same one-shot crawl as ``rsiwatch crawl --source NAME``; weekly retraining
is another job.  Stopping lets the write in
progress commit and exits 0 within a few seconds; a daemon killed outright loses nothing, because every
step is its own transaction and the next due time is read back from the database.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from crawler.cron import cron_gap_s, next_cron_time
from crawler.http import PoliteClient
from crawler.scheduler import Job, Scheduler
from rsiwatch.config import Config, Source, parse_duration
from rsiwatch.crawl_run import crawl_pass, prepare_store
from rsiwatch.files import write_atomically
from rsiwatch.lock import take_lock
from rsiwatch.logs import reopen_log_files_soon
from rsiwatch.pipeline import next_due
from rsiwatch.scoring import score_works
from rsiwatch.store import Store, iso_ago, parse_iso, quiesce_writes, utcnow

log = logging.getLogger("rsiwatch.daemon")
STOP_GRACE_S = 4.0
DIGEST_SETTING = "digest_last"


def source_job(source: Source, config: Config, db_path: Path, client: PoliteClient) -> Job:
    def due() -> datetime | None:
        with Store(db_path) as store:
            return next_due(source, store)

    def run() -> None:
        with Store(db_path) as store:
            crawl_pass(config, store, client, [source])

    return Job(name=f"source:{source.name}", due=due, run=run, interval=source.interval_at)


def retrain_job(config: Config, db_path: Path) -> Job | None:
    every = config.schedule.retrain_every
    if every is None:
        return None
    interval = parse_duration(every)

    def due() -> datetime | None:
        with Store(db_path) as store:
            models = store.models.versions()
            last = parse_iso(models[-1]["created_at"]) if models else None
            decisions_since = store.decisions.decisions_since(models[-1]["created_at"]) if models else 0
        if last is None:
            return None  # the first crawl trains the first model
        if config.schedule.retrain_after_decisions and decisions_since >= config.schedule.retrain_after_decisions:
            return datetime.now(UTC)
        return min(last + timedelta(seconds=interval), datetime.now(UTC) + timedelta(hours=1))

    def run() -> None:
        from rsiwatch.retrain import retrain_if_better  # the classifier loads only when needed

        with Store(db_path) as store:
            outcome = retrain_if_better(store, config)
            rescored = score_works(store, config, store.works.open_work_ids()).scored if outcome.activated else 0
        log.info("retrain: %s; rescored %d open works", outcome.reason, rescored)

    return Job(name="retrain", due=due, run=run, interval=lambda _due: interval)


def digest_job(config: Config, db_path: Path) -> Job | None:
    """The weekly digest: written beside the database, and mailed when SMTP and recipients are set."""
    cron = config.schedule.digest_every
    if cron is None:
        return None

    def due() -> datetime | None:
        with Store(db_path) as store:
            last = store.models.setting(DIGEST_SETTING)
        # Never sent: the next slot from now (a fresh daemon does not mail at once).
        after = (parse_iso(last["at"]) if last else None) or datetime.now(UTC)
        return next_cron_time(cron, after)

    def run() -> None:
        from rsiwatch.review.digest import DigestError, build_digest, send_digest, to_html, to_markdown

        with Store(db_path) as store:
            digest = build_digest(store, iso_ago(7 * 86400))
            html = to_html(digest)
            folder = db_path.parent / config.digest.out_dir
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"digest-{datetime.now(UTC):%Y-%m-%d}.html"
            write_atomically(path, html)
            sent: list[str] = []
            if config.digest.to and config.digest.smtp_host:
                try:
                    sent = send_digest(config.digest, digest, html=html, text=to_markdown(digest))
                except DigestError as exc:
                    log.warning("digest: %s", exc)
            store.models.set_setting(
                DIGEST_SETTING, {"at": utcnow(), "file": str(path), "sent_to": sent}, "weekly digest"
            )
        log.info("digest written to %s%s", path, f", sent to {', '.join(sent)}" if sent else "")

    return Job(name="digest", due=due, run=run, interval=lambda due: cron_gap_s(cron, due))


def run_daemon(config: Config, db_path: Path, *, out: IO[str] = sys.stderr) -> int:
    """Run until SIGTERM/SIGINT; returns the exit status."""
    lock = take_lock(db_path, "rsiwatch daemon")  # the same lock as `rsiwatch crawl`
    with Store(db_path) as store:
        prepare_store(store, config)
    stop = threading.Event()
    client = PoliteClient(config.http.settings, config.politeness.settings, config.contact, stop=stop)
    sources = [source_job(s, config, db_path, client) for s in config.sources if s.enabled]
    jobs = sources + [job for job in (retrain_job(config, db_path), digest_job(config, db_path)) if job is not None]
    scheduler = Scheduler(jobs, jitter_s=config.schedule.jitter_s, misfire_grace_s=config.schedule.misfire_grace_s)

    def on_signal(signum: int, _frame: object) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, lambda _signum, _frame: reopen_log_files_soon())  # logrotate's postrotate
    scheduler.start()
    log.info("daemon started: %d sources on %s (pid %d)", len(sources), db_path, os.getpid())
    stop.wait()
    clean = scheduler.stop(STOP_GRACE_S)
    if not clean:
        # A fetch is still under way: let the write in progress commit, forbid new ones, and leave.
        # Nothing is lost: the unfinished source is simply due again at the next start.
        quiesce_writes(timeout=10.0)
        log.info("stopped (abandoned the fetch under way for %s)", ", ".join(sorted(scheduler.running)))
        logging.shutdown()
        os._exit(0)
    client.close()
    lock.close()
    log.info("stopped")
    return 0
