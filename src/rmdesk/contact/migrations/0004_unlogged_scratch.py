"""The plan's scratch tables hold rows for the length of one run: on PostgreSQL they need
no write-ahead log (a crash loses only a run in progress, which is rolled back anyway)."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

SCRATCH = ("contact_plancandidate", "contact_planflow")


def unlogged(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for table in SCRATCH:
            schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} SET UNLOGGED")


def logged(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for table in SCRATCH:
            schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("contact", "0003_plan_flows")]

    operations = [migrations.RunPython(unlogged, logged)]
