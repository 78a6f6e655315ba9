"""The daily contact plan: who each account manager should contact on a day, and why.

The plan is computed for the whole bank (or one manager) with set-based SQL:

1. each *reason source* (a small function below, or one another app registers with
   ``plan_reason``) returns a queryset of ``(cid, detail, evidence)``; the run copies
   it into ``PlanCandidate`` with one ``INSERT … SELECT``; *exclusion sources*
   (``plan_exclusion``: a marketing cooling-off window, say) do the same;
2. unfinished entries of each manager's previous plan day are carried forward;
3. one ``INSERT … SELECT`` groups the candidates per customer, drops excluded and
   do-not-contact customers and marketing-only reasons without consent, sums the
   weights into a score, ranks each manager's customers (score, then customer id) and
   keeps as many as the manager's capacity leaves room for.

The result depends only on the day and the data, and is the same on SQLite and
PostgreSQL (the JSON aggregation is the only vendor branch). Entries go to the
customer's lead manager; customers without one are in no plan.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    DateField,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Abs, Cast, Coalesce, Concat, Floor, TruncDate
from django.utils import timezone

from rmdesk.audit.services import audit_record
from rmdesk.contact.models import (
    DEFAULT_CADENCES,
    ContactCadence,
    Interaction,
    PlanCandidate,
    PlanCapacity,
    PlanEntry,
    PlanRun,
    ServiceRequest,
)
from rmdesk.customers.models import Customer, Holding, Transaction
from rmdesk.org.models import Staff

MATURITY_DAYS = 7
RISK_EXPIRY_DAYS = 30
CARRIED_WEIGHT = 10


def plan_capacity_default() -> int:
    return int(getattr(settings, "RMDESK_CONTACT_PLAN_CAPACITY", 20))


def flow_window_days() -> int:
    """How far back a large inflow or an outflow to another bank puts a customer on the plan."""
    return int(getattr(settings, "RMDESK_CONTACT_FLOW_DAYS", 7))


def large_amount_cny() -> Decimal:
    """From this amount (CNY) a transfer in, or out to another bank, counts as large."""
    return Decimal(str(getattr(settings, "RMDESK_CONTACT_LARGE_AMOUNT", "200000")))


def contact_cadences() -> dict[str, tuple[int | None, int | None]]:
    """(contact days, in-person days) per tier: the bank's rules, or the defaults if none."""
    rows = list(ContactCadence.objects.values_list("tier", "contact_days", "in_person_days"))
    if not rows:
        return dict(DEFAULT_CADENCES)
    return {tier: (contact, in_person) for tier, contact, in_person in rows}


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the bank's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


# --- the registry ----------------------------------------------------------------------


@dataclass(frozen=True)
class PlanContext:
    """What a source needs: the day and the customers in play (lead manager set, not
    do-not-contact, narrowed to one manager for an on-demand run)."""

    day: date
    customers: QuerySet[Customer]


ReasonFunction = Callable[[PlanContext], QuerySet[Any]]


@dataclass(frozen=True)
class ReasonSource:
    code: str
    weight: int
    marketing: bool  # dropped for customers without marketing consent
    function: ReasonFunction


@dataclass(frozen=True)
class ExclusionSource:
    code: str
    marketing_only: bool  # True: drops only marketing reasons; False: the whole customer
    function: ReasonFunction


REASONS: dict[str, ReasonSource] = {}
EXCLUSIONS: dict[str, ExclusionSource] = {}


def plan_reason(
    code: str, *, weight: int, marketing: bool = False
) -> Callable[[ReasonFunction], ReasonFunction]:
    """Register a reason source. The function returns a queryset whose rows are
    ``cid`` (customer id, one row per customer), ``detail`` (short text) and
    ``evidence`` (a JSON object as text). Other apps register theirs in ``apps.ready``."""

    def register(function: ReasonFunction) -> ReasonFunction:
        REASONS[code] = ReasonSource(code, weight, marketing, function)
        return function

    return register


