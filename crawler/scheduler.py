"""When to run: each job on its own schedule, one run of a job at a time, with jitter.

The scheduler only decides *when*.  Each job says when it is next due (for sources, from the last
successful fetch stored in ``candidates.db``, so a restart neither refetches everything nor forgets what
is due) and what to run (the same one-shot crawl a person or cron can run).  After every run the job is
put back on APScheduler's calendar at its next due time; a reconcile pass picks up jobs that became due
again (a resumed source) or whose run was missed past the grace time (a laptop that slept for days).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger("rsiwatch.scheduler")

RECONCILE_EVERY_S = 15.0


@dataclass(frozen=True)
class Job:
    """Something to run whenever ``due()`` says; ``due()`` returning None means "not now" (paused)."""

    name: str
    due: Callable[[], datetime | None]
    run: Callable[[], None]


def next_cron_time(expression: str, after: datetime) -> datetime:
    """The first moment after ``after`` that a crontab expression names (UTC)."""
    trigger = CronTrigger.from_crontab(expression, timezone=timezone.utc)
    found = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    if found is None:
        raise ValueError(f"cron expression {expression!r} never fires")
    return found


class Scheduler:
    """APScheduler 3 in a background thread, driven by each job's own notion of when it is due."""

    def __init__(self, jobs: list[Job], *, jitter_s: float, misfire_grace_s: float, workers: int = 4) -> None:
        self.jobs = {job.name: job for job in jobs}
        self.jitter_s = jitter_s
        self.misfire_grace_s = misfire_grace_s
        self.stopping = threading.Event()
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._aps = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": int(max(1, misfire_grace_s))},
            timezone=timezone.utc,
        )

    # ---- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._aps.start()
        for name in self.jobs:
            self._plan(name, first=True)
        self._aps.add_job(self._reconcile, "interval", seconds=RECONCILE_EVERY_S, id="__reconcile__")

    def stop(self, grace_s: float) -> bool:
        """Stop planning, wait up to ``grace_s`` for running jobs; True when none is left running."""
        self.stopping.set()
        self._aps.shutdown(wait=False)
        deadline = datetime.now(timezone.utc) + timedelta(seconds=grace_s)
        while datetime.now(timezone.utc) < deadline:
            with self._lock:
                if not self._running:
                    return True
            self.stopping.wait(0.05)
        with self._lock:
            return not self._running

    @property
    def running(self) -> set[str]:
        with self._lock:
            return set(self._running)

    # ---- internals -----------------------------------------------------------------------------

    def _plan(self, name: str, *, first: bool = False) -> None:
        if self.stopping.is_set():
            return
        try:
            due = self.jobs[name].due()
        except Exception:  # a broken database read must not kill the schedule
            log.exception("%s: could not tell when it is due; trying again shortly", name)
            due = datetime.now(timezone.utc) + timedelta(seconds=RECONCILE_EVERY_S)
        if due is None:
            if self._aps.get_job(name):
                self._aps.remove_job(name)
            return
        now = datetime.now(timezone.utc)
        # Jitter spreads sources that fall due together; the first run after a start is not delayed much.
        jitter = random.uniform(0, self.jitter_s if not first else min(self.jitter_s, 1.0))
        run_at = max(due, now) + timedelta(seconds=jitter)
        self._aps.add_job(self._run, "date", run_date=run_at, args=[name], id=name, replace_existing=True)

    def _run(self, name: str) -> None:
        with self._lock:
            if name in self._running or self.stopping.is_set():
                return
            self._running.add(name)
        try:
            self.jobs[name].run()
        except Exception:
            log.exception("%s: the run failed", name)
        finally:
            with self._lock:
                self._running.discard(name)
            self._plan(name)

    def _reconcile(self) -> None:
        """Plan jobs that have no date on the calendar (resumed, or dropped after a long sleep)."""
        scheduled = {j.id for j in self._aps.get_jobs()}
        for name in self.jobs:
            if name not in scheduled and name not in self.running:
                self._plan(name)
