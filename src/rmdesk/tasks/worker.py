"""The worker: threads that claim jobs, run them under a renewed lease, and a scheduler.

``rmdesk worker`` runs one of these per process; start as many processes on as many
machines as the queue needs. SIGTERM (or Ctrl-C) stops claiming, lets running jobs
finish, and exits; a worker killed outright leaves its jobs to expire and be re-run.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from rmdesk.core import metrics
from rmdesk.tasks import registry, services
from rmdesk.tasks.models import Job

logger = logging.getLogger("rmdesk.tasks")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@contextmanager
def heartbeat(job: Job, worker: str, *, every: float) -> Iterator[threading.Event]:
    """Renew the job's lease from a side thread (its own connection) while it runs.

    The event yielded is set when the lease was lost (another worker took the job).
    """
    stop = threading.Event()
    lost = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every):
                try:
                    if not services.job_heartbeat(job_id=job.pk, worker=worker):
                        lost.set()
                        return
                except Exception:  # a busy database must not kill the run
                    logger.warning("lease renewal failed", extra={"job_id": job.pk}, exc_info=True)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{job.pk}", daemon=True)
    thread.start()
    try:
        yield lost
    finally:
        stop.set()
        thread.join(timeout=every + 5)


def job_execute(job: Job, worker: str, *, beat_every: float | None = None) -> str:
    """Run one claimed job: the task and the "done" mark commit together, or neither."""
    try:
        entry = registry.get(job.name)
    except LookupError:
        services.job_fail(
            job_id=job.pk,
            worker=worker,
            error=f"No task is registered as {job.name!r}.",
            retry=False,
        )
        return "dead"
    every = beat_every if beat_every is not None else services.lease_seconds() / 3
    started = time.monotonic()
    outcome = "done"
    try:
        with heartbeat(job, worker, every=every), transaction.atomic():
            result: Any = entry.function(**job.kwargs)
            services.job_complete(job_id=job.pk, worker=worker, result=result)
    except services.LeaseLost:
        outcome = "lost"
        logger.warning("job lease lost; rolled back", extra={"job_id": job.pk, "task": job.name})
    except Exception:
        error = traceback.format_exc()
        outcome = services.job_fail(job_id=job.pk, worker=worker, error=error) or "lost"
        logger.error(
            "task failed",
            extra={"job_id": job.pk, "task": job.name, "attempt": job.attempts, "outcome": outcome},
        )
    duration = time.monotonic() - started
    metrics.TASK_DURATION.labels(job.name, outcome).observe(duration)
    logger.info(
        "task finished",
        extra={
            "job_id": job.pk,
            "task": job.name,
            "outcome": outcome,
            "duration_ms": round(duration * 1000, 1),
            "attempt": job.attempts,
        },
    )
    return outcome


class Worker:
    def __init__(
        self,
        *,
        queues: Sequence[str] | None = None,
        concurrency: int = 1,
        once: bool = False,
        schedule: bool = True,
        poll_seconds: float | None = None,
    ) -> None:
        self.queues = list(queues) if queues else None
        self.concurrency = max(1, concurrency)
        self.once = once
        self.schedule = schedule
        self.poll_seconds = poll_seconds or float(
            getattr(settings, "RMDESK_TASK_POLL_SECONDS", 1.0)
        )
        self.name = worker_name()
        self.stopping = threading.Event()
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def stop(self, *_args: object) -> None:
        if not self.stopping.is_set():
            logger.info("worker stopping: finishing running jobs", extra={"worker": self.name})
        self.stopping.set()

    def _count(self, outcome: str) -> None:
        with self._lock:
            self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def _loop(self, index: int) -> None:
        me = f"{self.name}/{index}"
        try:
            while not self.stopping.is_set():
                close_old_connections()
                try:
                    job = services.job_claim(worker=me, queues=self.queues)
                except Exception:
                    logger.exception("claim failed", extra={"worker": me})
                    self.stopping.wait(self.poll_seconds)
                    continue
                if job is None:
                    if self.once:
                        return
                    self.stopping.wait(self.poll_seconds)
                    continue
                self._count(job_execute(job, me))
        finally:
            connection.close()

    def _tick(self) -> None:
        try:
            for job in services.schedule_tick():
                logger.info("scheduled", extra={"task": job.name, "job_id": job.pk})
        except Exception:
            logger.exception("schedule tick failed")
        finally:
            close_old_connections()

    def run(self) -> dict[str, int]:
        registry.discover()
        logger.info(
            "worker started",
            extra={"worker": self.name, "concurrency": self.concurrency, "queues": self.queues},
        )
        if self.schedule:
            self._tick()
        threads = [
            threading.Thread(target=self._loop, args=(i,), name=f"worker-{i}", daemon=True)
            for i in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        tick_every = float(getattr(settings, "RMDESK_SCHEDULE_SECONDS", 30))
        next_tick = time.monotonic() + tick_every
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=0.2)
            if self.schedule and not self.stopping.is_set() and time.monotonic() >= next_tick:
                self._tick()
                next_tick = time.monotonic() + tick_every
        connection.close()
        logger.info("worker stopped", extra={"worker": self.name, "counts": self.counts})
        return dict(self.counts)
