"""Writes of the contact app: interactions, plan entries, visits, service requests, feeds.

Each service owns its transaction and audit entry, checks its object permission after
the selector's scoping (out of scope is Http404, a role that may not write is
PermissionDenied) and refuses bad input with ``InvalidFields`` (field, reason).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.contact import planning, selectors
from rmdesk.contact.models import (
    CalendarFeed,
    Interaction,
    NeedCategory,
    PlanEntry,
    ServiceRequest,
    ServiceRequestEvent,
    Visit,
)
from rmdesk.core.errors import ConflictError, DomainError
from rmdesk.core.retry import retried_transaction
from rmdesk.customers.models import Customer, KeyPerson
from rmdesk.customers.selectors import customer_get
from rmdesk.org.models import Department, Staff
from rmdesk.org.policy import can_modify_customers

CLOCK_SKEW = timedelta(minutes=5)
MAX_VISIT = timedelta(hours=12)


class InvalidFields(DomainError):
    """One or more fields were refused; ``details`` lists each with its field and reason."""

    status = 422


def _invalid(errors: list[dict[str, str]]) -> None:
    if errors:
        raise InvalidFields(_("Some fields are not valid."), code="invalid_fields", details=errors)


def _writable_customer(actor: Staff, customer_id: int) -> Customer:
    customer = customer_get(actor=actor, customer_id=customer_id)
    if not can_modify_customers(actor):
        raise PermissionDenied
    return customer


# --- interactions ----------------------------------------------------------------------


@dataclass(frozen=True)
class InteractionData:
    channel: str
    occurred_at: datetime
    summary: str
    confidentiality: str = Interaction.Confidentiality.NORMAL
    need_codes: tuple[str, ...] = ()
    key_person_id: int | None = None
    next_step: str = ""
    follow_up_on: date | None = None


def _check_interaction(
    data: InteractionData, customer: Customer
) -> tuple[list[NeedCategory], KeyPerson | None]:
    errors: list[dict[str, str]] = []
    if data.channel not in Interaction.Channel.values:
        errors.append({"field": "channel", "reason": _("Not one of the allowed values.")})
    if data.confidentiality not in Interaction.Confidentiality.values:
        errors.append({"field": "confidentiality", "reason": _("Not one of the allowed values.")})
    if timezone.is_naive(data.occurred_at):
        errors.append({"field": "occurred_at", "reason": _("Give a time zone.")})
    elif data.occurred_at > timezone.now() + CLOCK_SKEW:
        errors.append(
            {"field": "occurred_at", "reason": _("An interaction cannot be in the future.")}
        )
    if not data.summary.strip():
        errors.append({"field": "summary", "reason": _("Say what was discussed.")})
    elif len(data.summary) > 4000:
        errors.append({"field": "summary", "reason": _("At most 4,000 characters.")})
    if len(data.next_step) > 500:
        errors.append({"field": "next_step", "reason": _("At most 500 characters.")})
    if (
        data.follow_up_on is not None
        and timezone.is_aware(data.occurred_at)
        and data.follow_up_on < timezone.localdate(data.occurred_at)
    ):
        errors.append(
            {"field": "follow_up_on", "reason": _("The follow-up cannot be before the contact.")}
        )
    needs = list(NeedCategory.objects.filter(code__in=set(data.need_codes), active=True))
    unknown = set(data.need_codes) - {need.code for need in needs}
    if unknown:
        errors.append(
            {
                "field": "needs",
                "reason": _("Unknown needs: %(codes)s.") % {"codes": ", ".join(sorted(unknown))},
            }
        )
    key_person = None
    if data.key_person_id is not None:
        key_person = KeyPerson.objects.filter(pk=data.key_person_id, company=customer).first()
        if key_person is None:
            errors.append(
                {"field": "key_person_id", "reason": _("Not a key person of this customer.")}
            )
    _invalid(errors)
    return needs, key_person


@retried_transaction()
def interaction_log(*, actor: Staff, customer_id: int, data: InteractionData) -> Interaction:
    """Record a contact with a customer the actor may see and serve.

    Closes the customer's open plan entries of the contact's day (status done, outcome
    contacted). Raises Http404, PermissionDenied, InvalidFields.
    """
    customer = _writable_customer(actor, customer_id)
    needs, key_person = _check_interaction(data, customer)
    interaction = Interaction.objects.create(
        customer=customer,
        author=actor,
        channel=data.channel,
        occurred_at=data.occurred_at,
        key_person=key_person,
        summary=data.summary.strip(),
        confidentiality=data.confidentiality,
        next_step=data.next_step.strip(),
        follow_up_on=data.follow_up_on,
    )
    interaction.needs.set(needs)
    day = timezone.localdate(data.occurred_at)
    closed = PlanEntry.objects.filter(
        customer=customer, day=day, status=PlanEntry.Status.OPEN
    ).update(
        status=PlanEntry.Status.DONE,
        outcome=PlanEntry.Outcome.CONTACTED,
        interaction=interaction,
        closed_at=timezone.now(),
        updated_at=timezone.now(),
    )
    # The summary is the customer's business: the audit keeps the facts, not the text.
    audit_record(
        actor=actor,
        action="contact.interaction.logged",
        target=interaction,
        data={
            "customer": customer.pk,
            "channel": data.channel,
            "confidentiality": data.confidentiality,
            "needs": sorted(need.code for need in needs),
            "plan_entries_closed": closed,
        },
    )
    return interaction


@transaction.atomic
def interaction_follow_up_done(*, actor: Staff, interaction_id: int) -> Interaction:
    """Mark a follow-up done (its author, or a writer who sees it). Idempotent."""
    interaction = selectors.interaction_get(actor=actor, interaction_id=interaction_id)
    if interaction.author_id != actor.pk and not can_modify_customers(actor):
        raise PermissionDenied
    interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    if interaction.follow_up_on is None:
        raise DomainError(_("This interaction has no follow-up."), code="no_follow_up")
    if interaction.follow_up_done_at is None:
        interaction.follow_up_done_at = timezone.now()
        interaction.save(update_fields=["follow_up_done_at", "updated_at"])
        audit_record(actor=actor, action="contact.follow_up.done", target=interaction)
    return interaction


# --- the plan --------------------------------------------------------------------------


@transaction.atomic
def plan_entry_dismiss(*, actor: Staff, entry_id: int, outcome: str, note: str = "") -> PlanEntry:
    """Take an entry off the plan with an outcome code (not "contacted": log the contact).

    Raises Http404, PermissionDenied, InvalidFields, ConflictError("plan_entry_closed").
    """
    entry = selectors.plan_entry_get(actor=actor, entry_id=entry_id)
    if entry.manager_id != actor.pk and not can_modify_customers(actor):
        raise PermissionDenied
    allowed = set(PlanEntry.Outcome.values) - {PlanEntry.Outcome.CONTACTED}
    errors = []
    if outcome not in allowed:
        errors.append({"field": "outcome", "reason": _("Not one of the allowed values.")})
    if len(note) > 500:
        errors.append({"field": "note", "reason": _("At most 500 characters.")})
    _invalid(errors)
    entry = PlanEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status != PlanEntry.Status.OPEN:
        raise ConflictError(_("This entry is already closed."), code="plan_entry_closed")
    entry.status = PlanEntry.Status.DISMISSED
    entry.outcome = outcome
    entry.note = note.strip()
    entry.closed_at = timezone.now()
    entry.save(update_fields=["status", "outcome", "note", "closed_at", "updated_at"])
    audit_record(
        actor=actor, action="contact.plan_entry.dismissed", target=entry, data={"outcome": outcome}
    )
    return entry


def plan_generate_for(*, actor: Staff, day: date, manager_id: int | None = None) -> int:
    """Regenerate one manager's plan on demand: one's own, or a manager one oversees."""
    manager_id = manager_id or actor.pk
    manager = (
        Staff.objects.filter(selectors.managers_q(actor, prefix=""), pk=manager_id)
        .select_related("org_unit")
        .first()
    )
    if manager is None:
        raise Http404
    if manager.pk != actor.pk and not can_modify_customers(actor):
        raise PermissionDenied
    return planning.plans_generate(day=day, manager=manager, actor=actor)


# --- visits ----------------------------------------------------------------------------


@transaction.atomic
def visit_plan(
    *,
    actor: Staff,
    customer_id: int,
    planned_start: datetime,
    planned_end: datetime,
    purpose: str,
    location: str = "",
) -> Visit:
    """Put a visit to a customer in the actor's calendar. Raises Http404, InvalidFields."""
    customer = _writable_customer(actor, customer_id)
    errors = []
    if timezone.is_naive(planned_start) or timezone.is_naive(planned_end):
        errors.append({"field": "planned_start", "reason": _("Give a time zone.")})
    elif planned_end <= planned_start:
        errors.append({"field": "planned_end", "reason": _("The end must be after the start.")})
    elif planned_end - planned_start > MAX_VISIT:
        errors.append({"field": "planned_end", "reason": _("A visit lasts at most 12 hours.")})
    if not purpose.strip():
        errors.append({"field": "purpose", "reason": _("Say what the visit is for.")})
    elif len(purpose) > 300:
        errors.append({"field": "purpose", "reason": _("At most 300 characters.")})
    if len(location) > 200:
        errors.append({"field": "location", "reason": _("At most 200 characters.")})
    _invalid(errors)
    visit = Visit.objects.create(
        manager=actor,
        customer=customer,
        planned_start=planned_start,
        planned_end=planned_end,
        purpose=purpose.strip(),
        location=location.strip(),
    )
    audit_record(
        actor=actor, action="contact.visit.planned", target=visit, data={"customer": customer.pk}
    )
    return visit


