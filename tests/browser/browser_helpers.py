"""Helpers for the browser tests: staff who sign in with one password, their customers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rmdesk.customers.models import Customer
from rmdesk.customers.services import customer_create
from rmdesk.org.models import Department, OrgUnit, Staff
from rmdesk.org.roles import Role
from rmdesk.org.services import staff_create

PASSWORD = "browser-test-Passw0rd!"


def staff_make(
    username: str,
    unit: OrgUnit,
    role: Role = Role.ACCOUNT_MANAGER,
    *,
    display_name: str = "",
    department: Department | None = None,
) -> Staff:
    """A member of staff at ``unit`` who signs in with ``PASSWORD``."""
    return staff_create(
        actor=None,
        username=username,
        display_name=display_name or username,
        org_unit=unit,
        roles=[role],
        department=department,
        password=PASSWORD,
    )


def customer_make(
    manager: Staff,
    display_name: str,
    kind: str = Customer.Kind.INDIVIDUAL,
    **fields: Any,
) -> Customer:
    """A customer of ``manager``'s unit with ``manager`` as their account manager."""
    assert manager.org_unit is not None
    return customer_create(
        actor=None,
        kind=kind,
        display_name=display_name,
        home_unit=manager.org_unit,
        primary_manager=manager,
        **fields,
    )


@dataclass(frozen=True)
class Bank:
    head_office: OrgUnit
    branch: OrgUnit
    sub_branch: OrgUnit
    manager: Staff  # an account manager at the sub-branch
