"""Change history by database triggers on the customer record and the assignments.

Every insert, update and delete of these tables, whatever sends it, writes an
``audit_rowchange`` row (``rmdesk.audit.history``). The personal columns are named
when they change but their values are not kept.
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


def forwards(apps, schema_editor):
    for table, personal in TRACKED.items():
        history.install(schema_editor, table, personal)


def backwards(apps, schema_editor):
    for table in TRACKED:
        history.uninstall(schema_editor, table)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_relationship_links"),
        ("audit", "0003_row_changes"),
    ]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
