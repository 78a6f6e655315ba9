from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from rmdesk.conftest import Cast
from rmdesk.customers.models import Customer
from rmdesk.development.models import NameListEntry, Opportunity, Signal
from rmdesk.development.signals import signals_compute
from rmdesk.development.tests.factories import ProspectFactory, holding
from rmdesk.notify.models import Notification
from rmdesk.org.models import Staff

ClientFor = Callable[[Staff], Client]
MOBILE = "13812345678"


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data, content_type="application/json")


def test_capture_duplicate_then_confirm(cast: Cast, client_for: ClientFor) -> None:
    client = client_for(cast.manager)
    body = {"kind": "individual", "display_name": "孙悟空", "mobile": MOBILE, "source": "walk_in"}
    assert post(client, "/api/v1/prospects", body).status_code == 201
    clash = post(client_for(cast.other_manager), "/api/v1/prospects", body)
    assert clash.status_code == 409
    assert clash.json()["code"] == "duplicate_suspected"
    assert clash.json()["details"]["matches"][0]["id"] is None
    again = post(client_for(cast.other_manager), "/api/v1/prospects?confirm_duplicate=true", body)
    assert again.status_code == 201
    assert again.json()["display_name"] == "孙*空"  # masked for the owner too, until revealed


def test_bad_input_is_422_with_the_field(cast: Cast, client_for: ClientFor) -> None:
    response = post(
        client_for(cast.manager),
        "/api/v1/prospects",
        {"kind": "individual", "display_name": "孙悟空", "mobile": "12", "source": "nowhere"},
    )
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "mobile"


def test_transition_through_the_api(cast: Cast, client_for: ClientFor) -> None:
    prospect = ProspectFactory(home_unit=cast.sub_a1, owner=cast.manager)
    client = client_for(cast.manager)
    ok = post(client, f"/api/v1/prospects/{prospect.pk}/transition", {"stage": "contacted"})
    assert ok.status_code == 200
    assert ok.json()["stage"] == "contacted"
    assert [h["to_stage"] for h in ok.json()["history"]] == ["contacted"]
    refused = post(client, f"/api/v1/prospects/{prospect.pk}/transition", {"stage": "won"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "transition_refused"


def _objects(cast: Cast) -> dict[str, str]:
    prospect = ProspectFactory(home_unit=cast.sub_a1, owner=cast.manager)
    holding(cast.own, "demand_deposit", "300000.00")
    signals_compute(as_of=timezone.localdate())
    signal = Signal.objects.get(customer=cast.own)
    opportunity = Opportunity.objects.create(
        customer=cast.own, manager=cast.manager, title="t", follow_up_on=timezone.localdate()
    )
    from rmdesk.development.namelists import name_list_issue

    name_list = name_list_issue(
        actor=cast.manager, title="t", purpose="p", customer_ids=[cast.own.pk]
    )
    return {
        "prospect": f"/api/v1/prospects/{prospect.pk}",
        "signal": f"/api/v1/signals/{signal.pk}",
        "opportunity": f"/api/v1/opportunities/{opportunity.pk}",
        "name_list": f"/api/v1/name-lists/{name_list.pk}",
    }


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("manager", True),
        ("team_lead", True),
        ("subbranch_head", True),
        ("branch_head", True),
        ("analyst", True),
        ("other_manager", False),
        ("far_manager", False),
        ("other_branch_head", False),
        ("admin", False),
        ("ops_officer", False),
    ],
)
def test_object_endpoints_answer_404_out_of_scope(
    cast: Cast, client_for: ClientFor, who: str, sees: bool
) -> None:
    urls = _objects(cast)
    client = client_for(cast.staff()[who])
    for name, url in urls.items():
        assert client.get(url).status_code == (200 if sees else 404), (who, name)


def test_write_endpoints_answer_404_out_of_scope(cast: Cast, client_for: ClientFor) -> None:
    urls = _objects(cast)
    client = client_for(cast.far_manager)
    assert post(client, urls["prospect"] + "/transition", {"stage": "contacted"}).status_code == 404
    assert post(client, urls["prospect"] + "/touch", {"note": "x"}).status_code == 404
    assert post(client, urls["prospect"] + "/release", {}).status_code == 404
    assert (
        post(client, urls["opportunity"] + "/close", {"status": "lost", "note": "x"}).status_code
        == 404
    )
    signal_id = int(urls["signal"].rsplit("/", 1)[1])
    raised = post(
        client,
        "/api/v1/opportunities",
        {"signal_id": signal_id, "follow_up_on": timezone.localdate().isoformat()},
    )
    assert raised.status_code == 404
    entry = NameListEntry.objects.get()
    assert (
        post(
            client, f"/api/v1/name-lists/entries/{entry.pk}/outcome", {"outcome": "declined"}
        ).status_code
        == 404
    )
    assert post(client, f"/api/v1/pool/customers/{cast.pool.pk}/claim", {}).status_code == 404


