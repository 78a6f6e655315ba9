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
import io
import logging
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, connections, transaction
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.core.errors import DomainError
from rmdesk.customers.models import CustomerAssignment, Holding
from rmdesk.customers.services import customer_holdings_refresh
from rmdesk.ingest import customers_sql, setbased
from rmdesk.ingest.feeds import (
    FEEDS,
    CustomersFeed,
    FeedSpec,
    HoldingsFeed,
    RowError,
    key_of,
)
from rmdesk.ingest.hooks import BEFORE_MERGE
from rmdesk.ingest.merge import Param, Stage, analyze, insert_select
from rmdesk.ingest.models import Feed, ImportRowError, ImportRun
from rmdesk.ingest.parsing import (
    Cell,
    CellError,
    FileRefused,
    Spooled,
    Table,
    read_table,
    spool,
    text,
)
from rmdesk.ingest.permissions import can_import, importable_feeds
from rmdesk.org.models import Staff

logger = logging.getLogger(__name__)

CHUNK = 5000
# Memory a run's set-based statements may use per hash or sort (PostgreSQL).
WORK_MEM = "128MB"
# A merge that inserted more rows than this refreshes the table's planner statistics.
ANALYZE_AFTER = 10_000
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
    # A run holds a chunk of rows in memory, never the file (it is spooled to disk):
    # these bound the time and the disk a run may take, not its memory.
    return Limits(
        max_bytes=4096 * MB, max_rows=50_000_000, max_errors=settings.RMDESK_IMPORT_MAX_ERRORS
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


def import_file(
    *,
    actor: Staff | None,
    feed: str,
    source: IO[bytes],
    file_name: str,
    limits: Limits,
    dry_run: bool = False,
    force: bool = False,
    progress: Callable[[int, float], None] | None = None,
    progress_every: int = 10_000,
    set_based: bool | None = None,
) -> ImportRun:
    """Import one feed file; returns the run, whose status says what happened.

    ``actor`` None is the system (a nightly job). Statuses: done (valid rows applied,
    invalid ones listed), repeat (this file was already imported: nothing done),
    rejected (file refused as a whole or too many bad rows: nothing applied), failed
    (unexpected error: nothing applied). Raises PermissionDenied, DomainError("unknown_feed").
    Must not be called inside a transaction that outlives it (the run row is committed
    first so that an interrupted run stays visible). ``set_based`` chooses whether a CSV
    file of a feed that has a set-based path takes it on PostgreSQL (setbased.py; False
    reads every file row by row); None follows ``RMDESK_INGEST_SET_BASED``.
    """
    if actor is not None and not can_import(actor):
        raise PermissionDenied
    if feed not in FEEDS:
        raise DomainError(_("Unknown feed."), code="unknown_feed")
    if actor is not None and not can_import(actor, feed):
        raise PermissionDenied
    # Progress is published through a connection of its own, so that readers see it
    # while the run's transaction is open; not when the caller holds a transaction
    # (the run row would not be visible to that connection) and not on SQLite (one
    # writer at a time).
    live = connection.vendor == "postgresql" and not connection.in_atomic_block
    spooled = spool(source, max_bytes=limits.max_bytes)
    try:
        run = ImportRun.objects.create(
            feed=feed,
            file_name=file_name[-255:],
            sha256="" if spooled.too_large else spooled.sha256,
            size=spooled.size,
            dry_run=dry_run,
            forced=force,
            started_by=actor,
            started_at=timezone.now(),
        )
        reporter = Progress(run, spooled, callback=progress, every=progress_every, live=live)
        try:
            _attempt(
                run,
                FEEDS[feed](),
                spooled,
                limits=limits,
                reporter=reporter,
                set_based=settings.RMDESK_INGEST_SET_BASED if set_based is None else set_based,
            )
        finally:
            reporter.close()
    finally:
        spooled.close()
    return run


class Progress:
    """Rows read so far: to the caller's callback, and onto the run row for readers."""

    def __init__(
        self,
        run: ImportRun,
        spooled: Spooled,
        *,
        callback: Callable[[int, float], None] | None,
        every: int,
        live: bool,
    ) -> None:
        self.run = run
        self.spooled = spooled
        self.callback = callback
        self.every = every
        self.reported = 0
        self.live = live
        self.connection: Any = None
        self.published = 0.0

    def rows(self, count: int) -> None:
        self.run.rows_done = count
        if self.callback is not None and count - self.reported >= self.every:
            self.reported = count
            self.callback(count, self.position() / max(1, self.spooled.size))
        if self.live and time.monotonic() - self.published >= 1.0:
            self.published = time.monotonic()
            self._publish(count)

    def done(self, count: int) -> None:
        self.run.rows_done = count
        self.run.bytes_done = self.spooled.size
        if self.callback is not None:
            self.callback(count, 1.0)

    def position(self) -> int:
        """How far into the file the reader is (a block ahead of the rows: close enough)."""
        try:
            return min(self.spooled.file.tell(), self.spooled.size)
        except (OSError, ValueError):
            return 0

    def _publish(self, count: int) -> None:
        position = self.position()
        try:
            if self.connection is None:
                self.connection = connections.create_connection("default")
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE ingest_importrun SET rows_done = %s, bytes_done = %s "
                    "WHERE id = %s AND status = %s",
                    [count, position, self.run.pk, ImportRun.Status.RUNNING],
                )
        except Exception:  # progress is a courtesy: never let it stop an import
            logger.warning("Could not publish the progress of import run %s", self.run.pk)
            self.live = False

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _attempt(
    run: ImportRun,
    spec: FeedSpec,
    spooled: Spooled,
    *,
    limits: Limits,
    reporter: Progress,
    set_based: bool,
) -> None:
    actor = run.started_by
    try:
        if spooled.too_large:
            raise FileRefused(
                _("The file is larger than %(mb)s MB.") % {"mb": limits.max_bytes // MB},
                code="FILE_TOO_LARGE",
                status=413,
            )
        _run(run, spec, spooled, limits=limits, reporter=reporter, set_based=set_based)
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
    spooled: Spooled,
    *,
    limits: Limits,
    reporter: Progress,
    set_based: bool,
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
        outcome = _apply(run, spec, spooled, limits=limits, reporter=reporter, set_based=set_based)
        run.rows, run.new, run.changed = outcome.rows, outcome.new, outcome.changed
        run.unchanged, run.rejected = outcome.unchanged, outcome.rejected
        run.status = ImportRun.Status.DONE
        run.finished_at = timezone.now()
        run.save()
        _audit(run, actor)
        committing = time.monotonic()
    # The deferred foreign-key checks of every new row run here.
    logger.info("Commit of import run %s: %.1f s", run.pk, time.monotonic() - committing)


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
    run: ImportRun,
    spec: FeedSpec,
    spooled: Spooled,
    *,
    limits: Limits,
    reporter: Progress,
    set_based: bool,
) -> Outcome:
    """Read, validate, stage and merge the file, record its refusals.

    Runs inside the run's transaction; the merge and what follows it run in a savepoint
    of their own, which a dry run rolls back (the counts and refusals stay).

    Memory is bounded by a chunk of rows, the per-column caches and the refusals (at
    most ``max_errors`` rows of them): the file streams from its spool into the staging
    table, and everything that spans rows is SQL over that table.
    """
    table = read_table(spooled, max_unzipped=limits.max_bytes * UNZIP_FACTOR)
    _check_header(spec, table.header)
    if connection.vendor == "postgresql":
        # For this transaction only: the checks and the merge hash and count the whole
        # file (a key twice, references, RETURNING counts); the default spills to disk.
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    spec.bind(table.header)
    now = timezone.now()
    started = time.monotonic()
    lap = _Laps(started)
    if set_based and (setbased.available(spec, table) or customers_sql.available(spec, table)):
        stage, outcome = _load_set_based(
            spec, table, spooled, limits=limits, reporter=reporter, now=now, lap=lap
        )
    else:
        stage, outcome = _load_rows(spec, table, limits=limits, reporter=reporter, now=now)
        lap("read, clean and stage")
    stage.analyze()
    rejected = stage.check(max_rejected=limits.max_errors)
    if rejected > limits.max_errors:
        raise TooManyErrors(outcome.rows, rejected, stage.errors(rows=limits.max_errors + 1))
    valid = stage.valid()
    lap("set-based checks")
    try:
        with transaction.atomic():
            if isinstance(spec, HoldingsFeed):
                _touched_before(stage)
            for hook in BEFORE_MERGE.get(spec.feed, []):
                hook()
            outcome.new, outcome.changed = stage.merge()
            if outcome.new > ANALYZE_AFTER:
                analyze(spec.model)
            lap("merge")
            if isinstance(spec, CustomersFeed):
                _assignments_sync(now=now)
            if isinstance(spec, HoldingsFeed):
                _derived_refresh()
            lap("derived data")
            if run.dry_run:
                raise _DryRun(outcome)
    except _DryRun:
        pass
    outcome.unchanged = valid - outcome.new - outcome.changed
    outcome.rejected = rejected
    stage.save_errors(run_id=run.pk)
    stage.close()
    reporter.done(outcome.rows)
    logger.info("Import of %s rows (%s): %s", outcome.rows, spec.feed, lap.report())
    return outcome


