from __future__ import annotations

from typing import Any

import factory

from rmdesk.customers.models import Customer
from rmdesk.customers.services import customer_create
from rmdesk.org.tests.factories import OrgUnitFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    customer_no = factory.Sequence(lambda n: f"T{n:010d}")
    kind = Customer.Kind.INDIVIDUAL
    display_name = factory.Sequence(lambda n: f"王小{'明红刚丽'[n % 4]}{n}")
    home_unit = factory.SubFactory(OrgUnitFactory)
    primary_manager = None

    @classmethod
    def _create(cls, model_class: type[Customer], *args: Any, **kwargs: Any) -> Customer:
        return customer_create(actor=None, **kwargs)
