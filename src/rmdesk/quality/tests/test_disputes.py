from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from rmdesk.audit.models import AuditEvent
from rmdesk.conftest import Cast
from rmdesk.coordination.models import WorkOrder
from rmdesk.coordination.services import work_order_transition
from rmdesk.customers.models import Customer
from rmdesk.notify.models import Notification
from rmdesk.org.models import Staff
from rmdesk.quality.disputes import attribution_dispute_raise, attribution_dispute_resolve
from rmdesk.quality.models import AttributionDispute, AttributionSplit, Score
from rmdesk.quality.periods import period_parse
from rmdesk.quality.services import scorecards_compute
from rmdesk.quality.tests.factories import seed_dispute_type

pytestmark = pytest.mark.django_db

NOVEMBER = period_parse("2026-11")
NOW = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _setup() -> object:
    seed_dispute_type()
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def shared(cast: Cast) -> Customer:
    """The manager's customer, assisted by the other manager, worth a million."""
    Customer.objects.filter(pk=cast.own.pk).update(
        aum=Decimal("1000000"), assisting_manager=cast.other_manager
    )
    cast.own.refresh_from_db()
    return cast.own


def credited(run_id: int) -> dict[str, Decimal]:
    return {
        score.staff.username: score.value
        for score in Score.objects.filter(run_id=run_id, metric="attributed_aum").select_related(
            "staff"
        )
    }


