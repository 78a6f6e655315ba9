"""Triggers that note which customers' recommendation inputs changed.

Every insert, delete, and update of a column the ranking reads, on the holdings,
assessments, qualified-investor evidence, sales and customers (tier and AUM), whatever
client sends it, adds the customer to ``marketing_recommendationchange``; the next
``recommendations_refresh`` reads those customers again and empties it.

PostgreSQL: one statement-level trigger per table and operation over the statement's
transition tables, so an import merging a million rows notes its customers in one
``INSERT … SELECT`` (each customer once per statement). SQLite: row triggers. On
SQLite a migration that rebuilds one of these tables drops its triggers: it calls
``install`` again, as the change-history triggers are reinstalled.
"""

# The SQL is assembled from the constants below (our own table and column names).
# ruff: noqa: S608
from __future__ import annotations

from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CHANGES = "marketing_recommendationchange"
OPERATIONS = ("insert", "update", "delete")

# table → (the column naming the customer, the columns the ranking reads)
WATCHED: dict[str, tuple[str, tuple[str, ...]]] = {
    "customers_holding": (
        "customer_id",
        ("customer_id", "product_type", "status", "balance_cny", "matures_on"),
    ),
    "marketing_assessment": (
        "customer_id",
        ("customer_id", "assessed_at", "risk_level", "expires_on", "channel"),
    ),
    "marketing_qualifiedinvestorevidence": (
        "customer_id",
        ("customer_id", "evidenced_on", "basis", "experience_years"),
    ),
    "marketing_sale": ("customer_id", ("customer_id", "status", "product_id")),
    "customers_customer": ("id", ("tier", "aum")),
}


def _name(table: str, operation: str) -> str:
    return f"{table}_recommendation_{operation}"


def _function(table: str) -> str:
    return f"rmdesk_recommendation_{table}"


def _pg_function(table: str) -> str:
    customer, columns = WATCHED[table]
    differs = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in columns)
    insert = f"INSERT INTO {CHANGES} (customer_id)"
    # The old customer too when a row moves to another (both lists change).
    moved = (
        f"UNION SELECT o.{customer} FROM new_rows n JOIN old_rows o ON o.id = n.id "
        f"WHERE o.{customer} IS DISTINCT FROM n.{customer}"
        if customer in columns
        else ""
    )
    return f"""
CREATE OR REPLACE FUNCTION {_function(table)}() RETURNS trigger LANGUAGE plpgsql
SET jit = off AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {insert} SELECT DISTINCT {customer} FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        {insert}
        SELECT DISTINCT n.{customer} FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE {differs}
        {moved};
    ELSE
        {insert} SELECT DISTINCT {customer} FROM old_rows;
    END IF;
    RETURN NULL;
END
$$;
"""


def _sqlite_triggers(table: str) -> list[str]:
    customer, columns = WATCHED[table]
    differs = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    insert = f"INSERT INTO {CHANGES} (customer_id)"
    moved = (
        f"{insert} SELECT OLD.{customer} WHERE OLD.{customer} IS NOT NEW.{customer};"
        if customer in columns
        else ""
    )
    return [
        f"CREATE TRIGGER {_name(table, 'insert')} AFTER INSERT ON {table} "
        f"BEGIN {insert} VALUES (NEW.{customer}); END",
        f"CREATE TRIGGER {_name(table, 'update')} AFTER UPDATE ON {table} WHEN {differs} "
        f"BEGIN {insert} VALUES (NEW.{customer}); {moved} END",
        f"CREATE TRIGGER {_name(table, 'delete')} AFTER DELETE ON {table} "
        f"BEGIN {insert} VALUES (OLD.{customer}); END",
    ]


def uninstall(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    vendor = schema_editor.connection.vendor
    for operation in OPERATIONS:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {_name(table, operation)} ON {table}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {_name(table, operation)}")
    if vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {_function(table)}()")


def install(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    """(Re)create the triggers of one of the ``WATCHED`` tables."""
    uninstall(schema_editor, table)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(_pg_function(table), params=None)
        for operation, tables in (
            ("insert", "NEW TABLE AS new_rows"),
            ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("delete", "OLD TABLE AS old_rows"),
        ):
            schema_editor.execute(
                f"CREATE TRIGGER {_name(table, operation)} AFTER {operation.upper()} "
                f"ON {table} REFERENCING {tables} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {_function(table)}()"
            )
    elif vendor == "sqlite":
        for statement in _sqlite_triggers(table):
            schema_editor.execute(statement)
