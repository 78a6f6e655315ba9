"""The visibility policy: the one place that says who may see which customer.

The model follows a bank's sharing practice (and Salesforce's): customers are
private by default; an account manager sees the customers they lead or assist
(主办/协办); a team lead also sees their reports' customers; a sub-branch or branch head sees
every customer homed in their org unit's subtree; head-office roles see what
their role grants. A staff member with several roles sees the union. Records
that belong to a customer (holdings, interactions, work orders…) follow it:
filter them with ``customer_q(actor, prefix="customer__")``.

Sharing only widens access: an app may register a sharing rule (``sharing_rule``),
such as coordination's working groups, whose members see the group's customer while
the group is open.

Selectors apply this; nothing else decides visibility. There is no cache: a
reassignment or a move in the tree applies on the next query.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from django.db.models import Q

from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.roles import Role


class Scope(enum.IntEnum):
    NONE = 0
    OWN = 1  # customers assigned to the staff member
    TEAM = 2  # … and to the staff member's direct reports
    SUBTREE = 3  # customers homed anywhere under the staff member's org unit
    ALL = 4  # the whole bank


CUSTOMER_SCOPE: dict[str, Scope] = {
    Role.ACCOUNT_MANAGER: Scope.OWN,
    Role.TEAM_LEAD: Scope.TEAM,
    Role.SUBBRANCH_HEAD: Scope.SUBTREE,
    Role.BRANCH_HEAD: Scope.SUBTREE,
    # Department officers reach customers through the work routed to them
    # (coordination), not through the customer list.
    Role.DEPARTMENT_OFFICER: Scope.NONE,
    Role.HQ_ANALYST: Scope.ALL,
    Role.COMPLIANCE_AUDITOR: Scope.ALL,
    # Administrators run the system; they do not browse customers.
    Role.ADMINISTRATOR: Scope.NONE,
}

# Roles that may change customer records within their scope. "View all" is not
# "modify all": head-office analysts and compliance read only.
CUSTOMER_WRITE_ROLES = frozenset(
    {Role.ACCOUNT_MANAGER, Role.TEAM_LEAD, Role.SUBBRANCH_HEAD, Role.BRANCH_HEAD}
)

AUDIT_READ_ROLES = frozenset({Role.ADMINISTRATOR, Role.COMPLIANCE_AUDITOR})

NOTHING = Q(pk__in=[])

# A sharing rule gives (actor, prefix) → a Q over further customers the actor may see.
SharingRule = Callable[[Staff, str], Q]
SHARING_RULES: list[SharingRule] = []


def sharing_rule(rule: SharingRule) -> SharingRule:
    """Register a rule that widens who sees a customer (an app's ``ready()`` calls it)."""
    if rule not in SHARING_RULES:
        SHARING_RULES.append(rule)
    return rule


def customer_q(actor: Staff, *, prefix: str = "") -> Q:
    """A filter selecting the customers ``actor`` may see.

    ``prefix`` points at the customer from another model, e.g. ``"customer__"``.
    """
    if not actor.is_active:
        return NOTHING
    clauses: list[Q] = []
    for role in actor.role_codes:
        scope = CUSTOMER_SCOPE.get(role, Scope.NONE)
        if scope is Scope.ALL:
            return Q()
        if scope in (Scope.OWN, Scope.TEAM):
            clauses.append(Q(**{f"{prefix}primary_manager": actor}))
            clauses.append(Q(**{f"{prefix}assisting_manager": actor}))
        if scope is Scope.TEAM:
            clauses.append(Q(**{f"{prefix}primary_manager__line_manager": actor}))
        if scope is Scope.SUBTREE and actor.org_unit is not None:
            subtree = OrgUnit.objects.filter(path__startswith=actor.org_unit.path).values("pk")
            clauses.append(Q(**{f"{prefix}home_unit__in": subtree}))
    clauses.extend(rule(actor, prefix) for rule in SHARING_RULES)
    if not clauses:
        return NOTHING
    combined = clauses[0]
    for clause in clauses[1:]:
        combined |= clause
    return combined


def can_modify_customers(actor: Staff) -> bool:
    """Whether the actor's roles allow changing customers at all (scope is separate)."""
    return actor.is_active and bool(actor.role_codes & CUSTOMER_WRITE_ROLES)


def can_read_audit_log(actor: Staff) -> bool:
    return actor.is_active and (actor.is_superuser or bool(actor.role_codes & AUDIT_READ_ROLES))


def staff_q(actor: Staff, *, prefix: str = "") -> Q:
    """A filter selecting the staff whose work ``actor`` may see (scorecards, workloads).

    Everyone sees themself; a team lead also their direct reports; a sub-branch or branch
    head everyone in their org unit's subtree; head-office analysts and compliance the
    whole bank. The same scopes as for customers, applied to people.
    """
    if not actor.is_active:
        return NOTHING
    clauses: list[Q] = [Q(**{f"{prefix}pk": actor.pk})]
    for role in actor.role_codes:
        scope = CUSTOMER_SCOPE.get(role, Scope.NONE)
        if scope is Scope.ALL:
            return Q()
        if scope is Scope.TEAM:
            clauses.append(Q(**{f"{prefix}line_manager": actor}))
        if scope is Scope.SUBTREE and actor.org_unit is not None:
            clauses.append(Q(**{f"{prefix}org_unit__path__startswith": actor.org_unit.path}))
    combined = clauses[0]
    for clause in clauses[1:]:
        combined |= clause
    return combined


def any_of(*clauses: Q) -> Q:
    """OR filters, keeping "everything" (the empty ``Q()`` the policy gives view-all roles)
    as everything: Django drops an empty Q from ``Q() | other``, which would narrow it."""
    if any(clause == Q() for clause in clauses):
        return Q()
    combined = clauses[0]
    for clause in clauses[1:]:
        combined |= clause
    return combined
