"""Importing a core-system file: the one write path for the command, the page and the API.

A run is recorded first (status ``running``, committed on its own, so a crash leaves a
trace). Everything else — reading, validating, staging, merging, refreshing derived
data, the row errors, the final status and the audit entry — happens in ONE database
transaction. A run killed at any point therefore leaves none of its rows; running the
file again applies it whole. One transaction rather than resumable batches: a nightly
feed is applied entirely or not at all (D1, F1), PostgreSQL handles a transaction of
millions of rows without trouble, and there is no checkpoint whose half-applied state
readers could see.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.core.errors import DomainError
from rmdesk.customers.models import Customer, CustomerAssignment
from rmdesk.customers.services import customer_balances_refresh, customer_tiers_refresh
from rmdesk.ingest.feeds import (
    FEEDS,
    Chunk,
    CustomersFeed,
    FeedSpec,
    HoldingsFeed,
    RowError,
    key_of,
)
from rmdesk.ingest.merge import merger_for
from rmdesk.ingest.models import Feed, ImportRowError, ImportRun
from rmdesk.ingest.parsing import Cell, CellError, FileRefused, read_table, text
from rmdesk.ingest.permissions import can_import
from rmdesk.org.models import Staff

logger = logging.getLogger(__name__)

CHUNK = 2000
MB = 1024 * 1024
# An XLSX may unpack to this many times the file limit, no more (zip bombs).
UNZIP_FACTOR = 10


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    max_errors: int


def upload_limits() -> Limits:
    """Limits for files uploaded through the page or the API."""
    return Limits(
        max_bytes=settings.RMDESK_IMPORT_MAX_BYTES,
        max_rows=settings.RMDESK_IMPORT_MAX_ROWS,
        max_errors=settings.RMDESK_IMPORT_MAX_ERRORS,
    )


def command_limits() -> Limits:
    """Limits for ``rmdesk import`` (an operator's nightly files are larger)."""
    return Limits(
        max_bytes=50 * MB, max_rows=2_000_000, max_errors=settings.RMDESK_IMPORT_MAX_ERRORS
    )


class TooManyErrors(Exception):
    def __init__(self, rows: int, rejected: int, errors: list[RowError]) -> None:
        super().__init__(rows, rejected)
        self.rows = rows
        self.rejected = rejected
        self.errors = errors


@dataclass
class Outcome:
    rows: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0


class _DryRun(Exception):
    """Unwinds the data transaction of a dry run, carrying its counts out."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__()
        self.outcome = outcome


def _read_bounded(source: IO[bytes], max_bytes: int) -> tuple[bytes, str, int]:
    """Read at most ``max_bytes`` (+1 to detect overflow); hash what was read."""
    digest = hashlib.sha256()
    parts: list[bytes] = []
    size = 0
    while size <= max_bytes:
        block = source.read(min(1 * MB, max_bytes + 1 - size))
        if not block:
            break
        parts.append(block)
        digest.update(block)
        size += len(block)
    return b"".join(parts), digest.hexdigest(), size


def import_file(
    *,
    actor: Staff | None,
    feed: str,
    source: IO[bytes],
    file_name: str,
    limits: Limits,
    dry_run: bool = False,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 10_000,
) -> ImportRun:
    """Import one feed file; returns the run, whose status says what happened.

    ``actor`` None is the system (a nightly job). Statuses: done (valid rows applied,
    invalid ones listed), repeat (this file was already imported: nothing done),
    rejected (file refused as a whole or too many bad rows: nothing applied), failed
    (unexpected error: nothing applied). Raises PermissionDenied, DomainError("unknown_feed").
    Must not be called inside a transaction that outlives it (the run row is committed
    first so that an interrupted run stays visible).
    """
    if actor is not None and not can_import(actor):
        raise PermissionDenied
    if feed not in FEEDS:
        raise DomainError(_("Unknown feed."), code="unknown_feed")
    data, sha256, size = _read_bounded(source, limits.max_bytes)
    run = ImportRun.objects.create(
        feed=feed,
        file_name=file_name[-255:],
        sha256=sha256 if size <= limits.max_bytes else "",
        size=size,
        dry_run=dry_run,
        forced=force,
        started_by=actor,
        started_at=timezone.now(),
    )
    try:
        if size > limits.max_bytes:
            raise FileRefused(
                _("The file is larger than %(mb)s MB.") % {"mb": limits.max_bytes // MB},
                code="FILE_TOO_LARGE",
                status=413,
            )
        _run(run, FEEDS[feed](), data, limits=limits, progress=progress, every=progress_every)
    except FileRefused as exc:
        _finish(
            run,
            ImportRun.Status.REJECTED,
            actor=actor,
            code=exc.code,
            summary=str(exc.message),
            errors=[RowError(exc.row, exc.field, exc.code, str(exc.message))],
        )
    except TooManyErrors as exc:
        run.rows, run.rejected = exc.rows, exc.rejected
        _finish(
            run,
            ImportRun.Status.REJECTED,
            actor=actor,
            code="TOO_MANY_ERRORS",
            summary=_(
                "More than %(n)s rows were refused; nothing was applied. "
                "The first refusals are listed."
            )
            % {"n": limits.max_errors},
            errors=exc.errors,
        )
    except Exception:
        logger.exception("Import run %s failed", run.pk)
        _finish(
            run,
            ImportRun.Status.FAILED,
            actor=actor,
            code="IMPORT_FAILED",
            summary=_("The import stopped on an unexpected error; nothing was applied."),
            errors=[],
        )
    return run


def _finish(
    run: ImportRun,
    status: ImportRun.Status,
    *,
    actor: Staff | None,
    code: str,
    summary: str,
    errors: list[RowError],
) -> None:
    """Record the end of a run that applied nothing."""
    with transaction.atomic():
        run.status = status
        run.error_code = code
        run.error_summary = summary[:500]
        run.new = run.changed = run.unchanged = 0
        run.finished_at = timezone.now()
        run.save()
        _save_errors(run, errors)
        _audit(run, actor)


def _save_errors(run: ImportRun, errors: list[RowError]) -> None:
    ImportRowError.objects.bulk_create(
        [
            ImportRowError(
                run=run, row=e.row, field=e.field[:64], code=e.code[:40], reason=e.reason[:500]
            )
            for e in errors
        ],
        batch_size=1000,
    )


def _audit(run: ImportRun, actor: Staff | None) -> None:
    # Counts and the file's hash only: the file name and the rows may be personal data.
    audit_record(
        actor=actor,
        action=f"ingest.run.{run.status}",
        target=run,
        data={
            "feed": run.feed,
            "sha256": run.sha256,
            "dry_run": run.dry_run,
            "forced": run.forced,
            "rows": run.rows,
            "new": run.new,
            "changed": run.changed,
            "unchanged": run.unchanged,
            "rejected": run.rejected,
            "error_code": run.error_code,
        },
    )


def _lock_file(feed: str, sha256: str) -> None:
    """Serialise imports of one file. SQLite's IMMEDIATE transactions already do."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"ingest:{feed}:{sha256}".encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _run(
    run: ImportRun,
    spec: FeedSpec,
    data: bytes,
    *,
    limits: Limits,
    progress: Callable[[int], None] | None,
    every: int,
) -> None:
    actor = run.started_by
    with transaction.atomic():
        _lock_file(run.feed, run.sha256)
        if not run.forced:
            earlier = (
                ImportRun.objects.filter(
                    feed=run.feed, sha256=run.sha256, status=ImportRun.Status.DONE, dry_run=False
                )
                .order_by("pk")
                .first()
            )
            if earlier is not None:
                run.status = ImportRun.Status.REPEAT
                run.repeat_of = earlier
                run.rows = earlier.rows
                run.finished_at = timezone.now()
                run.error_summary = _(
                    "This file was imported already (run #%(id)s); nothing was done."
                ) % {"id": earlier.pk}
                run.save()
                _audit(run, actor)
                return
        # Runs of this file left "running" by a crash applied nothing: their transaction
        # died with them. (A run waiting for the lock sets its own status when it ends.)
        ImportRun.objects.filter(
            feed=run.feed, sha256=run.sha256, status=ImportRun.Status.RUNNING, pk__lt=run.pk
        ).update(status=ImportRun.Status.FAILED, error_code="INTERRUPTED")
        errors: list[RowError] = []
        try:
            with transaction.atomic():
                outcome = _apply(spec, data, errors, limits=limits, progress=progress, every=every)
                if run.dry_run:
                    raise _DryRun(outcome)
        except _DryRun as dry:
            outcome = dry.outcome
        run.rows, run.new, run.changed = outcome.rows, outcome.new, outcome.changed
        run.unchanged, run.rejected = outcome.unchanged, outcome.rejected
        run.status = ImportRun.Status.DONE
        run.finished_at = timezone.now()
        run.save()
        _save_errors(run, errors)
        _audit(run, actor)


