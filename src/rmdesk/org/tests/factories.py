from __future__ import annotations

from typing import Any

import factory

from rmdesk.org.models import Department, OrgUnit, Staff
from rmdesk.org.roles import Role
from rmdesk.org.services import department_create, org_unit_create, staff_create

TEST_PASSWORD = "correct-horse-battery-staple"


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"测试支行{n}")
    kind = OrgUnit.Kind.SUB_BRANCH
    parent = None

    @classmethod
    def _create(cls, model_class: type[OrgUnit], *args: Any, **kwargs: Any) -> OrgUnit:
        return org_unit_create(actor=None, **kwargs)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    org_unit = factory.SubFactory(OrgUnitFactory)
    kind = Department.Kind.OPERATIONS
    name = "运营管理部"

    @classmethod
    def _create(cls, model_class: type[Department], *args: Any, **kwargs: Any) -> Department:
        return department_create(actor=None, **kwargs)


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    username = factory.Sequence(lambda n: f"staff-{n:04d}")
    display_name = factory.Sequence(lambda n: f"员工{n}")
    org_unit = factory.SubFactory(OrgUnitFactory)
    roles: Any = (Role.ACCOUNT_MANAGER,)
    password = TEST_PASSWORD
    department = None
    line_manager = None

    @classmethod
    def _create(cls, model_class: type[Staff], *args: Any, **kwargs: Any) -> Staff:
        return staff_create(actor=None, **kwargs)
