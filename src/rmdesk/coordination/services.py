"""Writes to work orders: raising one, and every change of state through one service.

``work_order_transition`` is the only way a work order moves. ``TRANSITIONS`` says
from which statuses each action is allowed and where it leads; the service locks the
row, checks the version, the status and who is acting, applies the change, writes the
timeline and the audit trail, and notifies the raiser and the new owners — all in one
transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.coordination import access, pools
from rmdesk.coordination.business_calendar import business_add, business_seconds_between
from rmdesk.coordination.formfields import answers_clean, definitions_check
from rmdesk.coordination.models import (
    CLOCK_STATUSES,
    OPEN_STATUSES,
    Attachment,
    Step,
    TimelineEvent,
    WorkOrder,
    WorkOrderType,
)
from rmdesk.coordination.routing import approval_chain, route
from rmdesk.core.errors import ConflictError, DomainError
from rmdesk.core.retry import retried_transaction
from rmdesk.customers.models import Customer
from rmdesk.notify.services import notify
from rmdesk.org.models import Department, Staff
from rmdesk.org.policy import customer_q

Status = WorkOrder.Status
Event = TimelineEvent.Kind
MAX_TEXT = 4000
AMOUNT_LIMIT = Decimal("1e15")


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    # None: the status does not change (or depends on the chain, for approve).
    target: str | None
    event: str
    needs_text: bool = False


TRANSITIONS: dict[str, Transition] = {
    "comment": Transition(OPEN_STATUSES, None, Event.COMMENT, needs_text=True),
    "request_info": Transition(
        (Status.OPEN, Status.IN_APPROVAL), Status.INFO_REQUESTED, Event.INFO_REQUESTED, True
    ),
    "provide_info": Transition((Status.INFO_REQUESTED,), None, Event.INFO_PROVIDED, True),
    "submit": Transition((Status.OPEN,), Status.IN_APPROVAL, Event.SUBMITTED),
    "approve": Transition((Status.IN_APPROVAL,), None, Event.APPROVED),
    "reject": Transition((Status.OPEN, Status.IN_APPROVAL), Status.REJECTED, Event.REJECTED, True),
    "done": Transition((Status.OPEN,), Status.DONE, Event.DONE),
    "cancel": Transition(OPEN_STATUSES, Status.CANCELLED, Event.CANCELLED),
    "reassign": Transition(OPEN_STATUSES, None, Event.REASSIGNED),
    "escalate": Transition(OPEN_STATUSES, None, Event.ESCALATED),
}
ACTIONS = tuple(TRANSITIONS)


def _text(value: str, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(
            _("Please write a few words."),
            code="text_required",
            details={"field": "text", "reason": _("This field is required.")},
        )
    if len(text) > MAX_TEXT:
        raise DomainError(
            _("The text is too long."),
            code="text_too_long",
            details={"field": "text", "reason": _("At most 4000 characters.")},
        )
    return text


def _event(
    work_order: WorkOrder,
    kind: str,
    actor: Staff | None,
    text: str = "",
    data: dict[str, Any] | None = None,
) -> TimelineEvent:
    return TimelineEvent.objects.create(
        work_order=work_order,
        kind=kind,
        actor=actor,
        text=text,
        data=data or {},
        created_at=timezone.now(),
    )


def step_owner_ids(step: Step | None) -> set[int]:
    """Who owns a step: the officers of its department, or the holders of its role at
    its unit."""
    if step is None:
        return set()
    staff = Staff.objects.filter(is_active=True)
    if step.department_id is not None:
        staff = staff.filter(department_id=step.department_id)
    elif step.approver_role:
        staff = staff.filter(org_unit_id=step.org_unit_id, roles__role=step.approver_role)
    elif step.kind == Step.Kind.HANDLE:
        # Routed to the head of the unit.
        staff = staff.filter(
            org_unit_id=step.org_unit_id, roles__role__in=sorted(access.HEAD_ROLES)
        )
    else:
        return set()
    return set(staff.values_list("pk", flat=True))


def _notify_change(
    work_order: WorkOrder, actor: Staff | None, headline: str, extra: Iterable[int] = ()
) -> None:
    """Tell the raiser (and ``extra``: the new owners) about a change, never the actor."""
    recipients = {work_order.raised_by_id, *extra}
    if actor is not None:
        recipients.discard(actor.pk)
    if not recipients:
        return
    notify(
        recipients,
        kind="coordination.work_order",
        title=f"#{work_order.pk} {headline}: {work_order.title}",
        body=headline,
        url=f"/coordination/work-orders/{work_order.pk}/",
        target=work_order,
    )


def _activate(step: Step, now: Any) -> None:
    step.status = Step.Status.ACTIVE
    step.due_at = business_add(now, seconds=step.sla_hours * 3600)
    step.save(update_fields=["status", "due_at", "updated_at"])


@transaction.atomic
def work_order_raise(
    *,
    actor: Staff,
    type_code: str,
    title: str,
    customer_id: int | None = None,
    prospect_ref: str = "",
    amount: Decimal | None = None,
    fields: dict[str, Any] | None = None,
    text: str = "",
) -> WorkOrder:
    """Raise a work order of a configured type, route it and start its SLA clock.

    The customer must be one the actor may see (else Http404). When the type draws on a
    resource pool, the amount is held in it now. Raises DomainError with ``details``
    naming the field at fault ("invalid_fields", "customer_or_prospect", "no_route",
    "pool_exhausted"…); nothing is written then.
    """
    if actor.org_unit is None or not actor.is_active:
        raise PermissionDenied
    work_order_type = WorkOrderType.objects.filter(code=type_code, is_active=True).first()
    if work_order_type is None:
        raise DomainError(
            _("Unknown work order type."),
            code="unknown_type",
            details={"field": "type", "reason": _("Unknown work order type.")},
        )
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise DomainError(
            _("Give the request a subject (at most 200 characters)."),
            code="invalid_title",
            details={"field": "title", "reason": _("Required, at most 200 characters.")},
        )
    customer: Customer | None = None
    if customer_id is not None:
        customer = Customer.objects.filter(customer_q(actor), pk=customer_id).first()
        if customer is None:
            raise Http404
    prospect_ref = (prospect_ref or "").strip()[:200]
    if customer is None and not prospect_ref:
        raise DomainError(
            _("Name the customer or the prospect this request is for."),
            code="customer_or_prospect",
            details={"field": "customer_id", "reason": _("A customer or a prospect is required.")},
        )
    if amount is not None and (amount < 0 or amount >= AMOUNT_LIMIT):
        raise DomainError(
            _("The amount is out of range."),
            code="invalid_amount",
            details={"field": "amount", "reason": _("The amount is out of range.")},
        )
    if work_order_type.pool_kind and (amount is None or amount <= 0):
        raise DomainError(
            _("This request draws on a budget: give the amount."),
            code="amount_required",
            details={"field": "amount", "reason": _("This field is required.")},
        )
    answers = answers_clean(definitions_check(work_order_type.fields), fields or {})
    text = _text(text, required=False)

    destination = route(
        work_order_type=work_order_type,
        amount=amount,
        customer=customer,
        raised_unit=actor.org_unit,
    )
    chain = (
        approval_chain(work_order_type=work_order_type, amount=amount, raised_unit=actor.org_unit)
        if work_order_type.needs_approval
        else []
    )
    if work_order_type.needs_approval and not chain:
        raise DomainError(
            _("No approval rule covers this request; ask the administrator to add one."),
            code="no_approval_rule",
        )
    department = destination.department
    now = timezone.now()
    work_order = WorkOrder.objects.create(
        work_order_type=work_order_type,
        title=title,
        customer=customer,
        prospect_ref=prospect_ref,
        raised_by=actor,
        raised_unit=actor.org_unit,
        owner_department=department,
        owner_unit=destination.unit,
        amount=amount,
        fields=answers,
    )
    handle = Step.objects.create(
        work_order=work_order,
        sequence=1,
        kind=Step.Kind.HANDLE,
        org_unit=destination.unit,
        department=department,
        sla_hours=destination.rule.sla_hours or work_order_type.sla_hours,
    )
    Step.objects.bulk_create(
        [
            Step(
                work_order=work_order,
                sequence=index,
                kind=Step.Kind.APPROVE,
                org_unit=link.org_unit,
                department=link.department,
                approver_role=link.rule.approver_role,
                sla_hours=link.rule.sla_hours or work_order_type.sla_hours,
            )
            for index, link in enumerate(chain, start=2)
        ]
    )
    _activate(handle, now)
    work_order.current_step = handle
    work_order.due_at = handle.due_at
    if work_order_type.pool_kind and amount is not None:
        pool = pools.pool_for(kind=work_order_type.pool_kind, unit=actor.org_unit, day=now.date())
        if pool is not None:
            pools.pool_hold(actor=actor, work_order=work_order, pool=pool, amount=amount)
    work_order.save()
    _event(work_order, Event.CREATED, actor, text, {"type": work_order_type.code})
    _event(
        work_order,
        Event.ROUTED,
        None,
        str(department)
        if department is not None
        else _("The head of %(unit)s") % {"unit": destination.unit},
        {
            "department": department.pk if department is not None else None,
            "unit": destination.unit.pk,
            "rule": destination.rule.pk,
        },
    )
    audit_record(
        actor=actor,
        action="coordination.work_order.raised",
        target=work_order,
        data={
            "type": work_order_type.code,
            "department": department.pk if department is not None else None,
            "unit": destination.unit.pk,
            "amount": str(amount) if amount is not None else None,
            "customer": customer.pk if customer else None,
        },
    )
    _notify_change(work_order, actor, _("New request"), step_owner_ids(handle))
    return work_order


def _lock(actor: Staff, work_order_id: int) -> WorkOrder:
    if not WorkOrder.objects.filter(access.work_order_q(actor), pk=work_order_id).exists():
        raise Http404
    return WorkOrder.objects.select_for_update().get(pk=work_order_id)


@retried_transaction()
def work_order_transition(
    *,
    actor: Staff,
    work_order_id: int,
    action: str,
    text: str = "",
    assignee_id: int | None = None,
    department_id: int | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """Apply ``action`` to a work order. Locks its row for the whole change.

    Raises Http404 (not visible), ConflictError("stale_version") when
    ``expected_version`` is not the current one, DomainError("transition_not_allowed")
    when the status does not allow the action, PermissionDenied when the actor may
    not take it, DomainError("maker_checker") when the raiser or an investigator tries
    to approve, and field errors for missing text or a wrong assignee.
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise DomainError(
            _("Unknown action."),
            code="unknown_action",
            details={"field": "action", "reason": _("Unknown action.")},
        )
    work_order = _lock(actor, work_order_id)
    if access.is_read_only(actor):
        raise PermissionDenied
    if expected_version is not None and expected_version != work_order.version:
        raise ConflictError(
            _("The request changed meanwhile; reload it and try again."), code="stale_version"
        )
    if work_order.status not in transition.sources:
        raise DomainError(
            _("This cannot be done to a request that is %(status)s.")
            % {"status": work_order.get_status_display()},
            code="transition_not_allowed",
            details={"status": work_order.status, "action": action},
        )
    text = _text(text, required=transition.needs_text)
    step = (
        Step.objects.select_for_update().get(pk=work_order.current_step_id)
        if work_order.current_step_id
        else None
    )
    now = timezone.now()
    before = work_order.status
    new_owners: set[int] = set()
    data: dict[str, Any] = {"from": before}

    if action == "comment":
        pass
    elif action == "request_info":
        if not (access.can_handle(actor, work_order, step) or access.is_approver(actor, step)):
            raise PermissionDenied
        data["stage"] = step.kind if step else ""
        work_order.status_before_info = work_order.status
        work_order.status = Status.INFO_REQUESTED
        if work_order.due_at is not None:
            work_order.sla_paused_seconds = business_seconds_between(now, work_order.due_at)
            work_order.due_at = None
    elif action == "provide_info":
        if actor.pk != work_order.raised_by_id:
            raise PermissionDenied
        work_order.status = work_order.status_before_info or Status.OPEN
        work_order.status_before_info = ""
        if work_order.sla_paused_seconds is not None:
            work_order.due_at = business_add(now, seconds=work_order.sla_paused_seconds)
            work_order.sla_paused_seconds = None
        if step is not None:
            step.due_at = work_order.due_at
            step.save(update_fields=["due_at", "updated_at"])
        new_owners = step_owner_ids(step)
    elif action == "submit":
        if not access.can_handle(actor, work_order, step):
            raise PermissionDenied
        if step is None:  # the checks above make this unreachable
            raise PermissionDenied
        following = (
            Step.objects.filter(work_order=work_order, sequence__gt=step.sequence)
            .order_by("sequence")
            .first()
        )
        if following is None:
            raise DomainError(
                _("This request needs no approval; mark it done instead."),
                code="transition_not_allowed",
            )
        data["stage"] = Step.Kind.HANDLE
        _finish(step, actor, Step.Status.DONE, now)
        step = following
        _activate(step, now)
        work_order.status = Status.IN_APPROVAL
        new_owners = step_owner_ids(step)
    elif action == "approve":
        if not access.is_approver(actor, step):
            raise PermissionDenied
        if step is None:  # the checks above make this unreachable
            raise PermissionDenied
        if actor.pk == work_order.raised_by_id or actor.pk in access.investigator_ids(work_order):
            raise DomainError(
                _("Whoever raised or investigated a request may not approve it."),
                code="maker_checker",
            )
        _finish(step, actor, Step.Status.APPROVED, now)
        data["step"] = step.sequence
        following = (
            Step.objects.filter(work_order=work_order, sequence__gt=step.sequence)
            .order_by("sequence")
            .first()
        )
        if following is None:
            work_order.status = Status.APPROVED
            pools.pool_settle(actor=actor, work_order=work_order, book=True)
            step = None
        else:
            step = following
            _activate(step, now)
            new_owners = step_owner_ids(step)
    elif action == "reject":
        approving = access.is_approver(actor, step)
        if not (access.can_handle(actor, work_order, step) or approving):
            raise PermissionDenied
        if approving and actor.pk == work_order.raised_by_id:
            raise DomainError(
                _("Whoever raised or investigated a request may not approve it."),
                code="maker_checker",
            )
        if step is None:  # the checks above make this unreachable
            raise PermissionDenied
        _finish(step, actor, Step.Status.REJECTED, now)
        work_order.status = Status.REJECTED
        pools.pool_settle(actor=actor, work_order=work_order, book=False)
        step = None
    elif action == "done":
        if not access.can_handle(actor, work_order, step):
            raise PermissionDenied
        if step is None:  # the checks above make this unreachable
            raise PermissionDenied
        if Step.objects.filter(work_order=work_order, kind=Step.Kind.APPROVE).exists():
            raise DomainError(
                _("This request needs approval; send it for approval."),
                code="transition_not_allowed",
            )
        _finish(step, actor, Step.Status.DONE, now)
        work_order.status = Status.DONE
        pools.pool_settle(actor=actor, work_order=work_order, book=True)
        step = None
    elif action == "cancel":
        if actor.pk != work_order.raised_by_id:
            raise PermissionDenied
        if step is not None:
            _finish(step, actor, Step.Status.SKIPPED, now)
        work_order.status = Status.CANCELLED
        pools.pool_settle(actor=actor, work_order=work_order, book=False)
        step = None
    elif action == "reassign":
        new_owners = _reassign(actor, work_order, step, assignee_id, department_id, data)
    elif action == "escalate":
        if not (
            actor.pk == work_order.raised_by_id
            or access.can_handle(actor, work_order, step)
            or access.is_approver(actor, step)
        ):
            raise PermissionDenied
        work_order.escalation_level += 1
        new_owners = superior_ids(work_order)
        data["level"] = work_order.escalation_level

    closing = work_order.status in (
        Status.APPROVED,
        Status.REJECTED,
        Status.DONE,
        Status.CANCELLED,
    )
    if closing:
        # The due date stays as the record of the clock it closed against (every
        # running-clock query also asks for an open status); a late close that the
        # sweep has not caught yet is recorded as breached at the moment it fell due.
        work_order.closed_at = now
        if work_order.due_at is not None and work_order.due_at < now:
            work_order.sla_breached_at = work_order.sla_breached_at or work_order.due_at
        work_order.sla_paused_seconds = None
    elif step is not None and work_order.status in CLOCK_STATUSES and action != "provide_info":
        work_order.due_at = step.due_at
    work_order.current_step = step
    work_order.version += 1
    work_order.save()
    data["to"] = work_order.status
    _event(work_order, transition.event, actor, text, data)
    audit_record(
        actor=actor,
        action=f"coordination.work_order.{action}",
        target=work_order,
        data=data,
    )
    _notify_change(work_order, actor, str(TimelineEvent.Kind(transition.event).label), new_owners)
    if closing:
        for hook in ON_CLOSED:
            hook(work_order, actor)
    return work_order


