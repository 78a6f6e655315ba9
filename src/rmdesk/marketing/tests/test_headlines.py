"""The home page's marketing blocks: a manager's plan progress in a constant number of
queries (agreeing with ``plan_progress``), campaign targets and funnels in scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from rmdesk.conftest import Cast
from rmdesk.customers.models import Customer
from rmdesk.marketing import selectors
from rmdesk.marketing.models import Campaign, CampaignEntry, PlanTarget, Product
from rmdesk.marketing.tests.conftest import Shelf
from rmdesk.marketing.tests.factories import sale_setup

pytestmark = pytest.mark.django_db


def _targets(cast: Cast, day: dt.date) -> None:
    for metric, product_type, target in (
        (PlanTarget.Metric.SALES, "", Decimal("100000")),
        (PlanTarget.Metric.SALES, Product.Type.FUND, Decimal("50000")),
        (PlanTarget.Metric.NEW_CUSTOMERS, "", Decimal("4")),
        (PlanTarget.Metric.AUM_GROWTH, "", Decimal("1000000")),
    ):
        PlanTarget.objects.create(
            org_unit=cast.sub_a1,
            manager=cast.manager,
            metric=metric,
            product_type=product_type,
            period_start=day.replace(day=1),
            period_end=day + dt.timedelta(days=5),
            target=target,
            baseline=Decimal("500000"),
        )


def test_plan_progress_for_a_manager_agrees_with_each_target(
    cast: Cast, shelf: Shelf, django_assert_num_queries: Any
) -> None:
    day = timezone.localdate()
    Customer.objects.filter(pk=cast.own.pk).update(aum=Decimal("2000000"))
    sale_setup(seller=cast.manager, customer=cast.own, product=shelf.r2, level=2).record("20000")
    _targets(cast, day)
    with django_assert_num_queries(3):
        progress = selectors.plan_progress_for_manager(manager_id=cast.manager.pk, day=day)
    assert len(progress) == 4
    for item in progress:
        assert item.achieved == selectors.plan_progress(target=item.target)
    by_metric = {(p.target.metric, p.target.product_type): p for p in progress}
    assert by_metric[("sales", "")].achieved == Decimal("20000")
    assert by_metric[("sales", "")].share == 0.2
    assert by_metric[("aum_growth", "")].achieved == Decimal("1500000")
    assert by_metric[("new_customers", "")].achieved == Decimal("2")  # 王小明 and the company


def test_targets_outside_the_day_are_left_out(cast: Cast) -> None:
    day = timezone.localdate()
    PlanTarget.objects.create(
        org_unit=cast.sub_a1,
        manager=cast.manager,
        metric=PlanTarget.Metric.NEW_CUSTOMERS,
        period_start=day + dt.timedelta(days=1),
        period_end=day + dt.timedelta(days=30),
        target=Decimal("3"),
    )
    assert selectors.plan_progress_for_manager(manager_id=cast.manager.pk, day=day) == []


def test_campaign_targets_and_funnels_follow_the_policy(cast: Cast) -> None:
    day = timezone.localdate()
    campaign = Campaign.objects.create(
        name="理财节",
        starts_on=day,
        ends_on=day + dt.timedelta(days=9),
        owner=cast.subbranch_head,
        status=Campaign.Status.LAUNCHED,
    )
    CampaignEntry.objects.create(campaign=campaign, customer=cast.own, manager=cast.manager)
    CampaignEntry.objects.create(
        campaign=campaign,
        customer=cast.company,
        manager=cast.manager,
        stage=CampaignEntry.Stage.CONVERTED,
        touches=2,
    )
    CampaignEntry.objects.create(
        campaign=campaign, customer=cast.other, manager=cast.other_manager, touches=1
    )
    top, counts = selectors.campaign_targets_headline(
        actor=cast.manager, manager_id=cast.manager.pk, day=day
    )
    assert [entry.customer_id for entry in top] == [cast.own.pk]
    assert counts == {"targeted": 1, "touched": 0, "converted": 1}
    assert selectors.campaign_funnels(actor=cast.manager) == [
        {"campaign_id": campaign.pk, "name": "理财节", "targeted": 2, "touched": 1, "converted": 1}
    ]
    assert selectors.campaign_funnels(actor=cast.subbranch_head)[0]["targeted"] == 3
    assert selectors.campaign_funnels(actor=cast.far_manager) == []
