"""The change history the database keeps (RELIABILITY.md C4): triggers see every write."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from rmdesk.audit.history import change_actor, trigger_columns
from rmdesk.audit.models import RowChange
from rmdesk.conftest import Cast
from rmdesk.customers.models import Customer, CustomerAssignment
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.org.models import Staff

CUSTOMERS = "customers_customer"
ASSIGNMENTS = "customers_customerassignment"
# The customer's derived columns, which the triggers leave out.
DERIVED = {"aum", "liabilities", "tier", "tier_since"}


def changes(table: str, row_id: int, operation: str) -> list[RowChange]:
    return list(
        RowChange.objects.filter(table_name=table, row_id=row_id, operation=operation).order_by(
            "id"
        )
    )


def as_json(value: object) -> object:
    # SQLite's JSON column may hand back text where PostgreSQL's jsonb gives a list.
    return json.loads(value) if isinstance(value, str) else value


def test_queryset_update_is_recorded_with_the_fields_it_changed(cast: Cast) -> None:
    RowChange.objects.all().delete()
    before = Customer.objects.get(pk=cast.own.pk)
    Customer.objects.filter(pk=cast.own.pk).update(
        do_not_contact=not before.do_not_contact, version=before.version + 1
    )
    (change,) = changes(CUSTOMERS, cast.own.pk, "update")
    assert sorted(as_json(change.fields)) == ["do_not_contact", "version"]  # type: ignore[arg-type]
    old = as_json(change.old)
    assert isinstance(old, dict)
    assert old == {"do_not_contact": before.do_not_contact, "version": before.version}
    assert change.actor_id is None  # no user named on the connection


def test_the_nightly_balance_and_tier_refresh_is_not_a_change_of_the_record(cast: Cast) -> None:
    """AUM, liabilities and tier are derived from holdings (the tier keeps its own history)."""
    RowChange.objects.all().delete()
    Customer.objects.filter(pk=cast.own.pk).update(
        tier="private", aum=Decimal("6000000.00"), liabilities=Decimal("1.00")
    )
    assert changes(CUSTOMERS, cast.own.pk, "update") == []
    Customer.objects.filter(pk=cast.own.pk).update(tier="mass", city="上海")
    (change,) = changes(CUSTOMERS, cast.own.pk, "update")
    assert as_json(change.fields) == ["city"]
    old = as_json(change.old)
    assert isinstance(old, dict)
    assert set(old) == {"city"}


def test_an_update_that_changes_nothing_is_not_recorded(cast: Cast) -> None:
    RowChange.objects.all().delete()
    Customer.objects.filter(pk=cast.own.pk).update(city=cast.own.city)
    assert changes(CUSTOMERS, cast.own.pk, "update") == []


def test_personal_columns_are_named_but_their_values_are_not_kept(cast: Cast) -> None:
    before = Customer.objects.get(pk=cast.own.pk)
    Customer.objects.filter(pk=cast.own.pk).update(mobile="13900001111", city="上海")
    (change,) = changes(CUSTOMERS, cast.own.pk, "update")
    assert as_json(change.fields) == ["city", "mobile"]
    old = as_json(change.old)
    assert isinstance(old, dict)
    assert "mobile" not in old
    assert old["city"] == before.city
    stored = json.dumps(list(RowChange.objects.values_list("fields", "old")), ensure_ascii=False)
    for value in (before.mobile, before.id_number, "13900001111", before.display_name):
        if value:
            assert value not in stored


def test_bulk_create_is_recorded(cast: Cast) -> None:
    made = Customer.objects.bulk_create(
        [
            Customer(
                customer_no=f"B{n:09d}",
                kind=Customer.Kind.INDIVIDUAL,
                display_name=f"批量{n}",
                home_unit=cast.sub_a1,
            )
            for n in range(3)
        ]
    )
    ids = [customer.pk for customer in Customer.objects.filter(customer_no__startswith="B")]
    assert len(ids) == len(made) == 3
    recorded = RowChange.objects.filter(table_name=CUSTOMERS, operation="insert", row_id__in=ids)
    assert recorded.count() == 3


def test_raw_sql_is_recorded_on_customers_and_assignments(cast: Cast) -> None:
    start = timezone.now() - timedelta(days=1)
    assignment = CustomerAssignment.objects.create(
        customer=cast.own, manager=cast.manager, role="lead", started_at=start, ended_at=start
    )
    assert changes(ASSIGNMENTS, assignment.pk, "insert")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customerassignment SET manager_id = %s WHERE id = %s",
            [cast.other_manager.pk, assignment.pk],
        )
        cursor.execute("UPDATE customers_customer SET city = '苏州' WHERE id = %s", [cast.a2.pk])
        cursor.execute("DELETE FROM customers_customerassignment WHERE id = %s", [assignment.pk])
    (moved,) = changes(ASSIGNMENTS, assignment.pk, "update")
    assert as_json(moved.fields) == ["manager_id"]
    assert as_json(moved.old) == {"manager_id": cast.manager.pk}
    (moved_city,) = changes(CUSTOMERS, cast.a2.pk, "update")
    assert as_json(moved_city.fields) == ["city"]
    (deleted,) = changes(ASSIGNMENTS, assignment.pk, "delete")
    old = as_json(deleted.old)
    assert isinstance(old, dict)
    assert old["manager_id"] == cast.other_manager.pk
    assert "note" not in old


def test_the_user_is_named_when_rmdesk_knows_them(cast: Cast) -> None:
    with change_actor(cast.branch_head):
        Customer.objects.filter(pk=cast.own.pk).update(city="苏州")
    Customer.objects.filter(pk=cast.own.pk).update(city="无锡")
    first, second = changes(CUSTOMERS, cast.own.pk, "update")
    assert first.actor_id == cast.branch_head.pk
    assert second.actor_id is None  # the setting ends with the block


def test_a_request_names_its_user(cast: Cast, client_for: Callable[[Staff], Client]) -> None:
    client = client_for(cast.manager)
    response = client.patch(
        f"/api/v1/customers/{cast.own.pk}",
        {"version": 1, "city": "杭州"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    (change,) = changes(CUSTOMERS, cast.own.pk, "update")
    assert "city" in as_json(change.fields)  # type: ignore[operator]
    assert change.actor_id == cast.manager.pk
    # The next write on the same connection, outside any request, names nobody.
    Customer.objects.filter(pk=cast.own.pk).update(city="苏州")
    assert changes(CUSTOMERS, cast.own.pk, "update")[-1].actor_id is None


def test_factory_writes_are_recorded_as_inserts_then_updates(cast: Cast) -> None:
    customer = CustomerFactory(home_unit=cast.sub_a1)
    customer.city = "南京"
    customer.save()
    assert len(changes(CUSTOMERS, customer.pk, "insert")) == 1
    assert "city" in as_json(changes(CUSTOMERS, customer.pk, "update")[-1].fields)  # type: ignore[operator]


@pytest.mark.django_db
def test_the_triggers_compare_every_column_of_the_model() -> None:
    """A migration that adds a column, or (SQLite) rebuilds a table, must reinstall them."""
    for model in (Customer, CustomerAssignment):
        columns = {field.column for field in model._meta.concrete_fields}
        untracked = DERIVED if model is Customer else set()
        assert trigger_columns(model._meta.db_table) == columns - untracked


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a setting of PostgreSQL functions")
def test_the_trigger_functions_run_without_jit() -> None:
    """Their transition tables have no statistics: JIT would compile for every big write."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, proconfig FROM pg_proc WHERE proname LIKE %s ORDER BY proname",
            ["rmdesk_history_%"],
        )
        found = cursor.fetchall()
    assert [name for name, _config in found] == [
        "rmdesk_history_customers_customer",
        "rmdesk_history_customers_customerassignment",
    ]
    assert all(config == ["jit=off"] for _name, config in found)
