"""Retries of one API write that arrive at the same moment apply once (RELIABILITY.md E3).

Twenty identical POSTs with one Idempotency-Key, sent together from twenty connections:
one work order is raised, one key is stored, and every caller gets the same answer — the
first one. On PostgreSQL (SQLite serialises writers, so there is no race to lose there).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client, override_settings

from rmdesk.coordination.models import IdempotencyRecord, WorkOrder
from rmdesk.coordination.tests.conftest import Desk
from rmdesk.coordination.tests.test_api import BODY
from rmdesk.coordination.tests.test_pools import _run_parallel
from rmdesk.org.models import Staff

CALLERS = 20


# Twenty connections stand for twenty clients spread over the server's processes; one
# test process would shed most of them at its admission limit (core/admission.py).
@override_settings(WEB_MAX_IN_FLIGHT=0)
@pytest.mark.django_db(transaction=True)
def test_simultaneous_retries_raise_one_work_order(
    desk: Desk, client_for: Callable[[Staff], Client]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("real concurrent writers need PostgreSQL (SQLite serialises writers)")
    clients = [client_for(desk.cast.manager) for _ in range(CALLERS)]
    body = json.dumps({**BODY, "customer_id": desk.cast.company.pk})

    def send(index: int) -> tuple[int, object]:
        response = clients[index].post(
            "/api/v1/work-orders",
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="raise-together-1",
        )
        return response.status_code, response.json()

    answers = _run_parallel(CALLERS, send)
    assert not [a for a in answers if isinstance(a, BaseException)], answers
    assert {status for status, _ in answers} == {201}
    assert len({json.dumps(answer, sort_keys=True) for _, answer in answers}) == 1
    assert WorkOrder.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
