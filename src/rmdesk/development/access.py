"""Who sees which prospect, name list and opportunity: the customers policy, extended.

Prospects follow the customer rule of org.policy with ``owner`` in place of the lead
manager: a manager sees their own, a team lead their reports', a head their subtree,
head-office analysts and compliance everything. Unowned prospects (the pool) are also
visible to the account managers of the org unit they are homed under, who may claim
them. Opportunities and signals follow their customer.
"""

from __future__ import annotations

from django.db.models import Q

from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.policy import CUSTOMER_SCOPE, NOTHING, Scope, can_modify_customers
from rmdesk.org.roles import Role


def _scopes(actor: Staff) -> set[Scope]:
    return {CUSTOMER_SCOPE.get(role, Scope.NONE) for role in actor.role_codes}


def subtree_units(actor: Staff) -> Q:
    """A filter on OrgUnit: the actor's unit and everything under it."""
    if actor.org_unit is None:
        return NOTHING
    return Q(path__startswith=actor.org_unit.path)


def prospect_q(actor: Staff, *, prefix: str = "") -> Q:
    """A filter selecting the prospects ``actor`` may see (``prefix`` reaches the prospect)."""
    if not actor.is_active:
        return NOTHING
    scopes = _scopes(actor)
    if Scope.ALL in scopes:
        return Q()
    clauses: list[Q] = []
    if scopes & {Scope.OWN, Scope.TEAM}:
        clauses.append(Q(**{f"{prefix}owner": actor}))
    if Scope.TEAM in scopes:
        clauses.append(Q(**{f"{prefix}owner__line_manager": actor}))
    if actor.org_unit is not None:
        subtree = OrgUnit.objects.filter(path__startswith=actor.org_unit.path).values("pk")
        if Scope.SUBTREE in scopes:
            clauses.append(Q(**{f"{prefix}home_unit__in": subtree}))
        elif actor.has_role(Role.ACCOUNT_MANAGER):
            clauses.append(Q(**{f"{prefix}owner__isnull": True, f"{prefix}home_unit__in": subtree}))
    if not clauses:
        return NOTHING
    combined = clauses[0]
    for clause in clauses[1:]:
        combined |= clause
    return combined


def can_work_prospects(actor: Staff) -> bool:
    """Whether the actor's roles may change prospects at all (scope is separate)."""
    return can_modify_customers(actor)


def can_claim(actor: Staff) -> bool:
    return actor.is_active and actor.org_unit is not None and actor.has_role(Role.ACCOUNT_MANAGER)


def can_issue_name_lists(actor: Staff) -> bool:
    return (
        actor.is_active
        and actor.org_unit is not None
        and (can_modify_customers(actor) or actor.has_role(Role.HQ_ANALYST))
    )


def has_scope(actor: Staff, scope: Scope) -> bool:
    return scope in _scopes(actor)
