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
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TypeVar

from crawler.cron import cron_gap_s, next_cron_time
from crawler.http import PoliteClient
from crawler.scheduler import Job, Scheduler
from crawler.settings import package_version
from rsiwatch.config import Config, ConfigError, Source, load_config, parse_duration
from rsiwatch.crawl_run import crawl_pass, prepare_store
from rsiwatch.files import write_atomically
from rsiwatch.lock import take_lock
from rsiwatch.logs import reopen_log_files_soon
from rsiwatch.pipeline import next_due
from rsiwatch.polite import RememberingClient
from rsiwatch.retention import fold_superseded_scores
from rsiwatch.scoring import score_works, training
from rsiwatch.source_changes import source_changes
from rsiwatch.store import SchemaTooNew, Store, iso_ago, moment, parse_iso, quiesce_writes, utcnow

log = logging.getLogger("rsiwatch.daemon")
T = TypeVar("T")
STOP_GRACE_S = 4.0
# The exit status of a daemon that finds the database upgraded by a newer rsiwatch: not 0 (it did not
# stop cleanly by request), not 1 or 2 (not a crash, not a bad config), so a unit's Restart=on-failure
# starts it again, now with the new code.
EXIT_SCHEMA_NEWER = 3
HUP_POLL_S = 0.25  # how soon the loop acts on SIGHUP
CONFIG_POLL_S = 2.0  # how often the loop looks whether the config file changed
DIGEST_SETTING = "digest_last"
DIGEST_RETRY_S = 900.0  # a digest whose mail failed is tried again after this, doubling each time...
DIGEST_RETRY_MAX_S = 6 * 3600.0  # ...up to this


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
            with training(store):
                outcome = retrain_if_better(store, config)
            rescored = score_works(store, config, store.works.open_work_ids()).scored if outcome.activated else 0
            fold_superseded_scores(store)  # the rescoring superseded a score row per open work
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
        if last and last.get("send_error"):
            # The mail did not go: try again soon (doubling), not a week later with the week marked done.
            tries = int(last.get("tries", 1))
            retry = min(DIGEST_RETRY_S * 2 ** (tries - 1), DIGEST_RETRY_MAX_S)
            return moment(last["at"]) + timedelta(seconds=retry)
        # Never sent: the next slot from now (a fresh daemon does not mail at once).
        after = (parse_iso(last["at"]) if last else None) or datetime.now(UTC)
        return next_cron_time(cron, after)

    def run() -> None:
        from rsiwatch.review.digest import DigestError, build_digest, send_digest, to_html, to_text

        with Store(db_path) as store:
            last = store.models.setting(DIGEST_SETTING) or {}
            # A retry covers the week the failed send was for, up to now.
            since = last.get("since") if last.get("send_error") else None
            digest = build_digest(store, since or iso_ago(7 * 86400), config=config)
            html = to_html(digest)
            folder = db_path.parent / config.digest.out_dir
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"digest-{datetime.now(UTC):%Y-%m-%d}.html"
            write_atomically(path, html)
            record: dict[str, object] = {"at": utcnow(), "since": digest.since, "file": str(path), "sent_to": []}
            if config.digest.to and config.digest.smtp_host:
                try:
                    record["sent_to"] = send_digest(config.digest, digest, html=html, text=to_text(digest),
                                                    contact=config.contact)
                except DigestError as exc:
                    record["send_error"] = str(exc)
                    record["tries"] = int(last.get("tries", 0)) + 1 if last.get("send_error") else 1
                    log.warning("digest: %s (try %d; trying again in a while)", exc, record["tries"])
            store.models.set_setting(DIGEST_SETTING, record,
                              "weekly digest" + (": sending failed, to be retried" if "send_error" in record else ""))
        sent = record["sent_to"]
        log.info("digest written to %s%s", path, f", sent to {', '.join(sent)}" if sent else "")  # type: ignore[arg-type]

    return Job(name="digest", due=due, run=run, interval=lambda due: cron_gap_s(cron, due))


def catalog_check_job(config: Config, db_path: Path, client: PoliteClient) -> Job | None:
    """The catalog's papers checked on arXiv every ``scholarly.check_every`` (new versions, withdrawals, venues)."""
    every = config.scholarly.check_every
    if every is None:
        return None
    interval = parse_duration(every)

    def due() -> datetime | None:
        with Store(db_path) as store:
            last = parse_iso(store.scholarly.last_check())
        return (last + timedelta(seconds=interval)) if last else datetime.now(UTC) + timedelta(hours=1)

    def run() -> None:
        from rsiwatch.scholarly import check_catalog

        with Store(db_path) as store:
            report = check_catalog(store, client, config)
        log.info("catalog check: %d papers, %d new flags%s", report.checked, report.flags,
                 f"; {'; '.join(report.errors)}" if report.errors else "")

    return Job(name="catalog-check", due=due, run=run, interval=lambda _due: interval)