def _check_header(spec: FeedSpec, header: list[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if not name:
            raise FileRefused(_("A column has no name."), code="EMPTY_COLUMN_NAME")
        if name in seen:
            raise FileRefused(
                _("The column %(name)s appears twice.") % {"name": name},
                code="DUPLICATE_COLUMN",
                field=name,
            )
        if name not in spec.columns:
            raise FileRefused(
                _("Unknown column %(name)s (see docs/ingest.md for the columns of this feed).")
                % {"name": name},
                code="UNKNOWN_COLUMN",
                field=name,
            )
        seen.add(name)
    for name in spec.required:
        if name not in seen:
            raise FileRefused(
                _("The required column %(name)s is missing.") % {"name": name},
                code="MISSING_COLUMN",
                field=name,
            )


def _batched(rows: Iterator[tuple[int, list[Cell]]], size: int) -> Iterator[list[Any]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _apply(
    spec: FeedSpec,
    data: bytes,
    errors: list[RowError],
    *,
    limits: Limits,
    progress: Callable[[int], None] | None,
    every: int,
) -> Outcome:
    """Read, validate, stage and merge the file. Runs inside the run's transaction."""
    table = read_table(data, max_unzipped=limits.max_bytes * UNZIP_FACTOR)
    _check_header(spec, table.header)
    width = len(table.header)
    now = timezone.now()
    merger = merger_for(spec, now=now)
    outcome = Outcome()
    first_row: dict[str, int] = {}  # key → the row that has it first
    valid_keys: list[str] = []
    rejected_rows: set[int] = set()
    reported = 0
    for raw_chunk in _batched(table.rows, CHUNK):
        outcome.rows += len(raw_chunk)
        if outcome.rows > limits.max_rows:
            raise FileRefused(
                _("The file has more than %(n)s rows.") % {"n": limits.max_rows},
                code="TOO_MANY_ROWS",
                status=413,
            )
        chunk: Chunk = []
        for number, cells in raw_chunk:
            before = len(errors)
            if any(text(cell).strip() for cell in cells[width:]):
                errors.append(
                    RowError(
                        number, "", "EXTRA_FIELDS", _("The row has more fields than the header.")
                    )
                )
            values = dict(zip(table.header, cells, strict=False))
            try:
                key = key_of(values.get(spec.key), max_length=spec.key_length)
            except CellError as exc:
                errors.append(RowError(number, spec.key, exc.code, exc.reason))
            else:
                if key in first_row:
                    errors.append(
                        RowError(
                            number,
                            spec.key,
                            "DUPLICATE_KEY",
                            _("The same key is on row %(row)s.") % {"row": first_row[key]},
                        )
                    )
                else:
                    first_row[key] = number
                    if len(errors) == before:
                        chunk.append((number, key, values))
            if len(errors) > before:
                rejected_rows.add(number)
        before = len(errors)
        valid = spec.clean(chunk, errors)
        rejected_rows.update(e.row for e in errors[before:])
        if len(rejected_rows) > limits.max_errors:
            raise TooManyErrors(outcome.rows, len(rejected_rows), errors)
        merger.add(valid)
        valid_keys += [getattr(obj, spec.key) for obj in valid]
        if progress is not None and outcome.rows - reported >= every:
            reported = outcome.rows
            progress(outcome.rows)
    outcome.new, outcome.changed = merger.finish()
    outcome.rejected = len(rejected_rows)
    outcome.unchanged = len(valid_keys) - outcome.new - outcome.changed
    if isinstance(spec, CustomersFeed):
        _assignments_sync(valid_keys, now=now)
    if isinstance(spec, HoldingsFeed):
        _derived_refresh(spec.touched_customers)
    if progress is not None:
        progress(outcome.rows)
    return outcome


def _assignments_sync(customer_nos: list[str], *, now: Any) -> None:
    """Keep the assignment history in step with the imported lead managers, set-based.

    Ends open lead assignments whose manager is no longer the customer's, then opens
    one for every imported customer that has a manager and no open lead assignment.
    """
    lead = CustomerAssignment.Role.LEAD
    for start in range(0, len(customer_nos), CHUNK):
        keys = customer_nos[start : start + CHUNK]
        CustomerAssignment.objects.filter(
            role=lead, ended_at__isnull=True, customer__customer_no__in=keys
        ).exclude(manager_id=F("customer__primary_manager_id")).update(ended_at=now)
        open_lead = CustomerAssignment.objects.filter(
            customer=OuterRef("pk"), role=lead, ended_at__isnull=True
        )
        missing = (
            Customer.objects.filter(customer_no__in=keys, primary_manager__isnull=False)
            .exclude(Exists(open_lead))
            .values_list("pk", "primary_manager_id")
        )
        CustomerAssignment.objects.bulk_create(
            [
                CustomerAssignment(
                    customer_id=pk, manager_id=manager, role=lead, started_at=now, note=""
                )
                for pk, manager in missing
            ],
            batch_size=1000,
        )


def _derived_refresh(customer_ids: set[int]) -> None:
    """AUM, liabilities and tier of the customers whose holdings the file touched."""
    ordered = sorted(customer_ids)
    for start in range(0, len(ordered), 5000):
        ids = ordered[start : start + 5000]
        customer_balances_refresh(customer_ids=ids)
        customer_tiers_refresh(customer_ids=ids)


# --- Reads ----------------------------------------------------------------------------


def import_run_list(*, actor: Staff) -> QuerySet[ImportRun]:
    """Recent runs, everyone's; for the roles that may import. Raises PermissionDenied."""
    if not can_import(actor):
        raise PermissionDenied
    return ImportRun.objects.select_related("started_by").order_by("-started_at", "-id")


def import_run_get(*, actor: Staff, run_id: int) -> ImportRun:
    return get_object_or_404(import_run_list(actor=actor), pk=run_id)


def import_errors_csv(*, run: ImportRun) -> str:
    """The run's refusals as CSV (with a BOM, so spreadsheet programs read it as UTF-8)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["row", "field", "code", "reason"])
    for row, field, code, reason in (
        run.errors.order_by("row", "id").values_list("row", "field", "code", "reason").iterator()
    ):
        writer.writerow([row, field, code, reason])
    return out.getvalue()


__all__ = [
    "Feed",
    "Limits",
    "command_limits",
    "import_errors_csv",
    "import_file",
    "import_run_get",
    "import_run_list",
    "upload_limits",
]