def _own_visit(actor: Staff, visit_id: int) -> Visit:
    visit = selectors.visit_get(actor=actor, visit_id=visit_id)
    if visit.manager_id != actor.pk:
        raise PermissionDenied
    return Visit.objects.select_for_update().get(pk=visit.pk)


@transaction.atomic
def visit_check_in(
    *,
    actor: Staff,
    visit_id: int,
    lat: Decimal | None = None,
    lng: Decimal | None = None,
    accuracy_m: int | None = None,
) -> Visit:
    """Record arrival at a visit (time, and the device's location when it gives one).

    Raises Http404, PermissionDenied (not the actor's visit), InvalidFields,
    ConflictError("visit_closed").
    """
    visit = _own_visit(actor, visit_id)
    errors = []
    if (lat is None) != (lng is None):
        errors.append({"field": "lat", "reason": _("Give both latitude and longitude.")})
    if lat is not None and not Decimal(-90) <= lat <= Decimal(90):
        errors.append({"field": "lat", "reason": _("Between -90 and 90.")})
    if lng is not None and not Decimal(-180) <= lng <= Decimal(180):
        errors.append({"field": "lng", "reason": _("Between -180 and 180.")})
    if accuracy_m is not None and not 0 <= accuracy_m <= 100_000:
        errors.append({"field": "accuracy_m", "reason": _("Between 0 and 100,000 metres.")})
    _invalid(errors)
    if visit.status != Visit.Status.PLANNED:
        raise ConflictError(_("This visit is closed."), code="visit_closed")
    visit.status = Visit.Status.DONE
    visit.checked_in_at = timezone.now()
    if lat is not None and lng is not None:
        visit.check_in_lat = lat.quantize(Decimal("0.000001"))
        visit.check_in_lng = lng.quantize(Decimal("0.000001"))
        visit.check_in_accuracy_m = accuracy_m
    visit.save()
    audit_record(
        actor=actor,
        action="contact.visit.checked_in",
        target=visit,
        data={"located": lat is not None},
    )
    return visit


