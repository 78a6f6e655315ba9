"""Import runs: one row per file offered to rmdesk, and the row errors it had."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rmdesk.core.models import BaseModel


class Feed(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    HOLDINGS = "holdings", _("Holdings (accounts)")
    TRANSACTIONS = "transactions", _("Transactions")
    PRODUCTS = "products", _("Products")


class ImportRun(BaseModel):
    """One attempt to import one file. Counts are of data rows (the header excluded)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        # Refused as a whole (size, header, too many bad rows): nothing applied.
        REJECTED = "rejected", _("Rejected")
        # Stopped by an unexpected error or interrupted: nothing applied.
        FAILED = "failed", _("Failed")
        # The same file was already imported: nothing to do.
        REPEAT = "repeat", _("Already imported")

    feed = models.CharField(_("feed"), max_length=16, choices=Feed.choices)
    file_name = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    new = models.PositiveIntegerField(_("new"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    # While running: rows read so far and how far into the file (published by the run
    # through a connection of its own, so readers see them during its transaction).
    rows_done = models.PositiveIntegerField(_("rows read"), default=0)
    bytes_done = models.BigIntegerField(_("bytes read"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RUNNING
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    forced = models.BooleanField(_("forced"), default=False)
    repeat_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_summary = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        indexes = [
            # The recent-runs list: ORDER BY started_at DESC.
            models.Index(fields=["-started_at", "-id"], name="ingest_importrun_recent"),
            # The repeat check: WHERE feed = ? AND sha256 = ? AND status = 'done'.
            models.Index(fields=["feed", "sha256"], name="ingest_importrun_hash"),
        ]
        constraints = [
            # A file applies once per feed: the loser of two concurrent imports fails
            # here even if both passed the repeat check. --force and dry runs are exempt.
            models.UniqueConstraint(
                fields=["feed", "sha256"],
                condition=Q(status="done", dry_run=False, forced=False),
                name="ingest_importrun_once",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.feed} {self.file_name}"


class ImportRowError(models.Model):
    """Why one row (or the header, row 1) was refused. Never holds the refused value."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="errors")
    # The row as a spreadsheet numbers it: the header is row 1, the first data row 2.
    row = models.PositiveIntegerField(_("row"))
    field = models.CharField(_("field"), max_length=64, blank=True)
    code = models.CharField(_("code"), max_length=40)
    reason = models.CharField(_("reason"), max_length=500)

    class Meta:
        verbose_name = _("import error")
        verbose_name_plural = _("import errors")
        indexes = [
            # A run's errors in file order: WHERE run_id = ? ORDER BY row, id.
            models.Index(fields=["run", "row", "id"], name="ingest_importrowerror_run"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.row} {self.field} {self.code}"
