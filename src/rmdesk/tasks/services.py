"""The queue's writes: enqueue, claim under a lease, finish, fail with backoff, retry.

Delivery is at least once; the worker runs each job's task and marks the job done in
ONE transaction, fenced by the lease (``leased_by``), so a task whose effects are in
the database commits them exactly once: a worker that dies mid-task rolls back, and a
worker whose lease was taken over cannot mark the job done, so it rolls back too.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.core.errors import ConflictError, DomainError
from rmdesk.org.models import Staff
from rmdesk.tasks import registry
from rmdesk.tasks.models import Job, ScheduleRun
from rmdesk.tasks.policy import can_manage_jobs

ERROR_LIMIT = 10_000


def lease_seconds() -> int:
    return int(getattr(settings, "RMDESK_TASK_LEASE_SECONDS", 60))


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff with jitter: base·2^(n-1), capped, times 0.5–1."""
    base = float(getattr(settings, "RMDESK_TASK_RETRY_BASE_SECONDS", 30))
    cap = float(getattr(settings, "RMDESK_TASK_RETRY_MAX_SECONDS", 3600))
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=delay * (0.5 + random.random() / 2))  # noqa: S311


def _json_safe(value: Any, *, field: str) -> Any:
    try:
        return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    except (TypeError, ValueError) as exc:
        raise DomainError(
            _("The task's arguments must be JSON values."),
            code="task_arguments_not_json",
            details=[{"field": field, "reason": str(exc)}],
        ) from exc