@transaction.atomic
def visit_cancel(*, actor: Staff, visit_id: int) -> Visit:
    visit = _own_visit(actor, visit_id)
    if visit.status != Visit.Status.PLANNED:
        raise ConflictError(_("This visit is closed."), code="visit_closed")
    visit.status = Visit.Status.CANCELLED
    visit.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="contact.visit.cancelled", target=visit)
    return visit


# --- service requests ------------------------------------------------------------------

TRANSITIONS: dict[str, frozenset[str]] = {
    ServiceRequest.Status.NEW: frozenset({"in_progress", "waiting", "done", "cancelled"}),
    ServiceRequest.Status.IN_PROGRESS: frozenset({"waiting", "done", "cancelled"}),
    ServiceRequest.Status.WAITING: frozenset({"in_progress", "done", "cancelled"}),
    ServiceRequest.Status.DONE: frozenset(),
    ServiceRequest.Status.CANCELLED: frozenset(),
}


def _routing(
    department_id: int | None, assignee_id: int | None, errors: list[dict[str, str]]
) -> tuple[Department | None, Staff | None]:
    department = None
    if department_id is not None:
        department = Department.objects.filter(pk=department_id).first()
        if department is None:
            errors.append({"field": "department_id", "reason": _("No such department.")})
    assignee = None
    if assignee_id is not None:
        assignee = Staff.objects.filter(pk=assignee_id, is_active=True).first()
        if assignee is None:
            errors.append({"field": "assignee_id", "reason": _("No such member of staff.")})
        elif department is not None and assignee.department_id not in (None, department.pk):
            errors.append(
                {"field": "assignee_id", "reason": _("The assignee is in another department.")}
            )
    return department, assignee


