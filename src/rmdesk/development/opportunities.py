"""Opportunities: raised from a signal or by hand, followed up, closed won or lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.core.errors import ConflictError, DomainError
from rmdesk.customers.models import Customer
from rmdesk.customers.selectors import customer_get
from rmdesk.customers.services import InvalidFields
from rmdesk.development.models import Opportunity, SignalCode
from rmdesk.development.signals import signal_get
from rmdesk.org.models import Staff
from rmdesk.org.policy import can_modify_customers, customer_q

MAX_ID = 2**63 - 1
ZERO = Decimal("0")


def _invalid(errors: list[dict[str, str]]) -> InvalidFields:
    return InvalidFields(_("Some fields are not valid."), code="invalid_fields", details=errors)


def opportunity_visible_to(actor: Staff) -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(customer_q(actor, prefix="customer__"))


def opportunity_list(
    *,
    actor: Staff,
    status: str | None = None,
    mine: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> tuple[list[Opportunity], bool]:
    rows = opportunity_visible_to(actor).select_related("customer", "manager")
    if status:
        rows = rows.filter(status=status)
    if mine:
        rows = rows.filter(manager=actor)
    found = list(rows.order_by("follow_up_on", "id")[offset : offset + limit + 1])
    return found[:limit], len(found) > limit


def opportunities_headline(
    *, actor: Staff, manager_id: int, day: date, limit: int = 5
) -> tuple[list[Opportunity], int, int]:
    """A manager's open opportunities (first to follow up first), how many are open and how
    many are due for a follow-up by ``day``. Two queries."""
    rows = opportunity_visible_to(actor).filter(
        manager_id=manager_id, status=Opportunity.Status.OPEN
    )
    top = list(rows.select_related("customer").order_by("follow_up_on", "id")[:limit])
    counts = rows.aggregate(open=Count("pk"), due=Count("pk", filter=Q(follow_up_on__lte=day)))
    return top, int(counts["open"]), int(counts["due"])


def opportunity_totals(*, actor: Staff) -> dict[str, Any]:
    """Visible open opportunities: how many and their amount. One query."""
    totals = (
        opportunity_visible_to(actor)
        .filter(status=Opportunity.Status.OPEN)
        .aggregate(
            open=Count("pk"),
            amount=Coalesce(Sum("amount"), Value(ZERO), output_field=DecimalField()),
        )
    )
    return {
        "open": int(totals["open"]),
        "amount": Decimal(totals["amount"]).quantize(Decimal("0.01")),
    }


def opportunity_get(*, actor: Staff, opportunity_id: int) -> Opportunity:
    if not 0 < opportunity_id <= MAX_ID:
        raise Http404
    found = (
        opportunity_visible_to(actor)
        .select_related("customer", "manager", "signal")
        .filter(pk=opportunity_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _text(value: str, *, field: str, limit: int, required: bool = False) -> str:
    text = " ".join(value.split())
    if required and not text:
        raise _invalid([{"field": field, "code": "REQUIRED", "reason": str(_("Required."))}])
    if len(text) > limit:
        raise _invalid([{"field": field, "code": "TOO_LONG", "reason": str(_("Too long."))}])
    return text


@transaction.atomic
def opportunity_create(
    *,
    actor: Staff,
    follow_up_on: date,
    customer_id: int | None = None,
    signal_id: int | None = None,
    title: str = "",
) -> Opportunity:
    """Raise an opportunity for a visible customer, assigned to its lead manager.

    From a signal, the customer and the title come from the signal; a signal gives one
    open opportunity at most. Raises Http404, PermissionDenied, InvalidFields,
    DomainError("no_manager"), ConflictError("already_raised").
    """
    if not can_modify_customers(actor):
        raise PermissionDenied
    signal = None
    if signal_id is not None:
        signal = signal_get(actor=actor, signal_id=signal_id)
        customer = signal.customer
        title = title or str(SignalCode(signal.code).label)
    elif customer_id is not None:
        customer = customer_get(actor=actor, customer_id=customer_id)
    else:
        raise _invalid(
            [{"field": "customer_id", "code": "REQUIRED", "reason": str(_("Required."))}]
        )
    title = _text(title, field="title", limit=200, required=True)
    if follow_up_on < timezone.localdate():
        raise _invalid(
            [
                {
                    "field": "follow_up_on",
                    "code": "IN_PAST",
                    "reason": str(_("The follow-up date cannot be in the past.")),
                }
            ]
        )
    manager_id = customer.primary_manager_id
    if manager_id is None:
        raise DomainError(
            _("The customer has no manager: claim it from the pool first."), code="no_manager"
        )
    try:
        with transaction.atomic():
            opportunity = Opportunity.objects.create(
                customer=customer,
                signal=signal,
                signal_code=signal.code if signal is not None else "",
                manager_id=manager_id,
                title=title,
                follow_up_on=follow_up_on,
            )
    except IntegrityError as exc:
        raise ConflictError(
            _("An open opportunity was already raised from this signal."), code="already_raised"
        ) from exc
    audit_record(
        actor=actor,
        action="development.opportunity.created",
        target=opportunity,
        data={"signal": signal.code if signal is not None else "", "customer": customer.pk},
    )
    return opportunity


@transaction.atomic
def opportunity_close(
    *,
    actor: Staff,
    opportunity_id: int,
    status: str,
    product: str = "",
    amount: str | Decimal | None = None,
    note: str = "",
) -> Opportunity:
    """Close an open opportunity won (with product and amount) or lost (with a note).

    Raises Http404, PermissionDenied, InvalidFields, ConflictError("already_closed").
    """
    opportunity_get(actor=actor, opportunity_id=opportunity_id)
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity_id)
    if not can_modify_customers(actor):
        raise PermissionDenied
    if opportunity.status != Opportunity.Status.OPEN:
        raise ConflictError(_("This opportunity is already closed."), code="already_closed")
    errors: list[dict[str, str]] = []
    if status not in (Opportunity.Status.WON, Opportunity.Status.LOST):
        errors.append({"field": "status", "code": "BAD_CHOICE", "reason": str(_("Won or lost."))})
    product = _text(product, field="product", limit=200)
    note = _text(note, field="note", limit=500)
    value: Decimal | None = None
    if amount not in (None, ""):
        try:
            value = Decimal(str(amount))
            if not value.is_finite() or value < 0 or value >= Decimal("1e16"):
                raise InvalidOperation
            value = value.quantize(Decimal("0.01"))
        except InvalidOperation:
            errors.append(
                {"field": "amount", "code": "BAD_AMOUNT", "reason": str(_("An amount in CNY."))}
            )
    if status == Opportunity.Status.WON:
        if not product:
            errors.append(
                {"field": "product", "code": "REQUIRED", "reason": str(_("Name the product."))}
            )
        if value is None and not any(e["field"] == "amount" for e in errors):
            errors.append(
                {"field": "amount", "code": "REQUIRED", "reason": str(_("Give the amount."))}
            )
    if status == Opportunity.Status.LOST and not note:
        errors.append({"field": "note", "code": "REQUIRED", "reason": str(_("Say why."))})
    if errors:
        raise _invalid(errors)
    opportunity.status = status
    opportunity.product = product
    opportunity.amount = value
    opportunity.close_note = note
    opportunity.closed_at = timezone.now()
    opportunity.save()
    audit_record(
        actor=actor,
        action="development.opportunity.closed",
        target=opportunity,
        data={"status": status, "product": product, "amount": str(value or "")},
    )
    return opportunity


@dataclass(frozen=True)
class Conversion:
    code: str
    label: str
    total: int
    won: int
    lost: int
    amount: Decimal

    @property
    def rate(self) -> float:
        closed = self.won + self.lost
        return self.won / closed if closed else 0.0


def conversion_by_signal(*, actor: Staff) -> list[Conversion]:
    """Opportunities by the signal that raised them (or by hand): one aggregate query."""
    rows = (
        opportunity_visible_to(actor)
        .values("signal_code")
        .annotate(
            total=Count("id"),
            won=Count("id", filter=Q(status=Opportunity.Status.WON)),
            lost=Count("id", filter=Q(status=Opportunity.Status.LOST)),
            amount=Coalesce(
                Sum("amount", filter=Q(status=Opportunity.Status.WON)),
                Value(ZERO),
                output_field=DecimalField(),
            ),
        )
        .order_by("signal_code")
    )
    labels: dict[str, Any] = dict(SignalCode.choices)
    return [
        Conversion(
            code=row["signal_code"],
            label=str(labels.get(row["signal_code"], _("By hand"))),
            total=row["total"],
            won=row["won"],
            lost=row["lost"],
            amount=Decimal(row["amount"]).quantize(Decimal("0.01")),
        )
        for row in rows
    ]


def customer_ref(customer: Customer) -> dict[str, Any]:
    from rmdesk.customers.masking import masked_name_of

    return {
        "id": customer.pk,
        "customer_no": customer.customer_no,
        "name": masked_name_of(customer),
    }
