"""The contact API: wiring, status codes, visibility 404s and query counts."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rmdesk.conftest import Cast
from rmdesk.contact import planning, services
from rmdesk.contact.models import NeedCategory, PlanEntry
from rmdesk.contact.tests.factories import (
    InteractionFactory,
    PlanEntryFactory,
    ServiceRequestFactory,
    VisitFactory,
    earlier_today,
)
from rmdesk.customers.models import Customer, Tier
from rmdesk.org.models import Staff

ClientFor = Callable[[Staff], Client]


def post(
    client: Client, path: str, body: dict[str, Any] | None = None, method: str = "post"
) -> Any:
    return getattr(client, method)(
        path, data=json.dumps(body or {}), content_type="application/json"
    )


def test_log_an_interaction_through_the_api(cast: Cast, client_for: ClientFor) -> None:
    client = client_for(cast.manager)
    entry = PlanEntryFactory(manager=cast.manager, customer=cast.own)
    response = post(
        client,
        "/api/v1/interactions",
        {
            "customer_id": cast.own.pk,
            "channel": "wechat",
            "occurred_at": earlier_today(minutes=1).isoformat(),
            "summary": "微信沟通了到期安排",
            "needs": ["wealth_growth"],
            "follow_up_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["needs"] == [{"code": "wealth_growth", "label": "财富增值"}]
    assert body["customer"]["name"] != cast.own.display_name  # masked
    assert PlanEntry.objects.get(pk=entry.pk).status == "done"
    detail = client.get(f"/api/v1/interactions/{body['id']}")
    assert detail.status_code == 200
    listed = client.get(f"/api/v1/interactions?customer_id={cast.own.pk}").json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]


def test_bad_input_names_the_field(cast: Cast, client_for: ClientFor) -> None:
    response = post(
        client_for(cast.manager),
        "/api/v1/interactions",
        {
            "customer_id": cast.own.pk,
            "channel": "pigeon",
            "occurred_at": timezone.now().isoformat(),
            "summary": "x",
        },
    )
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "channel"


def test_every_object_endpoint_answers_404_out_of_scope(cast: Cast, client_for: ClientFor) -> None:
    interaction = InteractionFactory(
        customer=cast.own, author=cast.manager, follow_up_on=timezone.localdate()
    )
    entry = PlanEntryFactory(manager=cast.manager, customer=cast.own)
    visit = VisitFactory(manager=cast.manager, customer=cast.own)
    request = ServiceRequestFactory(customer=cast.own, raised_by=cast.manager)
    feed = services.calendar_feed_create(actor=cast.manager).feed
    now = timezone.now().isoformat()
    calls = [
        ("get", f"/api/v1/interactions/{interaction.pk}", None),
        ("post", f"/api/v1/interactions/{interaction.pk}/follow-up-done", {}),
        (
            "post",
            "/api/v1/interactions",
            {"customer_id": cast.own.pk, "channel": "phone", "occurred_at": now, "summary": "x"},
        ),
        ("get", f"/api/v1/contact-plan?manager_id={cast.manager.pk}", None),
        ("post", "/api/v1/contact-plan/generate", {"manager_id": cast.manager.pk}),
        ("post", f"/api/v1/contact-plan/{entry.pk}/dismiss", {"outcome": "declined"}),
        ("get", f"/api/v1/visits/{visit.pk}", None),
        ("get", f"/api/v1/visits?manager_id={cast.manager.pk}", None),
        ("post", f"/api/v1/visits/{visit.pk}/check-in", {}),
        ("post", f"/api/v1/visits/{visit.pk}/cancel", {}),
        (
            "post",
            "/api/v1/visits",
            {"customer_id": cast.own.pk, "planned_start": now, "planned_end": now, "purpose": "x"},
        ),
        ("get", f"/api/v1/service-requests/{request.pk}", None),
        ("patch", f"/api/v1/service-requests/{request.pk}", {"status": "done"}),
        (
            "post",
            "/api/v1/service-requests",
            {"customer_id": cast.own.pk, "kind": "other", "description": "x"},
        ),
        ("delete", f"/api/v1/calendar-feeds/{feed.pk}", None),
    ]
    for staff in (cast.other_manager, cast.a2_manager, cast.far_manager, cast.admin):
        client = client_for(staff)
        for method, path, body in calls:
            if body is None and method in ("get", "delete"):
                response = getattr(client, method)(path)
            else:
                response = post(client, path, body, method)
            assert response.status_code == 404, (staff.username, method, path, response.content)
    # Nothing changed.
    assert PlanEntry.objects.get(pk=entry.pk).status == "open"


def test_a_team_lead_reads_a_reports_plan(cast: Cast, client_for: ClientFor) -> None:
    PlanEntryFactory(manager=cast.manager, customer=cast.own)
    response = client_for(cast.team_lead).get(f"/api/v1/contact-plan?manager_id={cast.manager.pk}")
    assert response.status_code == 200
    assert [row["customer"]["id"] for row in response.json()] == [cast.own.pk]


def _count(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    if "DEBUG_QUERIES" in __import__("os").environ:
        print(path, [q["sql"][:150] for q in queries.captured_queries])
    return len(queries)


def test_lists_take_a_fixed_number_of_queries(cast: Cast, client_for: ClientFor) -> None:
    client = client_for(cast.manager)
    day = timezone.localdate()
    paths = [
        f"/api/v1/interactions?customer_id={cast.own.pk}",
        "/api/v1/interactions",
        f"/api/v1/contact-plan?day={day}",
        "/api/v1/visits",
        "/api/v1/service-requests",
        "/api/v1/calendar-feeds",
    ]

    def add_one() -> None:
        customer = Customer.objects.create(
            customer_no=f"Q{Customer.objects.count()}",
            kind="individual",
            display_name="测试",
            home_unit=cast.sub_a1,
            primary_manager=cast.manager,
        )
        item = InteractionFactory(customer=customer, author=cast.manager)
        item.needs.set(NeedCategory.objects.filter(code__in=["retirement", "insurance"]))
        InteractionFactory(customer=cast.own, author=cast.manager)
        PlanEntryFactory(manager=cast.manager, customer=customer, day=day)
        VisitFactory(manager=cast.manager, customer=customer)
        ServiceRequestFactory(
            customer=customer,
            raised_by=cast.manager,
            department=cast.ops_dept,
            assignee=cast.ops_officer,
        )
        services.calendar_feed_create(actor=cast.manager)

    add_one()
    client.get("/api/v1/need-categories")  # the token's first use records itself once
    before = {path: _count(client, path) for path in paths}
    for _ in range(4):
        add_one()
    after = {path: _count(client, path) for path in paths}
    assert after == before


def test_generate_and_dismiss_through_the_api(cast: Cast, client_for: ClientFor) -> None:
    Customer.objects.filter(pk=cast.own.pk).update(tier=Tier.PRIVATE)
    client = client_for(cast.manager)
    day = timezone.localdate()
    response = post(client, "/api/v1/contact-plan/generate", {"day": day.isoformat()})
    assert response.status_code == 200
    assert response.json()["entries"] == 1
    plan = client.get(f"/api/v1/contact-plan?day={day}").json()
    assert plan[0]["reasons"][0]["code"] == "contact_overdue"
    assert plan[0]["reasons"][0]["label"] == "联系已逾期"
    dismissed = post(
        client, f"/api/v1/contact-plan/{plan[0]['id']}/dismiss", {"outcome": "not_reachable"}
    )
    assert dismissed.status_code == 200
    assert dismissed.json()["status"] == "dismissed"
    again = post(client, f"/api/v1/contact-plan/{plan[0]['id']}/dismiss", {"outcome": "declined"})
    assert again.status_code == 409


def test_service_request_through_the_api(cast: Cast, client_for: ClientFor) -> None:
    client = client_for(cast.manager)
    created = post(
        client,
        "/api/v1/service-requests",
        {
            "customer_id": cast.own.pk,
            "kind": "address_change",
            "description": "客户搬家",
            "department_id": cast.ops_dept.pk,
        },
    )
    assert created.status_code == 201, created.content
    request_id = created.json()["id"]
    officer = client_for(cast.ops_officer)
    moved = post(
        officer,
        f"/api/v1/service-requests/{request_id}",
        {"status": "waiting", "note": "等客户补材料"},
        "patch",
    )
    assert moved.status_code == 200
    assert [h["to_status"] for h in moved.json()["history"]] == ["new", "waiting"]
    bad = post(officer, f"/api/v1/service-requests/{request_id}", {"status": "nonsense"}, "patch")
    assert bad.status_code == 422


def test_visits_through_the_api(cast: Cast, client_for: ClientFor) -> None:
    client = client_for(cast.manager)
    start = timezone.now() + dt.timedelta(hours=1)
    created = post(
        client,
        "/api/v1/visits",
        {
            "customer_id": cast.own.pk,
            "planned_start": start.isoformat(),
            "planned_end": (start + dt.timedelta(hours=1)).isoformat(),
            "purpose": "上门签约",
        },
    )
    assert created.status_code == 201, created.content
    visit_id = created.json()["id"]
    checked = post(
        client,
        f"/api/v1/visits/{visit_id}/check-in",
        {"lat": "39.9042", "lng": "116.4074", "accuracy_m": 30},
    )
    assert checked.status_code == 200
    assert checked.json()["status"] == "done"
    bad = post(client, f"/api/v1/visits/{visit_id}/check-in", {"lat": "95", "lng": "0"})
    assert bad.status_code == 422


def test_calendar_feeds_through_the_api(cast: Cast, client_for: ClientFor) -> None:
    client = client_for(cast.manager)
    created = post(client, "/api/v1/calendar-feeds", {"label": "iPhone"})
    assert created.status_code == 201
    url = created.json()["url"]
    assert url.startswith("http://testserver/contact/calendar/")
    assert url.endswith(".ics")
    listed = client.get("/api/v1/calendar-feeds").json()
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert "url" not in listed[0]
    assert token not in json.dumps(listed)
    revoked = client.delete(f"/api/v1/calendar-feeds/{created.json()['id']}")
    assert revoked.json()["revoked_at"] is not None


def test_plan_ignores_customers_of_other_managers(cast: Cast) -> None:
    Customer.objects.update(tier=Tier.PRIVATE)
    planning.plans_generate(day=timezone.localdate())
    managers = dict(PlanEntry.objects.values_list("customer_id", "manager_id"))
    assert managers[cast.own.pk] == cast.manager.pk
    assert managers[cast.other.pk] == cast.other_manager.pk
    assert cast.pool.pk not in managers  # no lead manager, no plan
