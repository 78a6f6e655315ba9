"""The customer table loses four indexes no query needs, the assignments one; each was
written on every insert of an import and on every row version of the AUM refresh.

- ``home_unit_id`` and ``primary_manager_id`` alone: prefixes of the list-order indexes
  ``(home_unit_id, display_name, id)`` and ``(primary_manager_id, display_name, id)``,
  which serve the visibility policy's lookups and the foreign-key checks as well;
- ``assisting_manager_id`` alone: the partial ``customers_cust_assisting`` (where set)
  serves every lookup of an assisting manager (an equality implies the value is set);
- the pattern-ops copy of ``customer_no`` that ``unique=True`` adds on PostgreSQL
  (nothing searches customer numbers by prefix); ``customer_no`` stays unique through a
  named constraint, which the import's ``ON CONFLICT (customer_no)`` uses;
- assignments' ``customer_id`` alone: a prefix of ``(customer_id, started_at DESC)``.

Both databases drop the indexes in place (the generic steps would rebuild the tables:
a re-index of millions of rows on PostgreSQL, and on SQLite a new table without the
name-search and change-history triggers). The change-history triggers are installed
again all the same, as ``rmdesk.audit.history`` asks of a migration that changes a
tracked table (and for the trigger functions' settings).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from rmdesk.audit import history

# As in 0008_change_history_triggers.
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
UNTRACKED = {"customers_customer": ("aum", "liabilities", "tier", "tier_since")}


def triggers(apps, schema_editor):
    for table, personal in TRACKED.items():
        history.install(schema_editor, table, personal, UNTRACKED.get(table, ()))


DROPPED = (
    "customers_customer_home_unit_id_01efd9de",
    "customers_customer_primary_manager_id_58abd6b6",
    "customers_customer_assisting_manager_id_4e22dc73",
    "customers_customer_customer_no_25ba515f_like",
    "customers_customerassignment_customer_id_184dd73d",
)
RECREATED = (
    (
        "customers_customerassignment_customer_id_184dd73d",
        "customers_customerassignment",
        "customer_id",
    ),
    (
        "customers_customer_assisting_manager_id_4e22dc73",
        "customers_customer",
        "assisting_manager_id",
    ),
    ("customers_customer_primary_manager_id_58abd6b6", "customers_customer", "primary_manager_id"),
    ("customers_customer_home_unit_id_01efd9de", "customers_customer", "home_unit_id"),
)


def indexes_dropped(apps, schema_editor):
    for name in DROPPED:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE "customers_customer" RENAME CONSTRAINT'
            ' "customers_customer_customer_no_key" TO "customers_customer_no_unique"'
        )
    else:
        # SQLite keeps the column's own UNIQUE (part of the table's definition); the
        # named index is the constraint the models declare.
        schema_editor.execute(
            'CREATE UNIQUE INDEX "customers_customer_no_unique"'
            ' ON "customers_customer" ("customer_no")'
        )


def indexes_restored(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE "customers_customer" RENAME CONSTRAINT'
            ' "customers_customer_no_unique" TO "customers_customer_customer_no_key"'
        )
        schema_editor.execute(
            'CREATE INDEX "customers_customer_customer_no_25ba515f_like"'
            ' ON "customers_customer" ("customer_no" varchar_pattern_ops)'
        )
    else:
        schema_editor.execute('DROP INDEX IF EXISTS "customers_customer_no_unique"')
    for name, table, column in RECREATED:
        schema_editor.execute(f'CREATE INDEX "{name}" ON "{table}" ("{column}")')


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_change_history_triggers"),
        ("org", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(indexes_dropped, indexes_restored, elidable=False)
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name="assisting_manager",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assisted_customers",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="assisting manager",
                    ),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="customer_no",
                    field=models.CharField(max_length=32, verbose_name="customer number"),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="home_unit",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="customers",
                        to="org.orgunit",
                        verbose_name="home org unit",
                    ),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="primary_manager",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="customers",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="account manager",
                    ),
                ),
                migrations.AlterField(
                    model_name="customerassignment",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assignments",
                        to="customers.customer",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="customer",
                    constraint=models.UniqueConstraint(
                        fields=("customer_no",), name="customers_customer_no_unique"
                    ),
                ),
            ],
        ),
        migrations.RunPython(triggers, migrations.RunPython.noop, elidable=False),
    ]
