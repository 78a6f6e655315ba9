from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from rmdesk.coordination.models import IdempotencyRecord, WorkOrder
from rmdesk.coordination.tests.conftest import Desk
from rmdesk.coordination.tests.test_work_orders import PRICING, raise_pricing
from rmdesk.org.models import Staff

ClientFor = Callable[[Staff], Client]

BODY = {
    "type": "pricing_exception",
    "title": "利率优惠",
    "amount": "50",
    "fields": PRICING,
}


def post(client: Client, url: str, body: dict[str, Any], key: str = "") -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_raise_through_the_api_and_follow_it(desk: Desk, client_for: ClientFor) -> None:
    manager = client_for(desk.cast.manager)
    response = post(manager, "/api/v1/work-orders", {**BODY, "customer_id": desk.cast.own.pk})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "open"
    assert created["amount"] == "50.00"
    assert created["customer_name"] == "王*明"  # masked
    officer = client_for(desk.credit_officer)
    url = f"/api/v1/work-orders/{created['id']}"
    moved = post(officer, f"{url}/transition", {"action": "request_info", "text": "补充材料"})
    assert moved.status_code == 200
    assert moved.json()["status"] == "info_requested"
    comment = post(manager, f"{url}/comments", {"text": "马上补充"})
    assert comment.status_code == 201
    assert comment.json()["kind"] == "comment"
    events = manager.get(f"{url}/events").json()
    assert [e["kind"] for e in events] == ["created", "routed", "info_requested", "comment"]
    refused = post(officer, f"{url}/transition", {"action": "approve"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "transition_not_allowed"
    bad = post(officer, f"{url}/transition", {"action": "fly"})
    assert bad.status_code == 422


def test_invalid_fields_answer_422_with_each_field(desk: Desk, client_for: ClientFor) -> None:
    manager = client_for(desk.cast.manager)
    response = post(
        manager,
        "/api/v1/work-orders",
        {**BODY, "customer_id": desk.cast.company.pk, "fields": {"requested_rate": "abc"}},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_fields"
    assert {d["field"] for d in body["details"]} >= {"requested_rate", "product", "reason"}


def test_idempotent_retry_returns_the_first_result(desk: Desk, client_for: ClientFor) -> None:
    """RELIABILITY.md E3."""
    manager = client_for(desk.cast.manager)
    body = {**BODY, "customer_id": desk.cast.company.pk}
    first = post(manager, "/api/v1/work-orders", body, key="raise-1")
    second = post(manager, "/api/v1/work-orders", body, key="raise-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert WorkOrder.objects.count() == 1
    reused = post(manager, "/api/v1/work-orders", {**body, "title": "另一件"}, key="raise-1")
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    # Another person's key space is their own.
    other = client_for(desk.cast.team_lead)
    assert post(other, "/api/v1/work-orders", body, key="raise-1").status_code == 201
    assert IdempotencyRecord.objects.count() == 2


def test_idempotent_transition(desk: Desk, client_for: ClientFor) -> None:
    """RELIABILITY.md E3."""
    work_order = raise_pricing(desk)
    officer = client_for(desk.credit_officer)
    url = f"/api/v1/work-orders/{work_order.pk}/transition"
    body = {"action": "escalate", "text": "加急"}
    first = post(officer, url, body, key="esc-1")
    again = post(officer, url, body, key="esc-1")
    assert first.json() == again.json()
    work_order.refresh_from_db()
    assert work_order.escalation_level == 1
    # A refused request stores nothing: it may be retried once the state allows it.
    failed = post(officer, url, {"action": "approve"}, key="approve-1")
    assert failed.status_code == 400
    assert not IdempotencyRecord.objects.filter(key="approve-1").exists()


@pytest.mark.parametrize("who", ["far_manager", "other_manager", "a2_manager", "admin"])
def test_out_of_scope_is_404(desk: Desk, client_for: ClientFor, who: str) -> None:
    """RELIABILITY.md B8."""
    work_order = raise_pricing(desk)
    client = client_for(getattr(desk.cast, who))
    url = f"/api/v1/work-orders/{work_order.pk}"
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/events").status_code == 404
    assert post(client, f"{url}/comments", {"text": "x"}).status_code == 404
    assert work_order.pk not in [i["id"] for i in client.get("/api/v1/work-orders").json()["items"]]


@pytest.mark.parametrize(
    "who", ["manager", "team_lead", "subbranch_head", "branch_head", "analyst", "auditor"]
)
def test_in_scope_sees_it(desk: Desk, client_for: ClientFor, who: str) -> None:
    """RELIABILITY.md B8."""
    work_order = raise_pricing(desk)
    client = client_for(getattr(desk.cast, who))
    assert client.get(f"/api/v1/work-orders/{work_order.pk}").status_code == 200


def test_department_officer_sees_routed_work_only(desk: Desk, client_for: ClientFor) -> None:
    """RELIABILITY.md B8."""
    work_order = raise_pricing(desk)
    assert (
        client_for(desk.credit_officer).get(f"/api/v1/work-orders/{work_order.pk}").status_code
        == 200
    )
    assert (
        client_for(desk.ops_officer).get(f"/api/v1/work-orders/{work_order.pk}").status_code == 404
    )
    queue = client_for(desk.credit_officer).get("/api/v1/work-orders?view=queue").json()
    assert [item["id"] for item in queue["items"]] == [work_order.pk]


def test_list_query_count_does_not_grow(
    desk: Desk, client_for: ClientFor, django_assert_max_num_queries: Any
) -> None:
    """RELIABILITY.md G3."""
    client = client_for(desk.cast.manager)
    raise_pricing(desk)
    with django_assert_max_num_queries(12) as few:
        client.get("/api/v1/work-orders")
    for _ in range(6):
        raise_pricing(desk, amount="5")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/work-orders")
    assert len(response.json()["items"]) == 7


def test_attachment_upload_and_size_limit(
    desk: Desk, client_for: ClientFor, settings: Any, tmp_path: Any
) -> None:
    """RELIABILITY.md D3."""
    settings.VAR_DIR = tmp_path
    work_order = raise_pricing(desk)
    client = client_for(desk.cast.manager)
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = f"/api/v1/work-orders/{work_order.pk}/attachments"
    response = client.post(url, {"file": SimpleUploadedFile("报价.pdf", b"%PDF-1.4 quote")})
    assert response.status_code == 201, response.content
    assert len(response.json()["sha256"]) == 64
    stored = tmp_path / "attachments" / response.json()["sha256"][:2] / response.json()["sha256"]
    assert stored.read_bytes() == b"%PDF-1.4 quote"
    reference = client.post(url, {"reference": "档案室 A-12", "name": "抵押登记"})
    assert reference.status_code == 201
    from rmdesk.coordination import services

    monkey = services.ATTACHMENT_MAX_BYTES
    services.ATTACHMENT_MAX_BYTES = 4
    try:
        big = client.post(url, {"file": SimpleUploadedFile("big.bin", b"123456")})
    finally:
        services.ATTACHMENT_MAX_BYTES = monkey
    assert big.status_code == 400
    assert big.json()["code"] == "attachment_too_large"
    assert Decimal(work_order.amount or 0) == Decimal("50")


def test_types_breach_report_and_pools_listing(desk: Desk, client_for: ClientFor) -> None:
    client = client_for(desk.cast.manager)
    types = client.get("/api/v1/work-order-types").json()
    codes = {item["code"] for item in types}
    assert {
        "credit_application",
        "account_opening",
        "pricing_exception",
        "fee_waiver",
        "special_product",
        "customer_requirement",
        "service_request",
        "complaint",
        "customer_transfer",
    } <= codes
    raise_pricing(desk)
    report = client_for(desk.cast.branch_head).get("/api/v1/work-orders/breach-report").json()
    assert [(row["department_id"], row["total"]) for row in report] == [(desk.credit_dept.pk, 1)]
    assert client_for(desk.cast.far_manager).get("/api/v1/work-orders/breach-report").json() == []
    assert client.get("/api/v1/resource-pools").json() == []
    assert client.get("/api/v1/working-groups").json() == []
