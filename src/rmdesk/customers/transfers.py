"""Customer handover (移交): transfer requests, their approval, the assignment history.

A transfer request hands some of one manager's customers to another manager. It is
made by the manager who hands over, or by a head above them, and decided by a head
who is none of the people involved (maker-checker). Approval moves the customers,
bumps their optimistic-lock version, and closes and opens ``CustomerAssignment``
rows, all in one transaction, set-based.

The rules, in one place:

Requesting
    The requester is the from-manager themself, the team lead the from-manager
    reports to, or a sub-branch or branch head whose subtree holds the home unit
    of every customer. Every customer must be visible to the requester (else 404,
    as if it did not exist), be led by the from-manager now, and be in no other
    pending request. The new lead (and assisting manager, if named) must be an
    active account manager with an org unit.

Approving and rejecting
    A sub-branch or branch head whose org unit's subtree holds the home unit of
    every customer in the request, the to-manager's org unit and, if named, the
    new assisting manager's org unit. So a move across sub-branches needs the
    branch head, and a move across branches a head above both. The decider is
    never the requester, the from-manager, the to-manager or the new assisting
    manager.

Cancelling
    Only the requester, while the request is pending.

The assisting manager (协办) on approval
    If the request names a new assisting manager, every customer gets them. If it
    does not, each customer keeps the assisting manager they have, except where
    that person becomes the lead: then the assisting role is cleared (one person
    cannot hold both). An assisting role that does not change keeps its open
    history row.

Who sees a request
    The requester, the from-, to- and new assisting manager; a team lead whose
    report is the from- or to-manager; a sub-branch or branch head whose subtree
    holds the home unit of any customer in it or the org unit of the from- or
    to-manager; and the roles that see every customer (head-office analysts,
    compliance). Everyone else gets 404.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.core.errors import ConflictError, DomainError
from rmdesk.core.masking import mask_name
from rmdesk.customers.models import Customer, CustomerAssignment, TransferItem, TransferRequest
from rmdesk.customers.selectors import MAX_ID, customer_get, customer_visible_to
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.policy import CUSTOMER_SCOPE, Scope
from rmdesk.org.roles import Role

MAX_CUSTOMERS = 500
MAX_TEXT = 500
DECIDER_ROLES = (Role.SUBBRANCH_HEAD, Role.BRANCH_HEAD)
HEAD_ROLES = DECIDER_ROLES
MAX_MANAGER_CHOICES = 500


class Code(enum.StrEnum):
    """The stable error codes of this module (the API's ``code``)."""

    NO_CUSTOMERS = "no_customers"
    TOO_MANY_CUSTOMERS = "too_many_customers"
    DUPLICATE_CUSTOMER = "duplicate_customer"
    REASON_REQUIRED = "reason_required"
    TOO_LONG = "too_long"
    SAME_MANAGER = "same_manager"
    ASSISTING_IS_LEAD = "assisting_is_lead"
    UNKNOWN_MANAGER = "unknown_manager"
    NOT_AN_ACCOUNT_MANAGER = "not_an_account_manager"
    NOT_LED_BY_FROM_MANAGER = "not_led_by_from_manager"
    ALREADY_PENDING = "already_pending"
    NOT_PENDING = "not_pending"
    CUSTOMERS_CHANGED = "customers_changed"


# --- Who may do what -------------------------------------------------------------------


def _is_head(actor: Staff) -> bool:
    return actor.is_active and actor.org_unit is not None and actor.has_role(*HEAD_ROLES)


def _in_subtree(root: str, paths: Iterable[str | None]) -> bool:
    return all(path is not None and path.startswith(root) for path in paths)


def _may_decide(actor: Staff, transfer: TransferRequest, paths: Iterable[str | None]) -> bool:
    """Whether ``actor`` may approve or reject ``transfer``.

    ``paths``: the org-unit paths the decider's subtree must hold (the customers'
    home units, the to-manager's and the new assisting manager's units).
    """
    if not _is_head(actor):
        return False
    involved = {
        transfer.requested_by_id,
        transfer.from_manager_id,
        transfer.to_manager_id,
        transfer.to_assisting_manager_id,
    }
    if actor.pk in involved:
        return False
    assert actor.org_unit is not None  # noqa: S101  (checked by _is_head)
    return _in_subtree(actor.org_unit.path, paths)


def _may_cancel(actor: Staff, transfer: TransferRequest) -> bool:
    return (
        actor.is_active
        and transfer.requested_by_id == actor.pk
        and transfer.status == TransferRequest.Status.PENDING
    )


def _decision_paths(transfer_ids: Sequence[int]) -> dict[int, set[str | None]]:
    """For each request, the org-unit paths a decider's subtree must hold (two queries)."""
    paths: dict[int, set[str | None]] = {pk: set() for pk in transfer_ids}
    if not transfer_ids:
        return paths
    for request_id, path in (
        TransferItem.objects.filter(request_id__in=transfer_ids)
        .values_list("request_id", "customer__home_unit__path")
        .distinct()
    ):
        paths[request_id].add(path)
    for request_id, to_path, assisting_id, assisting_path in TransferRequest.objects.filter(
        pk__in=transfer_ids
    ).values_list(
        "pk",
        "to_manager__org_unit__path",
        "to_assisting_manager_id",
        "to_assisting_manager__org_unit__path",
    ):
        paths[request_id].add(to_path)
        if assisting_id is not None:
            paths[request_id].add(assisting_path)
    return paths


# --- Reads -----------------------------------------------------------------------------


def _visible_q(actor: Staff) -> Q:
    """The transfer requests ``actor`` may see (the rule is in the module docstring)."""
    if not actor.is_active:
        return Q(pk__in=[])
    if any(CUSTOMER_SCOPE.get(role) is Scope.ALL for role in actor.role_codes):
        return Q()
    visible = (
        Q(requested_by=actor)
        | Q(from_manager=actor)
        | Q(to_manager=actor)
        | Q(to_assisting_manager=actor)
    )
    if actor.has_role(Role.TEAM_LEAD):
        visible |= Q(from_manager__line_manager=actor) | Q(to_manager__line_manager=actor)
    if _is_head(actor):
        assert actor.org_unit is not None  # noqa: S101  (checked by _is_head)
        root = actor.org_unit.path
        homed_here = TransferItem.objects.filter(customer__home_unit__path__startswith=root).values(
            "request_id"
        )
        visible |= (
            Q(pk__in=homed_here)
            | Q(from_manager__org_unit__path__startswith=root)
            | Q(to_manager__org_unit__path__startswith=root)
        )
    return visible


class _ItemCount(TypedDict):
    item_count: int


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    CountedTransfer = WithAnnotations[TransferRequest, _ItemCount]

_PEOPLE = ("requested_by", "from_manager", "to_manager", "to_assisting_manager", "decided_by")


def transfer_list(*, actor: Staff, status: str | None = None) -> QuerySet[CountedTransfer]:
    """The requests ``actor`` may see, pending first, then newest first.

    Each row carries ``item_count`` (a subquery, so no GROUP BY over the joins).
    """
    counts = (
        TransferItem.objects.filter(request=OuterRef("pk"))
        .order_by()
        .values("request")
        .annotate(n=Count("pk"))
        .values("n")
    )
    requests = (
        TransferRequest.objects.filter(_visible_q(actor))
        .select_related(*_PEOPLE)
        .annotate(item_count=Coalesce(Subquery(counts, output_field=IntegerField()), 0))
        .order_by(
            Case(
                When(status=TransferRequest.Status.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            "-created_at",
            "-pk",
        )
    )
    if status:
        requests = requests.filter(status=status)
    return requests


@dataclass(frozen=True)
class TransferRow:
    request: TransferRequest
    item_count: int
    can_decide: bool
    can_cancel: bool


@dataclass(frozen=True)
class TransferPage:
    rows: list[TransferRow]
    offset: int
    limit: int
    has_more: bool


def transfer_page(
    *, actor: Staff, status: str | None = None, offset: int = 0, limit: int = 25
) -> TransferPage:
    """A page of ``transfer_list`` with what the actor may do with each row.

    No count: ``limit + 1`` rows tell whether there is more. Two more queries find
    which pending rows the actor may decide, and only for heads.
    """
    found = list(transfer_list(actor=actor, status=status)[offset : offset + limit + 1])
    requests = found[:limit]
    pending = [r.pk for r in requests if r.status == TransferRequest.Status.PENDING]
    paths = _decision_paths(pending) if pending and _is_head(actor) else {}
    rows = [
        TransferRow(
            request=r,
            item_count=r.item_count,
            can_decide=r.pk in paths and _may_decide(actor, r, paths[r.pk]),
            can_cancel=_may_cancel(actor, r),
        )
        for r in requests
    ]
    return TransferPage(rows=rows, offset=offset, limit=limit, has_more=len(found) > limit)


def transfer_get(*, actor: Staff, request_id: int) -> TransferRequest:
    """One visible request. Out of scope and non-existent are the same: Http404."""
    if not 0 < request_id <= MAX_ID:
        raise Http404
    try:
        return (
            TransferRequest.objects.filter(_visible_q(actor))
            .select_related(*_PEOPLE, "to_manager__org_unit", "to_assisting_manager__org_unit")
            .get(pk=request_id)
        )
    except TransferRequest.DoesNotExist as exc:
        raise Http404 from exc


def masked_customer_name(customer: Customer) -> str:
    """People's names are personal data and always shown masked here; companies' are not."""
    if customer.kind == Customer.Kind.CORPORATE:
        return customer.display_name
    return mask_name(customer.display_name)


@dataclass(frozen=True)
class TransferLine:
    customer_id: int
    customer_no: str
    kind: str
    display_name: str  # masked for people
    home_unit: str
    note: str


@dataclass(frozen=True)
class TransferView:
    request: TransferRequest
    lines: list[TransferLine]
    can_decide: bool
    can_cancel: bool


def transfer_detail(*, actor: Staff, request_id: int) -> TransferView:
    """A visible request with its customers (names masked) and what ``actor`` may do.

    Two queries whatever the size of the request. Raises Http404.
    """
    transfer = transfer_get(actor=actor, request_id=request_id)
    items = list(
        TransferItem.objects.filter(request=transfer)
        .select_related("customer__home_unit")
        .order_by("customer__customer_no", "pk")
    )
    lines = [
        TransferLine(
            customer_id=item.customer_id,
            customer_no=item.customer.customer_no,
            kind=item.customer.kind,
            display_name=masked_customer_name(item.customer),
            home_unit=item.customer.home_unit.name,
            note=item.note,
        )
        for item in items
    ]
    paths: set[str | None] = {item.customer.home_unit.path for item in items}
    for person in (transfer.to_manager, transfer.to_assisting_manager):
        if person is not None:
            paths.add(person.org_unit.path if person.org_unit is not None else None)
    can_decide = transfer.status == TransferRequest.Status.PENDING and _may_decide(
        actor, transfer, paths
    )
    return TransferView(
        request=transfer,
        lines=lines,
        can_decide=can_decide,
        can_cancel=_may_cancel(actor, transfer),
    )


def assignment_history(*, actor: Staff, customer_id: int) -> list[CustomerAssignment]:
    """Who served a visible customer, newest first. Raises Http404."""
    customer = customer_get(actor=actor, customer_id=customer_id)
    return list(
        CustomerAssignment.objects.filter(customer=customer)
        .select_related("manager", "customer")
        .order_by("-started_at", "-pk")
    )


def transfer_customer_ids(*, actor: Staff, customer_nos: Iterable[str]) -> dict[str, int]:
    """Customer numbers to ids, for the visible customers among them (one query)."""
    numbers = sorted(set(customer_nos))
    if not numbers:
        return {}
    return dict(
        customer_visible_to(actor).filter(customer_no__in=numbers).values_list("customer_no", "pk")
    )


def transfer_manager_choices(*, actor: Staff) -> list[Staff]:
    """Account managers to offer on the request form: those of the actor's branch.

    The branch is the actor's org unit's ancestor at depth 1 (the actor's own unit at
    the head office). Inactive managers are included (a leaver hands over); the form
    offers only active ones as the new managers. Capped; the API takes any id.
    """
    if actor.org_unit is None:
        return []
    parts = actor.org_unit.path.strip("/").split("/")
    root = "/" + "/".join(parts[:2]) + "/"
    return list(
        Staff.objects.filter(roles__role=Role.ACCOUNT_MANAGER, org_unit__path__startswith=root)
        .select_related("org_unit")
        .order_by("org_unit__path", "display_name", "pk")[:MAX_MANAGER_CHOICES]
    )


# --- Writes ----------------------------------------------------------------------------


def assignment_open(
    *,
    customer: Customer,
    manager: Staff,
    role: CustomerAssignment.Role | str,
    at: datetime,
    note: str = "",
    transfer: TransferRequest | None = None,
) -> CustomerAssignment:
    """Open an assignment row: ``manager`` serves ``customer`` in ``role`` from ``at``.

    Precondition: the customer has no open row in this role (it was just created, or
    the caller closed the previous row while holding the customer's row lock). The
    partial unique constraint ``customers_assign_one_open`` refuses a second one with
    an IntegrityError.
    """
    return CustomerAssignment.objects.create(
        customer=customer,
        manager=manager,
        role=role,
        started_at=at,
        note=note[:MAX_TEXT],
        transfer=transfer,
    )


def _clean_text(value: str, *, field: str, required: bool) -> str:
    text = " ".join(value.split()) if field == "reason" else value.strip()
    if required and not text:
        raise DomainError(
            _("Say why the customers are handed over."),
            code=Code.REASON_REQUIRED,
            details={"field": field},
        )
    if len(text) > MAX_TEXT:
        raise DomainError(
            _("At most %(max)d characters.") % {"max": MAX_TEXT},
            code=Code.TOO_LONG,
            details={"field": field},
        )
    return text


def _account_manager(staff_id: int, *, field: str) -> Staff:
    """An active account manager with an org unit, else DomainError(not_an_account_manager)."""
    manager = (
        Staff.objects.filter(
            pk=staff_id,
            is_active=True,
            org_unit__isnull=False,
            roles__role=Role.ACCOUNT_MANAGER,
        )
        .select_related("org_unit")
        .first()
        if 0 < staff_id <= MAX_ID
        else None
    )
    if manager is None:
        raise DomainError(
            _("Customers can only be handed to an active account manager."),
            code=Code.NOT_AN_ACCOUNT_MANAGER,
            details={"field": field},
        )
    return manager


@transaction.atomic
def transfer_request_create(
    *,
    actor: Staff,
    from_manager_id: int,
    to_manager_id: int,
    customer_ids: Sequence[int],
    notes: dict[int, str],
    reason: str,
    to_assisting_manager_id: int | None = None,
) -> TransferRequest:
    """Ask to hand ``customer_ids`` from one manager to another; a head decides later.

    ``notes`` holds the handover note of each customer (optional). Locks the
    customers in primary-key order, so two requests for the same customer cannot
    both be made. Audited as ``customers.transfer.requested``.

    Raises DomainError (no_customers, too_many_customers, duplicate_customer,
    reason_required, too_long, same_manager, assisting_is_lead, unknown_manager,
    not_an_account_manager, not_led_by_from_manager), ConflictError(already_pending),
    PermissionDenied (the actor may not hand over this manager's customers) and
    Http404 (a customer the actor cannot see, or that does not exist).
    """
    ids = list(customer_ids)
    if not ids:
        raise DomainError(_("Choose at least one customer."), code=Code.NO_CUSTOMERS)
    if len(ids) > MAX_CUSTOMERS:
        raise DomainError(
            _("At most %(max)d customers in one request.") % {"max": MAX_CUSTOMERS},
            code=Code.TOO_MANY_CUSTOMERS,
            details={"max": MAX_CUSTOMERS},
        )
    if len(set(ids)) != len(ids):
        raise DomainError(
            _("A customer is listed twice."),
            code=Code.DUPLICATE_CUSTOMER,
            details={"customer_ids": sorted({pk for pk in ids if ids.count(pk) > 1})},
        )
    reason = _clean_text(reason, field="reason", required=True)
    clean_notes = {pk: _clean_text(notes.get(pk, ""), field="notes", required=False) for pk in ids}
    if from_manager_id == to_manager_id:
        raise DomainError(_("The customers already have this manager."), code=Code.SAME_MANAGER)
    if to_assisting_manager_id is not None and to_assisting_manager_id == to_manager_id:
        raise DomainError(
            _("The new lead manager cannot also be the assisting manager."),
            code=Code.ASSISTING_IS_LEAD,
        )

    from_manager = (
        Staff.objects.filter(pk=from_manager_id).first() if 0 < from_manager_id <= MAX_ID else None
    )
    if from_manager is None:
        raise DomainError(
            _("There is no such manager."),
            code=Code.UNKNOWN_MANAGER,
            details={"field": "from_manager_id"},
        )
    is_self = actor.is_active and actor.pk == from_manager.pk
    is_team_lead = (
        actor.is_active
        and actor.has_role(Role.TEAM_LEAD)
        and from_manager.line_manager_id == actor.pk
    )
    if not (is_self or is_team_lead or _is_head(actor)):
        raise PermissionDenied
    to_manager = _account_manager(to_manager_id, field="to_manager_id")
    to_assisting = (
        _account_manager(to_assisting_manager_id, field="to_assisting_manager_id")
        if to_assisting_manager_id is not None
        else None
    )

    in_range = [pk for pk in ids if 0 < pk <= MAX_ID]
    visible = set(customer_visible_to(actor).filter(pk__in=in_range).values_list("pk", flat=True))
    if len(visible) != len(ids):
        raise Http404
    # Lock without the policy's joins: FOR UPDATE would otherwise lock those rows too.
    customers = list(
        Customer.objects.select_for_update()
        .filter(pk__in=sorted(visible))
        .order_by("pk")
        .only("pk", "customer_no", "primary_manager_id", "home_unit_id")
    )
    if not (is_self or is_team_lead):
        assert actor.org_unit is not None  # noqa: S101  (a head has one)
        unit_paths = OrgUnit.objects.filter(pk__in={c.home_unit_id for c in customers}).values_list(
            "path", flat=True
        )
        if not _in_subtree(actor.org_unit.path, unit_paths):
            raise PermissionDenied
    not_led = [c for c in customers if c.primary_manager_id != from_manager.pk]
    if not_led:
        raise DomainError(
            _("Some customers are not led by the manager handing over."),
            code=Code.NOT_LED_BY_FROM_MANAGER,
            details={
                "customer_ids": [c.pk for c in not_led],
                "customer_nos": [c.customer_no for c in not_led],
            },
        )
    pending = list(
        TransferItem.objects.filter(
            customer_id__in=visible, request__status=TransferRequest.Status.PENDING
        )
        .order_by("customer_id")
        .values_list("customer_id", "request_id")
    )
    if pending:
        numbers = {c.pk: c.customer_no for c in customers}
        raise ConflictError(
            _("Some customers are already in a transfer waiting for approval."),
            code=Code.ALREADY_PENDING,
            details=[
                {"customer_id": pk, "customer_no": numbers[pk], "request_id": request_id}
                for pk, request_id in pending
            ],
        )

    transfer = TransferRequest.objects.create(
        requested_by=actor,
        from_manager=from_manager,
        to_manager=to_manager,
        to_assisting_manager=to_assisting,
        reason=reason,
    )
    TransferItem.objects.bulk_create(
        [
            TransferItem(request=transfer, customer_id=c.pk, note=clean_notes[c.pk])
            for c in customers
        ]
    )
    audit_record(
        actor=actor,
        action="customers.transfer.requested",
        target=transfer,
        data={
            "customers": len(customers),
            "from_manager": from_manager.pk,
            "to_manager": to_manager.pk,
            "to_assisting_manager": to_assisting.pk if to_assisting else None,
        },
    )
    return transfer


def _lock_visible(actor: Staff, request_id: int) -> TransferRequest:
    """The request, locked, if ``actor`` may see it; else Http404."""
    if not 0 < request_id <= MAX_ID:
        raise Http404
    if not TransferRequest.objects.filter(_visible_q(actor), pk=request_id).exists():
        raise Http404
    return (
        TransferRequest.objects.select_for_update(of=("self",))
        .select_related("requested_by", "from_manager", "to_manager", "to_assisting_manager")
        .get(pk=request_id)
    )


def _refuse_unless_pending(transfer: TransferRequest) -> None:
    if transfer.status != TransferRequest.Status.PENDING:
        raise ConflictError(
            _("This request has already been decided or cancelled."),
            code=Code.NOT_PENDING,
            details={"status": transfer.status},
        )


def _decide(
    transfer: TransferRequest,
    actor: Staff,
    status: TransferRequest.Status,
    note: str,
    *,
    at: datetime | None = None,
) -> None:
    transfer.status = status
    transfer.decided_by = actor
    transfer.decided_at = at or timezone.now()
    transfer.decision_note = note
    transfer.save(
        update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"]
    )


@transaction.atomic
def transfer_request_approve(*, actor: Staff, request_id: int, note: str = "") -> TransferRequest:
    """Approve a pending request and move its customers to the new managers.

    Locks the request, then its customers in primary-key order; checks after
    locking that the actor may decide (PermissionDenied), that the request is
    pending (ConflictError not_pending) and that every customer is still led by
    the from-manager (ConflictError customers_changed, listing them). Then, set-based:
    the customers get the new lead (and assisting manager, by the rule in the module
    docstring) and a new version; open assignment rows that end are closed and new
    ones opened with the handover notes. Audited as ``customers.transfer.approved``.
    Raises Http404 when the actor cannot see the request.
    """
    note = _clean_text(note, field="note", required=False)
    transfer = _lock_visible(actor, request_id)
    items = dict(TransferItem.objects.filter(request=transfer).values_list("customer_id", "note"))
    customers = list(
        Customer.objects.select_for_update()
        .filter(pk__in=sorted(items))
        .order_by("pk")
        .values_list("pk", "customer_no", "primary_manager_id", "assisting_manager_id")
    )
    # Read after locking the customers, so their home units cannot move meanwhile.
    paths = _decision_paths([transfer.pk])[transfer.pk]
    if not _may_decide(actor, transfer, paths):
        raise PermissionDenied
    _refuse_unless_pending(transfer)

    changed = [row for row in customers if row[2] != transfer.from_manager_id]
    if changed:
        raise ConflictError(
            _("Some customers are no longer led by the manager handing over."),
            code=Code.CUSTOMERS_CHANGED,
            details={
                "customer_ids": [row[0] for row in changed],
                "customer_nos": [row[1] for row in changed],
            },
        )
    _account_manager(transfer.to_manager_id, field="to_manager_id")
    if transfer.to_assisting_manager_id is not None:
        _account_manager(transfer.to_assisting_manager_id, field="to_assisting_manager_id")

    to_id = transfer.to_manager_id
    new_assisting = {
        pk: transfer.to_assisting_manager_id
        if transfer.to_assisting_manager_id is not None
        else (None if assisting == to_id else assisting)
        for pk, _no, _lead, assisting in customers
    }
    assisting_moves = [
        pk for pk, _no, _lead, assisting in customers if new_assisting[pk] != assisting
    ]
    ids = [row[0] for row in customers]
    now = timezone.now()

    Customer.objects.filter(pk__in=ids).update(
        primary_manager_id=to_id,
        assisting_manager_id=(
            Value(transfer.to_assisting_manager_id)
            if transfer.to_assisting_manager_id is not None
            else Case(
                When(assisting_manager_id=to_id, then=Value(None)),
                default=F("assisting_manager_id"),
            )
        ),
        version=F("version") + 1,
        updated_at=now,
    )
    CustomerAssignment.objects.filter(
        customer_id__in=ids, role=CustomerAssignment.Role.LEAD, ended_at__isnull=True
    ).update(ended_at=now)
    if assisting_moves:
        CustomerAssignment.objects.filter(
            customer_id__in=assisting_moves,
            role=CustomerAssignment.Role.ASSISTING,
            ended_at__isnull=True,
        ).update(ended_at=now)
    opened = [
        CustomerAssignment(
            customer_id=pk,
            manager_id=to_id,
            role=CustomerAssignment.Role.LEAD,
            started_at=now,
            transfer=transfer,
            note=items[pk],
        )
        for pk in ids
    ]
    opened += [
        CustomerAssignment(
            customer_id=pk,
            manager_id=manager_id,
            role=CustomerAssignment.Role.ASSISTING,
            started_at=now,
            transfer=transfer,
            note=items[pk],
        )
        for pk, manager_id in ((pk, new_assisting[pk]) for pk in assisting_moves)
        if manager_id is not None
    ]
    CustomerAssignment.objects.bulk_create(opened, batch_size=500)

    _decide(transfer, actor, TransferRequest.Status.APPROVED, note, at=now)
    audit_record(
        actor=actor,
        action="customers.transfer.approved",
        target=transfer,
        data={
            "customers": len(ids),
            "assisting_changed": len(assisting_moves),
            "assignments_opened": len(opened),
            "from_manager": transfer.from_manager_id,
            "to_manager": to_id,
            "to_assisting_manager": transfer.to_assisting_manager_id,
        },
    )
    return transfer


@transaction.atomic
def transfer_request_reject(*, actor: Staff, request_id: int, note: str = "") -> TransferRequest:
    """Refuse a pending request; nothing moves. Who may: as for approval.

    Raises Http404, PermissionDenied, ConflictError(not_pending), DomainError(too_long).
    Audited as ``customers.transfer.rejected``.
    """
    note = _clean_text(note, field="note", required=False)
    transfer = _lock_visible(actor, request_id)
    if not _may_decide(actor, transfer, _decision_paths([transfer.pk])[transfer.pk]):
        raise PermissionDenied
    _refuse_unless_pending(transfer)
    _decide(transfer, actor, TransferRequest.Status.REJECTED, note)
    audit_record(
        actor=actor,
        action="customers.transfer.rejected",
        target=transfer,
        data={"from_manager": transfer.from_manager_id, "to_manager": transfer.to_manager_id},
    )
    return transfer


@transaction.atomic
def transfer_request_cancel(*, actor: Staff, request_id: int, note: str = "") -> TransferRequest:
    """The requester withdraws a pending request; nothing moves.

    Raises Http404, PermissionDenied (not the requester), ConflictError(not_pending).
    Audited as ``customers.transfer.cancelled``.
    """
    note = _clean_text(note, field="note", required=False)
    transfer = _lock_visible(actor, request_id)
    if transfer.requested_by_id != actor.pk:
        raise PermissionDenied
    _refuse_unless_pending(transfer)
    _decide(transfer, actor, TransferRequest.Status.CANCELLED, note)
    audit_record(
        actor=actor,
        action="customers.transfer.cancelled",
        target=transfer,
        data={"from_manager": transfer.from_manager_id, "to_manager": transfer.to_manager_id},
    )
    return transfer
