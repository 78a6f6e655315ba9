"""Reads of contact records, always starting from the visibility policy.

Restricted interactions: a restricted interaction is visible to its author and to the
author's line — the author's line manager, that manager's line manager, and so on up
the ``Staff.line_manager`` chain (``LINE_DEPTH`` levels) — and to nobody else, even
someone who sees the customer (a sub-branch head outside the chain, an analyst, an
auditor). The viewer must also see the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from rmdesk.contact.models import (
    CalendarFeed,
    Interaction,
    NeedCategory,
    PlanEntry,
    ServiceRequest,
    ServiceRequestEvent,
    Visit,
)
from rmdesk.customers.models import Customer, KeyPerson
from rmdesk.org.models import Staff
from rmdesk.org.policy import CUSTOMER_SCOPE, Scope, any_of, customer_q

MAX_ID = 2**63 - 1
LINE_DEPTH = 6


def line_q(actor: Staff, *, prefix: str = "author__") -> Q:
    """The staff member at ``prefix`` is the actor or below the actor in the line chain."""
    condition = Q(**{f"{prefix}pk": actor.pk})
    path = f"{prefix}line_manager"
    for _level in range(LINE_DEPTH):
        condition |= Q(**{path: actor})
        path = f"{path}__line_manager"
    return condition


def interaction_q(actor: Staff) -> Q:
    """Interactions ``actor`` may read: visible customer, and normal or within the line."""
    return customer_q(actor, prefix="customer__") & (
        Q(confidentiality=Interaction.Confidentiality.NORMAL) | line_q(actor)
    )


def _check_id(value: int) -> None:
    if not 0 < value <= MAX_ID:
        raise Http404


def _interactions() -> QuerySet[Interaction]:
    return Interaction.objects.select_related("customer", "author", "key_person").prefetch_related(
        Prefetch("needs", queryset=NeedCategory.objects.order_by("sort_order", "code"))
    )


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    offset: int
    limit: int
    has_more: bool


def interaction_list(
    *, actor: Staff, customer_id: int | None = None, offset: int = 0, limit: int = 25
) -> Page[Interaction]:
    """Visible interactions, newest first; one customer's when ``customer_id`` is given."""
    rows = _interactions().filter(interaction_q(actor))
    if customer_id is not None:
        rows = rows.filter(customer_id=customer_id)
    found = list(rows.order_by("-occurred_at", "-id")[offset : offset + limit + 1])
    return Page(found[:limit], offset, limit, len(found) > limit)


def interaction_get(*, actor: Staff, interaction_id: int) -> Interaction:
    _check_id(interaction_id)
    try:
        return _interactions().filter(interaction_q(actor)).get(pk=interaction_id)
    except Interaction.DoesNotExist as exc:
        raise Http404 from exc


def need_categories(*, active_only: bool = True) -> list[NeedCategory]:
    rows = NeedCategory.objects.all()
    if active_only:
        rows = rows.filter(active=True)
    return list(rows.order_by("sort_order", "code"))


def key_people_of(*, customer: Customer) -> list[KeyPerson]:
    return list(KeyPerson.objects.filter(company=customer).order_by("id"))


def follow_ups_due(*, actor: Staff, day: date) -> list[Interaction]:
    """The actor's own open follow-ups due by ``day``, oldest first."""
    return list(
        _interactions()
        .filter(
            interaction_q(actor),
            author=actor,
            follow_up_on__lte=day,
            follow_up_done_at__isnull=True,
        )
        .order_by("follow_up_on", "id")[:100]
    )


# --- the plan --------------------------------------------------------------------------


def managers_q(actor: Staff, *, prefix: str = "manager__") -> Q:
    """Whose plans and coverage ``actor`` may read: their own and their line's; a head's
    whole subtree; everyone for view-all roles. ``prefix`` points at the staff member."""
    scopes = {CUSTOMER_SCOPE.get(role, Scope.NONE) for role in actor.role_codes}
    if not actor.is_active:
        return Q(pk__in=[])
    if Scope.ALL in scopes:
        return Q()
    condition = line_q(actor, prefix=prefix)
    if Scope.SUBTREE in scopes and actor.org_unit is not None:
        condition |= Q(**{f"{prefix}org_unit__path__startswith": actor.org_unit.path})
    return condition


def plan_for(*, actor: Staff, day: date, manager_id: int | None = None) -> list[PlanEntry]:
    """A manager's plan for ``day`` (the actor's own by default), open entries first.

    Entries are filtered through the customer policy too, so a plan shows only
    customers the viewer may open. Another manager's plan out of reach is a 404.
    """
    manager_id = manager_id or actor.pk
    _check_id(manager_id)
    if manager_id != actor.pk and not (
        Staff.objects.filter(managers_q(actor, prefix=""), pk=manager_id).exists()
    ):
        raise Http404
    return list(
        PlanEntry.objects.filter(customer_q(actor, prefix="customer__"))
        .filter(manager_id=manager_id, day=day)
        .select_related("customer")
        .order_by("-status", "-score", "customer_id")
    )


def plan_entry_get(*, actor: Staff, entry_id: int) -> PlanEntry:
    _check_id(entry_id)
    try:
        return (
            PlanEntry.objects.filter(customer_q(actor, prefix="customer__"))
            .filter(managers_q(actor))
            .select_related("customer")
            .get(pk=entry_id)
        )
    except PlanEntry.DoesNotExist as exc:
        raise Http404 from exc


