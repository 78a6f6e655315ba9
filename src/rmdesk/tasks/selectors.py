"""Reading the queue: for administrators, and for the probes and metrics."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from rmdesk.org.models import Staff
from rmdesk.tasks.models import Job
from rmdesk.tasks.policy import can_manage_jobs


def job_list(*, actor: Staff, status: str | None = None, name: str | None = None) -> QuerySet[Job]:
    """Jobs, newest first. Only administrators read the queue."""
    if not can_manage_jobs(actor):
        raise PermissionDenied
    jobs = Job.objects.order_by("-id")
    if status:
        jobs = jobs.filter(status=status)
    if name:
        jobs = jobs.filter(name=name)
    return jobs


def job_get(*, actor: Staff, job_id: int) -> Job:
    return job_list(actor=actor).get(pk=job_id)


def queue_depth() -> dict[tuple[str, str], int]:
    """Active jobs by (queue, status). Done/dead history is not counted (it is unbounded)."""
    rows = (
        Job.objects.filter(status__in=Job.ACTIVE)
        .values_list("queue", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(queue, status): n for queue, status, n in rows}


def queue_health(*, now: dt.datetime | None = None) -> dict[str, float | int]:
    """What a stuck queue looks like: the oldest due job's wait, and expired leases."""
    now = now or timezone.now()
    oldest = Job.objects.filter(
        status__in=[Job.Status.QUEUED, Job.Status.FAILED], run_after__lte=now
    ).aggregate(oldest=Min("run_after"))["oldest"]
    expired = Job.objects.filter(status=Job.Status.RUNNING, lease_expires_at__lt=now).count()
    return {
        "oldest_due_seconds": (now - oldest).total_seconds() if oldest else 0.0,
        "expired_leases": expired,
    }
