"""The transactions and holdings tables keep the indexes their queries use, and no others."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from rmdesk.customers.models import Transaction
from rmdesk.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _indexes() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Transaction._meta.db_table)
    return {
        name: list(info["columns"])
        for name, info in found.items()
        if info["index"] or info["unique"]
        if not info["primary_key"]
    }


def test_txn_ref_unique_and_one_index_by_customer() -> None:
    indexes = _indexes()
    by_columns = sorted(columns for columns in indexes.values())
    # (customer_id, booked_on) serves lookups by customer; txn_ref once, unique.
    assert by_columns == [["customer_id", "booked_on"], ["txn_ref"]]
    assert "customers_txn_ref_unique" in indexes


def test_txn_ref_stays_unique() -> None:
    customer = CustomerFactory()
    fields = {
        "customer": customer,
        "account_no": "A1",
        "booked_on": date(2026, 1, 2),
        "kind": Transaction.Kind.SALARY,
        "amount": Decimal("1.00"),
    }
    Transaction.objects.create(txn_ref="T1", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.create(txn_ref="T1", **fields)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans of PostgreSQL")
def test_lookups_by_customer_use_the_dated_index() -> None:
    customer = CustomerFactory()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM customers_transaction WHERE customer_id = %s", [customer.pk]
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "customers_txn_customer_date" in plan


def test_holdings_keep_one_index_by_customer_and_a_unique_account() -> None:
    from rmdesk.customers.models import Holding

    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Holding._meta.db_table)
    indexed = sorted(
        list(info["columns"])
        for info in found.values()
        if (info["index"] or info["unique"]) and not info["primary_key"]
    )
    assert indexed == [["account_no"], ["customer_id", "product_type"], ["matures_on"]]
    assert found["customers_holding_account_unique"]["unique"]