def work_order_raise_quietly(**kwargs: Any) -> WorkOrder | None:
    """``work_order_raise`` for other apps' records that ride a work order when the bank
    routes one: a refusal (no route, type switched off, no org unit) rolls back only the
    work order and answers None, leaving the caller's record as it was."""
    try:
        with transaction.atomic():
            return work_order_raise(**kwargs)
    except (DomainError, PermissionDenied, Http404):
        return None


# The page of the record another app tied to work orders of a type (an attribution
# dispute): type code → (work order → (label, path)). Apps register it in ``ready()``.
RELATED_PAGES: dict[str, Callable[[WorkOrder], tuple[str, str]]] = {}


def related_page(work_order: WorkOrder) -> tuple[str, str] | None:
    """The label and path of the record this work order carries, when an app said so."""
    page = RELATED_PAGES.get(work_order.work_order_type.code)
    return page(work_order) if page is not None else None


# Called inside the closing transaction with (work_order, actor): the records other apps
# tied to a work order (a service request, a customer requirement) follow its outcome.
ON_CLOSED: list[Callable[[WorkOrder, Staff], None]] = []


def _finish(step: Step, actor: Staff, status: str, now: Any) -> None:
    step.status = status
    step.decided_by = actor
    step.decided_at = now
    step.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])


