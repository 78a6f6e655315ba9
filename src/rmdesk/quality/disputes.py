"""Attribution disputes: a manager objects to how a shared customer's credit is split; a
coordination work order carries it to the head of the sub-branch that owns the customer;
the head upholds the split or sets another for that customer, and both managers see the
outcome. The scorecards' attributed figures follow on their next compute.

Who may see a dispute: the two managers it is between, whoever raised it, and whoever
may see its work order (coordination's visibility: the customer's viewers, the heads
over the owning unit, bank-wide readers). Everyone else gets 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.core.errors import ConflictError, DomainError
from rmdesk.customers.masking import masked_name_of
from rmdesk.customers.models import Customer
from rmdesk.notify.services import notify
from rmdesk.org.models import Staff
from rmdesk.org.policy import customer_q
from rmdesk.org.roles import Role
from rmdesk.quality.metrics import lead_share_on
from rmdesk.quality.models import AttributionDispute, AttributionSplit

WORK_ORDER_TYPE = "attribution_dispute"
MAX_ID = 2**63 - 1
MAX_REASON = 2000
FOUR = Decimal("0.0001")
Status = AttributionDispute.Status


class Outcome:
    UPHOLD = "uphold"
    CHANGE = "change"
    ALL = (UPHOLD, CHANGE)


def _field_error(field: str, reason: str, code: str = "invalid") -> DomainError:
    return DomainError(reason, code=code, details=[{"field": field, "reason": reason}])


def share_clean(value: Any, *, field: str) -> Decimal:
    """A lead manager's share: a number from 0 to 1 with at most four decimals."""
    try:
        share = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise _field_error(field, _("Give a share between 0 and 1, e.g. 0.6.")) from exc
    if not share.is_finite() or not Decimal(0) <= share <= Decimal(1):
        raise _field_error(field, _("Give a share between 0 and 1, e.g. 0.6."))
    if share != share.quantize(Decimal("0.0001")):
        raise _field_error(field, _("At most four decimals."))
    return share.quantize(FOUR)


def customer_split(customer: Customer, day: dt.date) -> tuple[Decimal, AttributionSplit | None]:
    """The lead manager's share of ``customer`` on ``day``: a split of its own when one
    is set for the pair serving it now, else the bank's rule."""
    split = (
        AttributionSplit.objects.filter(customer=customer, effective_from__lte=day)
        .order_by("-effective_from", "-pk")
        .first()
    )
    if split is not None and (split.lead_id, split.assistant_id) == (
        customer.primary_manager_id,
        customer.assisting_manager_id,
    ):
        return split.lead_share.quantize(FOUR), split
    return lead_share_on(day).quantize(FOUR), None


def dispute_q(actor: Staff) -> Q:
    """Disputes ``actor`` may see (see the module docstring)."""
    from rmdesk.coordination.access import work_order_q
    from rmdesk.coordination.models import WorkOrder

    if not actor.is_active:
        return Q(pk__in=[])
    return (
        Q(lead=actor)
        | Q(assistant=actor)
        | Q(raised_by=actor)
        | Q(work_order__in=WorkOrder.objects.filter(work_order_q(actor)).values("pk"))
    )


def disputes_visible_to(actor: Staff) -> QuerySet[AttributionDispute]:
    return AttributionDispute.objects.filter(dispute_q(actor)).select_related(
        "customer", "lead", "assistant", "raised_by", "resolved_by", "work_order"
    )


def dispute_get(*, actor: Staff, dispute_id: int) -> AttributionDispute:
    if not 0 < dispute_id <= MAX_ID:
        raise Http404
    dispute = disputes_visible_to(actor).filter(pk=dispute_id).first()
    if dispute is None:
        raise Http404
    return dispute


def can_resolve(actor: Staff, dispute: AttributionDispute) -> bool:
    """The head the work order was routed to (or a colleague it was reassigned to) settles
    an open dispute; never one of the two managers it is between."""
    from rmdesk.coordination import access
    from rmdesk.coordination.models import Step

    if dispute.status != Status.OPEN or dispute.work_order is None or not actor.is_active:
        return False
    if actor.pk in (dispute.lead_id, dispute.assistant_id, dispute.raised_by_id):
        return False
    step_id = dispute.work_order.current_step_id
    step = Step.objects.filter(pk=step_id).first() if step_id is not None else None
    return access.can_handle(actor, dispute.work_order, step)


def can_dispute(actor: Staff, customer: Customer) -> bool:
    """One of the two managers a shared customer's credit is split between."""
    return (
        actor.is_active
        and actor.has_role(Role.ACCOUNT_MANAGER, Role.TEAM_LEAD)
        and customer.assisting_manager_id is not None
        and actor.pk in (customer.primary_manager_id, customer.assisting_manager_id)
    )


def _notify(dispute: AttributionDispute, recipients: set[int], title: str, actor: Staff) -> None:
    recipients.discard(actor.pk)
    if recipients:
        notify(
            recipients,
            kind="quality.attribution_dispute",
            title=title,
            body=dispute.get_status_display(),
            url=f"/quality/disputes/{dispute.pk}/",
            target=dispute,
        )


