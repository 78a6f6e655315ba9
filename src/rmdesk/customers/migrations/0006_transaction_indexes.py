"""Transactions lose two indexes no query needs: customer_id alone (a prefix of
(customer_id, booked_on DESC)) and the pattern-ops copy of txn_ref that ``unique=True``
adds on PostgreSQL; txn_ref stays unique through a named constraint.

On PostgreSQL the indexes are dropped and the existing unique constraint renamed, so a
large table is not re-indexed nor its foreign key re-validated; other databases apply
the plain schema changes.
"""

import django.db.models.deletion
from django.db import migrations, models

from rmdesk.customers.migration_ops import InPlaceOnPostgres

POSTGRES_FORWARDS = (
    'DROP INDEX IF EXISTS "customers_transaction_customer_id_40a7dbb7"',
    'DROP INDEX IF EXISTS "customers_transaction_txn_ref_90c12931_like"',
    'ALTER TABLE "customers_transaction" RENAME CONSTRAINT'
    ' "customers_transaction_txn_ref_key" TO "customers_txn_ref_unique"',
)
POSTGRES_BACKWARDS = (
    'ALTER TABLE "customers_transaction" RENAME CONSTRAINT'
    ' "customers_txn_ref_unique" TO "customers_transaction_txn_ref_key"',
    'CREATE INDEX "customers_transaction_txn_ref_90c12931_like"'
    ' ON "customers_transaction" ("txn_ref" varchar_pattern_ops)',
    'CREATE INDEX "customers_transaction_customer_id_40a7dbb7"'
    ' ON "customers_transaction" ("customer_id")',
)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_relationship_links"),
    ]

    operations = [
        InPlaceOnPostgres(
            forwards=POSTGRES_FORWARDS,
            backwards=POSTGRES_BACKWARDS,
            state_operations=[
                migrations.AlterField(
                    model_name="transaction",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="transactions",
                        to="customers.customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="transaction",
                    name="txn_ref",
                    field=models.CharField(max_length=40, verbose_name="transaction reference"),
                ),
                migrations.AddConstraint(
                    model_name="transaction",
                    constraint=models.UniqueConstraint(
                        fields=("txn_ref",), name="customers_txn_ref_unique"
                    ),
                ),
            ]
        ),
    ]