def plan_exclusion(
    code: str, *, marketing_only: bool = False
) -> Callable[[ReasonFunction], ReasonFunction]:
    """Register an exclusion: a queryset of ``cid`` to keep off the plan that day (all
    reasons, or only marketing ones). A cooling-off window wins over every reason."""

    def register(function: ReasonFunction) -> ReasonFunction:
        EXCLUSIONS[code] = ExclusionSource(code, marketing_only, function)
        return function

    return register


def _text(expression: Any) -> Cast:
    return Cast(expression, output_field=CharField())


def _json(**fields: Any) -> Concat:
    """A flat JSON object as text from string-valued expressions (dates, integers)."""
    parts: list[Any] = []
    for index, (name, expression) in enumerate(fields.items()):
        parts.append(Value(('{"' if index == 0 else ',"') + name + '":"'))
        parts.append(Coalesce(_text(expression), Value("")))
        parts.append(Value('"'))
    parts.append(Value("}"))
    return Concat(*parts, output_field=CharField())


def _whole_yuan(expression: Any) -> Any:
    # Floor first: PostgreSQL rounds a numeric cast to integer while SQLite truncates.
    return Cast(
        Cast(Floor(Abs(expression)), output_field=BigIntegerField()), output_field=CharField()
    )


# --- the reasons -----------------------------------------------------------------------


def _last_contact(*, in_person: bool) -> Subquery:
    contacts = Interaction.objects.filter(customer=OuterRef("pk"))
    if in_person:
        contacts = contacts.filter(channel__in=Interaction.IN_PERSON)
    return Subquery(contacts.order_by("-occurred_at").values("occurred_at")[:1])


def _overdue(ctx: PlanContext, *, in_person: bool) -> QuerySet[Any]:
    """Customers whose last (in-person) contact is ``cadence`` days or more before the day."""
    condition = Q(pk__in=[])
    for tier, rule in contact_cadences().items():
        days = rule[1] if in_person else rule[0]
        if days:
            since = day_start(ctx.day - timedelta(days=days - 1))
            condition |= Q(tier=tier) & (Q(last__isnull=True) | Q(last__lt=since))
    tz = timezone.get_current_timezone()
    return (
        ctx.customers.annotate(last=_last_contact(in_person=in_person))
        .filter(condition)
        .annotate(
            cid=F("pk"),
            detail=Coalesce(_text(TruncDate("last", tzinfo=tz)), Value("")),
            evidence=_json(last_contact=TruncDate("last", tzinfo=tz), tier=F("tier")),
        )
        .values("cid", "detail", "evidence")
    )


@plan_reason("contact_overdue", weight=30)
def reason_contact_overdue(ctx: PlanContext) -> QuerySet[Any]:
    """Not contacted within the tier's cadence (never contacted counts)."""
    return _overdue(ctx, in_person=False)


@plan_reason("in_person_overdue", weight=20)
def reason_in_person_overdue(ctx: PlanContext) -> QuerySet[Any]:
    """Not met in person (visit, branch meeting, video) within the tier's in-person cadence."""
    return _overdue(ctx, in_person=True)


@plan_reason("follow_up_due", weight=50)
def reason_follow_up_due(ctx: PlanContext) -> QuerySet[Any]:
    """A follow-up promised for the day or earlier and not yet done."""
    return (
        Interaction.objects.filter(
            customer__in=ctx.customers,
            follow_up_on__lte=ctx.day,
            follow_up_done_at__isnull=True,
        )
        .values(cid=F("customer_id"))
        .annotate(first=Min("follow_up_on"), n=Count("id"))
        .annotate(detail=_text(F("first")), evidence=_json(follow_up_on=F("first"), count=F("n")))
        .values("cid", "detail", "evidence")
    )


@plan_reason("service_request_open", weight=40)
def reason_service_request_open(ctx: PlanContext) -> QuerySet[Any]:
    """A service request for the customer is still open."""
    return (
        ServiceRequest.objects.filter(
            customer__in=ctx.customers, status__in=ServiceRequest.OPEN_STATUSES
        )
        .values(cid=F("customer_id"))
        .annotate(n=Count("id"), due=Min("due_on"))
        .annotate(detail=_text(F("n")), evidence=_json(count=F("n"), due_on=F("due")))
        .values("cid", "detail", "evidence")
    )


