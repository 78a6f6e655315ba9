"""Change history kept by the database: triggers on the tracked tables write RowChange rows.

Services record what they do in the audit trail; the triggers catch the rest — a
``queryset.update()``, a ``bulk_create``, the importer's merge, raw SQL from any client.

PostgreSQL: one plpgsql function, three statement-level triggers per table (INSERT,
UPDATE, DELETE) reading the statement's transition tables, so a merge of a million rows
writes its history in one ``INSERT … SELECT`` rather than a million trigger calls.
SQLite has row triggers only: one per table and operation, the changed columns found
by comparing ``OLD`` and ``NEW`` column by column (the list is taken from the table when
the trigger is created: a migration that changes a tracked table calls ``install`` again,
and ``test_history`` checks the triggers name every column of the model).

Who made the change: rmdesk stamps the user on the connection just before the first
write it sends while a user is known (``change_actor``; the middleware does it for every
request): PostgreSQL's session setting ``rmdesk.actor``, read by the trigger; on SQLite
a connection-local function and a TEMP trigger fill the column in. Writes from other
clients carry no user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

HISTORY_TABLE = "audit_rowchange"
OPERATIONS = ("insert", "update", "delete")

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION rmdesk_row_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    personal text[] := TG_ARGV;
    who bigint := NULLIF(current_setting('rmdesk.actor', true), '')::bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {HISTORY_TABLE} (table_name, row_id, operation, fields, old, at, actor_id)
        SELECT TG_TABLE_NAME, n.id, 'insert', '[]'::jsonb, NULL, now(), who FROM new_rows n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO {HISTORY_TABLE} (table_name, row_id, operation, fields, old, at, actor_id)
        SELECT TG_TABLE_NAME, n.id, 'update', d.fields, d.old, now(), who
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        CROSS JOIN LATERAL (
            SELECT jsonb_agg(ov.key ORDER BY ov.key) AS fields,
                   COALESCE(jsonb_object_agg(ov.key, ov.value)
                            FILTER (WHERE NOT ov.key = ANY (personal)), '{{}}'::jsonb) AS old
            FROM jsonb_each(to_jsonb(o)) ov
            JOIN jsonb_each(to_jsonb(n)) nv ON nv.key = ov.key
            WHERE ov.value IS DISTINCT FROM nv.value
        ) d
        WHERE d.fields IS NOT NULL;
    ELSE
        INSERT INTO {HISTORY_TABLE} (table_name, row_id, operation, fields, old, at, actor_id)
        SELECT TG_TABLE_NAME, o.id, 'delete', '[]'::jsonb, to_jsonb(o) - personal, now(), who
        FROM old_rows o;
    END IF;
    RETURN NULL;
END
$$;
"""  # noqa: S608 (table names are the module's constants)


def _trigger_name(table: str, operation: str) -> str:
    return f"{table}_history_{operation}"


def _sqlite_columns(schema_editor: BaseDatabaseSchemaEditor, table: str) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        description = schema_editor.connection.introspection.get_table_description(cursor, table)
    return [column.name for column in description]


def _sqlite_triggers(table: str, columns: Sequence[str], personal: Sequence[str]) -> list[str]:
    quote = '"{}"'.format
    insert = f"INSERT INTO {HISTORY_TABLE} (table_name, row_id, operation, fields, old, at)"
    at = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    compared = [c for c in columns if c != "id"]
    flags = ", ".join(f"'{c}', OLD.{quote(c)} IS NOT NEW.{quote(c)}" for c in compared)
    values = ", ".join(f"'{c}', OLD.{quote(c)}" for c in columns if c not in personal)
    changed = " OR ".join(f"OLD.{quote(c)} IS NOT NEW.{quote(c)}" for c in compared)
    return [
        f"CREATE TRIGGER {_trigger_name(table, 'insert')} AFTER INSERT ON {table} "  # noqa: S608
        f"BEGIN {insert} VALUES ('{table}', NEW.id, 'insert', '[]', NULL, {at}); END",
        f"CREATE TRIGGER {_trigger_name(table, 'update')} AFTER UPDATE ON {table} "  # noqa: S608
        f"WHEN {changed} BEGIN {insert} SELECT '{table}', NEW.id, 'update', "
        f"(SELECT json_group_array(f.key) FROM json_each(json_object({flags})) f "
        "WHERE f.value), "
        f"(SELECT json_group_object(v.key, v.value) FROM json_each(json_object({flags})) f "
        f"JOIN json_each(json_object({values})) v ON v.key = f.key WHERE f.value), "
        f"{at}; END",
        f"CREATE TRIGGER {_trigger_name(table, 'delete')} AFTER DELETE ON {table} "
        f"BEGIN {insert} VALUES ('{table}', OLD.id, 'delete', '[]', "
        f"json_object({values}), {at}); END",
    ]