def _load_set_based(
    spec: FeedSpec,
    table: Table,
    spooled: Spooled,
    *,
    limits: Limits,
    reporter: Progress,
    now: Any,
    lap: _Laps,
) -> tuple[Stage, Outcome]:
    """COPY the records as text, clean them in SQL (setbased.py); the refusals found on
    the rows alone are recorded, and the limits hold as on the row-by-row path."""
    loader: setbased.Loader | customers_sql.CustomerLoader
    if isinstance(spec, CustomersFeed):  # its own: SQL where exact, else the Python rules
        loader = customers_sql.CustomerLoader(spec, table)
    else:
        loader = setbased.Loader(spec, table)
    stage = Stage(spec, now=now, extra=loader.stage_extra())
    loader.load(
        spooled,
        max_rows=limits.max_rows,
        max_unzipped=limits.max_bytes * UNZIP_FACTOR,
        progress=reporter.rows,
    )
    lap("read and COPY")
    outcome = Outcome(rows=loader.clean(stage))
    lap("clean and stage in SQL")
    refused = stage.rejected()
    if refused > limits.max_errors:
        # The counts of the block where reading row by row would have stopped.
        rows, refused = loader.stop(chunk=CHUNK, max_errors=limits.max_errors) or (
            outcome.rows,
            refused,
        )
        raise TooManyErrors(rows, refused, stage.errors(rows=limits.max_errors + 1))
    reporter.rows(outcome.rows)
    return stage, outcome