def _reassign(
    actor: Staff,
    work_order: WorkOrder,
    step: Step | None,
    assignee_id: int | None,
    department_id: int | None,
    data: dict[str, Any],
) -> set[int]:
    """Give the handling step to a colleague, or move it to another department."""
    heads = bool(actor.role_codes & access.HEAD_ROLES) and actor.org_unit is not None
    in_subtree = bool(
        heads and actor.org_unit and work_order.owner_unit.path.startswith(actor.org_unit.path)
    )
    if step is None or step.kind != Step.Kind.HANDLE:
        raise DomainError(
            _("Only a request being handled can be reassigned."), code="transition_not_allowed"
        )
    if not (access.officer_of(actor, step) or in_subtree):
        raise PermissionDenied
    if department_id is not None:
        department = Department.objects.select_related("org_unit").filter(pk=department_id).first()
        if department is None:
            raise DomainError(
                _("Unknown department."),
                code="invalid_department",
                details={"field": "department_id", "reason": _("Unknown department.")},
            )
        step.department = department
        step.org_unit = department.org_unit
        step.save(update_fields=["department", "org_unit", "updated_at"])
        work_order.owner_department = department
        work_order.owner_unit = department.org_unit
        work_order.assignee = None
        data["department"] = department.pk
    if assignee_id is not None:
        if step.department_id is None:
            raise DomainError(_("Unknown department."), code="invalid_department")
        assignee = Staff.objects.filter(
            pk=assignee_id, is_active=True, department_id=step.department_id
        ).first()
        if assignee is None:
            raise DomainError(
                _("Assign the request to an officer of the department that owns it."),
                code="invalid_assignee",
                details={"field": "assignee_id", "reason": _("Not an officer of the department.")},
            )
        work_order.assignee = assignee
        data["assignee"] = assignee.pk
    if department_id is None and assignee_id is None:
        raise DomainError(
            _("Choose an officer or a department."),
            code="invalid_assignee",
            details={"field": "assignee_id", "reason": _("This field is required.")},
        )
    return {work_order.assignee_id} if work_order.assignee_id else step_owner_ids(step)


