from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from rmdesk.customers.models import Customer, Holding, Transaction
from rmdesk.development.models import Prospect, Stage
from rmdesk.development.prospects import name_key
from rmdesk.org.tests.factories import OrgUnitFactory

_refs = itertools.count(1)


class ProspectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prospect

    kind = Prospect.Kind.INDIVIDUAL
    display_name = factory.Sequence(lambda n: f"张潜{'甲乙丙丁'[n % 4]}{n}")
    name_key = factory.LazyAttribute(lambda o: name_key(o.display_name))
    home_unit = factory.SubFactory(OrgUnitFactory)
    owner = None
    source = Prospect.Source.WALK_IN
    stage = Stage.NEW
    stage_changed_at = factory.LazyFunction(timezone.now)
    last_contact_at = factory.LazyFunction(timezone.now)


def holding(
    customer: Customer,
    product_type: str,
    balance: str,
    *,
    opened_on: date | None = None,
    matures_on: date | None = None,
    status: str = Holding.Status.ACTIVE,
) -> Holding:
    n = next(_refs)
    return Holding.objects.create(
        customer=customer,
        account_no=f"H{customer.pk:06d}{n:06d}",
        product_type=product_type,
        balance=Decimal(balance),
        balance_cny=Decimal(balance),
        opened_on=opened_on or date(2020, 1, 1),
        matures_on=matures_on,
        status=status,
    )


def txn(
    customer: Customer,
    kind: str,
    amount: str,
    booked_on: date,
    counterparty: str = "",
    account_no: str = "A1",
    **extra: Any,
) -> Transaction:
    n = next(_refs)
    extra.setdefault("txn_ref", f"X{n:010d}")
    return Transaction.objects.create(
        customer=customer,
        account_no=account_no,
        booked_on=booked_on,
        kind=kind,
        amount=Decimal(amount),
        counterparty=counterparty,
        **extra,
    )


def days_before(day: date, n: int) -> date:
    return day - timedelta(days=n)