def _load_rows(
    spec: FeedSpec, table: Table, *, limits: Limits, reporter: Progress, now: Any
) -> tuple[Stage, Outcome]:
    """Read, clean and stage the rows in chunks, each cell by its column's Rule in Python."""
    width, key_index, key_length = spec.width, spec.key_index, spec.key_length
    stage = Stage(spec, now=now)
    outcome = Outcome()
    refused = 0  # rows refused on their own
    extra_reason = _("The row has more fields than the header.")
    for chunk in _batched(table.rows, CHUNK):
        outcome.rows += len(chunk)
        if outcome.rows > limits.max_rows:
            raise FileRefused(
                _("The file has more than %(n)s rows.") % {"n": limits.max_rows},
                code="TOO_MANY_ROWS",
                status=413,
            )
        spec.prepare(chunk)
        errors: list[RowError] = []
        fast = spec.clean_chunk(chunk)
        staged: list[tuple[Any, ...]] = fast if fast is not None else []
        for number, cells in chunk if fast is None else ():
            before = len(errors)
            if len(cells) > width and any(text(cell).strip() for cell in cells[width:]):
                errors.append(RowError(number, "", "EXTRA_FIELDS", extra_reason))
            try:
                key = key_of(
                    cells[key_index] if key_index < len(cells) else None, max_length=key_length
                )
            except CellError as exc:
                errors.append(RowError(number, spec.key, exc.code, exc.reason))
                continue
            values = spec.clean(number, cells, errors)
            staged.append((number, key, len(errors) == before, *values))
        refused += len({error.row for error in errors})
        stage.write(staged)
        stage.reject(errors)
        if refused > limits.max_errors:
            raise TooManyErrors(outcome.rows, refused, stage.errors(rows=limits.max_errors + 1))
        reporter.rows(outcome.rows)
    return stage, outcome


class _Laps:
    """Wall time of an import's phases, for the log (and the benchmark)."""

    def __init__(self, started: float) -> None:
        self.last = started
        self.laps: list[tuple[str, float]] = []

    def __call__(self, name: str) -> None:
        now = time.monotonic()
        self.laps.append((name, now - self.last))
        self.last = now

    def report(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.laps)