def superiors_of(work_orders: Iterable[WorkOrder]) -> dict[int, set[int]]:
    """For each work order, the heads its escalation level reaches (two queries in all).

    Level 1 reaches the heads of the owning unit, level 2 those of the unit above, and so
    on; a unit without a head passes it further up, to the head office at most.
    Precondition: ``owner_unit`` is loaded (``select_related``).
    """
    chains = {
        work_order.pk: [int(part) for part in work_order.owner_unit.path.strip("/").split("/")][
            ::-1
        ]
        for work_order in work_orders
    }
    unit_ids = {unit for chain in chains.values() for unit in chain}
    heads: dict[int, set[int]] = {}
    for unit_id, staff_id in (
        Staff.objects.filter(
            is_active=True, org_unit_id__in=unit_ids, roles__role__in=sorted(access.HEAD_ROLES)
        )
        .values_list("org_unit_id", "pk")
        .distinct()
    ):
        heads.setdefault(unit_id, set()).add(staff_id)
    result: dict[int, set[int]] = {}
    for work_order in work_orders:
        chain = chains[work_order.pk]
        start = min(max(work_order.escalation_level - 1, 0), len(chain) - 1)
        result[work_order.pk] = next(
            (heads[unit] for unit in chain[start:] if heads.get(unit)), set()
        )
    return result