@transaction.atomic
def service_request_create(
    *,
    actor: Staff,
    customer_id: int,
    kind: str,
    description: str,
    department_id: int | None = None,
    assignee_id: int | None = None,
    due_on: date | None = None,
) -> ServiceRequest:
    """Take a customer's request once and hand it on. Raises Http404, InvalidFields."""
    customer = _writable_customer(actor, customer_id)
    errors: list[dict[str, str]] = []
    if kind not in ServiceRequest.Kind.values:
        errors.append({"field": "kind", "reason": _("Not one of the allowed values.")})
    if not description.strip():
        errors.append({"field": "description", "reason": _("Describe the request.")})
    elif len(description) > 4000:
        errors.append({"field": "description", "reason": _("At most 4,000 characters.")})
    if due_on is not None and due_on < timezone.localdate():
        errors.append({"field": "due_on", "reason": _("The due date has passed.")})
    department, assignee = _routing(department_id, assignee_id, errors)
    _invalid(errors)
    request = ServiceRequest.objects.create(
        customer=customer,
        kind=kind,
        description=description.strip(),
        department=department,
        assignee=assignee,
        due_on=due_on,
        raised_by=actor,
    )
    ServiceRequestEvent.objects.create(
        request=request, actor=actor, at=timezone.now(), to_status=request.status
    )
    if department is None and assignee is None:
        _hand_to_work_order(request, actor)
    audit_record(
        actor=actor,
        action="contact.service_request.created",
        target=request,
        data={
            "customer": customer.pk,
            "kind": kind,
            "department": request.department_id,
            "work_order": request.work_order_id,
        },
    )
    if assignee is not None and assignee.pk != actor.pk:
        _notify_assignee(request, assignee)
    return request


def _hand_to_work_order(request: ServiceRequest, actor: Staff) -> None:
    """Carry the request to the department that does it as a coordination work order of
    type "service_request", routed by the bank's rules. Where no rule routes it (or the
    type is switched off) the request stays with its taker, as before."""
    from rmdesk.coordination.services import work_order_raise_quietly

    work_order = work_order_raise_quietly(
        actor=actor,
        type_code="service_request",
        title=str(request.get_kind_display()),
        customer_id=request.customer_id,
        fields={"request": request.description[:1000]},
        text=request.description,
    )
    if work_order is None:
        return
    request.work_order = work_order
    request.department_id = work_order.owner_department_id
    request.save(update_fields=["work_order", "department", "updated_at"])


def work_order_closed(work_order: Any, actor: Staff) -> None:
    """A work order carrying service requests closed: they close with it (done when it
    was done or approved, cancelled otherwise), each step in the request's history."""
    closed = (
        ServiceRequest.Status.DONE
        if work_order.status in ("done", "approved")
        else (ServiceRequest.Status.CANCELLED)
    )
    now = timezone.now()
    for request in (
        ServiceRequest.objects.select_for_update()
        .filter(work_order=work_order, status__in=ServiceRequest.OPEN_STATUSES)
        .order_by("pk")
    ):
        before = request.status
        request.status = closed
        request.closed_at = now
        request.save(update_fields=["status", "closed_at", "updated_at"])
        ServiceRequestEvent.objects.create(
            request=request, actor=actor, at=now, from_status=before, to_status=closed
        )
        audit_record(
            actor=actor,
            action="contact.service_request.closed_with_work_order",
            target=request,
            data={"work_order": work_order.pk, "to": closed},
        )


def _notify_assignee(request: ServiceRequest, assignee: Staff) -> None:
    from rmdesk.notify.services import notify

    notify(
        [assignee],
        kind="contact.service_request_assigned",
        title=_("A service request was handed to you: %(kind)s")
        % {"kind": request.get_kind_display()},
        url=f"/contact/service-requests/{request.pk}/",
        target=request,
        dedupe_key=f"contact.sr:{request.pk}:assigned:{assignee.pk}",
    )


