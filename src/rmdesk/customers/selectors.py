"""Reads of customers, always through the visibility policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from rmdesk.core.masking import mask_name
from rmdesk.customers.masking import can_reveal, masked_name_of, revealed_fields
from rmdesk.customers.models import (
    ZERO,
    Customer,
    CustomerAssignment,
    CustomerLink,
    Holding,
    HouseholdMember,
    TierChange,
)
from rmdesk.customers.search import search_filter
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.policy import customer_q

MAX_ID = 2**63 - 1
MATURITY_WINDOW_DAYS = 90


def customer_visible_to(actor: Staff) -> QuerySet[Customer]:
    """Every customer ``actor`` may see, and nothing else."""
    return Customer.objects.filter(customer_q(actor))


@dataclass(frozen=True)
class CustomerPage:
    items: list[Customer]
    offset: int
    limit: int
    has_more: bool


def customer_list(*, actor: Staff, q: str = "", offset: int = 0, limit: int = 25) -> CustomerPage:
    """A page of visible customers in name order, optionally narrowed by a search.

    The search text may be part of a name, a mobile, an identity number or credit
    code, or a customer number (see customers.search). No count: one query fetches
    ``limit + 1`` rows to know whether there is more.
    """
    customers = customer_visible_to(actor).select_related(
        "home_unit", "primary_manager", "assisting_manager"
    )
    condition = search_filter(q)
    if condition is not None:
        customers = customers.filter(condition)
    rows = list(customers.order_by("display_name", "id")[offset : offset + limit + 1])
    return CustomerPage(items=rows[:limit], offset=offset, limit=limit, has_more=len(rows) > limit)


def customer_get(*, actor: Staff, customer_id: int, related: tuple[str, ...] = ()) -> Customer:
    """One visible customer. Out of scope and non-existent are the same: Http404.

    ``related`` adds relations to the one query (``select_related``).
    """
    if not 0 < customer_id <= MAX_ID:
        raise Http404
    try:
        return (
            customer_visible_to(actor)
            .select_related("home_unit", "primary_manager", "assisting_manager", "group", *related)
            .get(pk=customer_id)
        )
    except Customer.DoesNotExist as exc:
        raise Http404 from exc


@dataclass(frozen=True)
class Related:
    """Another customer at the end of a relationship: linked only if the viewer may see it."""

    customer_id: int | None  # None when the viewer may not open it
    name: str  # always masked for people
    kind: str
    role: str
    detail: str = ""


@dataclass(frozen=True)
class HoldingGroup:
    product_type: str
    label: str
    count: int
    total_cny: Decimal
    is_liability: bool


@dataclass
class Relationships:
    household_name: str = ""
    household: list[Related] = field(default_factory=list)
    group_name: str = ""
    group: list[Related] = field(default_factory=list)
    key_people: list[Related] = field(default_factory=list)
    key_roles: list[Related] = field(default_factory=list)
    referred_by: list[Related] = field(default_factory=list)
    referrals: list[Related] = field(default_factory=list)


@dataclass
class Customer360:
    customer: Customer
    revealed: frozenset[str]
    can_reveal: bool
    holdings: list[Holding]
    holding_groups: list[HoldingGroup]
    maturities: list[Holding]
    relationships: Relationships
    tier_changes: list[TierChange] = field(default_factory=list)
    assignments: list[CustomerAssignment] = field(default_factory=list)


@dataclass(frozen=True)
class _Other:
    """Another customer at the end of a relationship, as one query found it."""

    kind: str
    name: str
    visible: bool


def _others(actor: Staff, ids: set[int]) -> dict[int, _Other]:
    """The other customers by id (a few shards under Citus), each marked visible or not.

    One query: the visibility policy is a CASE over the same rows, not a second read.
    """
    if not ids:
        return {}
    scope = customer_q(actor)
    visible: Any = (
        Value(True) if scope == Q() else Case(When(scope, then=Value(True)), default=Value(False))
    )
    rows = (
        Customer.objects.filter(pk__in=ids)
        .annotate(visible=ExpressionWrapper(visible, output_field=BooleanField()))
        .values_list("pk", "kind", "display_name", "visible")
    )
    return {
        pk: _Other(kind, masked_name_of(Customer(kind=kind, display_name=name)), bool(seen))
        for pk, kind, name, seen in rows
    }


def _related(
    entries: list[tuple[int | None, str, str, str]], others: dict[int, _Other]
) -> list[Related]:
    """(other customer id or None, name if not a customer, role, detail) → what is shown."""
    out = []
    for other_id, fallback_name, role, detail in entries:
        other = others.get(other_id) if other_id is not None else None
        if other is None:
            # Someone who is not a customer (a key person known only by name).
            out.append(Related(None, mask_name(fallback_name), "individual", role, detail))
            continue
        out.append(
            Related(other_id if other.visible else None, other.name, other.kind, role, detail)
        )
    return out


def _relationships(actor: Staff, customer: Customer) -> Relationships:
    """The customer's household, group, key people and referrals, as ``actor`` may see them.

    Other customers are masked, and linked only if ``actor`` may open them. Key people
    and referrals come from ``CustomerLink``, read by this customer's id alone; the
    household's and the group's other members by the household and group (indexed).
    """
    rel = Relationships()
    entries: dict[str, list[tuple[int | None, str, str, str]]] = {
        "household": [],
        "group": [],
        CustomerLink.Kind.KEY_PERSON: [],
        CustomerLink.Kind.KEY_ROLE: [],
        CustomerLink.Kind.REFERRED_BY: [],
        CustomerLink.Kind.REFERRAL: [],
    }
    try:
        membership: HouseholdMember | None = customer.household_membership
    except HouseholdMember.DoesNotExist:
        membership = None
    if membership is not None:
        rel.household_name = membership.household.name
        for other_id, role in (
            HouseholdMember.objects.filter(household_id=membership.household_id)
            .exclude(customer_id=customer.pk)
            .order_by("id")
            .values_list("customer_id", "role")
        ):
            entries["household"].append((other_id, "", role, ""))
    if customer.group is not None:
        rel.group_name = customer.group.name
        for other_id, group_role in (
            Customer.objects.filter(group_id=customer.group_id)
            .exclude(pk=customer.pk)
            .order_by("id")
            .values_list("pk", "group_role")[:50]
        ):
            entries["group"].append((other_id, "", group_role, ""))
    for link in (
        CustomerLink.objects.filter(customer=customer)
        .select_related("staff")
        .order_by("kind", "source_id")
    ):
        if link.kind == CustomerLink.Kind.KEY_PERSON:
            share = f"{link.share_pct}%" if link.share_pct is not None else ""
            entries[link.kind].append((link.other_id, link.name, link.role, share))
        elif link.kind == CustomerLink.Kind.KEY_ROLE:
            entries[link.kind].append((link.other_id, "", link.role, ""))
        else:
            on = link.referred_on.isoformat() if link.referred_on else ""
            if link.other_id is None and link.staff is not None:
                rel.referred_by.append(Related(None, str(link.staff), "staff", "staff", on))
            elif link.other_id is not None:
                entries[link.kind].append((link.other_id, "", "customer", on))

    others = _others(
        actor, {other_id for found in entries.values() for other_id, *_ in found if other_id}
    )
    rel.household = _related(entries["household"], others)
    rel.group = _related(entries["group"], others)
    rel.key_people = _related(entries[CustomerLink.Kind.KEY_PERSON], others)
    rel.key_roles = _related(entries[CustomerLink.Kind.KEY_ROLE], others)
    rel.referred_by += _related(entries[CustomerLink.Kind.REFERRED_BY], others)
    rel.referrals = _related(entries[CustomerLink.Kind.REFERRAL], others)
    return rel


RELATED_360 = ("household_membership__household",)


def customer_relationships(*, actor: Staff, customer_id: int) -> Relationships:
    return _relationships(
        actor, customer_get(actor=actor, customer_id=customer_id, related=RELATED_360)
    )


def customer_360(*, actor: Staff, customer_id: int, today: date | None = None) -> Customer360:
    """Everything the bank knows about one customer that ``actor`` may see.

    A fixed number of queries whatever the customer's size. Related customers the
    viewer may not open are shown masked and without a link.
    """
    customer = customer_get(actor=actor, customer_id=customer_id, related=RELATED_360)
    today = today or timezone.localdate()
    may_reveal = can_reveal(actor, customer)
    # Grants come only from reveals, which only those who may reveal can make.
    revealed = (
        frozenset(revealed_fields(actor, [customer.pk]).get(customer.pk, set()))
        if may_reveal
        else frozenset()
    )

    holdings = list(
        customer.holdings.filter(status=Holding.Status.ACTIVE).order_by(
            "product_type", "-balance_cny", "id"
        )
    )
    groups: dict[str, list[Holding]] = {}
    for holding in holdings:
        groups.setdefault(holding.product_type, []).append(holding)
    holding_groups = [
        HoldingGroup(
            product_type=kind,
            label=str(Holding.ProductType(kind).label),
            count=len(items),
            total_cny=sum((h.balance_cny for h in items), ZERO),
            is_liability=kind in Holding.LIABILITY_TYPES,
        )
        for kind, items in groups.items()
    ]
    horizon = today + timedelta(days=MATURITY_WINDOW_DAYS)
    maturities = sorted(
        (h for h in holdings if h.matures_on is not None and today <= h.matures_on <= horizon),
        key=lambda h: (h.matures_on, h.pk),
    )

    view = Customer360(
        customer=customer,
        revealed=revealed,
        can_reveal=may_reveal,
        holdings=holdings,
        holding_groups=holding_groups,
        maturities=maturities,
        relationships=_relationships(actor, customer),
    )
    view.tier_changes = list(customer.tier_changes.order_by("-changed_at")[:5])
    view.assignments = list(
        customer.assignments.select_related("manager").order_by("-started_at")[:10]
    )
    return view


def customer_holdings(
    *, actor: Staff, customer_id: int, include_closed: bool = False
) -> list[Holding]:
    customer = customer_get(actor=actor, customer_id=customer_id)
    holdings = customer.holdings.order_by("product_type", "-balance_cny", "id")
    if not include_closed:
        holdings = holdings.filter(status=Holding.Status.ACTIVE)
    return list(holdings)


def totals_by_unit(*, actor: Staff, units: list[OrgUnit]) -> dict[int, dict[str, Any]]:
    """Per org unit (its subtree): how many visible customers are homed there and their AUM.
    One query, a conditional aggregate per unit."""
    if not units:
        return {}
    annotations: dict[str, Any] = {}
    for unit in units:
        under = Q(home_unit__path__startswith=unit.path)
        annotations[f"n{unit.pk}"] = Count("pk", filter=under)
        annotations[f"a{unit.pk}"] = Coalesce(Sum("aum", filter=under), Decimal("0"))
    found = customer_visible_to(actor).aggregate(**annotations)
    return {
        unit.pk: {
            "customers": int(found[f"n{unit.pk}"]),
            "aum": Decimal(found[f"a{unit.pk}"]).quantize(Decimal("0.01")),
        }
        for unit in units
    }