class Fatal:
    """A reason the whole daemon must stop (the database was upgraded by a newer rsiwatch): the first one
    wins; the main loop sees ``stop`` set and exits with ``status``."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.status = 0

    def schema_too_new(self, exc: SchemaTooNew) -> None:
        if not self.status:
            self.status = EXIT_SCHEMA_NEWER
            log.error("%s; exiting with status %d so the service manager starts the new "
                      "release", exc, EXIT_SCHEMA_NEWER)
            self.stop.set()

    def guard(self, call: Callable[[], T], fallback: T) -> Callable[[], T]:
        def guarded() -> T:
            try:
                return call()
            except SchemaTooNew as exc:
                self.schema_too_new(exc)
                return fallback

        return guarded


def build_jobs(config: Config, db_path: Path, client: PoliteClient, fatal: Fatal) -> list[Job]:
    jobs = [source_job(s, config, db_path, client) for s in config.sources if s.enabled]
    jobs += [
        job
        for job in (
            retrain_job(config, db_path),
            digest_job(config, db_path),
            catalog_check_job(config, db_path, client),
        )
        if job is not None
    ]
    # A newer schema stops the daemon once, instead of a traceback per job run forever.
    return [
        Job(name=j.name, due=fatal.guard(j.due, None), run=fatal.guard(j.run, None), interval=j.interval) for j in jobs
    ]


def config_signature(path: Path | None) -> tuple[float, int] | None:
    """What tells that the config file changed (an editor, `rsiwatch sources add`): its mtime and size."""
    if path is None:
        return None
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime, info.st_size)


def reload_config(path: Path, running: Config) -> Config | None:
    """The config as the file now says, or None (logged in one line) when it cannot be used: the daemon
    keeps the running one."""
    try:
        config = load_config(path, required=True, empty_ok=False)
    except ConfigError as exc:
        log.warning("config reload refused, keeping the running config: %s", exc)
        return None
    if config.database != running.database:
        log.warning(
            "config reload: database changed to %s; that takes a restart (still on the old one)", config.database
        )
    return config


def run_daemon(config: Config, db_path: Path, *, config_path: Path | None = None, out: IO[str] = sys.stderr) -> int:
    """Run until SIGTERM/SIGINT; returns the exit status (0, or EXIT_SCHEMA_NEWER).

    SIGHUP reopens the log file (logrotate) and reloads ``config_path``; a change of the file is noticed
    within CONFIG_POLL_S too.  Sources and the schedule follow the new config at once; ``http``,
    ``politeness`` and ``logging`` take a restart."""
    lock = take_lock(db_path, "rsiwatch daemon")  # the same lock as `rsiwatch crawl`
    with Store(db_path) as store:
        prepare_store(store, config)
    stop = threading.Event()
    fatal = Fatal(stop)
    client = RememberingClient(config, db_path, stop=stop)
    jobs = build_jobs(config, db_path, client, fatal)
    scheduler = Scheduler(jobs, jitter_s=config.schedule.jitter_s, misfire_grace_s=config.schedule.misfire_grace_s)
    # Set by the signal handler, read and reset by the loop below: a plain flag, since a handler that took
    # a lock the interrupted main thread holds (an Event's, in clear()) would wait forever.
    hup = {"pending": False}

    def on_signal(signum: int, _frame: object) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        stop.set()

    def on_hup(_signum: int, _frame: object) -> None:
        reopen_log_files_soon()  # logrotate's postrotate
        hup["pending"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_hup)
    scheduler.start()
    log.info(
        "daemon started: %d sources on %s (pid %d, rsiwatch %s)",
        sum(j.name.startswith("source:") for j in jobs),
        db_path,
        os.getpid(),
        package_version(),
    )
    signature = config_signature(config_path)
    next_look = time.monotonic() + CONFIG_POLL_S
    while not stop.wait(HUP_POLL_S):
        if config_path is None:
            continue
        changed = False
        if time.monotonic() >= next_look:
            next_look = time.monotonic() + CONFIG_POLL_S
            now_signature = config_signature(config_path)
            changed, signature = now_signature != signature, now_signature
        if not (hup["pending"] or changed):
            continue
        why = "SIGHUP" if hup["pending"] else "the file changed"
        hup["pending"] = False
        signature = config_signature(config_path)
        fresh = reload_config(config_path, config)
        if fresh is None:
            continue
        changed_sources = source_changes(config, fresh)
        config = fresh
        try:
            with Store(db_path) as store:
                store.sources.ensure_sources(config.source_registrations)
        except SchemaTooNew as exc:
            fatal.schema_too_new(exc)
            continue
        added, removed = scheduler.replace_jobs(build_jobs(config, db_path, client, fatal))
        log.info(
            "config reloaded from %s (%s): %d sources; added %s; removed %s; changed %s",
            config_path,
            why,
            sum(s.enabled for s in config.sources),
            ", ".join(added) or "none",
            ", ".join(removed) or "none",
            ", ".join(changed_sources) or "none",
        )
    clean = scheduler.stop(STOP_GRACE_S)
    if not clean:
        # A fetch is still under way: let the write in progress commit, forbid new ones, and leave.
        # Nothing is lost: the unfinished source is simply due again at the next start.
        quiesce_writes(timeout=10.0)
        log.info("stopped (abandoned the fetch under way for %s)", ", ".join(sorted(scheduler.running)))
        logging.shutdown()
        os._exit(fatal.status)
    client.close()
    lock.close()
    log.info("stopped")
    return fatal.status
