"""Change history by database triggers on the customer record and the assignments.

Every insert, update and delete of these tables, whatever sends it, writes an
``audit_rowchange`` row (``rmdesk.audit.history``). The personal columns are named
when they change but their values are not kept; the derived balance and tier columns
are not tracked.
"""

from django.db import migrations

from rmdesk.audit import history

TRACKED = {
    "customers_customer": (
        "display_name",
        "id_number",
        "id_digest",
        "mobile",
        "mobile_digest",
        "email",
        "address",
        "birth_date",
        "employer",
        "legal_representative",
        "search_tokens",
    ),
    "customers_customerassignment": ("note",),
}

# Derived from holdings by the nightly refresh, with a tier history of their own: an
# update of these alone is not a change of the customer's record.
UNTRACKED = {"customers_customer": ("aum", "liabilities", "tier", "tier_since")}


def forwards(apps, schema_editor):
    for table, personal in TRACKED.items():
        history.install(schema_editor, table, personal, UNTRACKED.get(table, ()))


def backwards(apps, schema_editor):
    for table in TRACKED:
        history.uninstall(schema_editor, table)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_holding_indexes"),
        ("audit", "0003_row_changes"),
    ]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
