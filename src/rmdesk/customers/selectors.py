"""Reads of customers, always through the visibility policy."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    Q,
    QuerySet,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from rmdesk.core.masking import mask_name
from rmdesk.customers.masking import can_reveal, masked_name_of
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


def customer_get(
    *,
    actor: Staff,
    customer_id: int,
    related: tuple[str, ...] = (),
    around: tuple[str, ...] = (),
) -> Customer:
    """One visible customer. Out of scope and non-existent are the same: Http404.

    ``related`` adds relations to the one query (``select_related``); ``around`` adds
    what hangs off the customer (see ``_PARTS``), read in the same statement.
    """
    if not 0 < customer_id <= MAX_ID:
        raise Http404
    customers = customer_visible_to(actor).select_related(
        "home_unit", "primary_manager", "assisting_manager", "group", *related
    )
    if around:
        customers = customers.annotate(**_around_annotations(around, actor=actor))
    try:
        return customers.get(pk=customer_id)
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


# What hangs off one customer, read with the customer itself: each part is a JSON array
# of rows (arrays of columns), built by a subquery correlated with the customer's row
# (by its id, its household's or its group's). ``%s`` are the parameters named last.
_OUTER = {
    "id": '"customers_customer"."id"',
    "group": '"customers_customer"."group_id"',
    "household": "(SELECT h.household_id FROM customers_householdmember h"
    ' WHERE h.customer_id = "customers_customer"."id")',
}
_PARTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "grants": (
        "r.field",
        "customers_revealgrant r WHERE r.customer_id = {id} AND r.staff_id = %s"
        " AND r.expires_at > %s",
        ("actor", "now"),
    ),
    "holdings": (
        "o.id, o.account_no, o.product_type, o.product_code, o.product_name, o.currency,"
        " o.balance, o.balance_cny, o.opened_on, o.matures_on",
        "customers_holding o WHERE o.customer_id = {id} AND o.status = %s"
        " ORDER BY o.product_type, o.balance_cny DESC, o.id",
        ("active",),
    ),
    "household": (
        "m.customer_id, m.role",
        "customers_householdmember m WHERE m.household_id = {household}"
        " AND m.customer_id <> {id} ORDER BY m.id",
        (),
    ),
    "group": (
        "g.id, g.group_role",
        "customers_customer g WHERE g.group_id = {group} AND g.id <> {id} ORDER BY g.id LIMIT 50",
        (),
    ),
    "links": (
        "l.kind, l.other_id, l.name, l.role, l.share_pct, l.referred_on, l.staff_id,"
        " s.username, s.display_name",
        "customers_customerlink l LEFT JOIN org_staff s ON s.id = l.staff_id"
        " WHERE l.customer_id = {id} ORDER BY l.kind, l.source_id",
        (),
    ),
    "tier_changes": (
        "t.from_tier, t.to_tier, t.aum, t.changed_at",
        "customers_tierchange t WHERE t.customer_id = {id} ORDER BY t.changed_at DESC LIMIT 5",
        (),
    ),
    "assignments": (
        "a.role, a.started_at, a.ended_at, a.note, m.id, m.username, m.display_name",
        "customers_customerassignment a JOIN org_staff m ON m.id = a.manager_id"
        " WHERE a.customer_id = {id} ORDER BY a.started_at DESC LIMIT 10",
        (),
    ),
}
PARTS_360 = tuple(_PARTS)
PARTS_RELATIONSHIPS = ("household", "group", "links")


def _part_sql(vendor: str, columns: str, source: str) -> str:
    """One part as a subquery giving a JSON array of rows (the SQL text is the fixed
    ``_PARTS``; values are parameters)."""
    source = source.format(**_OUTER)
    if vendor == "postgresql":
        # ARRAY(... ORDER BY ...) keeps the order; as text, so numbers parse as Decimal.
        return f"array_to_json(ARRAY(SELECT json_build_array({columns}) FROM {source}))::text"  # noqa: S608
    inner = f"SELECT json_array({columns}) AS j FROM {source}"  # noqa: S608
    return f"(SELECT json_group_array(json(j)) FROM ({inner}))"  # noqa: S608


def _around_annotations(parts: tuple[str, ...], *, actor: Staff) -> dict[str, RawSQL]:
    """``parts`` as annotations of the customer query, so they come in the same row."""
    values = {
        "actor": actor.pk,
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
        "active": Holding.Status.ACTIVE.value,
    }
    annotations = {}
    for name in parts:
        columns, source, names = _PARTS[name]
        annotations[f"around_{name}"] = RawSQL(  # noqa: S611 (fixed text, values as parameters)
            _part_sql(connection.vendor, columns, source),
            [values[n] for n in names],
            output_field=TextField(),
        )
    return annotations


def _around(customer: Customer, parts: tuple[str, ...]) -> dict[str, list[list[Any]]]:
    """The rows of ``parts``, as ``customer_get(around=parts)`` read them."""
    return {
        name: json.loads(getattr(customer, f"around_{name}") or "[]", parse_float=Decimal)
        for name in parts
    }


CENTS = Decimal("0.01")


def _money(value: Any) -> Decimal:
    return Decimal(value).quantize(CENTS)


def _day(value: str) -> date:
    return date.fromisoformat(value[:10])


def _moment(value: str) -> datetime:
    """A timestamp as PostgreSQL (with offset) or SQLite (naive UTC) writes it in JSON."""
    found = parse_datetime(value)
    if found is None:
        raise ValueError(value)
    return found if timezone.is_aware(found) else found.replace(tzinfo=UTC)


def _membership(customer: Customer) -> HouseholdMember | None:
    try:
        return customer.household_membership
    except HouseholdMember.DoesNotExist:
        return None


def _relationships(
    actor: Staff, customer: Customer, rows: dict[str, list[list[Any]]]
) -> Relationships:
    """The customer's household, group, key people and referrals, as ``actor`` may see them.

    Other customers are masked, and linked only if ``actor`` may open them. ``rows`` are
    the household's and group's other members and the customer's links (key people and
    referrals, by this customer's id alone), as ``_around`` read them.
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
    membership = _membership(customer)
    if membership is not None:
        rel.household_name = membership.household.name
        for other_id, role in rows["household"]:
            entries["household"].append((other_id, "", role, ""))
    if customer.group is not None:
        rel.group_name = customer.group.name
        for other_id, group_role in rows["group"]:
            entries["group"].append((other_id, "", group_role, ""))
    for kind, other_id, name, role, share_pct, referred_on, staff_id, username, shown in rows[
        "links"
    ]:
        if kind == CustomerLink.Kind.KEY_PERSON:
            share = f"{_money(share_pct)}%" if share_pct is not None else ""
            entries[kind].append((other_id, name, role, share))
        elif kind == CustomerLink.Kind.KEY_ROLE:
            entries[kind].append((other_id, "", role, ""))
        else:
            on = _day(referred_on).isoformat() if referred_on else ""
            if other_id is None and staff_id is not None:
                rel.referred_by.append(Related(None, shown or username, "staff", "staff", on))
            elif other_id is not None:
                entries[kind].append((other_id, "", "customer", on))

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
    customer = customer_get(
        actor=actor, customer_id=customer_id, related=RELATED_360, around=PARTS_RELATIONSHIPS
    )
    return _relationships(actor, customer, _around(customer, PARTS_RELATIONSHIPS))