def job_enqueue(
    *,
    name: str,
    kwargs: dict[str, Any] | None = None,
    queue: str = "default",
    unique_key: str | None = None,
    run_after: dt.datetime | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Queue a run of task ``name``. Inside a transaction the job commits (or not) with it.

    With ``unique_key``, at most one active (queued, running or retrying) job holds
    the key: enqueueing again returns the one already there.
    """
    try:
        registry.get(name)
    except LookupError as exc:
        raise DomainError(
            _("No task is registered under this name."),
            code="task_unknown",
            details=[{"field": "name", "reason": name}],
        ) from exc
    job = Job(
        name=name,
        queue=queue,
        kwargs=_json_safe(kwargs or {}, field="kwargs"),
        unique_key=unique_key or None,
        run_after=run_after or timezone.now(),
        max_attempts=max_attempts or int(getattr(settings, "RMDESK_TASK_MAX_ATTEMPTS", 5)),
    )
    if unique_key is None:
        job.save()
        return job
    for _attempt in range(3):
        try:
            with transaction.atomic():
                job.save()
            return job
        except IntegrityError:
            job.pk = None
            existing = Job.objects.filter(unique_key=unique_key, status__in=Job.ACTIVE).first()
            if existing is not None:
                return existing
    raise ConflictError(_("The job could not be queued; try again."), code="task_enqueue_race")


def enqueue(name: str, **kwargs: Any) -> Job:
    """Shorthand: ``enqueue("contact.plans_generate", day="2026-01-05")``."""
    return job_enqueue(name=name, kwargs=kwargs)


def job_claim(*, worker: str, queues: Sequence[str] | None = None) -> Job | None:
    """Lease the next due job to ``worker``, or None when nothing is due.

    PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` so concurrent workers take
    different rows without waiting. SQLite: the transaction is IMMEDIATE (settings),
    so claims are serialised by the database's write lock.
    """
    while True:
        with transaction.atomic():
            now = timezone.now()
            expired = Job.objects.filter(status=Job.Status.RUNNING, lease_expires_at__lt=now)
            due = Job.objects.filter(
                status__in=[Job.Status.QUEUED, Job.Status.FAILED], run_after__lte=now
            )
            if queues:
                expired = expired.filter(queue__in=queues)
                due = due.filter(queue__in=queues)
            job = expired.select_for_update(skip_locked=True).order_by("lease_expires_at").first()
            if job is not None and job.attempts >= job.max_attempts:
                # Its worker died on the last attempt: a task that kills its worker
                # every time must not circle forever.
                job.status = Job.Status.DEAD
                # Diagnostics for operators, like a traceback: not translated.
                job.error = "The worker running the last attempt stopped (lease expired)."
                job.leased_by = ""
                job.lease_expires_at = None
                job.finished_at = now
                job.save(
                    update_fields=[
                        "status",
                        "error",
                        "leased_by",
                        "lease_expires_at",
                        "finished_at",
                    ]
                )
                continue
            if job is None:
                job = due.select_for_update(skip_locked=True).order_by("run_after", "id").first()
            if job is None:
                return None
            job.status = Job.Status.RUNNING
            job.leased_by = worker
            job.lease_expires_at = now + dt.timedelta(seconds=lease_seconds())
            job.attempts += 1
            job.started_at = now
            job.save(
                update_fields=["status", "leased_by", "lease_expires_at", "attempts", "started_at"]
            )
            return job


def job_heartbeat(*, job_id: int, worker: str) -> bool:
    """Extend the lease of a job ``worker`` still holds; False when it has lost it."""
    return bool(
        Job.objects.filter(pk=job_id, leased_by=worker, status=Job.Status.RUNNING).update(
            lease_expires_at=timezone.now() + dt.timedelta(seconds=lease_seconds())
        )
    )


class LeaseLost(Exception):
    """Another worker took the job over (this one's lease expired): roll back."""


def job_complete(*, job_id: int, worker: str, result: Any) -> None:
    """Mark the job done; call inside the task's transaction. Raises LeaseLost when fenced."""
    done = Job.objects.filter(pk=job_id, leased_by=worker, status=Job.Status.RUNNING).update(
        status=Job.Status.DONE,
        result=_json_safe(result, field="result"),
        error="",
        lease_expires_at=None,
        finished_at=timezone.now(),
    )
    if not done:
        raise LeaseLost(job_id)


@transaction.atomic
def job_fail(*, job_id: int, worker: str, error: str, retry: bool = True) -> str | None:
    """Record a failed attempt: back off and retry, or dead when attempts are spent."""
    job = (
        Job.objects.select_for_update()
        .filter(pk=job_id, leased_by=worker, status=Job.Status.RUNNING)
        .first()
    )
    if job is None:
        return None
    now = timezone.now()
    job.error = error[-ERROR_LIMIT:]
    job.leased_by = ""
    job.lease_expires_at = None
    if retry and job.attempts < job.max_attempts:
        job.status = Job.Status.FAILED
        job.run_after = now + retry_delay(job.attempts)
    else:
        job.status = Job.Status.DEAD
        job.finished_at = now
    job.save(
        update_fields=[
            "status",
            "error",
            "leased_by",
            "lease_expires_at",
            "run_after",
            "finished_at",
        ]
    )
    return str(job.status)


@transaction.atomic
def job_retry(*, actor: Staff, job_id: int) -> Job:
    """An administrator sends a dead job back to the queue, with fresh attempts."""
    if not can_manage_jobs(actor):
        raise PermissionDenied
    job = Job.objects.select_for_update().filter(pk=job_id).first()
    if job is None:
        raise Http404
    if job.status != Job.Status.DEAD:
        raise ConflictError(
            _("Only a dead job can be retried."),
            code="job_not_dead",
            details=[{"field": "status", "reason": job.status}],
        )
    if (
        job.unique_key
        and Job.objects.filter(unique_key=job.unique_key, status__in=Job.ACTIVE).exists()
    ):
        raise ConflictError(
            _("Another job with the same key is already queued or running."),
            code="job_duplicate_active",
        )
    job.status = Job.Status.QUEUED
    job.attempts = 0
    job.run_after = timezone.now()
    job.finished_at = None
    job.save(update_fields=["status", "attempts", "run_after", "finished_at"])
    audit_record(actor=actor, action="tasks.job.retry", target=job, data={"name": job.name})
    return job


def schedule_period(schedule: registry.Schedule, now: dt.datetime) -> str:
    """The period ``now`` falls in: the interval's start (UTC), or the latest due day."""
    if schedule.interval is not None:
        seconds = int(schedule.interval.total_seconds())
        start = int(now.timestamp()) // seconds * seconds
        return dt.datetime.fromtimestamp(start, tz=dt.UTC).strftime("%Y-%m-%dT%H:%MZ")
    assert schedule.at is not None  # noqa: S101 (a Schedule is one or the other)
    local = timezone.localtime(now)
    day = local.date() if local.time() >= schedule.at else local.date() - dt.timedelta(days=1)
    return day.isoformat()


def schedule_tick(*, now: dt.datetime | None = None) -> list[Job]:
    """Enqueue every scheduled task whose current period has not been enqueued yet.

    Any number of workers call this; the unique (task, period) row makes exactly one
    of them enqueue each period. A daily task first seen after its time runs that day.
    """
    now = now or timezone.now()
    enqueued: list[Job] = []
    for entry in registry.registered().values():
        if entry.schedule is None:
            continue
        period = schedule_period(entry.schedule, now)
        if ScheduleRun.objects.filter(task=entry.name, period=period).exists():
            continue
        try:
            with transaction.atomic():
                run = ScheduleRun.objects.create(task=entry.name, period=period, created_at=now)
                job = job_enqueue(name=entry.name, unique_key=f"schedule:{entry.name}")
                run.job = job
                run.save(update_fields=["job"])
        except IntegrityError:
            continue
        enqueued.append(job)
    return enqueued


def jobs_prune(*, keep_days: int | None = None) -> dict[str, int]:
    """Delete finished jobs and schedule records older than ``keep_days``."""
    days = keep_days if keep_days is not None else getattr(settings, "RMDESK_TASK_KEEP_DAYS", 14)
    cutoff = timezone.now() - dt.timedelta(days=days)
    with transaction.atomic():
        runs, _by = ScheduleRun.objects.filter(created_at__lt=cutoff).delete()
        jobs, _by = Job.objects.filter(
            status__in=[Job.Status.DONE, Job.Status.DEAD], finished_at__lt=cutoff
        ).delete()
    return {"jobs": jobs, "schedule_runs": runs}
