"""A customer inside a cooling-off period is kept off the contact plan (DOMAIN.md S9)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rmdesk.conftest import Cast
from rmdesk.contact import planning
from rmdesk.contact.models import PlanEntry, ServiceRequest
from rmdesk.marketing.models import Sale
from rmdesk.marketing.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 15)


def test_the_cooling_off_window_wins_over_every_reason(cast: Cast) -> None:
    for customer in (cast.own, cast.company):
        # An open service request would put each on the plan.
        ServiceRequest.objects.create(
            customer=customer, kind="statement", description="…", raised_by=cast.manager
        )
    start = planning.day_start(DAY)
    sale = Sale.objects.create(
        customer=cast.own,
        product=ProductFactory(),
        amount=Decimal(300000),
        channel="branch",
        staff=cast.manager,
        signed_at=start - dt.timedelta(hours=10),
        suitability={},
        rule_set_version=1,
        # Ends one minute into the day: the whole day is still kept free.
        cooling_off_ends_at=start + dt.timedelta(minutes=1),
    )
    planning.plans_generate(day=DAY)
    assert set(PlanEntry.objects.filter(day=DAY).values_list("customer_id", flat=True)) == {
        cast.company.pk
    }
    # Once it has ended (or the sale is cancelled), the customer is back.
    Sale.objects.filter(pk=sale.pk).update(cooling_off_ends_at=start)
    planning.plans_generate(day=DAY)
    assert PlanEntry.objects.filter(day=DAY, customer=cast.own).exists()
