"""The visibility policy, role by role, against customers inside and outside each scope."""

from __future__ import annotations

import pytest

from rmdesk.conftest import EXPECTED_VISIBLE, Cast
from rmdesk.customers.selectors import customer_visible_to
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.org.models import OrgUnit
from rmdesk.org.policy import can_modify_customers, can_read_audit_log
from rmdesk.org.roles import Role
from rmdesk.org.services import staff_set_roles
from rmdesk.org.tests.factories import OrgUnitFactory, StaffFactory


def visible_names(cast: Cast, who: str) -> set[str]:
    ids = set(customer_visible_to(cast.staff()[who]).values_list("pk", flat=True))
    return {name for name, customer in cast.customers().items() if customer.pk in ids}


@pytest.mark.parametrize("who", sorted(EXPECTED_VISIBLE))
def test_each_role_sees_exactly_its_scope(cast: Cast, who: str) -> None:
    """RELIABILITY.md B2."""
    assert visible_names(cast, who) == EXPECTED_VISIBLE[who]


def test_every_cast_member_is_covered_by_the_oracle(cast: Cast) -> None:
    """RELIABILITY.md B2."""
    assert set(cast.staff()) == set(EXPECTED_VISIBLE)


def test_branch_head_never_sees_sibling_or_parent_units(cast: Cast) -> None:
    """RELIABILITY.md B3."""
    at_head_office = CustomerFactory(home_unit=cast.head_office)
    in_sibling = CustomerFactory(home_unit=cast.sub_b1)
    visible = set(customer_visible_to(cast.branch_head).values_list("pk", flat=True))
    assert at_head_office.pk not in visible
    assert in_sibling.pk not in visible


def test_subtree_reaches_any_depth(cast: Cast) -> None:
    """RELIABILITY.md B3."""
    outlet = OrgUnitFactory(kind=OrgUnit.Kind.OUTLET, parent=cast.sub_a1)
    deep = CustomerFactory(home_unit=outlet)
    assert customer_visible_to(cast.branch_head).filter(pk=deep.pk).exists()
    assert customer_visible_to(cast.subbranch_head).filter(pk=deep.pk).exists()
    assert not customer_visible_to(cast.other_branch_head).filter(pk=deep.pk).exists()


def test_unit_code_prefix_is_not_a_subtree(cast: Cast) -> None:
    # Paths are /1/2/ and /1/20/: a naive prefix match on "/1/2" would leak.
    """RELIABILITY.md B3."""
    units = [OrgUnitFactory(parent=cast.head_office) for _ in range(12)]
    customers = [CustomerFactory(home_unit=unit) for unit in units]
    head = StaffFactory(org_unit=units[0], roles=[Role.SUBBRANCH_HEAD])
    visible = set(customer_visible_to(head).values_list("pk", flat=True))
    assert visible == {customers[0].pk}


def test_roles_add_up(cast: Cast) -> None:
    staff_set_roles(
        actor=cast.admin, staff=cast.far_manager, roles=[Role.ACCOUNT_MANAGER, Role.HQ_ANALYST]
    )
    assert visible_names(cast, "far_manager") == set(cast.customers())


def test_reassignment_applies_at_once(cast: Cast) -> None:
    """RELIABILITY.md B4."""
    assert customer_visible_to(cast.manager).filter(pk=cast.own.pk).exists()
    cast.own.primary_manager = cast.other_manager
    cast.own.save()
    assert not customer_visible_to(cast.manager).filter(pk=cast.own.pk).exists()
    assert customer_visible_to(cast.other_manager).filter(pk=cast.own.pk).exists()


def test_moving_a_head_moves_their_scope(cast: Cast) -> None:
    """RELIABILITY.md B4."""
    cast.branch_head.org_unit = cast.branch_b
    cast.branch_head.save()
    assert visible_names(cast, "branch_head") == {"far"}


def test_deactivated_staff_see_nothing(cast: Cast) -> None:
    """RELIABILITY.md B4."""
    cast.analyst.is_active = False
    cast.analyst.save()
    assert not customer_visible_to(cast.analyst).exists()


def test_view_all_is_not_modify_all(cast: Cast) -> None:
    """RELIABILITY.md B5."""
    assert not can_modify_customers(cast.analyst)
    assert not can_modify_customers(cast.auditor)
    assert can_modify_customers(cast.manager)
    assert can_modify_customers(cast.branch_head)


def test_only_administrators_and_auditors_read_the_audit_log(cast: Cast) -> None:
    readers = {name for name, staff in cast.staff().items() if can_read_audit_log(staff)}
    assert readers == {"admin", "auditor"}


def test_any_of_keeps_everything_everything(cast: Cast) -> None:
    from django.db.models import Q

    from rmdesk.customers.models import Customer
    from rmdesk.org.policy import any_of, customer_q

    everything = customer_q(cast.analyst)
    assert Customer.objects.filter(any_of(everything, Q(pk=cast.own.pk))).count() == 6
    # The trap any_of avoids: Django drops the empty Q and keeps only the other side.
    assert Customer.objects.filter(everything | Q(pk=cast.own.pk)).count() == 1
    mine = customer_q(cast.manager)
    assert set(Customer.objects.filter(any_of(mine, Q(pk=cast.far.pk)))) == {
        cast.own,
        cast.company,
        cast.far,
    }