@plan_reason("maturity", weight=40, marketing=True)
def reason_maturity(ctx: PlanContext) -> QuerySet[Any]:
    """A deposit or product matures within 7 days (T−7 .. T)."""
    return (
        Holding.objects.filter(
            customer__in=ctx.customers,
            status=Holding.Status.ACTIVE,
            matures_on__gte=ctx.day,
            matures_on__lte=ctx.day + timedelta(days=MATURITY_DAYS),
        )
        .values(cid=F("customer_id"))
        .annotate(first=Min("matures_on"), n=Count("id"), total=Sum("balance_cny"))
        .annotate(
            detail=_text(F("first")),
            evidence=_json(matures_on=F("first"), count=F("n"), amount_cny=_whole_yuan(F("total"))),
        )
        .values("cid", "detail", "evidence")
    )


def _flows(ctx: PlanContext, condition: Q) -> QuerySet[Any]:
    return (
        Transaction.objects.filter(
            condition,
            customer__in=ctx.customers,
            booked_on__gte=ctx.day - timedelta(days=flow_window_days()),
            booked_on__lte=ctx.day,
        )
        .values(cid=F("customer_id"))
        .annotate(total=Sum("amount"), last=Max("booked_on"))
        .annotate(
            detail=_whole_yuan(F("total")),
            evidence=_json(amount_cny=_whole_yuan(F("total")), booked_on=F("last")),
        )
        .values("cid", "detail", "evidence")
    )


@plan_reason("large_inflow", weight=25, marketing=True)
def reason_large_inflow(ctx: PlanContext) -> QuerySet[Any]:
    """A large inflow (or a transfer in from the large amount) in the last N days."""
    return _flows(
        ctx,
        Q(kind=Transaction.Kind.LARGE_INFLOW)
        | Q(kind=Transaction.Kind.TRANSFER_IN, amount__gte=large_amount_cny()),
    )


@plan_reason("outflow_other_bank", weight=35, marketing=True)
def reason_outflow_other_bank(ctx: PlanContext) -> QuerySet[Any]:
    """Money leaving for another bank, from the large amount, in the last N days."""
    return _flows(
        ctx,
        Q(kind=Transaction.Kind.TRANSFER_OUT_OTHER_BANK, amount__lte=-large_amount_cny()),
    )


@plan_reason("risk_expiry", weight=30)
def reason_risk_expiry(ctx: PlanContext) -> QuerySet[Any]:
    """The risk-tolerance assessment expires within 30 days (T−30 .. T)."""
    return (
        ctx.customers.filter(
            risk_expires_on__gte=ctx.day,
            risk_expires_on__lte=ctx.day + timedelta(days=RISK_EXPIRY_DAYS),
        )
        .annotate(
            cid=F("pk"),
            detail=_text(F("risk_expires_on")),
            evidence=_json(expires_on=F("risk_expires_on")),
        )
        .values("cid", "detail", "evidence")
    )


@plan_reason("birthday", weight=20)
def reason_birthday(ctx: PlanContext) -> QuerySet[Any]:
    """The customer's birthday is on the day (29 February falls on the 28th otherwise)."""
    same_day = Q(birth_date__month=ctx.day.month, birth_date__day=ctx.day.day)
    leap_day = ctx.day.month == 2 and ctx.day.day == 28
    if leap_day and (ctx.day + timedelta(days=1)).month == 3:
        same_day |= Q(birth_date__month=2, birth_date__day=29)
    return (
        ctx.customers.filter(same_day, birth_date__isnull=False)
        .annotate(cid=F("pk"), detail=Value(""), evidence=Value("{}"))
        .values("cid", "detail", "evidence")
    )


