"""Index the name tokens for search: a GIN index on PostgreSQL, an FTS5 table on SQLite.

PostgreSQL builds the tsvector straight from the stored tokens (array_to_tsvector),
so the index does not depend on the database's locale or text-search parser.
SQLite keeps an external-content FTS5 table in step through triggers.
"""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE customers_customer_fts USING fts5("
    "search_tokens, content='customers_customer', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER customers_customer_fts_ai AFTER INSERT ON customers_customer BEGIN "
    "INSERT INTO customers_customer_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
    "CREATE TRIGGER customers_customer_fts_ad AFTER DELETE ON customers_customer BEGIN "
    "INSERT INTO customers_customer_fts(customers_customer_fts, rowid, search_tokens) "
    "VALUES ('delete', old.id, old.search_tokens); END",
    "CREATE TRIGGER customers_customer_fts_au AFTER UPDATE OF search_tokens ON customers_customer "
    "BEGIN "
    "INSERT INTO customers_customer_fts(customers_customer_fts, rowid, search_tokens) "
    "VALUES ('delete', old.id, old.search_tokens); "
    "INSERT INTO customers_customer_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); "
    "END",
    "INSERT INTO customers_customer_fts(customers_customer_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS customers_customer_fts_au",
    "DROP TRIGGER IF EXISTS customers_customer_fts_ad",
    "DROP TRIGGER IF EXISTS customers_customer_fts_ai",
    "DROP TABLE IF EXISTS customers_customer_fts",
]
PG_UP = [
    # Name search: array_to_tsvector(string_to_array(search_tokens, ' ')) @@ query.
    "CREATE INDEX customers_cust_name_tokens ON customers_customer USING gin "
    "(array_to_tsvector(string_to_array(search_tokens, ' ')))",
]
PG_DOWN = ["DROP INDEX IF EXISTS customers_cust_name_tokens"]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE_UP, "postgresql": PG_UP}.get(vendor, []):
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}.get(vendor, []):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_customer_record")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