@transaction.atomic
def attribution_dispute_raise(
    *,
    actor: Staff,
    customer_id: int,
    reason: str,
    proposed_lead_share: Any = None,
) -> AttributionDispute:
    """Dispute the split of a shared customer: records the dispute and raises a work
    order routed to the head of the sub-branch that owns the customer.

    Raises Http404 (customer out of scope), PermissionDenied (not one of its two
    managers), DomainError("no_split"/"invalid"/"no_head"/"no_route"),
    ConflictError("dispute_open") when one is already open for the customer.
    """
    from rmdesk.coordination.services import work_order_raise

    if not 0 < customer_id <= MAX_ID:
        raise Http404
    if not Customer.objects.filter(customer_q(actor), pk=customer_id).exists():
        raise Http404
    # The customer's row is the lock two managers disputing at once queue on.
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if actor.pk not in (customer.primary_manager_id, customer.assisting_manager_id):
        raise PermissionDenied
    if customer.assisting_manager_id is None or customer.primary_manager_id is None:
        raise DomainError(
            _("This customer's credit is not shared: there is no split to dispute."),
            code="no_split",
        )
    if not can_dispute(actor, customer):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("Say why the split is not fair."))
    if len(reason) > MAX_REASON:
        raise _field_error("reason", _("At most 2000 characters."))
    proposed = (
        share_clean(proposed_lead_share, field="proposed_lead_share")
        if proposed_lead_share not in (None, "")
        else None
    )
    if AttributionDispute.objects.filter(customer=customer, status=Status.OPEN).exists():
        raise ConflictError(
            _("A dispute about this customer's split is already open."), code="dispute_open"
        )
    today = timezone.localdate()
    share, _split = customer_split(customer, today)
    dispute = AttributionDispute.objects.create(
        customer=customer,
        lead_id=customer.primary_manager_id,
        assistant_id=customer.assisting_manager_id,
        raised_by=actor,
        reason=reason,
        lead_share_before=share,
        proposed_lead_share=proposed,
    )
    answers: dict[str, Any] = {"reason": reason[:1000]}
    if proposed is not None:
        answers["proposed_lead_share"] = str(proposed)
    work_order = work_order_raise(
        actor=actor,
        type_code=WORK_ORDER_TYPE,
        title=_("Attribution dispute: %(customer)s") % {"customer": customer.customer_no},
        customer_id=customer.pk,
        fields=answers,
        text=reason,
    )
    dispute.work_order = work_order
    dispute.save(update_fields=["work_order", "updated_at"])
    audit_record(
        actor=actor,
        action="quality.attribution_dispute.raised",
        target=dispute,
        data={
            "customer": customer.pk,
            "work_order": work_order.pk,
            "lead_share": str(share),
            "proposed": str(proposed) if proposed is not None else None,
        },
    )
    _notify(
        dispute,
        {dispute.lead_id, dispute.assistant_id},
        _("A colleague disputes the split of a shared customer"),
        actor,
    )
    return dispute


@transaction.atomic
def attribution_dispute_resolve(
    *,
    actor: Staff,
    dispute_id: int,
    outcome: str,
    lead_share: Any = None,
    note: str = "",
) -> AttributionDispute:
    """Settle an open dispute: uphold the split, or set the lead manager's share for this
    customer and pair from the first day of the month the dispute was raised in. Closes
    the work order (done) and tells both managers.

    Raises Http404 (not visible), PermissionDenied (not the head it was routed to),
    DomainError("dispute_closed"/"invalid").
    """
    from rmdesk.coordination.services import work_order_transition

    dispute = dispute_get(actor=actor, dispute_id=dispute_id)
    dispute = (
        AttributionDispute.objects.select_for_update(of=("self",))
        .select_related("work_order", "customer")
        .get(pk=dispute.pk)
    )
    if dispute.status != Status.OPEN:
        raise DomainError(_("This dispute is already settled."), code="dispute_closed")
    if not can_resolve(actor, dispute):
        raise PermissionDenied
    if outcome not in Outcome.ALL:
        raise _field_error("outcome", _("Uphold the split or change it."))
    note = (note or "").strip()
    if len(note) > MAX_REASON:
        raise _field_error("note", _("At most 2000 characters."))
    now = timezone.now()
    if outcome == Outcome.CHANGE:
        share = share_clean(lead_share, field="lead_share")
        if share == dispute.lead_share_before:
            raise _field_error("lead_share", _("This is the split already in force."))
        AttributionSplit.objects.create(
            customer=dispute.customer,
            lead_id=dispute.lead_id,
            assistant_id=dispute.assistant_id,
            lead_share=share,
            effective_from=timezone.localtime(dispute.created_at).date().replace(day=1),
            dispute=dispute,
            set_by=actor,
        )
        dispute.status = Status.CHANGED
        dispute.lead_share_after = share
    else:
        dispute.status = Status.UPHELD
        dispute.lead_share_after = dispute.lead_share_before
    dispute.resolved_by = actor
    dispute.resolved_at = now
    dispute.resolution = note
    dispute.save()
    audit_record(
        actor=actor,
        action="quality.attribution_dispute.resolved",
        target=dispute,
        data={
            "outcome": outcome,
            "lead_share_before": str(dispute.lead_share_before),
            "lead_share_after": str(dispute.lead_share_after),
        },
    )
    if dispute.work_order is not None:
        work_order_transition(
            actor=actor,
            work_order_id=dispute.work_order.pk,
            action="done",
            text=note or str(dispute.get_status_display()),
        )
    _notify(
        dispute,
        {dispute.lead_id, dispute.assistant_id, dispute.raised_by_id},
        _("The head settled the dispute about a shared customer's split"),
        actor,
    )
    return dispute