def superior_ids(work_order: WorkOrder) -> set[int]:
    """The heads the work order's escalation level reaches (see ``superiors_of``)."""
    return superiors_of([work_order])[work_order.pk]


ATTACHMENT_MAX_BYTES = getattr(settings, "RMDESK_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)


def attachment_dir() -> Path:
    return Path(settings.VAR_DIR) / "attachments"


@transaction.atomic
def work_order_attach(
    *,
    actor: Staff,
    work_order_id: int,
    name: str,
    content: bytes | None = None,
    content_type: str = "",
    reference: str = "",
) -> Attachment:
    """Attach a file (kept under the var directory by its SHA-256) or a reference.

    Raises Http404, DomainError("attachment_too_large"/"attachment_empty"/
    "transition_not_allowed").
    """
    work_order = _lock(actor, work_order_id)
    if access.is_read_only(actor):
        raise PermissionDenied
    if work_order.is_closed:
        raise DomainError(
            _("A closed request takes no more attachments."), code="transition_not_allowed"
        )
    name = Path((name or "").strip()).name[:200]
    reference = (reference or "").strip()[:500]
    if not name:
        raise DomainError(
            _("Give the attachment a name."),
            code="attachment_empty",
            details={"field": "name", "reason": _("This field is required.")},
        )
    digest, size = "", 0
    if content is not None:
        size = len(content)
        if size == 0 or size > ATTACHMENT_MAX_BYTES:
            raise DomainError(
                _("Attachments hold between 1 byte and %(max)s bytes.")
                % {"max": ATTACHMENT_MAX_BYTES},
                code="attachment_too_large",
                details={"field": "file", "reason": _("Empty or too large.")},
            )
        digest = hashlib.sha256(content).hexdigest()
        folder = attachment_dir() / digest[:2]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / digest
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(content)
            tmp.replace(path)
    elif not reference:
        raise DomainError(
            _("Attach a file or give a reference."),
            code="attachment_empty",
            details={"field": "file", "reason": _("This field is required.")},
        )
    attachment = Attachment.objects.create(
        work_order=work_order,
        uploaded_by=actor,
        name=name,
        size=size,
        sha256=digest,
        content_type=content_type[:100],
        reference=reference,
    )
    work_order.version += 1
    work_order.save(update_fields=["version", "updated_at"])
    _event(work_order, Event.ATTACHMENT, actor, name, {"attachment": attachment.pk, "size": size})
    audit_record(
        actor=actor,
        action="coordination.work_order.attached",
        target=work_order,
        data={"attachment": attachment.pk, "sha256": digest, "size": size},
    )
    _notify_change(work_order, actor, str(Event.ATTACHMENT.label))
    return attachment
