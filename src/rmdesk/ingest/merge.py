"""Applying valid rows: upsert by the core system's key, counting new, changed, unchanged.

Two paths with one meaning (the tests run the same files through both):

- PostgreSQL: every chunk is streamed with COPY into a temporary staging table shaped
  like the target; at the end one ``INSERT … ON CONFLICT (key) DO UPDATE … WHERE
  (old) IS DISTINCT FROM (new)`` merges it, and its ``RETURNING (xmax = 0)`` tells
  inserted rows from updated ones. Rows equal to what is stored are not written at all
  (the WHERE), so they are the unchanged ones.
- SQLite (and anything else): per chunk, the stored rows are read by key, compared in
  Python on the same fields, and written with ``bulk_create`` / ``bulk_update``.

Both run inside the caller's transaction; neither commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection, models

from rmdesk.ingest.feeds import FeedSpec

STAGE = "ingest_stage"


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)  # noqa: S101 (feed specs name concrete fields)
    return connection.ops.quote_name(field.column)


def _has(model: type[models.Model], name: str) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)


class Merger:
    """Accumulates chunks of valid instances; ``finish`` returns (new, changed)."""

    def __init__(self, spec: FeedSpec, *, now: datetime) -> None:
        self.spec = spec
        self.model = spec.model
        self.now = now
        self.stamped = _has(self.model, "updated_at")

    def add(self, objects: Sequence[models.Model]) -> None:
        raise NotImplementedError

    def finish(self) -> tuple[int, int]:
        raise NotImplementedError


class OrmMerger(Merger):
    def __init__(self, spec: FeedSpec, *, now: datetime) -> None:
        super().__init__(spec, now=now)
        self.new = 0
        self.changed = 0
        self.fields = list(spec.update_fields)
        if self.stamped:
            self.fields.append("updated_at")
        if spec.versioned:
            self.fields.append("version")

    def add(self, objects: Sequence[models.Model]) -> None:
        key = self.spec.key
        stored = self.model._default_manager.in_bulk(
            [getattr(obj, key) for obj in objects], field_name=key
        )
        inserts: list[models.Model] = []
        updates: list[models.Model] = []
        for obj in objects:
            old = stored.get(getattr(obj, key))
            if old is None:
                inserts.append(obj)
                continue
            if all(getattr(old, name) == getattr(obj, name) for name in self.spec.update_fields):
                continue
            for name in self.spec.update_fields:
                setattr(old, name, getattr(obj, name))
            if self.stamped:
                old.updated_at = self.now  # type: ignore[attr-defined]
            if self.spec.versioned:
                old.version += 1  # type: ignore[attr-defined]
            updates.append(old)
        self.model._default_manager.bulk_create(inserts, batch_size=500)
        self.model._default_manager.bulk_update(updates, self.fields, batch_size=200)
        self.new += len(inserts)
        self.changed += len(updates)

    def finish(self) -> tuple[int, int]:
        return self.new, self.changed


class CopyMerger(Merger):
    def __init__(self, spec: FeedSpec, *, now: datetime) -> None:
        super().__init__(spec, now=now)
        quote = connection.ops.quote_name
        self.fields = [f for f in self.model._meta.concrete_fields if not f.primary_key]
        self.columns = ", ".join(quote(f.column) for f in self.fields)
        self.table = quote(self.model._meta.db_table)
        with connection.cursor() as cursor:
            # A leftover from an earlier run in this same transaction (tests, dry runs).
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            # Typed exactly like the target, without its indexes and constraints, so
            # COPY streams at full speed; dropped at commit.
            cursor.execute(
                f"CREATE TEMP TABLE {STAGE} ON COMMIT DROP AS "  # noqa: S608 (names from _meta)
                f"SELECT {self.columns} FROM {self.table} WITH NO DATA"
            )

    def add(self, objects: Sequence[models.Model]) -> None:
        attnames = [f.attname for f in self.fields]
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {STAGE} ({self.columns}) FROM STDIN") as copy,
        ):
            for obj in objects:
                if self.stamped:
                    obj.created_at = obj.updated_at = self.now  # type: ignore[attr-defined]
                copy.write_row([getattr(obj, name) for name in attnames])

    def finish(self) -> tuple[int, int]:
        model = self.model
        key = _column(model, self.spec.key)
        compared = [_column(model, name) for name in self.spec.update_fields]
        assignments = [f"{column} = EXCLUDED.{column}" for column in compared]
        if self.stamped:
            assignments.append("updated_at = EXCLUDED.updated_at")
        if self.spec.versioned:
            assignments.append("version = t.version + 1")
        old = ", ".join(f"t.{column}" for column in compared)
        new = ", ".join(f"EXCLUDED.{column}" for column in compared)
        sql = f"""
            WITH merged AS (
                INSERT INTO {self.table} AS t ({self.columns})
                SELECT {self.columns} FROM {STAGE}
                ON CONFLICT ({key}) DO UPDATE SET {", ".join(assignments)}
                WHERE ({old}) IS DISTINCT FROM ({new})
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
            FROM merged
        """  # noqa: S608 (identifiers come from the model's _meta, never from the file)
        with connection.cursor() as cursor:
            cursor.execute(sql)
            inserted, updated = cursor.fetchone()
            cursor.execute(f"DROP TABLE {STAGE}")
        return int(inserted), int(updated)


def merger_for(spec: FeedSpec, *, now: datetime) -> Merger:
    if connection.vendor == "postgresql":
        return CopyMerger(spec, now=now)
    return OrmMerger(spec, now=now)
