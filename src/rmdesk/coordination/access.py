"""Who may see and act on coordination records. Scoping (what a list shows) and the
object checks services make before a change.

Work orders: the raiser sees theirs; a manager sees those about customers they may
see (``customer_q``); a department officer sees the work routed to their department;
a sub-branch or branch head sees the work raised in or owned by their subtree; an
approver sees what awaits (or awaited) them; the assignee sees what is assigned.
Everything else answers 404.
"""

from __future__ import annotations

from django.db.models import Q

from rmdesk.coordination.models import (
    Step,
    TimelineEvent,
    WorkingGroupMember,
    WorkOrder,
)
from rmdesk.org.models import Staff
from rmdesk.org.policy import NOTHING, customer_q
from rmdesk.org.roles import Role

HEAD_ROLES = frozenset({Role.SUBBRANCH_HEAD, Role.BRANCH_HEAD})
CONFIG_ROLES = frozenset({Role.ADMINISTRATOR})
# Bank-wide readers: they see every work order and change none.
READ_ONLY_ROLES = frozenset({Role.HQ_ANALYST, Role.COMPLIANCE_AUDITOR})


def is_read_only(actor: Staff) -> bool:
    """Whether the actor sees work only through a bank-wide reading role."""
    roles = actor.role_codes
    return bool(roles) and roles <= READ_ONLY_ROLES and actor.department_id is None


def work_order_q(actor: Staff) -> Q:
    """A filter over WorkOrder selecting what ``actor`` may see."""
    if not actor.is_active:
        return NOTHING
    by_customer = customer_q(actor, prefix="customer__")
    if by_customer == Q():
        return Q()  # bank-wide roles (head-office analyst, compliance) see all work
    clauses = [Q(raised_by=actor), Q(assignee=actor)]
    if by_customer != NOTHING:
        clauses.append(Q(customer__isnull=False) & by_customer)
    if actor.department_id is not None:
        clauses.append(Q(owner_department_id=actor.department_id))
        clauses.append(
            Q(pk__in=Step.objects.filter(department_id=actor.department_id).values("work_order_id"))
        )
    if actor.org_unit_id is not None:
        roles = sorted(actor.role_codes)
        clauses.append(
            Q(
                pk__in=Step.objects.filter(
                    kind=Step.Kind.APPROVE, org_unit_id=actor.org_unit_id, approver_role__in=roles
                ).values("work_order_id")
            )
        )
        if actor.role_codes & HEAD_ROLES and actor.org_unit is not None:
            path = actor.org_unit.path
            clauses.append(Q(raised_unit__path__startswith=path))
            clauses.append(Q(owner_unit__path__startswith=path))
    combined = clauses[0]
    for clause in clauses[1:]:
        combined |= clause
    return combined


def officer_of(actor: Staff, step: Step | None) -> bool:
    return (
        step is not None
        and step.department_id is not None
        and actor.department_id == step.department_id
    )


def heads_unit(actor: Staff, step: Step | None) -> bool:
    """Whether ``actor`` heads the unit of a step routed to the unit's head (no department)."""
    return (
        step is not None
        and step.department_id is None
        and not step.approver_role
        and actor.org_unit_id == step.org_unit_id
        and bool(actor.role_codes & HEAD_ROLES)
    )


def can_handle(actor: Staff, work_order: WorkOrder, step: Step | None) -> bool:
    """Whether ``actor`` works the handling step: an officer of its department (or the
    head of its unit, for work routed to a head), or its assignee."""
    if step is None or step.kind != Step.Kind.HANDLE or step.status != Step.Status.ACTIVE:
        return False
    return (
        officer_of(actor, step)
        or heads_unit(actor, step)
        or (work_order.assignee_id is not None and work_order.assignee_id == actor.pk)
    )


def is_approver(actor: Staff, step: Step | None) -> bool:
    if step is None or step.kind != Step.Kind.APPROVE or step.status != Step.Status.ACTIVE:
        return False
    if step.department_id is not None:
        return officer_of(actor, step)
    return step.approver_role in actor.role_codes and actor.org_unit_id == step.org_unit_id


def investigator_ids(work_order: WorkOrder) -> set[int]:
    """Everyone who worked the case before approval: they never approve it (审贷分离)."""
    ids = set(
        Step.objects.filter(
            work_order=work_order, kind=Step.Kind.HANDLE, decided_by__isnull=False
        ).values_list("decided_by_id", flat=True)
    )
    ids |= set(
        TimelineEvent.objects.filter(
            work_order=work_order,
            kind__in=[TimelineEvent.Kind.SUBMITTED, TimelineEvent.Kind.INFO_REQUESTED],
            data__stage=Step.Kind.HANDLE,
            actor__isnull=False,
        ).values_list("actor_id", flat=True)
    )
    if work_order.assignee_id is not None:
        ids.add(work_order.assignee_id)
    return {pk for pk in ids if pk is not None}


def can_manage_routing(actor: Staff) -> bool:
    return actor.is_active and (actor.is_superuser or bool(actor.role_codes & CONFIG_ROLES))


def working_group_q(actor: Staff) -> Q:
    """Working groups ``actor`` may see: those they lead or belong to, and those whose
    customer they may see."""
    if not actor.is_active:
        return NOTHING
    by_customer = customer_q(actor, prefix="customer__")
    if by_customer == Q():
        return Q()
    clause = Q(lead=actor) | Q(
        pk__in=WorkingGroupMember.objects.filter(staff=actor, removed_at__isnull=True).values(
            "group_id"
        )
    )
    if by_customer != NOTHING:
        clause |= Q(customer__isnull=False) & by_customer
    return clause
