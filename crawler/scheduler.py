"""When to run: each job on its own schedule, one run of a job at a time, with jitter.

The scheduler only decides *when*.  Each job says when it is next due (for sources, from the last
successful fetch stored in ``candidates.db``, so a restart neither refetches everything nor forgets what
is due) and what to run (the same one-shot crawl a person or cron can run).  After every run the job is
put back on APScheduler's calendar at its next due time; a reconcile pass picks up jobs that became due
again (a resumed source) or whose run was missed past the grace time (a laptop that slept for days).

Jitter spreads jobs that fall due together, but never bends a schedule: it is at most a tenth of the
job's own interval (``every: 3s`` runs every 3 to 3.3 s, ``every: 1d`` within the configured jitter).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("rsiwatch.scheduler")

RECONCILE_EVERY_S = 15.0


# The share of a job's own interval that jitter may take at most.
MAX_JITTER_SHARE = 0.1
# After a start the first runs are spread over at most this much (a fresh daemon gets going at once).
FIRST_RUN_JITTER_S = 1.0


@dataclass(frozen=True)
class Job:
    """Something to run whenever ``due()`` says; ``due()`` returning None means "not now" (paused).

    ``interval(due)`` is the time in seconds from the run due at ``due`` to the one after it (the gap to
    the next cron firing for crontab schedules); it bounds the jitter.
    """

    name: str
    due: Callable[[], datetime | None]
    run: Callable[[], None]
    interval: Callable[[datetime], float]


def max_jitter_s(jitter_s: float, interval_s: float) -> float:
    """The most a run may be delayed: the configured jitter, never more than a tenth of the interval."""
    return max(0.0, min(jitter_s, interval_s * MAX_JITTER_SHARE))


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
            timezone=UTC,
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
        deadline = datetime.now(UTC) + timedelta(seconds=grace_s)
        while datetime.now(UTC) < deadline:
            with self._lock:
                if not self._running:
                    return True
            self.stopping.wait(0.05)
        with self._lock:
            return not self._running

    def replace_jobs(self, jobs: list[Job]) -> tuple[list[str], list[str]]:
        """Swap in a new set of jobs (a reloaded config): removed ones leave the calendar (a run under way
        finishes, and is not planned again), the others are planned afresh from their own ``due()``.
        Returns the names added and removed."""
        new = {job.name: job for job in jobs}
        with self._lock:
            old, self.jobs = self.jobs, new
        removed = sorted(set(old) - set(new))
        for name in removed:
            if self._aps.get_job(name):
                self._aps.remove_job(name)
        for name in new:
            if name not in self.running:
                self._plan(name)
        return sorted(set(new) - set(old)), removed

    @property
    def running(self) -> set[str]:
        with self._lock:
            return set(self._running)

    # ---- internals -----------------------------------------------------------------------------

    def _plan(self, name: str, *, first: bool = False) -> None:
        job = self.jobs.get(name)
        if self.stopping.is_set() or job is None:  # None: removed by replace_jobs
            return
        try:
            due = job.due()
        except Exception:  # a broken database read must not kill the schedule
            log.exception("%s: could not tell when it is due; trying again shortly", name)
            due = datetime.now(UTC) + timedelta(seconds=RECONCILE_EVERY_S)
        if due is None:
            if self._aps.get_job(name):
                self._aps.remove_job(name)
            return
        now = datetime.now(UTC)
        run_at = max(due, now)
        try:
            interval = job.interval(run_at)
        except Exception:  # a schedule that cannot say its interval still runs, unjittered
            log.exception("%s: could not tell its interval; running without jitter", name)
            interval = 0.0
        bound = max_jitter_s(min(self.jitter_s, FIRST_RUN_JITTER_S) if first else self.jitter_s, interval)
        run_at += timedelta(seconds=random.uniform(0, bound))
        self._aps.add_job(self._run, "date", run_date=run_at, args=[name], id=name, replace_existing=True)

    def _run(self, name: str) -> None:
        with self._lock:
            job = self.jobs.get(name)
            if job is None or name in self._running or self.stopping.is_set():
                return
            self._running.add(name)
        try:
            job.run()
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
