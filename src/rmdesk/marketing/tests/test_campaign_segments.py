"""Campaign segments by development signals, and changing a draft campaign."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from rmdesk.audit.models import AuditEvent
from rmdesk.conftest import Cast
from rmdesk.customers.models import Customer
from rmdesk.development.models import Signal, SignalCode, SignalRun
from rmdesk.marketing.models import Campaign, CampaignEntry
from rmdesk.marketing.tests.conftest import Shelf
from rmdesk.org.models import Staff

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]
NOW = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _now() -> object:
    with time_machine.travel(NOW, tick=False):
        yield


def send(client: Client, method: str, url: str, data: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data, content_type="application/json")


def campaign(client: Client, rules: dict[str, Any]) -> Any:
    return send(
        client,
        "post",
        "/api/v1/campaigns",
        {
            "name": "闲置资金唤醒",
            "rules": rules,
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-31",
        },
    )


def test_a_segment_selects_customers_with_a_recent_signal(
    cast: Cast, shelf: Shelf, client_for: ClientFor
) -> None:
    Customer.objects.update(marketing_consent=True)
    today = timezone.localdate()
    # Still found by the idle-deposit rule's latest run, six days ago.
    SignalRun.objects.create(code=SignalCode.IDLE_DEPOSIT, day=today - dt.timedelta(days=6))
    Signal.objects.create(
        customer=cast.own,
        code=SignalCode.IDLE_DEPOSIT,
        first_seen=today - dt.timedelta(days=40),
        last_seen=None,
    )
    # Last found too long ago for a 7-day window, and another kind.
    Signal.objects.create(
        customer=cast.other,
        code=SignalCode.IDLE_DEPOSIT,
        first_seen=today - dt.timedelta(days=9),
        last_seen=today - dt.timedelta(days=7),
    )
    SignalRun.objects.create(code=SignalCode.BIRTHDAY, day=today)
    Signal.objects.create(customer=cast.a2, code=SignalCode.BIRTHDAY, first_seen=today)
    head = client_for(cast.branch_head)
    created = campaign(head, {"signals": ["idle_deposit"], "signal_days": 7})
    assert created.status_code == 201, created.json()
    launched = send(head, "post", f"/api/v1/campaigns/{created.json()['id']}/launch", {}).json()
    assert launched["funnel"]["targeted"] == 1
    assert list(CampaignEntry.objects.values_list("customer_id", flat=True)) == [cast.own.pk]

    for rules, field in (
        ({"signals": ["no_such_signal"]}, "rules.signals"),
        ({"signals": ["idle_deposit"], "signal_days": 0}, "rules.signal_days"),
        ({"signal_days": 7}, "rules.signal_days"),
    ):
        refused = campaign(head, rules)
        assert refused.status_code == 400
        assert field in [item["field"] for item in refused.json()["details"]]


def test_a_draft_campaign_changes_and_a_launched_one_does_not(
    cast: Cast,
    shelf: Shelf,
    client_for: ClientFor,
    browser_for: Callable[[Staff], Client],
) -> None:
    Customer.objects.filter(pk__in=[cast.own.pk, cast.other.pk]).update(
        marketing_consent=True, tier="gold"
    )
    head = client_for(cast.branch_head)
    campaign_id = campaign(head, {"tiers": ["diamond"]}).json()["id"]
    body = {
        "name": "金卡理财季",
        "rules": {"tiers": ["gold"]},
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-31",
        "product_id": shelf.r2.pk,
    }
    changed = send(head, "put", f"/api/v1/campaigns/{campaign_id}", body)
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["name"], changed.json()["rules"]) == ("金卡理财季", {"tiers": ["gold"]})
    event = AuditEvent.objects.get(action="marketing.campaign.changed")
    assert event.data["before"]["rules"] == {"tiers": ["diamond"]}
    bad = send(head, "put", f"/api/v1/campaigns/{campaign_id}", {**body, "ends_on": "2026-11-01"})
    assert bad.status_code == 400
    assert send(
        client_for(cast.manager), "put", f"/api/v1/campaigns/{campaign_id}", body
    ).status_code in (
        403,
        404,
    )
    assert send(
        client_for(cast.far_manager), "put", f"/api/v1/campaigns/{campaign_id}", body
    ).status_code in (
        403,
        404,
    )

    page = browser_for(cast.branch_head)
    form = page.get(f"/marketing/campaigns/{campaign_id}/edit/")
    assert form.status_code == 200
    assert 'value="金卡理财季"' in form.content.decode()
    saved = page.post(
        f"/marketing/campaigns/{campaign_id}/edit/",
        {
            "name": "金卡理财季（二）",
            "tiers": ["gold", "diamond"],
            "signals": ["maturity"],
            "signal_days": "14",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-31",
        },
    )
    assert saved.status_code == 302
    stored = Campaign.objects.get(pk=campaign_id)
    assert stored.rules == {
        "tiers": ["gold", "diamond"],
        "signals": ["maturity"],
        "signal_days": 14,
    }

    send(head, "put", f"/api/v1/campaigns/{campaign_id}", body)
    send(head, "post", f"/api/v1/campaigns/{campaign_id}/launch", {})
    frozen = send(head, "put", f"/api/v1/campaigns/{campaign_id}", body)
    assert (frozen.status_code, frozen.json()["code"]) == (400, "already_launched")
    assert page.get(f"/marketing/campaigns/{campaign_id}/edit/").status_code == 302