def test_a_disputed_split_goes_to_the_sub_branch_head_who_changes_it(
    cast: Cast, shared: Customer, client_for: Callable[[Staff], Client]
) -> None:
    before = scorecards_compute(period=NOVEMBER)
    assert credited(before.pk)["rm-own"] == Decimal("700000.00")
    assert credited(before.pk)["rm-other"] == Decimal("300000.00")

    response = client_for(cast.other_manager).post(
        "/api/v1/attribution-disputes",
        {"customer_id": shared.pk, "reason": "维护工作多由我做", "proposed_lead_share": "0.5"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["lead_share_before"]) == ("open", "0.7000")
    work_order = WorkOrder.objects.get(pk=body["work_order_id"])
    assert work_order.owner_department_id is None
    assert work_order.owner_unit_id == cast.sub_a1.pk
    assert work_order.work_order_type.code == "attribution_dispute"
    # The head hears of it and finds it in their queue.
    assert Notification.objects.filter(recipient=cast.subbranch_head).exists()
    head = client_for(cast.subbranch_head)
    waiting = head.get("/api/v1/attribution-disputes?waiting=true").json()["items"]
    assert [item["id"] for item in waiting] == [body["id"]]

    response = head.post(
        f"/api/v1/attribution-disputes/{body['id']}/resolve",
        {"outcome": "change", "lead_share": "0.5", "note": "两人分担相当"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["lead_share_after"]) == (
        "changed",
        "0.5000",
    )
    work_order.refresh_from_db()
    assert work_order.status == WorkOrder.Status.DONE
    split = AttributionSplit.objects.get(customer=shared)
    assert (split.lead_share, split.effective_from) == (Decimal("0.5"), dt.date(2026, 11, 1))
    assert AuditEvent.objects.filter(action="quality.attribution_dispute.resolved").count() == 1
    # Both managers see the outcome.
    for manager in (cast.manager, cast.other_manager):
        seen = client_for(manager).get(f"/api/v1/attribution-disputes/{body['id']}")
        assert seen.json()["status"] == "changed"
        assert Notification.objects.filter(recipient=manager, target_id=str(body["id"])).exists()
    mine = client_for(cast.manager).get("/api/v1/attributions").json()["items"]
    assert [(item["lead_share"], item["own_share"], item["set_by_dispute"]) for item in mine] == [
        ("0.5000", "0.5000", True)
    ]

    # The snapshot already taken stays; the next compute credits the new split.
    after = scorecards_compute(period=NOVEMBER)
    assert credited(before.pk)["rm-own"] == Decimal("700000.00")
    assert credited(after.pk)["rm-own"] == Decimal("500000.00")
    assert credited(after.pk)["rm-other"] == Decimal("500000.00")
    # October is before the split: the bank's rule still applies there.
    october = scorecards_compute(period=period_parse("2026-10"))
    assert credited(october.pk)["rm-own"] == Decimal("700000.00")


def test_the_split_lapses_when_the_pair_changes(cast: Cast, shared: Customer) -> None:
    dispute = attribution_dispute_raise(
        actor=cast.manager, customer_id=shared.pk, reason="主办承担全部工作"
    )
    attribution_dispute_resolve(
        actor=cast.subbranch_head, dispute_id=dispute.pk, outcome="change", lead_share="0.9"
    )
    run = scorecards_compute(period=NOVEMBER)
    assert credited(run.pk)["rm-own"] == Decimal("900000.00")
    Customer.objects.filter(pk=shared.pk).update(assisting_manager=cast.team_lead)
    run = scorecards_compute(period=NOVEMBER)
    assert credited(run.pk)["rm-own"] == Decimal("700000.00")
    assert credited(run.pk)["team-lead"] == Decimal("300000.00")


def test_who_may_dispute(
    cast: Cast, shared: Customer, client_for: Callable[[Staff], Client]
) -> None:
    def dispute(staff: Staff, customer: Customer, reason: str = "不公平") -> tuple[int, str]:
        response = client_for(staff).post(
            "/api/v1/attribution-disputes",
            {"customer_id": customer.pk, "reason": reason},
            content_type="application/json",
        )
        return response.status_code, response.json().get("code", "")

    # Seeing the customer is not being one of its two managers.
    for staff in (cast.team_lead, cast.subbranch_head, cast.analyst):
        assert dispute(staff, shared)[0] == 403
    for staff in (cast.a2_manager, cast.far_manager, cast.admin, cast.other_branch_head):
        assert dispute(staff, shared)[0] == 404
    assert dispute(cast.manager, cast.company) == (400, "no_split")
    assert dispute(cast.manager, shared, reason=" ")[0] == 400
    bad = client_for(cast.manager).post(
        "/api/v1/attribution-disputes",
        {"customer_id": shared.pk, "reason": "x", "proposed_lead_share": "1.5"},
        content_type="application/json",
    )
    assert bad.status_code in (400, 422)
    assert AttributionDispute.objects.count() == 0
    assert dispute(cast.manager, shared)[0] == 201
    assert dispute(cast.other_manager, shared) == (409, "dispute_open")


def test_who_sees_and_who_settles_the_dispute(
    cast: Cast, shared: Customer, client_for: Callable[[Staff], Client]
) -> None:
    dispute = attribution_dispute_raise(actor=cast.other_manager, customer_id=shared.pk, reason="r")
    assert dispute.work_order is not None
    path = f"/api/v1/attribution-disputes/{dispute.pk}"
    work_order_path = f"/api/v1/work-orders/{dispute.work_order.pk}"
    for staff in (cast.manager, cast.other_manager, cast.subbranch_head, cast.branch_head):
        assert client_for(staff).get(path).status_code == 200, staff
        assert client_for(staff).get(work_order_path).status_code == 200, staff
    for staff in (cast.a2_manager, cast.far_manager, cast.other_branch_head, cast.admin):
        client = client_for(staff)
        assert client.get(path).status_code == 404, staff
        assert client.get(work_order_path).status_code == 404, staff
        assert (
            client.post(f"{path}/resolve", {"outcome": "uphold"}, content_type="application/json")
        ).status_code == 404
        assert client.get("/api/v1/attribution-disputes").json()["items"] == []
    # Only the head it was routed to settles it: not the managers, not the head above.
    for staff in (cast.manager, cast.other_manager, cast.team_lead, cast.branch_head):
        response = client_for(staff).post(
            f"{path}/resolve", {"outcome": "uphold"}, content_type="application/json"
        )
        assert response.status_code == 403, staff
    head = client_for(cast.subbranch_head)
    response = head.post(f"{path}/resolve", {"outcome": "change"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "lead_share"
    response = head.post(f"{path}/resolve", {"outcome": "uphold"}, content_type="application/json")
    assert response.json()["status"] == "upheld"
    assert not AttributionSplit.objects.exists()
    again = head.post(f"{path}/resolve", {"outcome": "uphold"}, content_type="application/json")
    assert again.json()["code"] == "dispute_closed"


def test_a_sub_branch_without_a_head_sends_it_up_to_the_branch_head(cast: Cast) -> None:
    Customer.objects.filter(pk=cast.a2.pk).update(assisting_manager=cast.manager)
    dispute = attribution_dispute_raise(actor=cast.a2_manager, customer_id=cast.a2.pk, reason="r")
    assert dispute.work_order is not None
    assert dispute.work_order.owner_unit_id == cast.branch_a.pk
    settled = attribution_dispute_resolve(
        actor=cast.branch_head, dispute_id=dispute.pk, outcome="change", lead_share="0.6"
    )
    assert settled.status == AttributionDispute.Status.CHANGED


def test_closing_the_work_order_in_coordination_settles_the_dispute(
    cast: Cast, shared: Customer
) -> None:
    withdrawn = attribution_dispute_raise(actor=cast.manager, customer_id=shared.pk, reason="r")
    assert withdrawn.work_order is not None
    work_order_transition(
        actor=cast.manager, work_order_id=withdrawn.work_order.pk, action="cancel"
    )
    withdrawn.refresh_from_db()
    assert withdrawn.status == AttributionDispute.Status.WITHDRAWN
    upheld = attribution_dispute_raise(actor=cast.manager, customer_id=shared.pk, reason="r")
    assert upheld.work_order is not None
    work_order_transition(
        actor=cast.subbranch_head, work_order_id=upheld.work_order.pk, action="done"
    )
    upheld.refresh_from_db()
    assert (upheld.status, upheld.resolved_by) == (
        AttributionDispute.Status.UPHELD,
        cast.subbranch_head,
    )


def test_the_pages_dispute_and_settle(
    cast: Cast, shared: Customer, browser_for: Callable[[Staff], Client]
) -> None:
    manager = browser_for(cast.other_manager)
    page = manager.get("/quality/attribution/")
    assert page.status_code == 200
    assert shared.customer_no in page.content.decode()
    assert manager.get(f"/quality/attribution/{shared.pk}/dispute/").status_code == 200
    refused = manager.post(f"/quality/attribution/{shared.pk}/dispute/", {"reason": ""})
    assert refused.status_code == 400
    sent = manager.post(
        f"/quality/attribution/{shared.pk}/dispute/",
        {"reason": "维护工作由我完成", "proposed_lead_share": "0.4"},
    )
    assert sent.status_code == 302
    dispute = AttributionDispute.objects.get()
    assert dispute.proposed_lead_share == Decimal("0.4")
    head = browser_for(cast.subbranch_head)
    detail = head.get(f"/quality/disputes/{dispute.pk}/")
    assert 'name="outcome"' in detail.content.decode()
    assert 'name="outcome"' not in manager.get(f"/quality/disputes/{dispute.pk}/").content.decode()
    work_order_page = head.get(f"/coordination/work-orders/{dispute.work_order_id}/").content
    assert f"/quality/disputes/work-order/{dispute.work_order_id}/" in work_order_page.decode()
    assert head.get(f"/quality/disputes/work-order/{dispute.work_order_id}/").status_code == 302
    queue = head.get("/coordination/?view=queue").content.decode()
    assert f"#{dispute.work_order_id}" in queue or f"/work-orders/{dispute.work_order_id}/" in queue
    done = head.post(
        f"/quality/disputes/{dispute.pk}/resolve/",
        {"outcome": "change", "lead_share": "0.4", "note": "同意"},
    )
    assert done.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.status, dispute.lead_share_after) == ("changed", Decimal("0.4"))
    assert browser_for(cast.a2_manager).get(f"/quality/disputes/{dispute.pk}/").status_code == 404


def test_the_shared_customers_page_costs_the_same_whatever_its_size(
    cast: Cast,
    shared: Customer,
    client_for: Callable[[Staff], Client],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    from rmdesk.customers.tests.factories import CustomerFactory

    client = client_for(cast.manager)
    client.get("/api/v1/attributions")
    for _index in range(6):
        CustomerFactory(
            home_unit=cast.sub_a1, primary_manager=cast.manager, assisting_manager=cast.team_lead
        )
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        response = client.get("/api/v1/attributions")
    assert len(response.json()["items"]) == 7


def test_a_routing_rule_for_a_unit_head_names_no_department(
    cast: Cast, client_for: Callable[[Staff], Client]
) -> None:
    client = client_for(cast.admin)
    bad = client.post(
        "/api/v1/routing-rules",
        {"target": "unit_head", "department_kind": "operations", "level": "sub_branch"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["details"]["field"] == "department_kind"
    good = client.post(
        "/api/v1/routing-rules",
        {
            "type": "attribution_dispute",
            "target": "unit_head",
            "anchor": "customer",
            "level": "branch",
        },
        content_type="application/json",
    )
    assert good.status_code == 201
