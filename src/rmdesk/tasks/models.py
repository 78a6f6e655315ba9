"""The task queue's tables: jobs to run, and the schedule's record of periods enqueued."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """One run of a registered task, claimed by one worker at a time under a lease.

    Life cycle: ``queued`` → ``running`` (leased) → ``done``; a failed attempt goes
    to ``failed`` and is claimable again after ``run_after`` (backoff), until
    ``max_attempts`` is spent and it is ``dead``. A ``running`` job whose lease has
    expired (its worker died) is claimable again.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed, will retry")
        DEAD = "dead", _("Dead")

    ACTIVE = (Status.QUEUED, Status.RUNNING, Status.FAILED)

    name = models.CharField(_("task"), max_length=100)
    queue = models.CharField(_("queue"), max_length=50, default="default")
    kwargs = models.JSONField(_("arguments"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveIntegerField(_("most attempts"), default=5)
    run_after = models.DateTimeField(_("run after"), default=timezone.now)
    leased_by = models.CharField(_("leased by"), max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    unique_key = models.CharField(_("unique key"), max_length=200, null=True, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [
            # The claim: claimable jobs of a queue, oldest due first.
            models.Index(
                fields=["queue", "run_after", "id"],
                name="tasks_job_claimable",
                condition=Q(status__in=["queued", "failed"]),
            ),
            # Expired leases, and the readiness probe's "running for too long".
            models.Index(
                fields=["lease_expires_at"],
                name="tasks_job_running",
                condition=Q(status="running"),
            ),
            models.Index(fields=["status", "-id"], name="tasks_job_status"),
        ]
        constraints = [
            # De-duplication: one active job per unique key; a finished one frees it.
            models.UniqueConstraint(
                fields=["unique_key"],
                condition=Q(status__in=["queued", "running", "failed"]),
                name="tasks_job_unique_active_key",
            ),
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1), name="tasks_job_max_attempts_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk} ({self.status})"


class ScheduleRun(models.Model):
    """The period a scheduled task was enqueued for; unique, so once per period."""

    task = models.CharField(_("task"), max_length=100)
    period = models.CharField(_("period"), max_length=40)
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        constraints = [
            models.UniqueConstraint(fields=["task", "period"], name="tasks_schedulerun_once"),
        ]

    def __str__(self) -> str:
        return f"{self.task} @ {self.period}"