def uninstall(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    vendor = schema_editor.connection.vendor
    for operation in OPERATIONS:
        name = _trigger_name(table, operation)
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def install(schema_editor: BaseDatabaseSchemaEditor, table: str, personal: Sequence[str]) -> None:
    """(Re)create the history triggers of ``table``; ``personal`` columns keep no values."""
    uninstall(schema_editor, table)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)
        arguments = ", ".join(f"'{column}'" for column in personal)
        for operation, tables in (
            ("insert", "NEW TABLE AS new_rows"),
            ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("delete", "OLD TABLE AS old_rows"),
        ):
            schema_editor.execute(
                f"CREATE TRIGGER {_trigger_name(table, operation)} AFTER {operation.upper()} "
                f"ON {table} REFERENCING {tables} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION rmdesk_row_history({arguments})"
            )
    elif vendor == "sqlite":
        columns = _sqlite_columns(schema_editor, table)
        for statement in _sqlite_triggers(table, columns, personal):
            schema_editor.execute(statement)


def sqlite_trigger_columns(table: str) -> set[str]:
    """The columns the SQLite update trigger of ``table`` compares (for the tests)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
            [_trigger_name(table, "update")],
        )
        row = cursor.fetchone()
    if row is None:
        return set()
    sql = str(row[0])
    return {part.split('"')[1] for part in sql.split("OLD.")[1:] if part.startswith('"')}


# --- who made the change -----------------------------------------------------------------

_WRITES = ("INSERT", "UPDATE", "DELETE", "WITH", "MERGE")
_SQLITE_STAMP = (
    "CREATE TEMP TRIGGER IF NOT EXISTS rmdesk_history_actor "  # noqa: S608
    f"AFTER INSERT ON main.{HISTORY_TABLE} "
    "WHEN rmdesk_actor() IS NOT NULL "
    f"BEGIN UPDATE {HISTORY_TABLE} SET actor_id = rmdesk_actor() WHERE id = NEW.id; END"
)


def _stamp(wrapper: BaseDatabaseWrapper, actor_id: int | None) -> None:
    """Name the user on this connection, with the driver's cursor (not a logged query)."""
    raw = wrapper.connection
    if raw is None:
        return
    if wrapper.vendor == "postgresql":
        with raw.cursor() as cursor:
            value = "" if actor_id is None else str(actor_id)
            cursor.execute("SELECT set_config('rmdesk.actor', %s, false)", [value])
    elif wrapper.vendor == "sqlite":
        wrapper.rmdesk_actor = actor_id  # type: ignore[attr-defined]
        raw.create_function(
            "rmdesk_actor", 0, lambda: getattr(wrapper, "rmdesk_actor", None), deterministic=False
        )
        if actor_id is not None:
            cursor = raw.cursor()
            try:
                cursor.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                    [HISTORY_TABLE],
                )
                if cursor.fetchone():
                    cursor.execute(_SQLITE_STAMP)
            finally:
                cursor.close()


class _ActorStamp:
    """An execute wrapper: before the first write it sees, stamps the actor once."""

    def __init__(self, actor: Callable[[], int | None]) -> None:
        self.actor = actor
        self.stamped: BaseDatabaseWrapper | None = None

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if self.stamped is None and sql.lstrip()[:6].upper().startswith(_WRITES):
            actor_id = self.actor()
            if actor_id is not None:
                wrapper = context["connection"]
                _stamp(wrapper, actor_id)
                self.stamped = wrapper
        return execute(sql, params, many, context)

    def reset(self) -> None:
        wrapper, self.stamped = self.stamped, None
        if wrapper is not None and wrapper.connection is not None:
            try:
                _stamp(wrapper, None)
            except Exception:  # noqa: BLE001 - the connection must not keep a stale user
                # Outside a transaction (every request's end): a fresh connection. Inside
                # one, the failed transaction is rolled back, undoing the setting with it.
                if not wrapper.in_atomic_block:
                    wrapper.close()


@contextmanager
def change_actor(actor: Any) -> Iterator[None]:
    """Writes inside the block are recorded in the change history as made by ``actor``."""
    actor_id = getattr(actor, "pk", None)
    stamp = _ActorStamp(lambda: actor_id)
    try:
        with connection.execute_wrapper(stamp):
            yield
    finally:
        stamp.reset()


def _request_actor(request: HttpRequest) -> Callable[[], int | None]:
    def actor() -> int | None:
        user = getattr(request, "user", None)
        # Only a user the request has already loaded: no extra query inside a write.
        if user is None or getattr(user, "_wrapped", None) is empty:
            return None
        if not getattr(user, "is_authenticated", False):
            return None
        pk = getattr(user, "pk", None)
        return int(pk) if pk is not None else None

    return actor


class ChangeActorMiddleware:
    """Each request's writes are recorded in the change history as made by its user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        stamp = _ActorStamp(_request_actor(request))
        try:
            with connection.execute_wrapper(stamp):
                return self.get_response(request)
        finally:
            stamp.reset()
