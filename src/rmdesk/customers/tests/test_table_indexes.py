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


def _customer_indexes(table: str) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {
        name: list(info["columns"])
        for name, info in found.items()
        if (info["index"] or info["unique"]) and not info["primary_key"]
    }


def test_customers_have_no_index_a_longer_one_covers() -> None:
    indexes = _customer_indexes("customers_customer")
    by_columns = [columns for columns in indexes.values()]
    for column in ("home_unit_id", "primary_manager_id"):
        assert [column] not in by_columns
    # The assisting manager is looked up through the partial index of the set values.
    assert [name for name, columns in indexes.items() if columns == ["assisting_manager_id"]] == [
        "customers_cust_assisting"
    ]
    numbers = [name for name, columns in indexes.items() if columns == ["customer_no"]]
    assert "customers_customer_no_unique" in numbers
    if connection.vendor == "postgresql":  # SQLite keeps the column's own UNIQUE too
        assert numbers == ["customers_customer_no_unique"]
    assignments = _customer_indexes("customers_customerassignment")
    assert ["customer_id"] not in assignments.values()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans of PostgreSQL")
@pytest.mark.parametrize(
    ("condition", "index"),
    [
        ("primary_manager_id = %s", "customers_cust_manager_name"),
        ("home_unit_id = %s", "customers_cust_unit_name"),
        ("assisting_manager_id = %s", "customers_cust_assisting"),
        ("customer_no = %s", "customers_customer_no_unique"),
    ],
)
def test_customer_lookups_use_the_longer_indexes(condition: str, index: str) -> None:
    customer = CustomerFactory()
    value = customer.customer_no if condition.startswith("customer_no") else customer.pk
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN SELECT id FROM customers_customer WHERE {condition}", [value])  # noqa: S608
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans of PostgreSQL")
def test_the_visibility_policy_reads_the_longer_indexes(cast) -> None:  # type: ignore[no-untyped-def]
    from rmdesk.customers.models import Customer
    from rmdesk.org.policy import customer_q

    for actor, index in (
        (cast.manager, "customers_cust_manager_name"),
        (cast.manager, "customers_cust_assisting"),
        (cast.team_lead, "customers_cust_manager_name"),
        (cast.subbranch_head, "customers_cust_unit_name"),
    ):
        query = Customer.objects.filter(customer_q(actor)).values("pk")
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert index in plan, (actor, plan)
