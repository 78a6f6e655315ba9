"""Holdings lose two indexes no query needs: customer_id alone, a prefix of
(customer_id, product_type), which serves every lookup by customer (AUM refresh, the
360 view); and the pattern-ops copy of account_no that ``unique=True`` adds on
PostgreSQL. account_no stays unique through a named constraint."""

import django.db.models.deletion
from django.db import migrations, models

from rmdesk.customers.migration_ops import InPlaceOnPostgres


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_transaction_indexes"),
    ]

    operations = [
        InPlaceOnPostgres(
            forwards=[
                'DROP INDEX IF EXISTS "customers_holding_customer_id_573bcfc4"',
                'DROP INDEX IF EXISTS "customers_holding_account_no_597c6846_like"',
                'ALTER TABLE "customers_holding" RENAME CONSTRAINT'
                ' "customers_holding_account_no_key" TO "customers_holding_account_unique"',
            ],
            backwards=[
                'ALTER TABLE "customers_holding" RENAME CONSTRAINT'
                ' "customers_holding_account_unique" TO "customers_holding_account_no_key"',
                'CREATE INDEX "customers_holding_account_no_597c6846_like"'
                ' ON "customers_holding" ("account_no" varchar_pattern_ops)',
                'CREATE INDEX "customers_holding_customer_id_573bcfc4"'
                ' ON "customers_holding" ("customer_id")',
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="holding",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="holdings",
                        to="customers.customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="holding",
                    name="account_no",
                    field=models.CharField(max_length=40, verbose_name="account number"),
                ),
                migrations.AddConstraint(
                    model_name="holding",
                    constraint=models.UniqueConstraint(
                        fields=("account_no",), name="customers_holding_account_unique"
                    ),
                ),
            ],
        ),
    ]
