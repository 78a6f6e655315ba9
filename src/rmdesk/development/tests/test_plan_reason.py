"""Open opportunities whose follow-up has come put their customer on the contact plan."""

from __future__ import annotations

import datetime as dt

import pytest

from rmdesk.conftest import Cast
from rmdesk.contact import planning
from rmdesk.contact.models import PlanEntry
from rmdesk.contact.presenters import reason_label
from rmdesk.customers.models import Customer
from rmdesk.development.models import Opportunity

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 15)


def opportunity(customer: Customer, follow_up_on: dt.date, **extra: object) -> Opportunity:
    assert customer.primary_manager is not None
    return Opportunity.objects.create(
        customer=customer,
        manager=customer.primary_manager,
        title="理财到期再配置",
        follow_up_on=follow_up_on,
        **extra,
    )


def test_a_due_opportunity_is_a_reason_and_a_later_or_closed_one_is_not(cast: Cast) -> None:
    Customer.objects.update(marketing_consent=True)
    opportunity(cast.own, DAY)
    opportunity(cast.company, DAY + dt.timedelta(days=1))
    opportunity(cast.other, DAY - dt.timedelta(days=3), status=Opportunity.Status.WON)
    planning.plans_generate(day=DAY)
    entry = PlanEntry.objects.get(day=DAY, customer=cast.own)
    assert [reason["code"] for reason in entry.reasons] == ["opportunity_follow_up"]
    assert entry.reasons[0]["evidence"]["follow_up_on"] == DAY.isoformat()
    assert not PlanEntry.objects.filter(customer__in=[cast.company, cast.other]).exists()
    assert reason_label("opportunity_follow_up") != "opportunity_follow_up"


def test_without_marketing_consent_the_opportunity_is_no_reason(cast: Cast) -> None:
    Customer.objects.update(marketing_consent=False)
    opportunity(cast.own, DAY)
    planning.plans_generate(day=DAY)
    assert not PlanEntry.objects.filter(customer=cast.own).exists()
