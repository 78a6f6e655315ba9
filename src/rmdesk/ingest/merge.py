"""The staging table: rows go in as they are cleaned, then checks and the merge are SQL.

One path for both databases, so both give the same result on the same file:

1. ``ingest_stage`` (temporary: row_no, key ``k``, ``ok``, the feed's cleaned columns)
   receives every row whose key is valid — with COPY on PostgreSQL, in batched inserts
   on SQLite. Refusals found on the row alone go to ``ingest_reject`` as they happen.
2. The feed's set-based checks (a key twice, unknown references, identity numbers held
   by someone else) insert their refusals into ``ingest_reject`` with INSERT … SELECT,
   step by step; after each step the refused rows stop being ``ok``.
3. The merge: one join finds the stored rows the ``ok`` rows name; one ``UPDATE … FROM
   … WHERE a IS DISTINCT FROM b`` writes those that differ (rows equal to what is stored
   are not written at all, so they are the unchanged ones), one plain ``INSERT …
   SELECT`` the new ones. The statements' row counts are the counts.

Everything runs inside the caller's transaction; nothing commits here.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models

from rmdesk.ingest.feeds import FeedSpec, RowError

STAGE = "ingest_stage"
REJECT = "ingest_reject"
# ingest_reject.ord of the set-based refusals: after any refusal found on the row alone.
CHECK_ORD = 1 << 30


_DEFAULT = object()


@dataclass(frozen=True)
class Param:
    """A value passed as a query parameter (a bare str is an SQL expression)."""

    value: Any


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)  # noqa: S101 (feed specs name concrete fields)
    return str(field.column)


def quote(name: str) -> str:
    return str(connection.ops.quote_name(name))


def insert_select(
    model: type[models.Model],
    columns: dict[str, Any],
    *,
    source: str,
    now: datetime,
    params: Sequence[Any] = (),
    suffix: str = "",
) -> tuple[str, list[Any]]:
    """``INSERT INTO model (…) SELECT … FROM source``.

    ``columns`` maps a column to an SQL expression (a str) or to a ``Param``;
    every other concrete column gets its model default, and timestamps ``now``.
    """
    names: list[str] = []
    expressions: list[str] = []
    values: list[Any] = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        names.append(quote(field.column))
        given = columns.get(field.column, _DEFAULT)
        if isinstance(given, str):
            expressions.append(given)
            continue
        if isinstance(given, Param):
            value: Any = given.value
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        else:
            value = field.get_default()
        expressions.append("%s")
        values.append(field.get_db_prep_save(value, connection))
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(names)}) "  # noqa: S608 (names from _meta)
        f"SELECT {', '.join(expressions)} FROM {source} {suffix}"
    )
    return sql, [*values, *params]


SCAN = "ingest_scan"
OLD = "ingest_old"


class Stage:
    """The run's staging and refusal tables. ``extra`` adds columns of the loader's own
    (the set-based path keeps each cell's error key there); ``write`` fills the feed's."""

    def __init__(
        self, spec: FeedSpec, *, now: datetime, extra: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.spec = spec
        self.now = now
        self.width = 3 + len(spec.stage)
        self.ord = 0
        self.names = ", ".join(["row_no", "k", "ok", *(name for name, _kind in spec.stage)])
        columns = ", ".join(f"{name} {kind}" for name, kind in (*spec.stage, *extra))
        temp = "ON COMMIT DROP" if _postgres() else ""
        with connection.cursor() as cursor:
            # A leftover of an earlier run on this connection (SQLite keeps temp tables).
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            cursor.execute(f"DROP TABLE IF EXISTS {REJECT}")
            cursor.execute(f"DROP TABLE IF EXISTS {SCAN}")
            # No indexes, no constraints: COPY streams at full speed.
            cursor.execute(
                f"CREATE TEMP TABLE {STAGE} (row_no integer, k text, ok boolean, {columns}) {temp}"
            )
            cursor.execute(
                f"CREATE TEMP TABLE {REJECT} (row_no integer, ord integer, field text,"
                f" code text, reason text) {temp}"
            )

    def close(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            cursor.execute(f"DROP TABLE IF EXISTS {REJECT}")
            cursor.execute(f"DROP TABLE IF EXISTS {SCAN}")

    # --- loading ------------------------------------------------------------------------

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        """Stage rows (row_no, k, ok, values…; short tuples are padded with NULLs)."""
        width = self.width
        padded = [row if len(row) == width else row + (None,) * (width - len(row)) for row in rows]
        with connection.cursor() as cursor:
            if _postgres():
                with cursor.copy(f"COPY {STAGE} ({self.names}) FROM STDIN") as copy:
                    for row in padded:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * width)
                cursor.executemany(
                    f"INSERT INTO {STAGE} ({self.names}) VALUES ({marks})",  # noqa: S608
                    padded,
                )

    def reject(self, errors: Sequence[RowError]) -> None:
        """Record refusals found on the rows themselves."""
        if not errors:
            return
        rows = []
        for error in errors:
            rows.append((error.row, self.ord, error.field, error.code, error.reason))
            self.ord += 1
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {REJECT} VALUES (%s, %s, %s, %s, %s)", rows)  # noqa: S608

    def analyze(self) -> None:
        """Give PostgreSQL's planner the staging table's size (temp tables have no stats)."""
        if _postgres():
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {STAGE}")

    # --- checks -------------------------------------------------------------------------

    def check(self, *, max_rejected: int) -> int:
        """Run the feed's set-based checks; returns the number of refused rows.

        Stops early (returning the count) once more than ``max_rejected`` rows are refused.
        """
        rejected = self.rejected()
        with connection.cursor() as cursor:
            for step, checks in enumerate(self.spec.checks()):
                # Rows refused on their own were staged not ``ok``: only this step's
                # refusals need marking, and a step that refused nothing needs no pass.
                refused = False
                scanned = ""
                for index, check in enumerate(checks):
                    if check.scan and check.scan != scanned:
                        # One pass that the step's checks share (see Check.scan).
                        cursor.execute(f"DROP TABLE IF EXISTS {SCAN}")
                        cursor.execute(f"CREATE TEMP TABLE {SCAN} AS {check.scan}")
                        scanned = check.scan
                    cursor.execute(
                        f"WITH x (row_no, first) AS ({check.select}) "  # noqa: S608
                        f"INSERT INTO {REJECT} (row_no, ord, field, code, reason) "
                        "SELECT x.row_no, %s, %s, %s, "
                        "replace(%s, %s, COALESCE(CAST(x.first AS text), '')) FROM x",
                        [
                            CHECK_ORD + step * 100 + index,
                            check.field,
                            check.code,
                            check.reason,
                            "%(row)s",
                        ],
                    )
                    if cursor.rowcount:
                        refused = True
                        rejected = self.rejected()
                        if rejected > max_rejected:
                            return rejected
                if not refused:
                    continue
                cursor.execute(
                    f"UPDATE {STAGE} SET ok = FALSE WHERE ok AND row_no IN "  # noqa: S608
                    f"(SELECT row_no FROM {REJECT})"
                )
        return rejected

    def rejected(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(DISTINCT row_no) FROM {REJECT}")  # noqa: S608
            return int(cursor.fetchone()[0])

    def errors(self, *, rows: int) -> list[RowError]:
        """The refusals of the first ``rows`` refused rows, in file order."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT r.row_no, r.field, r.code, r.reason FROM {REJECT} r "  # noqa: S608
                f"WHERE r.row_no IN (SELECT DISTINCT row_no FROM {REJECT} "
                f"ORDER BY row_no LIMIT %s) ORDER BY r.row_no, r.ord",
                [rows],
            )
            return [RowError(*row) for row in cursor.fetchall()]

    def save_errors(self, *, run_id: int) -> None:
        """Every refusal, in file order, as the run's ImportRowError rows (set-based)."""
        from rmdesk.ingest.models import ImportRowError

        sql, params = insert_select(
            ImportRowError,
            {
                "run_id": Param(run_id),
                "row": "r.row_no",
                "field": "substr(r.field, 1, 64)",
                "code": "substr(r.code, 1, 40)",
                "reason": "substr(r.reason, 1, 500)",
            },
            source=f"{REJECT} r",
            now=self.now,
            suffix="ORDER BY r.row_no, r.ord",
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    def valid(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {STAGE} WHERE ok")  # noqa: S608
            return int(cursor.fetchone()[0])

    # --- merge --------------------------------------------------------------------------

    def merge(self) -> tuple[int, int]:
        """Apply the ``ok`` rows by key; returns (inserted, updated).

        The stored rows the file names are found with one join (``ingest_old``: row
        number, stored id). Those that differ from their staged row in a compared column
        are updated with one ``UPDATE … FROM``; the others are not written (they are the
        unchanged ones). The rest are new: one plain ``INSERT … SELECT`` (no ``ON
        CONFLICT``: no speculative insertion, no per-row conflict check) of the rows not
        in ``ingest_old``. The counts are the statements' own row counts. Imports of one
        feed merge one at a time (``_merge_lock``), so no other import inserts a key
        between the join and the insert.
        """
        spec = self.spec
        model = spec.model
        table = quote(model._meta.db_table)
        key = quote(_column(model, spec.key))
        pk = quote(str(model._meta.pk.column))
        columns = spec.merge_columns()
        compared = {
            quote(_column(model, name)): columns[_column(model, name)]
            for name in spec.update_fields
        }
        assignments = [f"{column} = {expression}" for column, expression in compared.items()]
        params: list[Any] = []
        stamped = next((f for f in model._meta.concrete_fields if f.name == "updated_at"), None)
        if stamped is not None:
            assignments.append(f"{quote(stamped.column)} = %s")
            params.append(stamped.get_db_prep_save(self.now, connection))
        if spec.versioned:
            assignments.append(f"version = {table}.version + 1")
        differs = " OR ".join(
            f"{table}.{column} IS DISTINCT FROM {expression}"
            for column, expression in compared.items()
        )
        temp = "ON COMMIT DROP" if _postgres() else ""
        order = f"ORDER BY {spec.merge_order}" if spec.merge_order else ""
        _merge_lock(spec.feed)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {OLD}")
            cursor.execute(
                f"CREATE TEMP TABLE {OLD} {temp} AS SELECT s.row_no, t.{pk} AS id "  # noqa: S608
                f"FROM {STAGE} s JOIN {table} t ON t.{key} = s.k WHERE s.ok"
            )
            cursor.execute(f"SELECT count(*) FROM {OLD}")  # noqa: S608
            stored = int(cursor.fetchone()[0])
            if stored and _postgres():
                cursor.execute(f"ANALYZE {OLD}")
            updated = 0
            if stored:
                cursor.execute(
                    f"UPDATE {table} SET {', '.join(assignments)} "  # noqa: S608
                    f"FROM {spec.merge_from} JOIN {OLD} o ON o.row_no = s.row_no "
                    f"WHERE {table}.{pk} = o.id AND ({differs})",
                    params,
                )
                updated = cursor.rowcount
            new = f"AND NOT EXISTS (SELECT 1 FROM {OLD} o WHERE o.row_no = s.row_no)"  # noqa: S608
            insert, values = insert_select(
                model,
                columns,
                source=spec.merge_from,
                now=self.now,
                suffix=f"WHERE s.ok {new if stored else ''} {order}",
            )
            cursor.execute(insert, values)
            inserted = cursor.rowcount
            cursor.execute(f"DROP TABLE {OLD}")
        return int(inserted), int(updated)


def _merge_lock(feed: str) -> None:
    """Imports of one feed merge one at a time, until the end of their transactions
    (PostgreSQL; SQLite's write lock already serialises them)."""
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(f"ingest:merge:{feed}".encode())]
            )


def analyze(model: type[models.Model]) -> None:
    """Fresh planner statistics for a table an import just filled (PostgreSQL)."""
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")