# The staged customers that were applied (valid rows), by their id.
STAGED_CUSTOMERS = (
    "SELECT c.id FROM customers_customer c JOIN ingest_stage s ON s.k = c.customer_no WHERE s.ok"
)


def _assignments_sync(*, now: Any) -> None:
    """Keep the assignment history in step with the imported lead managers, set-based.

    Ends open lead assignments whose manager is no longer the customer's, then opens
    one for every imported customer that has a manager and no open lead assignment.
    """
    lead = CustomerAssignment.Role.LEAD
    CustomerAssignment.objects.filter(
        role=lead,
        ended_at__isnull=True,
        customer_id__in=RawSQL(STAGED_CUSTOMERS, []),  # noqa: S611 (a constant)
    ).exclude(manager_id=F("customer__primary_manager_id")).update(ended_at=now)
    sql, params = insert_select(
        CustomerAssignment,
        {
            "customer_id": "c.id",
            "manager_id": "c.primary_manager_id",
            "role": Param(lead.value),
            "started_at": Param(now),
            "note": Param(""),
        },
        source="customers_customer c JOIN ingest_stage s ON s.k = c.customer_no",
        now=now,
        suffix=(
            "WHERE s.ok AND c.primary_manager_id IS NOT NULL AND NOT EXISTS ("
            " SELECT 1 FROM customers_customerassignment a WHERE a.customer_id = c.id"
            " AND a.role = %s AND a.ended_at IS NULL)"
        ),
        params=[lead.value],
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# A staged holding that changes what its customers hold (AUM, liabilities, tier follow
# from these columns of the active holdings): new, or moved, retyped, closed or
# re-valued. ``h`` is the stored holding (NULL when the account is new), ``c`` the
# customer the file names.
CHANGED_HOLDINGS = (
    "ingest_stage s JOIN customers_customer c ON c.customer_no = s.customer_no"
    " LEFT JOIN customers_holding h ON h.account_no = s.k"
    " WHERE s.ok AND (h.id IS NULL OR h.customer_id <> c.id OR h.product_type <> s.product_type"
    " OR h.status <> s.status OR h.balance_cny IS DISTINCT FROM s.balance_cny)"
)


def _touched_before(stage: Stage) -> None:
    """The customers whose figures the file changes, collected before the merge: the
    present and the new holder of every account whose row differs from what is stored
    in a column the figures read. Accounts the file repeats as they are touch no one."""
    temp = "ON COMMIT DROP" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS ingest_touched")
        cursor.execute(f"CREATE TEMP TABLE ingest_touched (id bigint) {temp}")
        # One pass over the file's rows (the CTE is read twice, computed once).
        cursor.execute(
            "INSERT INTO ingest_touched WITH m (held_by, holder) AS"  # noqa: S608 (constants)
            f" (SELECT c.id, h.customer_id FROM {CHANGED_HOLDINGS})"
            " SELECT held_by FROM m UNION SELECT holder FROM m WHERE holder IS NOT NULL"
        )


def _derived_refresh() -> None:
    """AUM, liabilities and tier of the customers whose holdings the file changed.

    Only the customers ``_touched_before`` collected (the holders, before and after, of
    the accounts whose row changed) are recomputed, by the customer services' set-based
    statement over that set: each customer's figures computed in one aggregate, its row
    written once and only if they changed, its tier moves recorded in the history. The
    others' figures are what a refresh of the whole bank would give them already: their
    active holdings are as they were.
    """
    analyze(Holding)
    with connection.cursor() as cursor:
        cursor.execute("CREATE UNIQUE INDEX ingest_touched_id ON ingest_touched (id)")
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE ingest_touched")
    touched = RawSQL("SELECT id FROM ingest_touched", [])  # noqa: S611 (a constant)
    customer_holdings_refresh(customer_ids=touched)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS ingest_touched")


# --- Reads ----------------------------------------------------------------------------


def import_run_list(*, actor: Staff) -> QuerySet[ImportRun]:
    """Recent runs of the feeds ``actor`` may import, everyone's. Raises PermissionDenied."""
    feeds = importable_feeds(actor)
    if not feeds:
        raise PermissionDenied
    runs = ImportRun.objects.select_related("started_by").order_by("-started_at", "-id")
    return runs if set(feeds) == set(FEEDS) else runs.filter(feed__in=feeds)


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