def customer_360(*, actor: Staff, customer_id: int, today: date | None = None) -> Customer360:
    """Everything the bank knows about one customer that ``actor`` may see.

    A fixed number of queries whatever the customer's size: the customer with everything
    read by its id (grants, holdings, household and group members, links, tier history,
    assignments) in one statement, and the other customers found there. Related customers
    the viewer may not open are shown masked and without a link.
    """
    customer = customer_get(
        actor=actor, customer_id=customer_id, related=RELATED_360, around=PARTS_360
    )
    today = today or timezone.localdate()
    rows = _around(customer, PARTS_360)
    may_reveal = can_reveal(actor, customer)
    # Grants come only from reveals, which only those who may reveal can make.
    revealed = frozenset(field for (field,) in rows["grants"]) if may_reveal else frozenset()

    holdings = [
        Holding(
            id=pk,
            customer_id=customer.pk,
            account_no=account_no,
            product_type=product_type,
            product_code=product_code,
            product_name=product_name,
            currency=currency,
            balance=_money(balance),
            balance_cny=_money(balance_cny),
            opened_on=_day(opened_on),
            matures_on=_day(matures_on) if matures_on else None,
            status=Holding.Status.ACTIVE,
        )
        for (
            pk,
            account_no,
            product_type,
            product_code,
            product_name,
            currency,
            balance,
            balance_cny,
            opened_on,
            matures_on,
        ) in rows["holdings"]
    ]
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

    return Customer360(
        customer=customer,
        revealed=revealed,
        can_reveal=may_reveal,
        holdings=holdings,
        holding_groups=holding_groups,
        maturities=maturities,
        relationships=_relationships(actor, customer, rows),
        tier_changes=[
            TierChange(
                customer_id=customer.pk,
                from_tier=from_tier,
                to_tier=to_tier,
                aum=_money(aum),
                changed_at=_moment(changed_at),
            )
            for from_tier, to_tier, aum, changed_at in rows["tier_changes"]
        ],
        assignments=[
            CustomerAssignment(
                customer_id=customer.pk,
                manager=Staff(id=manager_id, username=username, display_name=shown),
                role=role,
                started_at=_moment(started_at),
                ended_at=_moment(ended_at) if ended_at else None,
                note=note,
            )
            for role, started_at, ended_at, note, manager_id, username, shown in rows["assignments"]
        ],
    )


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
