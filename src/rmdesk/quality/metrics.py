"""The figures of a scorecard, each defined once, each computed for the whole bank at once.

A metric is a function from a period to per-manager ``Figure`` rows, computed by
aggregate queries grouped by manager (never a loop over customers). Apps add metrics
with ``@metric(...)``; ``docs/quality.md`` maps each quality of the seed to its figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from rmdesk.customers.models import Customer, CustomerAssignment, Transaction
from rmdesk.quality.models import AttributionRule, AttributionSplit
from rmdesk.quality.periods import Period

ZERO = Decimal("0")


class Quality(StrEnum):
    """The qualities of a good account manager, as the seed lists them."""

    COMMUNICATION = "communication"
    COORDINATION = "coordination"
    TEAM_SPIRIT = "team_spirit"
    ATTITUDE = "attitude"
    PRODUCT_KNOWLEDGE = "product_knowledge"
    DEVELOPMENT = "development"


QUALITY_LABELS: dict[Quality, Promise] = {
    Quality.COMMUNICATION: _("Social communication"),
    Quality.COORDINATION: _("Coordination and time management"),
    Quality.TEAM_SPIRIT: _("Team spirit"),
    Quality.ATTITUDE: _("Warm and responsible attitude"),
    Quality.PRODUCT_KNOWLEDGE: _("Product knowledge"),
    Quality.DEVELOPMENT: _("Market research and customer development"),
}


@dataclass(frozen=True)
class Figure:
    staff_id: int
    numerator: Decimal
    denominator: Decimal | None = None

    @property
    def value(self) -> Decimal:
        if self.denominator is None:
            return self.numerator
        if not self.denominator:
            return ZERO
        return (self.numerator / self.denominator).quantize(Decimal("0.0001"))


Compute = Callable[[Period], Iterable[Figure]]


@dataclass(frozen=True)
class Metric:
    code: str
    quality: Quality
    label: Promise
    # How the figure reads: a count, an amount in CNY, or a share (0–1).
    unit: str
    higher_is_better: bool
    compute: Compute
    # Where a figure's records can be seen (a path with {staff_id}, {start} and {end}).
    evidence: str = ""


METRICS: dict[str, Metric] = {}


def metric(
    code: str,
    *,
    quality: Quality,
    label: Promise,
    unit: str = "count",
    higher_is_better: bool = True,
    evidence: str = "",
) -> Callable[[Compute], Compute]:
    def register(compute: Compute) -> Compute:
        if code in METRICS and METRICS[code].compute is not compute:
            raise ValueError(f"Metric {code!r} is already defined.")
        METRICS[code] = Metric(code, quality, label, unit, higher_is_better, compute, evidence)
        return compute

    return register


def period_bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period as aware datetimes in the bank's zone: [start, end)."""
    zone = timezone.get_default_timezone()
    return (
        dt.datetime.combine(period.start, dt.time.min, tzinfo=zone),
        dt.datetime.combine(period.end, dt.time.min, tzinfo=zone),
    )


def held_at(moment: dt.datetime, *, role: str, prefix: str = "") -> Q:
    """Assignments (of ``role``) open at ``moment``: the book as it stood then."""
    return Q(
        **{
            f"{prefix}role": role,
            f"{prefix}started_at__lt": moment,
        }
    ) & (Q(**{f"{prefix}ended_at__isnull": True}) | Q(**{f"{prefix}ended_at__gte": moment}))


def figures_of(
    rows: Iterable[dict[str, Any]], key: str, numerator: str, denominator: str | None = None
) -> list[Figure]:
    """Figures from grouped rows: ``key`` names the member of staff, ``numerator`` (and
    ``denominator``, for a share) the aggregates."""
    return [
        Figure(
            int(row[key]),
            Decimal(str(row[numerator] or 0)),
            Decimal(str(row[denominator] or 0)) if denominator else None,
        )
        for row in rows
        if row[key] is not None
    ]


def count_per_staff(
    rows: QuerySet[Any],
    period: Period,
    *,
    staff: str,
    when: str,
    counted: str = "pk",
    distinct: bool = False,
) -> list[Figure]:
    """How many of ``rows`` fell in the period (by the datetime field ``when``), per
    member of staff (the field ``staff``): one grouped query."""
    start, end = period_bounds(period)
    grouped = (
        rows.filter(**{f"{when}__gte": start, f"{when}__lt": end})
        .values(staff)
        .annotate(n=Count(counted, distinct=distinct))
    )
    return figures_of(grouped, staff, "n")


@metric(
    "book_customers",
    quality=Quality.DEVELOPMENT,
    label=_("Customers led at the end of the period"),
    evidence="/customers/?manager={staff_id}",
)
def book_customers(period: Period) -> list[Figure]:
    _start, end = period_bounds(period)
    rows = (
        CustomerAssignment.objects.filter(held_at(end, role=CustomerAssignment.Role.LEAD))
        .values("manager_id")
        .annotate(n=Count("customer_id", distinct=True))
    )
    return figures_of(rows, "manager_id", "n")


@metric(
    "customers_gained",
    quality=Quality.DEVELOPMENT,
    label=_("Customers taken on as lead manager in the period"),
    evidence="/customers/?manager={staff_id}",
)
def customers_gained(period: Period) -> list[Figure]:
    return count_per_staff(
        CustomerAssignment.objects.filter(role=CustomerAssignment.Role.LEAD),
        period,
        staff="manager_id",
        when="started_at",
        counted="customer_id",
        distinct=True,
    )


