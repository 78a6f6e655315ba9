from __future__ import annotations

import importlib
from decimal import Decimal
from typing import Any

import factory
from django.apps import apps

from rmdesk.coordination.models import (
    ApprovalRule,
    Level,
    ResourcePool,
    RoutingRule,
    WorkOrderType,
)
from rmdesk.org.models import Department
from rmdesk.org.roles import Role
from rmdesk.org.tests.factories import StaffFactory


class WorkOrderTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkOrderType

    code = factory.Sequence(lambda n: f"test_type_{n}")
    name = factory.Sequence(lambda n: f"测试类型{n}")
    fields: Any = factory.LazyFunction(list)
    needs_approval = False
    sla_hours = 8


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingRule

    priority = 100
    work_order_type = factory.SubFactory(WorkOrderTypeFactory)
    department_kind = Department.Kind.OPERATIONS
    level = Level.BRANCH


class ApprovalRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovalRule

    work_order_type = factory.SubFactory(WorkOrderTypeFactory)
    sequence = 1
    amount_min = Decimal("0")
    level = Level.SUB_BRANCH
    approver_role = Role.SUBBRANCH_HEAD
    department_kind = ""


class ResourcePoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResourcePool

    kind = ResourcePool.Kind.PRICING_BP
    period = "2026"
    limit_amount = Decimal("100")


def officer(department: Department, username: str, **kwargs: Any) -> Any:
    """A department officer of ``department`` (the cast has only an operations one)."""
    return StaffFactory(
        username=username,
        org_unit=department.org_unit,
        department=department,
        roles=[Role.DEPARTMENT_OFFICER],
        **kwargs,
    )


def seed_defaults() -> None:
    """The seeded work order types and rules. A transactional test (a live server, the
    concurrency test) flushes the tables, data migrations' rows included; put them back."""
    seed = importlib.import_module("rmdesk.coordination.migrations.0002_seed_work_order_types")
    seed.seed(apps, None)
