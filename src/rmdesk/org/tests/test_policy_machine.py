"""The visibility policy against an oracle over random banks (RELIABILITY.md B3, B4).

A hypothesis state machine grows a random org tree (depth up to four), hires managers,
team leads and heads into it, records customers, reassigns them and moves people between
units; after every step, every member of staff sees exactly what the oracle says. The
oracle walks the tree by parent links in Python and never calls the policy or its
materialised paths: a manager sees the customers they lead or assist, a team lead also
their reports' customers, a head every customer homed in their unit's subtree, view-all
roles everything, and nobody else anything.
"""

from __future__ import annotations

import itertools
import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from rmdesk.customers.models import Customer
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.policy import customer_q
from rmdesk.org.roles import Role
from rmdesk.org.tests.factories import OrgUnitFactory, StaffFactory

EXAMPLES = int(os.environ.get("RMDESK_POLICY_EXAMPLES", "20"))
_serial = itertools.count()

ROLE_SETS = [
    [Role.ACCOUNT_MANAGER],
    [Role.TEAM_LEAD, Role.ACCOUNT_MANAGER],
    [Role.TEAM_LEAD],
    [Role.SUBBRANCH_HEAD],
    [Role.BRANCH_HEAD],
    [Role.HQ_ANALYST],
    [Role.ADMINISTRATOR],
]


def oracle(staff: Staff, customers: list[Customer], parents: dict[int, int | None]) -> set[int]:
    """Who sees what, from DESIGN.md, by walking parent links."""
    roles = set(staff.role_codes)
    if not staff.is_active:
        return set()
    if roles & {Role.HQ_ANALYST, Role.COMPLIANCE_AUDITOR}:
        return {c.pk for c in customers}

    def under(unit: int | None, head: int | None) -> bool:
        while unit is not None:
            if unit == head:
                return True
            unit = parents[unit]
        return False

    seen = set()
    for c in customers:
        manages = roles & {Role.ACCOUNT_MANAGER, Role.TEAM_LEAD}
        if manages and staff.pk in (c.primary_manager_id, c.assisting_manager_id):
            seen.add(c.pk)
        lead = c.primary_manager
        if Role.TEAM_LEAD in roles and lead is not None and lead.line_manager_id == staff.pk:
            seen.add(c.pk)
        heads = roles & {Role.SUBBRANCH_HEAD, Role.BRANCH_HEAD}
        if heads and staff.org_unit_id is not None and under(c.home_unit_id, staff.org_unit_id):
            seen.add(c.pk)
    return seen


class Bank(RuleBasedStateMachine):
    units = Bundle("units")
    people = Bundle("people")
    customers = Bundle("customers")

    @initialize(target=units)
    def head_office(self) -> OrgUnit:
        n = next(_serial)
        self.depth: dict[int, int] = {}
        unit = OrgUnitFactory(code=f"M{n}", name=f"总行{n}", kind=OrgUnit.Kind.HEAD_OFFICE)
        self.depth[unit.pk] = 1
        self.unit_ids = [unit.pk]
        self.customer_ids: list[int] = []
        self.staff_ids: list[int] = []
        return unit

    @rule(target=units, parent=units)
    def open_unit(self, parent: OrgUnit) -> OrgUnit:
        if self.depth[parent.pk] >= 4:
            return parent
        n = next(_serial)
        unit = OrgUnitFactory(code=f"M{n}", name=f"支行{n}", parent=parent)
        self.depth[unit.pk] = self.depth[parent.pk] + 1
        self.unit_ids.append(unit.pk)
        return unit

    @rule(target=people, unit=units, roles=st.sampled_from(ROLE_SETS), data=st.data())
    def hire(self, unit: OrgUnit, roles: list[str], data: st.DataObject) -> Staff:
        line_manager = None
        if self.staff_ids and data.draw(st.booleans()):
            line_manager = Staff.objects.get(pk=data.draw(st.sampled_from(self.staff_ids)))
        staff = StaffFactory(
            username=f"m-{next(_serial)}", org_unit=unit, roles=roles, line_manager=line_manager
        )
        self.staff_ids.append(staff.pk)
        return staff

    @rule(target=customers, unit=units, lead=st.none() | people, assist=st.none() | people)
    def record(self, unit: OrgUnit, lead: Staff | None, assist: Staff | None) -> Customer:
        if assist is not None and lead is not None and assist.pk == lead.pk:
            assist = None  # one person is never both (a database constraint)
        customer = CustomerFactory(
            home_unit=unit, primary_manager=lead, assisting_manager=assist, display_name="张三"
        )
        self.customer_ids.append(customer.pk)
        return customer

    @rule(customer=customers, lead=st.none() | people)
    def reassign(self, customer: Customer, lead: Staff | None) -> None:
        rows = Customer.objects.filter(pk=customer.pk)
        if lead is not None:
            rows = rows.exclude(assisting_manager=lead)  # never both lead and assistant
        rows.update(primary_manager=lead)

    @rule(customer=customers, unit=units)
    def rehome(self, customer: Customer, unit: OrgUnit) -> None:
        Customer.objects.filter(pk=customer.pk).update(home_unit=unit)

    @rule(person=people, unit=units)
    def move(self, person: Staff, unit: OrgUnit) -> None:
        Staff.objects.filter(pk=person.pk).update(org_unit=unit)

    @rule(person=people)
    def leave(self, person: Staff) -> None:
        Staff.objects.filter(pk=person.pk).update(is_active=False)

    @invariant()
    def everyone_sees_what_the_oracle_says(self) -> None:
        if not hasattr(self, "unit_ids"):
            return
        parents = dict(OrgUnit.objects.filter(pk__in=self.unit_ids).values_list("pk", "parent"))
        customers = list(
            Customer.objects.filter(pk__in=self.customer_ids).select_related("primary_manager")
        )
        for staff in Staff.objects.filter(pk__in=self.staff_ids):
            seen = set(
                Customer.objects.filter(customer_q(staff), pk__in=self.customer_ids).values_list(
                    "pk", flat=True
                )
            )
            assert seen == oracle(staff, customers, parents), (staff.username, staff.role_codes)


@pytest.mark.django_db
def test_visibility_matches_the_oracle_over_random_banks() -> None:
    run_state_machine_as_test(
        Bank,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=10,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
