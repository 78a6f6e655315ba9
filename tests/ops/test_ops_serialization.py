"""Serialization failures and deadlocks are run again on the server (RELIABILITY.md E6).

Two SERIALIZABLE transactions that each read two customers and change one of them
(write skew) cannot both commit: PostgreSQL aborts one with 40001. Under
``retried_transaction`` the loser runs again and commits. A service whose transaction
keeps failing gives up after three attempts and the request answers 503, never 500.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction
from django.test import Client
from ops_helpers import postgres_only

from rmdesk.audit.models import AuditEvent
from rmdesk.audit.services import audit_record
from rmdesk.conftest import Cast
from rmdesk.core.retry import SERIALIZABLE, is_retryable, retried_transaction
from rmdesk.customers import services as customer_services
from rmdesk.customers.models import Customer
from rmdesk.org.models import Staff

pytestmark = [
    postgres_only("SQLite serialises writers, so no transaction fails with 40001 or 40P01"),
    pytest.mark.django_db(transaction=True),
]

SERIALIZATION_FAILURE = (
    "DO $$ BEGIN RAISE EXCEPTION 'could not serialize access' "
    "USING ERRCODE = 'serialization_failure'; END $$"
)


def test_write_skew_between_two_serializable_transactions_is_retried(cast: Cast) -> None:
    first, second = cast.own.pk, cast.other.pk
    both_have_read = threading.Barrier(2, timeout=30)
    attempts: list[str] = []
    errors: list[BaseException] = []

    @retried_transaction(isolation=SERIALIZABLE)
    def move_liabilities(name: str, write: int) -> None:
        attempts.append(name)
        total = sum(c.liabilities for c in Customer.objects.filter(pk__in=[first, second]))
        if len(attempts) <= 2:
            both_have_read.wait()  # the first attempts overlap: both read before writing
        Customer.objects.filter(pk=write).update(liabilities=total + write)

    def run(name: str, write: int) -> None:
        try:
            move_liabilities(name, write)
        except BaseException as error:  # noqa: BLE001 - inspected below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("a", second)),
        threading.Thread(target=run, args=("b", first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    # One transaction lost the first round (40001) and was run once more.
    assert sorted(attempts) in (["a", "a", "b"], ["a", "b", "b"])
    values = dict(Customer.objects.filter(pk__in=[first, second]).values_list("pk", "liabilities"))
    loser = "a" if attempts.count("a") == 2 else "b"
    loser_wrote, winner_wrote = (second, first) if loser == "a" else (first, second)
    # As if one ran after the other: the winner read nothing, the loser's second
    # attempt read the winner's committed write (both reading 0 would be the skew).
    assert values[winner_wrote] == winner_wrote
    assert values[loser_wrote] == winner_wrote + loser_wrote


def test_an_aborted_transaction_is_counted_and_not_retried_inside_another(cast: Cast) -> None:
    calls: list[int] = []

    @retried_transaction()
    def always_aborted() -> None:
        calls.append(1)
        with connection.cursor() as cursor:
            cursor.execute(SERIALIZATION_FAILURE)

    with pytest.raises(OperationalError) as raised:
        always_aborted()
    assert is_retryable(raised.value)
    assert len(calls) == 3

    calls.clear()
    with pytest.raises(OperationalError), transaction.atomic():
        always_aborted()  # the outer transaction is the one to run again, not this
    assert len(calls) == 1


def test_a_service_runs_again_after_a_serialization_failure(
    cast: Cast, client_for: Callable[[Staff], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = audit_record
    calls: list[int] = []

    def audit_record_failing_once(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            with connection.cursor() as cursor:
                cursor.execute(SERIALIZATION_FAILURE)
        return original(**kwargs)

    monkeypatch.setattr(customer_services, "audit_record", audit_record_failing_once)
    response = client_for(cast.manager).patch(
        f"/api/v1/customers/{cast.own.pk}",
        {"version": 1, "city": "苏州"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert len(calls) == 2
    customer = Customer.objects.get(pk=cast.own.pk)
    assert (customer.city, customer.version) == ("苏州", 2)  # applied once, not twice
    assert AuditEvent.objects.filter(action="customers.customer.updated").count() == 1


def test_after_three_failures_the_request_answers_503_not_500(
    cast: Cast, client_for: Callable[[Staff], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def audit_record_always_failing(**kwargs: Any) -> Any:
        calls.append(1)
        with connection.cursor() as cursor:
            cursor.execute(SERIALIZATION_FAILURE)

    monkeypatch.setattr(customer_services, "audit_record", audit_record_always_failing)
    response = client_for(cast.manager).patch(
        f"/api/v1/customers/{cast.own.pk}",
        {"version": 1, "city": "苏州"},
        content_type="application/json",
    )
    assert response.status_code == 503, response.content
    assert response["Retry-After"]
    assert response.json()["code"] == "database_unavailable"
    assert "serialize" not in response.content.decode()
    assert len(calls) == 3
    customer = Customer.objects.get(pk=cast.own.pk)
    assert (customer.city, customer.version) == (cast.own.city, 1)
