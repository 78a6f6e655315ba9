"""The follow-up call a sale owes (DOMAIN.md S12 elderly customers, S9 after cooling-off)
lands on the manager's contact plan when due, until the customer is next contacted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from rmdesk.conftest import Cast
from rmdesk.contact import planning
from rmdesk.contact.models import Interaction, PlanEntry
from rmdesk.customers.models import Customer
from rmdesk.marketing import services
from rmdesk.marketing.tests.conftest import Shelf
from rmdesk.marketing.tests.factories import sale_setup
from rmdesk.org.models import Staff

pytestmark = pytest.mark.django_db
SIGNED = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def reasons_on(day: dt.date, customer: Customer) -> set[str]:
    planning.plans_generate(day=day)
    entry = PlanEntry.objects.filter(day=day, customer=customer).first()
    return {reason["code"] for reason in entry.reasons} if entry else set()


def elderly(customer: Customer) -> None:
    born = SIGNED.date().replace(year=SIGNED.year - 70)
    Customer.objects.filter(pk=customer.pk).update(birth_date=born)
    customer.refresh_from_db()


def test_an_elderly_customers_sale_owes_a_call_the_next_day_until_they_are_contacted(
    cast: Cast, shelf: Shelf
) -> None:
    elderly(cast.own)
    with time_machine.travel(SIGNED, tick=False):
        setup = sale_setup(seller=cast.manager, customer=cast.own, product=shelf.r2, level=2)
        sale = setup.record("100", second_checker_id=cast.team_lead.pk)
    assert sale.follow_up_due_at == SIGNED + dt.timedelta(days=1)
    day = timezone.localtime(SIGNED).date()
    assert "sale_follow_up_call" not in reasons_on(day, cast.own)
    next_day = day + dt.timedelta(days=1)
    assert "sale_follow_up_call" in reasons_on(next_day, cast.own)
    # A contact before the call fell due does not count; one after it does.
    Interaction.objects.create(
        customer=cast.own,
        author=cast.manager,
        channel="phone",
        occurred_at=SIGNED + dt.timedelta(hours=2),
        summary="购买当日的电话",
    )
    assert "sale_follow_up_call" in reasons_on(next_day + dt.timedelta(days=1), cast.own)
    Interaction.objects.create(
        customer=cast.own,
        author=cast.manager,
        channel="phone",
        occurred_at=SIGNED + dt.timedelta(days=1, hours=1),
        summary="回访",
    )
    assert "sale_follow_up_call" not in reasons_on(next_day + dt.timedelta(days=2), cast.own)


def test_a_cooling_off_sale_is_called_after_the_period_and_others_owe_nothing(
    cast: Cast, shelf: Shelf, client_for: Callable[[Staff], Client]
) -> None:
    private_sale = sale_setup(
        seller=cast.manager,
        customer=cast.own,
        product=shelf.private,
        level=3,
        qualified=True,
        channel="branch",
        reviewer=cast.team_lead,
    )
    plain_sale = sale_setup(seller=cast.manager, customer=cast.own, product=shelf.r2)
    with time_machine.travel(SIGNED, tick=False):
        private = private_sale.record("300000")
        plain = plain_sale.record("100")
    assert private.cooling_off_ends_at is not None
    assert private.follow_up_due_at == private.cooling_off_ends_at
    assert plain.follow_up_due_at is None
    shown = client_for(cast.manager).get(f"/api/v1/sales/{private.pk}").json()
    assert shown["follow_up_due_at"] is not None
    # The window wins on the day it ends mid-day; the call is asked for the day after.
    day = timezone.localtime(private.cooling_off_ends_at).date()
    assert reasons_on(day, cast.own) == set()
    assert "sale_follow_up_call" in reasons_on(day + dt.timedelta(days=1), cast.own)
    # A cancelled sale owes no call.
    with time_machine.travel(SIGNED + dt.timedelta(hours=1), tick=False):
        services.sale_cancel(actor=cast.manager, sale_id=private.pk)
    assert "sale_follow_up_call" not in reasons_on(day + dt.timedelta(days=1), cast.own)
