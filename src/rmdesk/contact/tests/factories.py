from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from rmdesk.contact.models import Interaction, PlanEntry, ServiceRequest, Visit
from rmdesk.customers.models import Holding, Transaction
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.org.tests.factories import StaffFactory


def earlier_today(minutes: int = 5) -> dt.datetime:
    """A moment ``minutes`` ago, but never before local midnight: an interaction logged
    "just now" must fall on today's plan whenever the suite runs."""
    now = timezone.now()
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time.min))
    return max(now - dt.timedelta(minutes=minutes), midnight)


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    author = factory.SubFactory(StaffFactory)
    channel = Interaction.Channel.PHONE
    occurred_at = factory.LazyFunction(timezone.now)
    summary = "聊了聊理财到期后的打算"


class HoldingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holding

    customer = factory.SubFactory(CustomerFactory)
    account_no = factory.Sequence(lambda n: f"6222{n:012d}")
    product_type = Holding.ProductType.TIME_DEPOSIT
    balance = Decimal("100000.00")
    balance_cny = Decimal("100000.00")
    opened_on = dt.date(2025, 1, 1)


class TransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transaction

    txn_ref = factory.Sequence(lambda n: f"TX{n:012d}")
    customer = factory.SubFactory(CustomerFactory)
    account_no = "6222000000000001"
    booked_on = factory.LazyFunction(timezone.localdate)
    kind = Transaction.Kind.LARGE_INFLOW
    amount = Decimal("800000.00")


class ServiceRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceRequest

    customer = factory.SubFactory(CustomerFactory)
    kind = ServiceRequest.Kind.CARD_REPLACEMENT
    description = "借记卡磨损，需要换卡"
    raised_by = factory.SubFactory(StaffFactory)


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    customer = factory.SubFactory(CustomerFactory)
    manager = factory.SubFactory(StaffFactory)
    planned_start = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=2))
    planned_end = factory.LazyAttribute(lambda o: o.planned_start + dt.timedelta(hours=1))
    purpose = "到期理财续作沟通"


class PlanEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanEntry

    manager = factory.SubFactory(StaffFactory)
    customer = factory.SubFactory(CustomerFactory)
    day = factory.LazyFunction(timezone.localdate)
    score = 30
    reasons = factory.LazyFunction(
        lambda: [{"code": "contact_overdue", "detail": "", "evidence": {}}]
    )