# --- visits ----------------------------------------------------------------------------


def visit_q(actor: Staff) -> Q:
    return any_of(customer_q(actor, prefix="customer__"), Q(manager=actor))


def visit_list(
    *, actor: Staff, start: datetime, end: datetime, manager_id: int | None = None
) -> list[Visit]:
    """Visits starting in [start, end): the actor's own, or those of a manager the actor
    oversees (another manager is a 404)."""
    if manager_id is not None and manager_id != actor.pk:
        _check_id(manager_id)
        if not Staff.objects.filter(managers_q(actor, prefix=""), pk=manager_id).exists():
            raise Http404
    visits = Visit.objects.filter(
        customer_q(actor, prefix="customer__"), planned_start__gte=start, planned_start__lt=end
    )
    visits = visits.filter(manager_id=manager_id or actor.pk)
    return list(visits.select_related("customer", "manager").order_by("planned_start", "id")[:500])


def visit_get(*, actor: Staff, visit_id: int) -> Visit:
    _check_id(visit_id)
    try:
        return (
            Visit.objects.filter(customer_q(actor, prefix="customer__"))
            .select_related("customer", "manager")
            .get(pk=visit_id)
        )
    except Visit.DoesNotExist as exc:
        raise Http404 from exc


# --- service requests ------------------------------------------------------------------


def service_request_q(actor: Staff) -> Q:
    """Requests of visible customers, and those handed to the actor or their department."""
    clauses = [customer_q(actor, prefix="customer__"), Q(assignee=actor)]
    if actor.department_id is not None and actor.is_active:
        clauses.append(Q(department_id=actor.department_id))
    return any_of(*clauses)


def service_request_list(
    *,
    actor: Staff,
    customer_id: int | None = None,
    status: str = "",
    open_only: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> Page[ServiceRequest]:
    rows = ServiceRequest.objects.filter(service_request_q(actor)).select_related(
        "customer", "department", "department__org_unit", "assignee", "raised_by"
    )
    if customer_id is not None:
        rows = rows.filter(customer_id=customer_id)
    if status:
        rows = rows.filter(status=status)
    if open_only:
        rows = rows.filter(status__in=ServiceRequest.OPEN_STATUSES)
    found = list(rows.order_by("-created_at", "-id")[offset : offset + limit + 1])
    return Page(found[:limit], offset, limit, len(found) > limit)


def service_request_get(*, actor: Staff, request_id: int) -> ServiceRequest:
    _check_id(request_id)
    try:
        return (
            ServiceRequest.objects.filter(service_request_q(actor))
            .select_related(
                "customer", "department", "department__org_unit", "assignee", "raised_by"
            )
            .prefetch_related(
                Prefetch("events", queryset=ServiceRequestEvent.objects.select_related("actor"))
            )
            .get(pk=request_id)
        )
    except ServiceRequest.DoesNotExist as exc:
        raise Http404 from exc


# --- calendar feeds --------------------------------------------------------------------


def calendar_feed_list(*, actor: Staff) -> list[CalendarFeed]:
    return list(CalendarFeed.objects.filter(staff=actor).order_by("-created_at", "-id"))


# --- headlines (the home page's small blocks) -------------------------------------------


def plan_headline(
    *, actor: Staff, manager_id: int, day: date, limit: int = 5
) -> tuple[list[PlanEntry], dict[str, int]]:
    """The first open entries of a manager's plan for ``day`` (highest priority first) and
    the number of entries per status. Customers out of the actor's sight are left out;
    the caller has checked that the actor may see the manager. Two queries."""
    rows = PlanEntry.objects.filter(customer_q(actor, prefix="customer__")).filter(
        manager_id=manager_id, day=day
    )
    counts = {status: 0 for status in PlanEntry.Status.values}
    for found in rows.values("status").annotate(n=Count("pk")).order_by():
        counts[found["status"]] = found["n"]
    top = list(
        rows.filter(status=PlanEntry.Status.OPEN)
        .select_related("customer")
        .order_by("-score", "customer_id")[:limit]
    )
    return top, counts


def follow_ups_headline(
    *, actor: Staff, manager_id: int, day: date, limit: int = 5
) -> tuple[list[Interaction], int]:
    """A manager's open follow-ups due by ``day``, oldest first, and how many there are.
    Two queries."""
    rows = Interaction.objects.filter(
        interaction_q(actor),
        author_id=manager_id,
        follow_up_on__lte=day,
        follow_up_done_at__isnull=True,
    )
    top = list(rows.select_related("customer").order_by("follow_up_on", "id")[:limit])
    return top, rows.count()


def visits_headline(
    *, actor: Staff, manager_id: int, start: datetime, end: datetime, limit: int = 5
) -> tuple[list[Visit], int]:
    """A manager's planned visits starting in [start, end), soonest first, and how many.
    Two queries."""
    rows = Visit.objects.filter(
        customer_q(actor, prefix="customer__"),
        manager_id=manager_id,
        status=Visit.Status.PLANNED,
        planned_start__gte=start,
        planned_start__lt=end,
    )
    top = list(rows.select_related("customer").order_by("planned_start", "id")[:limit])
    return top, rows.count()