# --- the run ---------------------------------------------------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _insert_candidates(
    run: PlanRun,
    *,
    kind: str,
    code: str,
    weight: int,
    marketing: bool,
    rows: QuerySet[Any],
    with_detail: bool,
) -> None:
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:  # the source matches nothing (no rule applies, say)
        return
    detail = "COALESCE(q.detail, '')" if with_detail else "''"
    evidence = "COALESCE(q.evidence, '{}')" if with_detail else "'{}'"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_q(PlanCandidate._meta.db_table)} "  # noqa: S608 (names are ours)
            "(run_id, customer_id, kind, code, weight, marketing, detail, evidence) "
            f"SELECT %s, q.cid, %s, %s, %s, %s, {detail}, {evidence} FROM ({sql}) q",
            [run.pk, kind, code, weight, marketing, *params],
        )


def _insert_carried(run: PlanRun, ctx: PlanContext, manager_id: int | None) -> None:
    """Open entries of each manager's previous plan day, whose customer is still theirs."""
    previous_day = (
        PlanEntry.objects.filter(manager_id=OuterRef("manager_id"), day__lt=ctx.day)
        .order_by("-day")
        .values("day")[:1]
    )
    entries = PlanEntry.objects.filter(
        status=PlanEntry.Status.OPEN,
        day=Subquery(previous_day),
        customer__in=ctx.customers,
        customer__primary_manager_id=F("manager_id"),
    )
    if manager_id is not None:
        entries = entries.filter(manager_id=manager_id)
    since = Coalesce("carried_from", "day", output_field=DateField())
    rows = entries.annotate(
        cid=F("customer_id"), since=since, detail=_text(since), evidence=_json(since=since)
    ).values("cid", "since", "detail", "evidence")
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_q(PlanCandidate._meta.db_table)} "  # noqa: S608
            "(run_id, customer_id, kind, code, weight, marketing, detail, evidence, carried_from) "
            "SELECT %s, q.cid, 'reason', 'carried_forward', %s, %s, q.detail, q.evidence, q.since "
            f"FROM ({sql}) q",
            [run.pk, CARRIED_WEIGHT, False, *params],
        )


def _reasons_aggregate() -> str:
    if connection.vendor == "postgresql":
        return (
            "json_agg(json_build_object('code', s.code, 'detail', s.detail, "
            "'evidence', s.evidence::json) ORDER BY s.weight DESC, s.code)::jsonb"
        )
    # SQLite aggregates in the order of the (sorted) subquery below.
    return (
        "json_group_array(json_object('code', s.code, 'detail', s.detail, "
        "'evidence', json(s.evidence)))"
    )