def test_lists_use_a_fixed_number_of_queries(
    cast: Cast, client_for: ClientFor, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        ProspectFactory(home_unit=cast.sub_a1, owner=cast.manager)
    holding(cast.own, "demand_deposit", "300000.00")
    holding(cast.company, "demand_deposit", "300000.00")
    signals_compute(as_of=timezone.localdate())
    for customer in (cast.own, cast.company):
        Opportunity.objects.create(
            customer=customer, manager=cast.manager, title="t", follow_up_on=timezone.localdate()
        )
    client = client_for(cast.manager)
    counts = {}
    for url in (
        "/api/v1/prospects",
        "/api/v1/signals",
        "/api/v1/opportunities",
        "/api/v1/name-lists",
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    for _ in range(5):
        ProspectFactory(home_unit=cast.sub_a1, owner=cast.manager)
    for url, before in counts.items():
        with django_assert_max_num_queries(before):
            client.get(url)
    assert max(counts.values()) <= 8


def test_name_list_dispatch_notify_outcome_and_rollup(
    cast: Cast, client_for: ClientFor, django_capture_on_commit_callbacks: Any
) -> None:
    prospect = ProspectFactory(home_unit=cast.sub_a2, owner=cast.a2_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client_for(cast.branch_head),
            "/api/v1/name-lists",
            {
                "title": "十二月到期",
                "purpose": "到期客户续作",
                "customer_ids": [cast.own.pk, cast.other.pk, cast.pool.pk],
                "prospect_ids": [prospect.pk],
            },
        )
    assert response.status_code == 201, response.json()
    assert response.json()["level"] == "branch"
    list_id = response.json()["id"]
    entries = {
        e.customer_id if e.customer_id else -(e.prospect_id or 0): e
        for e in NameListEntry.objects.all()
    }
    assert entries[cast.own.pk].manager == cast.manager
    assert entries[cast.other.pk].manager == cast.other_manager
    assert entries[cast.pool.pk].manager is None
    assert entries[-prospect.pk].manager == cast.a2_manager
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {
        cast.manager.pk,
        cast.other_manager.pk,
        cast.a2_manager.pk,
    }
    # The manager sees the list, and only their own entries on it.
    mine = client_for(cast.manager).get(f"/api/v1/name-lists/{list_id}").json()
    assert [e["customer"]["id"] for e in mine["entries"]] == [cast.own.pk]
    outcome = post(
        client_for(cast.manager),
        f"/api/v1/name-lists/entries/{entries[cast.own.pk].pk}/outcome",
        {"outcome": "converted"},
    )
    assert outcome.status_code == 200
    post(
        client_for(cast.a2_manager),
        f"/api/v1/name-lists/entries/{entries[-prospect.pk].pk}/outcome",
        {"outcome": "declined"},
    )
    rollup = {
        r["name"]: (r["total"], r["done"], r["converted"])
        for r in client_for(cast.branch_head).get(f"/api/v1/name-lists/{list_id}").json()["rollup"]
    }
    assert rollup == {
        "总行": (4, 2, 1),
        "甲分行": (4, 2, 1),
        "甲一支行": (3, 1, 1),
        "甲二支行": (1, 1, 0),
    }
    # Someone else's entry: 404; an unknown outcome: 422.
    assert (
        post(
            client_for(cast.far_manager),
            f"/api/v1/name-lists/entries/{entries[cast.other.pk].pk}/outcome",
            {"outcome": "declined"},
        ).status_code
        == 404
    )
    assert (
        post(
            client_for(cast.other_manager),
            f"/api/v1/name-lists/entries/{entries[cast.other.pk].pk}/outcome",
            {"outcome": "maybe"},
        ).status_code
        == 422
    )


def test_name_list_refuses_invisible_targets(cast: Cast, client_for: ClientFor) -> None:
    response = post(
        client_for(cast.manager),
        "/api/v1/name-lists",
        {"title": "t", "purpose": "p", "customer_ids": [cast.own.pk, cast.far.pk]},
    )
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "customer_ids"
    assert not NameListEntry.objects.exists()


def test_opportunity_from_signal_close_and_conversion(cast: Cast, client_for: ClientFor) -> None:
    holding(cast.own, "demand_deposit", "300000.00")
    signals_compute(as_of=timezone.localdate())
    signal = Signal.objects.get(customer=cast.own, code="idle_deposit")
    client = client_for(cast.team_lead)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    raised = post(
        client, "/api/v1/opportunities", {"signal_id": signal.pk, "follow_up_on": tomorrow}
    )
    assert raised.status_code == 201
    assert raised.json()["manager"]["id"] == cast.manager.pk  # the customer's manager
    assert raised.json()["signal_code"] == "idle_deposit"
    twice = post(
        client, "/api/v1/opportunities", {"signal_id": signal.pk, "follow_up_on": tomorrow}
    )
    assert twice.status_code == 409
    opp_id = raised.json()["id"]
    incomplete = post(
        client_for(cast.manager), f"/api/v1/opportunities/{opp_id}/close", {"status": "won"}
    )
    assert incomplete.status_code == 422
    assert {d["field"] for d in incomplete.json()["details"]} == {"product", "amount"}
    won = post(
        client_for(cast.manager),
        f"/api/v1/opportunities/{opp_id}/close",
        {"status": "won", "product": "稳利90天", "amount": "200000"},
    )
    assert won.status_code == 200
    assert won.json()["amount"] == "200000.00"
    by_hand = post(
        client_for(cast.manager),
        "/api/v1/opportunities",
        {"customer_id": cast.company.pk, "title": "代发工资", "follow_up_on": tomorrow},
    )
    assert by_hand.status_code == 201
    post(
        client_for(cast.manager),
        f"/api/v1/opportunities/{by_hand.json()['id']}/close",
        {"status": "lost", "note": "不需要"},
    )
    conversion = {
        r["code"]: r
        for r in client_for(cast.manager).get("/api/v1/opportunities/conversion").json()
    }
    assert conversion["idle_deposit"]["won"] == 1
    assert conversion["idle_deposit"]["amount"] == "200000.00"
    assert conversion[""]["lost"] == 1
    assert conversion[""]["rate"] == 0.0
    past = post(
        client,
        "/api/v1/opportunities",
        {"customer_id": cast.own.pk, "title": "x", "follow_up_on": "2000-01-01"},
    )
    assert past.status_code == 422


def test_pool_endpoints(cast: Cast, client_for: ClientFor) -> None:
    prospect = ProspectFactory(home_unit=cast.sub_a1)
    client = client_for(cast.manager)
    listed = client.get("/api/v1/pool").json()
    assert {(i["kind"], i["id"]) for i in listed} == {
        ("prospect", prospect.pk),
        ("customer", cast.pool.pk),
    }
    assert all("*" in i["name"] for i in listed)
    assert post(client, f"/api/v1/prospects/{prospect.pk}/claim", {}).status_code == 200
    assert post(client, f"/api/v1/pool/customers/{cast.pool.pk}/claim", {}).status_code == 200
    assert Customer.objects.get(pk=cast.pool.pk).primary_manager_id == cast.manager.pk
    assert post(client, f"/api/v1/pool/customers/{cast.pool.pk}/touch", {}).status_code == 200
    assert client.get("/api/v1/pool").json() == []
    assert post(client, f"/api/v1/prospects/{prospect.pk}/release", {}).status_code == 200
    assert client_for(cast.far_manager).get("/api/v1/pool").json() == []


def test_funnel(cast: Cast, client_for: ClientFor) -> None:
    from rmdesk.development.prospects import prospect_transition

    for target in ("contacted", "lost"):
        prospect = ProspectFactory(home_unit=cast.sub_a1, owner=cast.manager)
        from rmdesk.development.models import StageChange

        StageChange.objects.create(prospect=prospect, to_stage="new", at=timezone.now())
        prospect_transition(
            actor=cast.manager,
            prospect_id=prospect.pk,
            to_stage=target,
            lost_reason="no_need" if target == "lost" else "",
        )
    rows = client_for(cast.manager).get("/api/v1/prospect-funnel").json()
    assert [(r["stage"], r["reached"]) for r in rows][:3] == [
        ("new", 2),
        ("contacted", 1),
        ("needs_identified", 0),
    ]
    team = (
        client_for(cast.team_lead)
        .get(f"/api/v1/prospect-funnel?by=team&target_id={cast.team_lead.pk}")
        .json()
    )
    assert team[0]["reached"] == 2
    branch = (
        client_for(cast.subbranch_head)
        .get(f"/api/v1/prospect-funnel?by=branch&target_id={cast.sub_a1.pk}")
        .json()
    )
    assert branch[0]["reached"] == 2
    # Another branch's unit is not one the far manager may chart.
    refused = client_for(cast.far_manager).get(
        f"/api/v1/prospect-funnel?by=branch&target_id={cast.sub_a1.pk}"
    )
    assert refused.status_code == 422
    assert refused.json()["details"][0]["field"] == "target_id"
