"""A service request rides a coordination work order to the department that does it."""

from __future__ import annotations

import pytest

from rmdesk.conftest import Cast
from rmdesk.contact import services
from rmdesk.contact.models import ServiceRequest
from rmdesk.coordination.models import WorkOrder
from rmdesk.coordination.services import work_order_transition
from rmdesk.coordination.tests.factories import seed_defaults

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _work_order_types(db: None) -> None:
    # A transactional test elsewhere may have flushed the seeded types: put them back.
    seed_defaults()


def test_a_request_taken_without_a_department_becomes_a_routed_work_order(cast: Cast) -> None:
    request = services.service_request_create(
        actor=cast.manager,
        customer_id=cast.own.pk,
        kind=ServiceRequest.Kind.STATEMENT,
        description="开具存款证明",
    )
    work_order = WorkOrder.objects.get(pk=request.work_order_id)
    assert work_order.work_order_type.code == "service_request"
    assert work_order.customer_id == cast.own.pk
    # Routed by the bank's rules: operations, the nearest unit up the tree that has it.
    assert work_order.owner_department_id == cast.ops_dept.pk
    assert request.department_id == cast.ops_dept.pk

    work_order_transition(actor=cast.ops_officer, work_order_id=work_order.pk, action="done")
    request.refresh_from_db()
    assert request.status == ServiceRequest.Status.DONE
    assert request.closed_at is not None
    assert list(request.events.values_list("to_status", flat=True).order_by("pk")) == [
        "new",
        "done",
    ]


def test_a_request_handed_by_hand_raises_no_work_order(cast: Cast) -> None:
    request = services.service_request_create(
        actor=cast.manager,
        customer_id=cast.own.pk,
        kind=ServiceRequest.Kind.CARD_REPLACEMENT,
        description="补卡",
        department_id=cast.ops_dept.pk,
    )
    assert request.work_order_id is None
    assert not WorkOrder.objects.exists()


def test_the_api_shows_the_work_order(cast: Cast, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(cast.manager)
    made = client.post(
        "/api/v1/service-requests",
        {"customer_id": cast.own.pk, "kind": "statement", "description": "开具存款证明"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["work_order_id"] == WorkOrder.objects.get().pk