def _insert_entries(run: PlanRun, *, day: date, manager_id: int | None, now: datetime) -> int:
    candidate = _q(PlanCandidate._meta.db_table)
    customer = _q(Customer._meta.db_table)
    entry = _q(PlanEntry._meta.db_table)
    capacity = _q(PlanCapacity._meta.db_table)
    scope = "AND c.primary_manager_id = %s" if manager_id is not None else ""
    scope_params: list[Any] = [manager_id] if manager_id is not None else []
    sql = f"""
        INSERT INTO {entry}
            (created_at, updated_at, manager_id, day, customer_id, score, reasons, status,
             outcome, note, carried_from)
        SELECT %s, %s, r.manager_id, %s, r.customer_id, r.score, r.reasons, 'open', '', '',
               r.carried_from
        FROM (
            SELECT g.manager_id, g.customer_id, g.score, g.reasons, g.carried_from,
                   ROW_NUMBER() OVER (
                       PARTITION BY g.manager_id ORDER BY g.score DESC, g.customer_id
                   ) AS rank,
                   COALESCE(cap.per_day, %s) - COALESCE(h.handled, 0) AS room
            FROM (
                SELECT s.manager_id, s.customer_id, SUM(s.weight) AS score,
                       MIN(s.carried_from) AS carried_from, {_reasons_aggregate()} AS reasons
                FROM (
                    SELECT c.primary_manager_id AS manager_id, k.customer_id, k.code,
                           k.weight, k.detail, k.evidence, k.carried_from
                    FROM {candidate} k
                    JOIN {customer} c ON c.id = k.customer_id
                    WHERE k.run_id = %s AND k.kind = 'reason'
                      AND c.primary_manager_id IS NOT NULL AND c.do_not_contact = %s
                      AND (k.marketing = %s OR c.marketing_consent = %s)
                      {scope}
                      AND NOT EXISTS (
                          SELECT 1 FROM {candidate} x
                          WHERE x.run_id = k.run_id AND x.customer_id = k.customer_id
                            AND (x.kind = 'exclude_all'
                                 OR (x.kind = 'exclude_marketing' AND k.marketing = %s))
                      )
                    ORDER BY c.primary_manager_id, k.customer_id, k.weight DESC, k.code
                ) s
                GROUP BY s.manager_id, s.customer_id
            ) g
            LEFT JOIN {capacity} cap ON cap.manager_id = g.manager_id
            LEFT JOIN (
                SELECT manager_id, COUNT(*) AS handled FROM {entry}
                WHERE day = %s AND status <> 'open' GROUP BY manager_id
            ) h ON h.manager_id = g.manager_id
            WHERE NOT EXISTS (
                SELECT 1 FROM {entry} e
                WHERE e.manager_id = g.manager_id AND e.day = %s AND e.customer_id = g.customer_id
            )
        ) r
        WHERE r.rank <= r.room
    """  # noqa: S608 (table names are ours; values are parameters)
    ops = connection.ops
    params = [
        ops.adapt_datetimefield_value(now),
        ops.adapt_datetimefield_value(now),
        ops.adapt_datefield_value(day),
        plan_capacity_default(),
        run.pk,
        False,
        False,
        True,
        *scope_params,
        True,
        ops.adapt_datefield_value(day),
        ops.adapt_datefield_value(day),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _lock_day(day: date) -> None:
    """One plan run per day at a time (SQLite's write lock already serialises)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(f"contact.plan:{day}".encode())]
            )


@transaction.atomic
def plans_generate(*, day: date, manager: Staff | None = None, actor: Staff | None = None) -> int:
    """(Re)generate the plans of ``day`` for every manager, or for ``manager`` only.

    Open entries of the day are recomputed; entries already done or dismissed stay and
    count against the capacity. Idempotent for a day and the data. Returns the number of
    open entries written. Audited as ``contact.plan.generated``.
    """
    _lock_day(day)
    now = timezone.now()
    run = PlanRun.objects.create(day=day, manager=manager, started_at=now)
    customers = Customer.objects.filter(primary_manager__isnull=False, do_not_contact=False)
    stale = PlanEntry.objects.filter(day=day, status=PlanEntry.Status.OPEN)
    if manager is not None:
        customers = customers.filter(primary_manager=manager)
        stale = stale.filter(manager=manager)
    ctx = PlanContext(day=day, customers=customers)
    stale.delete()

    for source in REASONS.values():
        _insert_candidates(
            run,
            kind="reason",
            code=source.code,
            weight=source.weight,
            marketing=source.marketing,
            rows=source.function(ctx),
            with_detail=True,
        )
    for exclusion in EXCLUSIONS.values():
        _insert_candidates(
            run,
            kind="exclude_marketing" if exclusion.marketing_only else "exclude_all",
            code=exclusion.code,
            weight=0,
            marketing=exclusion.marketing_only,
            rows=exclusion.function(ctx),
            with_detail=False,
        )
    _insert_carried(run, ctx, manager.pk if manager is not None else None)
    written = _insert_entries(
        run, day=day, manager_id=manager.pk if manager is not None else None, now=now
    )
    PlanCandidate.objects.filter(run=run).delete()
    run.finished_at = timezone.now()
    run.entries = written
    run.save(update_fields=["finished_at", "entries"])
    audit_record(
        actor=actor,
        action="contact.plan.generated",
        target=run,
        data={
            "day": day.isoformat(),
            "manager": manager.pk if manager else None,
            "entries": written,
        },
    )
    return written
