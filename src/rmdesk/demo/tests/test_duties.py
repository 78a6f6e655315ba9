"""The duty apps' demo data, at the tiny scale: every app has a day's work, the seeded
sales pass suitability again, the same seed writes the same records, and every demo
login opens each duty app's pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from rmdesk.contact.models import Interaction, ServiceRequest, Visit
from rmdesk.coordination.models import ResourcePool, WorkingGroup, WorkingGroupTask, WorkOrder
from rmdesk.customers.models import Customer
from rmdesk.demo.bank import SCALES, build
from rmdesk.demo.duties import duties_build
from rmdesk.demo.tests import PASSWORD
from rmdesk.development.models import (
    OPEN_STAGES,
    NameList,
    NameListEntry,
    Opportunity,
    Prospect,
    Stage,
    StageChange,
)
from rmdesk.marketing import selectors
from rmdesk.marketing import suitability as s
from rmdesk.marketing.models import (
    Assessment,
    Campaign,
    CampaignEntry,
    PlanTarget,
    Product,
    Sale,
)
from rmdesk.org.models import Staff

TINY = SCALES["tiny"]


@pytest.mark.django_db
def test_every_duty_app_has_a_day_of_work(bank: None) -> None:
    today = timezone.localdate()
    now = timezone.now()
    rm1 = Staff.objects.get(username="rm-0001")
    # Marketing: the shelf, assessments (some lapsed, some lapsing), sales, campaigns, plan.
    assert Product.objects.filter(status=Product.Status.ON_SALE).count() >= 25
    assert {p.type for p in Product.objects.all()} == set(Product.Type.values)
    assert {p.risk_level for p in Product.objects.all()} == {1, 2, 3, 4, 5}
    assert Product.objects.filter(sale_starts_at__gt=now).exists()
    assert Product.objects.filter(quota__isnull=False, quota_used__gt=0).exists()
    individuals = Customer.objects.filter(kind=Customer.Kind.INDIVIDUAL).count()
    assessed = Assessment.objects.values("customer").distinct().count()
    assert assessed > individuals / 2
    assert Assessment.objects.filter(expires_on__lt=today).exists()
    assert Assessment.objects.filter(
        expires_on__range=(today, today + dt.timedelta(days=30))
    ).exists()
    assert Sale.objects.filter(staff=rm1).exists()
    assert Sale.objects.filter(cooling_off_ends_at__gt=now, status=Sale.Status.ACTIVE).exists()
    campaigns = Campaign.objects.filter(status=Campaign.Status.LAUNCHED)
    assert campaigns.count() == 2
    assert CampaignEntry.objects.filter(campaign__in=campaigns).exists()
    assert PlanTarget.objects.filter(manager=rm1).exists()
    # Development: every stage, referrals, the pool, opportunities, two name lists.
    assert set(Prospect.objects.values_list("stage", flat=True)) == set(Stage.values)
    assert set(Prospect.objects.filter(owner=rm1).values_list("stage", flat=True)) == set(
        Stage.values
    )
    assert Prospect.objects.filter(referrer_customer__isnull=False).exists()
    assert Prospect.objects.filter(owner__isnull=True, stage__in=OPEN_STAGES).exists()
    assert StageChange.objects.count() > Prospect.objects.count()
    assert not Prospect.objects.filter(stage=Stage.WON, customer__isnull=True).exists()
    assert set(Opportunity.objects.values_list("status", flat=True)) == {"open", "won", "lost"}
    assert Opportunity.objects.filter(manager=rm1, status="open", follow_up_on=today).exists()
    assert NameList.objects.count() == 2
    entries = NameListEntry.objects.filter(manager__isnull=False)
    assert entries.exists()
    assert entries.exclude(outcome="").exists()
    # Contact: months of interactions, follow-ups due today, visits today, requests.
    assert Interaction.objects.filter(occurred_at__lt=now - dt.timedelta(days=60)).exists()
    assert not Interaction.objects.filter(occurred_at__gt=now).exists()
    assert Interaction.objects.filter(
        author=rm1, follow_up_on=today, follow_up_done_at__isnull=True
    ).exists()
    assert Visit.objects.filter(manager=rm1, planned_start__date=today).count() == 3
    assert {r.status for r in ServiceRequest.objects.all()} >= {"new", "in_progress", "done"}
    # Coordination: every state, some past their SLA, a working group, pools in use.
    assert set(WorkOrder.objects.values_list("status", flat=True)) == set(WorkOrder.Status.values)
    assert WorkOrder.objects.filter(sla_breached_at__isnull=False).exists()
    assert WorkOrder.objects.filter(raised_by=rm1).count() >= 5
    assert WorkingGroup.objects.filter(lead=rm1).exists()
    assert WorkingGroupTask.objects.filter(done_at__isnull=False).exists()
    assert ResourcePool.objects.filter(parent__isnull=False, held__gt=0).exists() or (
        ResourcePool.objects.filter(booked__gt=0).exists()
    )


@pytest.mark.django_db
def test_every_seeded_sale_passes_suitability_again(bank: None) -> None:
    sales = list(Sale.objects.select_related("customer", "product", "staff").order_by("pk"))
    assert len(sales) >= 10
    for sale in sales:
        product = sale.product
        facts = selectors.suitability_facts(
            customer=sale.customer,
            product=product,
            staff=sale.staff,
            amount=sale.amount,
            currency=sale.currency,
            channel=sale.channel,
            now=sale.signed_at,
        )
        # The quota as it stood: what the sales signed before this one had used.
        used_before = Sale.objects.filter(
            product=product, status=Sale.Status.ACTIVE, signed_at__lt=sale.signed_at
        ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
        facts = replace(facts, product=replace(facts.product, quota_used=used_before))
        decision = s.suitability_check(facts)
        assert decision.allowed, (sale.pk, product.code, decision.reason_codes)
        needs = decision.requirement_codes
        if s.DUAL_RECORDING in needs:
            assert sale.recording.consent
            assert sale.recording.reviewer_id != sale.staff_id
        if s.ELDERLY_STEPS in needs:
            assert sale.second_checker_id not in (None, sale.staff_id)
        if s.ONLINE_DISCLOSURE in needs:
            assert len(sale.disclosure_sha256) == 64
        if s.COOLING_OFF in needs:
            assert sale.cooling_off_ends_at == decision.cooling_off_ends_at
        assert sale.suitability["allowed"] is True
    # Each product's quota used is what its active sales add up to.
    for product in Product.objects.filter(quota__isnull=False):
        total = Sale.objects.filter(product=product, status=Sale.Status.ACTIVE).aggregate(
            total=Sum("amount")
        )["total"] or Decimal("0")
        assert product.quota_used == total


def _snapshot() -> dict[str, Any]:
    return {
        "products": list(Product.objects.order_by("code").values_list("code", "quota_used")),
        "assessments": list(
            Assessment.objects.order_by("customer__customer_no").values_list(
                "customer__customer_no", "score", "risk_level", "expires_on"
            )
        ),
        "sales": list(
            Sale.objects.order_by("customer__customer_no", "product__code", "amount").values_list(
                "customer__customer_no", "product__code", "amount", "channel", "status"
            )
        ),
        "prospects": list(
            Prospect.objects.order_by("pk").values_list("display_name", "stage", "owner__username")
        ),
        "opportunities": Opportunity.objects.count(),
        "interactions": Interaction.objects.count(),
        "visits": Visit.objects.count(),
        "requests": list(ServiceRequest.objects.order_by("pk").values_list("kind", "status")),
        "work_orders": list(
            WorkOrder.objects.order_by("pk").values_list(
                "title", "status", "work_order_type__code", "raised_by__username"
            )
        ),
        "entries": CampaignEntry.objects.count(),
        "plans": PlanTarget.objects.count(),
    }


@pytest.mark.django_db
def test_the_same_seed_writes_the_same_duties(var_dir: Path) -> None:
    class Undo(Exception):
        pass

    moment = timezone.now().replace(second=0, microsecond=0)
    day = timezone.localdate(moment)
    first: dict[str, Any] = {}

    def build_and_undo() -> None:
        with transaction.atomic():
            build(scale=TINY, password=PASSWORD, today=day)
            first.update(_snapshot())
            raise Undo

    with mock.patch("django.utils.timezone.now", return_value=moment), pytest.raises(Undo):
        build_and_undo()
    assert not Sale.objects.exists()
    with mock.patch("django.utils.timezone.now", return_value=moment):
        build(scale=TINY, password=PASSWORD, today=day)
    assert _snapshot() == first
    assert first["sales"]
    assert first["work_orders"]


LOGINS = (
    "admin",
    "hq-analyst",
    "compliance-01",
    "branch-head-01",
    "subbranch-head-01",
    "rm-0001",
    "risk-01",
    "credit-01",
    "ops-01",
    "product-01",
)
PAGES = (
    "/contact/",
    "/contact/visits/",
    "/contact/service-requests/",
    "/development/",
    "/development/pool/",
    "/development/lists/",
    "/marketing/",
    "/marketing/sales/",
    "/marketing/campaigns/",
    "/marketing/plans/",
    "/coordination/",
    "/coordination/dashboard/",
    "/coordination/groups/",
    "/coordination/pools/",
    "/quality/",
)


@pytest.mark.django_db
def test_every_demo_login_opens_the_duty_apps(bank: None) -> None:
    call_command("score")
    for username in LOGINS:
        client = Client()
        assert (
            client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
        )
        for page in PAGES:
            response = client.get(page)
            assert response.status_code in (200, 403), (username, page, response.status_code)
    # The demo manager's pages show the seeded day.
    client = Client()
    client.post("/login/", {"username": "rm-0001", "password": PASSWORD})
    rm1 = Staff.objects.get(username="rm-0001")
    for page in PAGES:
        assert client.get(page).status_code == 200, page
    shelf = client.get("/marketing/").content.decode()
    assert Product.objects.get(code="WMP-FI090").name in shelf
    prospect = Prospect.objects.filter(owner=rm1, stage=Stage.PROPOSAL).first()
    assert prospect is not None
    assert prospect.display_name[:1] in client.get("/development/").content.decode()
    work = client.get("/coordination/").content.decode()
    assert WorkOrder.objects.filter(raised_by=rm1).order_by("-pk").first().title in work  # type: ignore[union-attr]
    groups = client.get("/coordination/groups/").content.decode()
    assert WorkingGroup.objects.filter(lead=rm1).get().name in groups


@pytest.mark.django_db
def test_the_large_bank_gets_only_the_shelf() -> None:
    assert SCALES["bench"].duties is False
    built = duties_build(today=timezone.localdate(), seed=7, full=False)
    assert built.counts == {"product": Product.objects.count()}
    assert Product.objects.filter(status=Product.Status.ON_SALE).count() >= 25
    assert not Sale.objects.exists()
    assert not Assessment.objects.exists()
