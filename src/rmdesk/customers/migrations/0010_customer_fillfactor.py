"""Customer rows leave half of each page free (PostgreSQL ``fillfactor = 50``).

The nightly AUM refresh (``customer_holdings_refresh``) writes a new version of every
customer whose figures moved, and touches no indexed column (AUM, liabilities, tier,
tier since). A new version that fits on its row's page is a HOT update: no index is
written. With full pages none fits, and each new version went to another page and into
every index of the table (ten, a GIN one among them): 45 s for 200,000 customers on
the development machine, 7 s with room on the page. Half the page is room for a new
version of each of its rows, so even a refresh that moves every customer at once (the
first holdings file) stays HOT; the previous night's versions are pruned when a page
is next written to. The table takes about twice the pages it would packed full, which
is what it grew to anyway after one refresh with non-HOT updates (the old versions'
pages stay with the table).

Only new pages take the setting; existing rows move to such pages as they are
rewritten (or at once with ``VACUUM FULL customers_customer``, which locks the table).
A storage parameter: the columns, and so the change-history triggers, are untouched.
SQLite has no fill factor: nothing to do there.
"""

from django.db import migrations


def fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE customers_customer SET (fillfactor = 50)")


def packed(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE customers_customer RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("customers", "0009_customer_indexes")]
    operations = [migrations.RunPython(fillfactor, packed, elidable=False)]
