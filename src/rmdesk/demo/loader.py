"""Writing generated rows fast: COPY on PostgreSQL, executemany on SQLite.

Rows are tuples of values the database parses as they are (text for dates, decimals
and timestamps; ints; booleans; None), in the column order the caller names. Columns
the caller leaves out are filled with the model's default, so a field added later
with a default does not break the seed.

On PostgreSQL, ``bulk_load`` follows the manual's advice for populating a database:
the secondary indexes and foreign keys of the (empty) tables are dropped for the load
and rebuilt afterwards in one pass each, with more maintenance memory; sequences are
moved past the keys written, and the tables analysed. Everything happens inside the
caller's transaction, so a failure leaves the schema as it was.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any

from django.core.management.color import no_style
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

Row = tuple[Any, ...]

MAINTENANCE_WORK_MEM = "256MB"
_EXECUTEMANY_CHUNK = 5_000


@dataclass(frozen=True)
class Table:
    model: type[models.Model]
    name: str
    columns: tuple[str, ...]  # as the rows give them, then the filled ones
    fill: Row  # values of the columns the rows leave out

    @property
    def given(self) -> int:
        return len(self.columns) - len(self.fill)


@dataclass
class Rebuilt:
    """What bulk_load dropped and put back, and how long putting it back took."""

    indexes: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Loader:
    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        self.postgresql = connection.vendor == "postgresql"

    # --- values in the database's text ------------------------------------------------

    def stamp(self, day: date, hms: str) -> str:
        """A UTC moment as timestamp text: explicit offset on PostgreSQL, naive on SQLite
        (which is how Django stores aware datetimes there)."""
        return f"{day.isoformat()} {hms}+00:00" if self.postgresql else f"{day.isoformat()} {hms}"

    def moment(self, value: datetime) -> str:
        value = value.astimezone(UTC)
        if self.postgresql:
            return value.isoformat(sep=" ")
        return str(value.replace(tzinfo=None))

    # --- tables -----------------------------------------------------------------------

    def table(self, model: type[models.Model], columns: Sequence[str]) -> Table:
        """The table ``model`` written with ``columns``; every other column gets its default."""
        known = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [name for name in columns if name not in known]
        if unknown:
            raise ValueError(f"{model.__name__} has no columns {unknown}")
        fill_columns: list[str] = []
        fill: list[Any] = []
        now = timezone.now()
        for name, model_field in known.items():
            if name in columns:
                continue
            if model_field.has_default():
                value = model_field.get_default()
            elif getattr(model_field, "auto_now", False) or getattr(
                model_field, "auto_now_add", False
            ):
                value = now
            elif model_field.null:
                value = None
            else:
                raise ValueError(f"{model.__name__}.{name} needs a value: it has no default.")
            fill_columns.append(name)
            fill.append(model_field.get_db_prep_save(value, connection=self.connection))
        db_columns = [known[name].column for name in (*columns, *fill_columns)]
        return Table(
            model=model,
            name=model._meta.db_table,
            columns=tuple(db_columns),
            fill=tuple(fill),
        )

    def first_id(self, model: type[models.Model]) -> int:
        """The first primary key to write: after any rows already there."""
        table = self.connection.ops.quote_name(model._meta.db_table)
        pk = self.connection.ops.quote_name(model._meta.pk.column)
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) + 1 FROM {table}")  # noqa: S608
            return int(cursor.fetchone()[0])

    def write(self, table: Table, rows: Iterable[Row]) -> int:
        """Append the rows; returns how many were written."""
        if table.fill:
            fill = table.fill
            rows = (row + fill for row in rows)
        quote = self.connection.ops.quote_name
        columns = ", ".join(quote(column) for column in table.columns)
        written = 0
        with self.connection.cursor() as cursor:
            if self.postgresql:
                sql = f"COPY {quote(table.name)} ({columns}) FROM STDIN"
                with cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
                        written += 1
                return written
            marks = ", ".join(["%s"] * len(table.columns))
            sql = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})"  # noqa: S608
            iterator: Iterator[Row] = iter(rows)
            while chunk := list(islice(iterator, _EXECUTEMANY_CHUNK)):
                cursor.executemany(sql, chunk)
                written += len(chunk)
        return written

    # --- bulk loading -----------------------------------------------------------------

    @contextmanager
    def bulk_load(self, tables: Sequence[type[models.Model]]) -> Iterator[Rebuilt]:
        """Load ``tables`` inside the caller's transaction; rebuild what was set aside after."""
        rebuilt = Rebuilt()
        if not self.postgresql:
            yield rebuilt
            self._analyze(tables)
            return
        with self.connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
            # A table with deferred foreign-key checks pending cannot be altered: run them
            # now (Django's foreign keys are all DEFERRABLE INITIALLY DEFERRED, which the
            # end of the load restores).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            dropped_indexes: list[str] = []
            dropped_constraints: list[tuple[str, str, str, str]] = []
            for model in tables:
                name = model._meta.db_table
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {self._q(name)})")  # noqa: S608
                if cursor.fetchone()[0]:
                    continue  # not empty: load it with its indexes in place
                indexes, constraints = self._set_aside(cursor, name)
                dropped_indexes += indexes
                dropped_constraints += constraints
        yield rebuilt
        started = time.monotonic()
        with self.connection.cursor() as cursor:
            for definition in dropped_indexes:
                cursor.execute(definition)
            # Unique constraints before the foreign keys that may rely on them.
            for kind in ("u", "f"):
                for table, name, constraint_kind, definition in dropped_constraints:
                    if constraint_kind == kind:
                        cursor.execute(
                            f"ALTER TABLE {self._q(table)} ADD CONSTRAINT {self._q(name)} "
                            f"{definition}"
                        )
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        rebuilt.indexes = dropped_indexes
        rebuilt.constraints = [name for _t, name, _k, _d in dropped_constraints]
        self._sequences(tables)
        self._analyze(tables)
        rebuilt.seconds = time.monotonic() - started

    def _q(self, name: str) -> str:
        return str(self.connection.ops.quote_name(name))

    def _set_aside(
        self, cursor: Any, table: str
    ) -> tuple[list[str], list[tuple[str, str, str, str]]]:
        """Drop the foreign keys, unique constraints and secondary indexes of an empty table.

        Keeps the primary key, check constraints, and anything another table's foreign
        key relies on. Returns what to run to put the rest back.
        """
        cursor.execute(
            """
            SELECT c.conname, c.contype, pg_get_constraintdef(c.oid)
            FROM pg_constraint c
            WHERE c.conrelid = %s::regclass AND c.contype IN ('f', 'u')
              AND NOT (c.contype = 'u' AND EXISTS (
                  SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid))
            ORDER BY c.conname
            """,
            [self._q(table)],
        )
        constraints = [
            (table, name, kind, definition) for name, kind, definition in cursor.fetchall()
        ]
        for _table, name, _kind, _definition in sorted(constraints, key=lambda c: c[2]):
            # Foreign keys ("f") sort before unique constraints ("u").
            cursor.execute(f"ALTER TABLE {self._q(table)} DROP CONSTRAINT {self._q(name)}")
        cursor.execute(
            """
            SELECT x.indexrelid::regclass::text, pg_get_indexdef(x.indexrelid)
            FROM pg_index x
            WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            ORDER BY 1
            """,
            [self._q(table)],
        )
        indexes = []
        for name, definition in cursor.fetchall():
            cursor.execute(f"DROP INDEX {name}")
            indexes.append(definition)
        return indexes, constraints

    def _sequences(self, tables: Sequence[type[models.Model]]) -> None:
        statements = self.connection.ops.sequence_reset_sql(no_style(), list(tables))
        with self.connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def _analyze(self, tables: Sequence[type[models.Model]]) -> None:
        with self.connection.cursor() as cursor:
            for model in tables:
                cursor.execute(f"ANALYZE {self._q(model._meta.db_table)}")