@metric(
    "book_net_inflow",
    quality=Quality.DEVELOPMENT,
    label=_("Net inflow into the customers led (CNY)"),
    unit="CNY",
)
def book_net_inflow(period: Period) -> list[Figure]:
    _start, end = period_bounds(period)
    rows = (
        Transaction.objects.filter(
            held_at(end, role=CustomerAssignment.Role.LEAD, prefix="customer__assignments__"),
            booked_on__gte=period.start,
            booked_on__lt=period.end,
            currency="CNY",
        )
        .values("customer__assignments__manager_id")
        .annotate(total=Sum("amount"))
    )
    return figures_of(rows, "customer__assignments__manager_id", "total")


@metric(
    "assists",
    quality=Quality.TEAM_SPIRIT,
    label=_("Customers assisted (协办) at the end of the period"),
)
def assists(period: Period) -> list[Figure]:
    _start, end = period_bounds(period)
    rows = (
        CustomerAssignment.objects.filter(held_at(end, role=CustomerAssignment.Role.ASSISTING))
        .values("manager_id")
        .annotate(n=Count("customer_id", distinct=True))
    )
    return figures_of(rows, "manager_id", "n")


def attributed_aum_rows(lead_share: Decimal, day: dt.date | None = None) -> list[Figure]:
    """Each manager's share of the AUM they serve now: a customer's AUM goes to its lead
    manager, split with the assisting manager by ``lead_share`` when it has one — or by
    the split a settled dispute set for that customer and pair (AttributionSplit), from
    its day on (``day``, the last day of the period)."""
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=2)
    customers = Customer.objects.filter(primary_manager__isnull=False)
    splits = AttributionSplit.objects.none()
    if day is not None:
        splits = AttributionSplit.objects.filter(effective_from__lte=day)
        # Customers with a split of their own are counted below, one by one (a handful).
        customers = customers.exclude(pk__in=splits.values("customer_id"))
    led = customers.values("primary_manager_id").annotate(
        total=Coalesce(
            Sum(
                F("aum") * Value(lead_share),
                filter=Q(assisting_manager__isnull=False),
                output_field=money,
            ),
            Value(ZERO),
            output_field=money,
        )
        + Coalesce(
            Sum("aum", filter=Q(assisting_manager__isnull=True)),
            Value(ZERO),
            output_field=money,
        )
    )
    assisted = (
        customers.filter(assisting_manager__isnull=False)
        .values("assisting_manager_id")
        .annotate(total=Sum(F("aum") * Value(Decimal(1) - lead_share), output_field=money))
    )
    totals: dict[int, Decimal] = {}
    for row in led:
        key = int(row["primary_manager_id"])
        totals[key] = totals.get(key, ZERO) + Decimal(row["total"] or 0)
    for row in assisted:
        key = int(row["assisting_manager_id"])
        totals[key] = totals.get(key, ZERO) + Decimal(row["total"] or 0)
    for _customer, lead_id, assistant_id, aum, share in split_customers(splits, lead_share):
        if assistant_id is None:
            totals[lead_id] = totals.get(lead_id, ZERO) + aum
            continue
        totals[lead_id] = totals.get(lead_id, ZERO) + aum * share
        totals[assistant_id] = totals.get(assistant_id, ZERO) + aum * (1 - share)
    return [Figure(staff_id, total.quantize(Decimal("0.01"))) for staff_id, total in totals.items()]


def split_customers(
    splits: QuerySet[AttributionSplit], default_share: Decimal
) -> list[tuple[int, int, int | None, Decimal, Decimal]]:
    """(customer, lead, assistant, AUM, lead's share) of the customers with a split of
    their own: the newest split applies while the same pair serves them (two queries)."""
    newest: dict[int, AttributionSplit] = {}
    for split in splits.order_by("customer_id", "effective_from", "pk"):
        newest[split.customer_id] = split
    if not newest:
        return []
    rows: list[tuple[int, int, int | None, Decimal, Decimal]] = []
    for customer_id, lead_id, assistant_id, aum in Customer.objects.filter(
        pk__in=list(newest), primary_manager__isnull=False
    ).values_list("pk", "primary_manager_id", "assisting_manager_id", "aum"):
        split = newest[customer_id]
        same_pair = (split.lead_id, split.assistant_id) == (lead_id, assistant_id)
        share = split.lead_share if same_pair else default_share
        rows.append((customer_id, lead_id, assistant_id, Decimal(aum or 0), share))
    return rows


# Credit for a shared customer when the bank has configured no rule: 70 % to the lead.
DEFAULT_LEAD_SHARE = Decimal("0.70")


def lead_share_on(day: dt.date) -> Decimal:
    rule = (
        AttributionRule.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    )
    return rule.lead_share if rule is not None else DEFAULT_LEAD_SHARE


@metric(
    "attributed_aum",
    quality=Quality.DEVELOPMENT,
    label=_("AUM credited, shared customers split between lead and assistant (CNY)"),
    unit="CNY",
)
def attributed_aum(period: Period) -> list[Figure]:
    last_day = period.end - dt.timedelta(days=1)
    return attributed_aum_rows(lead_share_on(last_day), last_day)