@transaction.atomic
def service_request_update(
    *,
    actor: Staff,
    request_id: int,
    status: str | None = None,
    note: str = "",
    department_id: int | None = None,
    assignee_id: int | None = None,
) -> ServiceRequest:
    """Move a request on (status, routing), recording each step in its history.

    Who may: the customer's managers (writers who see the customer), its assignee and
    its department's officers. Raises Http404, PermissionDenied, InvalidFields,
    ConflictError("bad_transition").
    """
    found = selectors.service_request_get(actor=actor, request_id=request_id)
    handles = found.assignee_id == actor.pk or (
        actor.department_id is not None and found.department_id == actor.department_id
    )
    if not handles and not can_modify_customers(actor):
        raise PermissionDenied
    request = ServiceRequest.objects.select_for_update().get(pk=found.pk)
    errors: list[dict[str, str]] = []
    if status is not None and status not in ServiceRequest.Status.values:
        errors.append({"field": "status", "reason": _("Not one of the allowed values.")})
    if len(note) > 500:
        errors.append({"field": "note", "reason": _("At most 500 characters.")})
    department, assignee = _routing(department_id, assignee_id, errors)
    _invalid(errors)
    before = request.status
    if status is not None and status != before:
        if status not in TRANSITIONS[before]:
            raise ConflictError(
                _("A request cannot go from %(before)s to %(after)s.")
                % {
                    "before": ServiceRequest.Status(before).label,
                    "after": ServiceRequest.Status(status).label,
                },
                code="bad_transition",
            )
        request.status = status
        if status in (ServiceRequest.Status.DONE, ServiceRequest.Status.CANCELLED):
            request.closed_at = timezone.now()
    elif request.status not in ServiceRequest.OPEN_STATUSES:
        raise ConflictError(_("This request is closed."), code="bad_transition")
    if department is not None:
        request.department = department
    if assignee is not None:
        request.assignee = assignee
    request.save()
    ServiceRequestEvent.objects.create(
        request=request,
        actor=actor,
        at=timezone.now(),
        from_status=before,
        to_status=request.status,
        note=note.strip(),
    )
    audit_record(
        actor=actor,
        action="contact.service_request.updated",
        target=request,
        data={"from": before, "to": request.status, "assignee": request.assignee_id},
    )
    if assignee is not None and assignee.pk != actor.pk:
        _notify_assignee(request, assignee)
    if request.raised_by_id != actor.pk and request.status != before:
        from rmdesk.notify.services import notify

        notify(
            [request.raised_by_id],
            kind="contact.service_request_moved",
            title=_("Service request #%(id)s: %(status)s")
            % {"id": request.pk, "status": request.get_status_display()},
            url=f"/contact/service-requests/{request.pk}/",
            target=request,
            dedupe_key=f"contact.sr:{request.pk}:{request.status}",
        )
    return request


# --- calendar feeds --------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedFeed:
    feed: CalendarFeed
    token: str  # shown once; only its hash is kept


@transaction.atomic
def calendar_feed_create(*, actor: Staff, label: str = "") -> IssuedFeed:
    """A new secret calendar link for the actor. The token is returned once."""
    if len(label) > 100:
        _invalid([{"field": "label", "reason": _("At most 100 characters.")}])
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        staff=actor, label=label.strip(), token_hash=token_digest(token), token_hint=token[-4:]
    )
    audit_record(actor=actor, action="contact.calendar_feed.created", target=feed)
    return IssuedFeed(feed=feed, token=token)


@transaction.atomic
def calendar_feed_revoke(*, actor: Staff, feed_id: int) -> CalendarFeed:
    """Revoke one of the actor's links (others' are 404). Idempotent."""
    feed = CalendarFeed.objects.select_for_update().filter(pk=feed_id, staff=actor).first()
    if feed is None:
        raise Http404
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, action="contact.calendar_feed.revoked", target=feed)
    return feed


def calendar_feed_resolve(token: str) -> CalendarFeed | None:
    """The live feed behind a token, or None (unknown, revoked, or its owner inactive)."""
    if not 20 <= len(token) <= 100:
        return None
    feed = (
        CalendarFeed.objects.select_related("staff")
        .filter(token_hash=token_digest(token), revoked_at__isnull=True, staff__is_active=True)
        .first()
    )
    if feed is not None:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    return feed


def as_interaction_data(values: dict[str, Any]) -> InteractionData:
    """Build InteractionData from validated form or schema values."""
    return InteractionData(
        channel=values["channel"],
        occurred_at=values["occurred_at"],
        summary=values.get("summary") or "",
        confidentiality=values.get("confidentiality") or Interaction.Confidentiality.NORMAL,
        need_codes=tuple(values.get("needs") or ()),
        key_person_id=values.get("key_person_id"),
        next_step=values.get("next_step") or "",
        follow_up_on=values.get("follow_up_on"),
    )
