"""Who may do what in marketing. Scoping of customers stays with ``org.policy``."""

from __future__ import annotations

from rmdesk.org.models import Department, Staff
from rmdesk.org.policy import can_modify_customers
from rmdesk.org.roles import Role


def is_product_officer(actor: Staff) -> bool:
    """A department officer of a wealth-management and products department."""
    return (
        actor.is_active
        and actor.has_role(Role.DEPARTMENT_OFFICER)
        and actor.department is not None
        and actor.department.kind == Department.Kind.WEALTH_PRODUCT
    )


def can_manage_products(actor: Staff) -> bool:
    return is_product_officer(actor) or (actor.is_active and actor.has_role(Role.ADMINISTRATOR))


def can_sell(actor: Staff) -> bool:
    """Front-line staff record assessments and sales for the customers they may see."""
    return can_modify_customers(actor)


def can_run_campaigns(actor: Staff) -> bool:
    return actor.is_active and (
        is_product_officer(actor)
        or actor.has_role(Role.BRANCH_HEAD, Role.SUBBRANCH_HEAD, Role.TEAM_LEAD)
    )