def work_order_closed(work_order: Any, actor: Staff) -> None:
    """A dispute's work order closed outside the dispute page: cancelled by the raiser →
    withdrawn; done or rejected by the head → the split stands (upheld)."""
    for dispute in AttributionDispute.objects.select_for_update().filter(
        work_order=work_order, status=Status.OPEN
    ):
        dispute.status = Status.WITHDRAWN if work_order.status == "cancelled" else Status.UPHELD
        dispute.lead_share_after = dispute.lead_share_before
        dispute.resolved_by = actor
        dispute.resolved_at = timezone.now()
        dispute.save()
        audit_record(
            actor=actor,
            action="quality.attribution_dispute.closed_with_work_order",
            target=dispute,
            data={"work_order": work_order.pk, "to": dispute.status},
        )
        _notify(
            dispute,
            {dispute.lead_id, dispute.assistant_id, dispute.raised_by_id},
            _("The head settled the dispute about a shared customer's split"),
            actor,
        )


@dataclass
class SharedCustomer:
    customer: Customer
    name: str
    lead_share: Decimal
    own_share: Decimal
    from_dispute: bool
    open_dispute: AttributionDispute | None


@dataclass
class SharedPage:
    items: list[SharedCustomer]
    offset: int
    limit: int
    has_more: bool


def shared_customers(*, actor: Staff, offset: int = 0, limit: int = 25) -> SharedPage:
    """A page of the customers whose credit ``actor`` shares (as lead or assistant), with
    the split in force today and any open dispute. Four queries whatever the page size."""
    today = timezone.localdate()
    rows = list(
        Customer.objects.filter(
            Q(primary_manager=actor) | Q(assisting_manager=actor),
            primary_manager__isnull=False,
            assisting_manager__isnull=False,
        )
        .select_related("primary_manager", "assisting_manager")
        .order_by("customer_no", "pk")[offset : offset + limit + 1]
    )
    page = rows[:limit]
    ids = [customer.pk for customer in page]
    newest: dict[int, AttributionSplit] = {}
    for found in AttributionSplit.objects.filter(
        customer_id__in=ids, effective_from__lte=today
    ).order_by("customer_id", "effective_from", "pk"):
        newest[found.customer_id] = found
    open_disputes = {
        dispute.customer_id: dispute
        for dispute in AttributionDispute.objects.filter(customer_id__in=ids, status=Status.OPEN)
    }
    default = lead_share_on(today)
    items = []
    for customer in page:
        split = newest.get(customer.pk)
        own = split is not None and (split.lead_id, split.assistant_id) == (
            customer.primary_manager_id,
            customer.assisting_manager_id,
        )
        share = (split.lead_share if own and split is not None else default).quantize(FOUR)
        items.append(
            SharedCustomer(
                customer=customer,
                name=masked_name_of(customer),
                lead_share=share,
                own_share=share if customer.primary_manager_id == actor.pk else 1 - share,
                from_dispute=own,
                open_dispute=open_disputes.get(customer.pk),
            )
        )
    return SharedPage(items, offset, limit, len(rows) > limit)


def dispute_list(
    *, actor: Staff, waiting_for_me: bool = False, offset: int = 0, limit: int = 25
) -> tuple[list[AttributionDispute], bool]:
    """A page of the disputes ``actor`` may see, newest first; ``waiting_for_me``: the
    open ones routed to the actor's unit head seat. Two queries."""
    from rmdesk.coordination.access import HEAD_ROLES

    rows = disputes_visible_to(actor)
    if waiting_for_me:
        if not actor.role_codes & HEAD_ROLES:
            return [], False
        rows = rows.filter(
            status=Status.OPEN,
            work_order__current_step__department__isnull=True,
            work_order__current_step__org_unit_id=actor.org_unit_id,
        )
    items = list(rows.order_by("-pk")[offset : offset + limit + 1])
    return items[:limit], len(items) > limit


def work_order_page(work_order: Any) -> tuple[str, str]:
    """Where a dispute's work order leads: the dispute, found by its work order."""
    return str(_("The attribution dispute")), f"/quality/disputes/work-order/{work_order.pk}/"
