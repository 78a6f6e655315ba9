"""The coordination cast: the shared bank plus a credit-approval department at branch A
with two officers, and the seeded work order types."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rmdesk.conftest import Cast
from rmdesk.coordination.tests.factories import officer, seed_defaults
from rmdesk.org.models import Department, Staff
from rmdesk.org.tests.factories import DepartmentFactory


@dataclass
class Desk:
    cast: Cast
    credit_dept: Department
    credit_officer: Staff
    credit_officer2: Staff
    ops_officer: Staff


@pytest.fixture
def desk(cast: Cast) -> Desk:
    seed_defaults()
    credit = DepartmentFactory(
        org_unit=cast.branch_a, kind=Department.Kind.CREDIT_APPROVAL, name="授信审批部"
    )
    return Desk(
        cast=cast,
        credit_dept=credit,
        credit_officer=officer(credit, "credit-1"),
        credit_officer2=officer(credit, "credit-2"),
        ops_officer=cast.ops_officer,
    )
