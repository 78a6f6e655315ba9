"""A deadlock chosen as the victim answers 503 with Retry-After, never a 500 (RELIABILITY.md E6).

A request and another transaction take two customer rows' locks in opposite orders, the
request waiting first, so PostgreSQL's deadlock detector aborts the request (40P01). The
caller gets the database-unavailable answer with Retry-After, its transaction is rolled
back whole, the other transaction completes, and the next request is served.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from ops_helpers import postgres_only

from rmdesk.conftest import Cast
from rmdesk.customers import selectors
from rmdesk.customers.models import Customer
from rmdesk.org.models import Staff

pytestmark = [
    postgres_only(
        "a deadlock needs two transactions holding row locks at once, which PostgreSQL's "
        "detector breaks; SQLite serialises writers, so they never deadlock"
    ),
    pytest.mark.django_db(transaction=True),
]


def test_a_deadlock_victim_answers_503_and_the_next_request_is_served(
    cast: Cast, client_for: Callable[[Staff], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = cast.own.pk, cast.other.pk
    other_has_its_lock = threading.Event()
    request_waits = threading.Event()
    original = selectors.customer_list
    calls: list[int] = []

    def customer_list(**kwargs: Any) -> Any:
        if not calls:
            calls.append(1)
            with transaction.atomic():
                Customer.objects.select_for_update().filter(pk=first).first()
                other_has_its_lock.wait(timeout=30)
                request_waits.set()
                Customer.objects.select_for_update().filter(pk=second).first()
        return original(**kwargs)

    outcome: dict[str, object] = {}

    def other_transaction() -> None:
        try:
            with transaction.atomic():
                Customer.objects.select_for_update().filter(pk=second).first()
                other_has_its_lock.set()
                request_waits.wait(timeout=30)
                time.sleep(0.3)  # the request is already waiting: it is the one detected
                Customer.objects.select_for_update().filter(pk=first).first()
            outcome["other"] = "committed"
        except Exception as error:  # noqa: BLE001 - inspected below
            outcome["other"] = error
        finally:
            connection.close()

    monkeypatch.setattr(selectors, "customer_list", customer_list)
    client = client_for(cast.manager)
    thread = threading.Thread(target=other_transaction)
    thread.start()
    response = client.get("/api/v1/customers")
    thread.join(timeout=60)

    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "database_unavailable"
    assert "deadlock" not in response.content.decode().lower()
    assert outcome["other"] == "committed"
    again = client.get("/api/v1/customers")
    assert again.status_code == 200
