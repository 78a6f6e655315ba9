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

import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from time import perf_counter
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    DateField,
    F,
    Max,
    Min,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
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
    PlanFlow,
    PlanRun,
    ServiceRequest,
)
from rmdesk.customers.models import Customer, Holding, Transaction
from rmdesk.org.models import Staff

logger = logging.getLogger("rmdesk.contact.plan")
M = TypeVar("M", bound=Model)

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
    """What a source needs: the day, the customers in play (lead manager set, not
    do-not-contact, narrowed to one manager for an on-demand run), and the run's recent
    money movements (``flows``: one scan of the transactions, shared by every source).

    Sources over other tables call ``narrow``: a whole-bank run reads them without a
    join to the customers (the final step applies the customers' flags), a run for one
    manager narrows them to that manager's customers.
    """

    day: date
    customers: QuerySet[Customer]
    manager_id: int | None = None
    run_id: int | None = None

    def narrow(self, rows: QuerySet[M], *, prefix: str = "customer__") -> QuerySet[M]:
        if self.manager_id is None:
            return rows
        return rows.filter(**{f"{prefix}primary_manager_id": self.manager_id})

    def flows(self) -> QuerySet[PlanFlow]:
        """Inflows and outflows to other banks of the last ``flow_window_days`` days."""
        return PlanFlow.objects.filter(run_id=self.run_id)


ReasonFunction = Callable[[PlanContext], QuerySet[Any]]


@dataclass(frozen=True)
class ReasonSource:
    code: str
    weight: int
    marketing: bool  # dropped for customers without marketing consent
    function: ReasonFunction
    label: Any = ""  # how pages name the reason (a lazy translation); the code if empty


@dataclass(frozen=True)
class ExclusionSource:
    code: str
    marketing_only: bool  # True: drops only marketing reasons; False: the whole customer
    function: ReasonFunction


REASONS: dict[str, ReasonSource] = {}
EXCLUSIONS: dict[str, ExclusionSource] = {}


def plan_reason(
    code: str, *, weight: int, marketing: bool = False, label: Any = ""
) -> Callable[[ReasonFunction], ReasonFunction]:
    """Register a reason source. The function returns a queryset whose rows are
    ``cid`` (customer id, one row per customer), ``detail`` (short text) and
    ``evidence`` (a JSON object as text); a source drawn from ``ctx.customers`` may add
    ``mid`` (their lead manager) to spare a join. Other apps register theirs in
    ``apps.ready``."""

    def register(function: ReasonFunction) -> ReasonFunction:
        REASONS[code] = ReasonSource(code, weight, marketing, function, label)
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


# For reason sources of other apps: text and flat JSON columns as the plan stores them.
as_text = _text
json_object = _json


def _whole_yuan(expression: Any) -> Any:
    # Floor first: PostgreSQL rounds a numeric cast to integer while SQLite truncates.
    return Cast(
        Cast(Floor(Abs(expression)), output_field=BigIntegerField()), output_field=CharField()
    )


# --- the reasons -----------------------------------------------------------------------


def _overdue(ctx: PlanContext, *, in_person: bool) -> QuerySet[Any]:
    """Customers whose last (in-person) contact is ``cadence`` days or more before the day."""
    condition = Q(pk__in=[])
    tiers = []
    for tier, rule in contact_cadences().items():
        days = rule[1] if in_person else rule[0]
        if days:
            tiers.append(tier)
            since = day_start(ctx.day - timedelta(days=days - 1))
            condition |= Q(tier=tier) & (Q(last__isnull=True) | Q(last__lt=since))
    contacts = Q(interactions__channel__in=Interaction.IN_PERSON) if in_person else None
    tz = timezone.get_current_timezone()
    return (
        ctx.customers.filter(tier__in=tiers)
        .values("pk", "tier", "primary_manager_id")
        .annotate(last=Max("interactions__occurred_at", filter=contacts))
        .filter(condition)
        .annotate(
            cid=F("pk"),
            mid=F("primary_manager_id"),
            detail=Coalesce(_text(TruncDate("last", tzinfo=tz)), Value("")),
            evidence=_json(last_contact=TruncDate("last", tzinfo=tz), tier=F("tier")),
        )
        .values("cid", "mid", "detail", "evidence")
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
        ctx.narrow(
            Interaction.objects.filter(follow_up_on__lte=ctx.day, follow_up_done_at__isnull=True)
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
        ctx.narrow(ServiceRequest.objects.filter(status__in=ServiceRequest.OPEN_STATUSES))
        .values(cid=F("customer_id"))
        .annotate(n=Count("id"), due=Min("due_on"))
        .annotate(detail=_text(F("n")), evidence=_json(count=F("n"), due_on=F("due")))
        .values("cid", "detail", "evidence")
    )


@plan_reason("maturity", weight=40, marketing=True)
def reason_maturity(ctx: PlanContext) -> QuerySet[Any]:
    """A deposit or product matures within 7 days (T−7 .. T)."""
    return (
        ctx.narrow(Holding.objects.all())
        .filter(
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


def _flows(ctx: PlanContext, kind: str) -> QuerySet[Any]:
    return (
        ctx.flows()
        .filter(kind=kind)
        .values(cid=F("customer_id"))
        .annotate(total=Sum("amount"), last=Max("booked_on"))
        .annotate(
            detail=_whole_yuan(F("total")),
            evidence=_json(amount_cny=_whole_yuan(F("total")), booked_on=F("last")),
        )
        .values("cid", "detail", "evidence")
    )


def _stage_flows(run: PlanRun, ctx: PlanContext) -> None:
    """Copy the window's large inflows and outflows to other banks (one scan)."""
    large = large_amount_cny()
    rows = (
        ctx.narrow(
            Transaction.objects.filter(
                booked_on__gte=ctx.day - timedelta(days=flow_window_days()),
                booked_on__lte=ctx.day,
            ).filter(
                Q(kind=Transaction.Kind.LARGE_INFLOW)
                | Q(kind=Transaction.Kind.TRANSFER_IN, amount__gte=large)
                | Q(kind=Transaction.Kind.TRANSFER_OUT_OTHER_BANK, amount__lte=-large)
            )
        )
        .annotate(
            cid=F("customer_id"),
            flow=Case(
                When(kind=Transaction.Kind.TRANSFER_OUT_OTHER_BANK, then=Value("outflow")),
                default=Value("inflow"),
                output_field=CharField(),
            ),
            amt=F("amount"),
            day=F("booked_on"),
        )
        .values("cid", "flow", "amt", "day")
    )
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_q(PlanFlow._meta.db_table)} "  # noqa: S608
            "(run_id, customer_id, kind, amount, booked_on) "
            f"SELECT %s, q.cid, q.flow, q.amt, q.day FROM ({sql}) q",
            [run.pk, *params],
        )


@plan_reason("large_inflow", weight=25, marketing=True)
def reason_large_inflow(ctx: PlanContext) -> QuerySet[Any]:
    """A large inflow (or a transfer in from the large amount) in the last N days."""
    return _flows(ctx, "inflow")


@plan_reason("outflow_other_bank", weight=35, marketing=True)
def reason_outflow_other_bank(ctx: PlanContext) -> QuerySet[Any]:
    """Money leaving for another bank, from the large amount, in the last N days."""
    return _flows(ctx, "outflow")


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
            mid=F("primary_manager_id"),
            detail=_text(F("risk_expires_on")),
            evidence=_json(expires_on=F("risk_expires_on")),
        )
        .values("cid", "mid", "detail", "evidence")
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
        .annotate(cid=F("pk"), mid=F("primary_manager_id"), detail=Value(""), evidence=Value("{}"))
        .values("cid", "mid", "detail", "evidence")
    )


# --- the run ---------------------------------------------------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _eligible(manager_id: int | None, *, marketing: bool) -> tuple[str, list[Any]]:
    """Join and filter a source's rows ``q`` to the customers a plan may hold: a lead
    manager, not do-not-contact, consent for marketing reasons, the run's manager."""
    sql = (
        f" JOIN {_q(Customer._meta.db_table)} c ON c.id = q.cid"
        " WHERE c.primary_manager_id IS NOT NULL AND c.do_not_contact = %s"
    )
    params: list[Any] = [False]
    if marketing:
        sql += " AND c.marketing_consent = %s"
        params.append(True)
    if manager_id is not None:
        sql += " AND c.primary_manager_id = %s"
        params.append(manager_id)
    return sql, params


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
    needs_consent = marketing and kind == "reason"
    if "mid" in rows.query.annotations and not needs_consent:
        # Rows drawn from ``ctx.customers`` carry their manager and are already eligible.
        eligible_params: list[Any] = []
        manager, eligible = "q.mid", ""
    else:
        manager = "c.primary_manager_id"
        eligible, eligible_params = _eligible(run.manager_id, marketing=needs_consent)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_q(PlanCandidate._meta.db_table)} "  # noqa: S608 (names are ours)
            "(run_id, customer_id, manager_id, kind, code, weight, marketing, detail, evidence) "
            f"SELECT %s, q.cid, {manager}, %s, %s, %s, %s, {detail}, {evidence} "
            f"FROM ({sql}) q{eligible}",
            [run.pk, kind, code, weight, marketing, *params, *eligible_params],
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
        customer__primary_manager_id=F("manager_id"),
    )
    if manager_id is not None:
        entries = entries.filter(manager_id=manager_id)
    since = Coalesce("carried_from", "day", output_field=DateField())
    rows = entries.annotate(
        cid=F("customer_id"), since=since, detail=_text(since), evidence=_json(since=since)
    ).values("cid", "since", "detail", "evidence")
    sql, params = rows.query.sql_with_params()
    eligible, eligible_params = _eligible(manager_id, marketing=False)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_q(PlanCandidate._meta.db_table)} "  # noqa: S608
            "(run_id, customer_id, manager_id, kind, code, weight, marketing, detail, evidence,"
            " carried_from) "
            "SELECT %s, q.cid, c.primary_manager_id, 'reason', 'carried_forward', %s, %s,"
            f" q.detail, q.evidence, q.since FROM ({sql}) q{eligible}",
            [run.pk, CARRIED_WEIGHT, False, *params, *eligible_params],
        )


def _reasons_of(outer: str) -> str:
    """A scalar subquery: the JSON list of the kept reasons of customer ``outer``,
    strongest first (then by code)."""
    candidate = _q(PlanCandidate._meta.db_table)
    where = (
        f"k2.run_id = %s AND k2.customer_id = {outer} AND k2.kind = 'reason' "
        f"AND NOT EXISTS ({_excluded('k2')})"
    )
    if connection.vendor == "postgresql":
        return (
            "(SELECT json_agg(json_build_object('code', k2.code, 'detail', k2.detail, "  # noqa: S608
            "'evidence', k2.evidence::json) ORDER BY k2.weight DESC, k2.code)::jsonb "
            f"FROM {candidate} k2 WHERE {where})"
        )
    # SQLite aggregates in the order of the sorted subquery.
    return (
        "(SELECT json_group_array(json_object('code', s.code, 'detail', s.detail, "  # noqa: S608
        "'evidence', json(s.evidence))) FROM (SELECT k2.code, k2.detail, k2.evidence "
        f"FROM {candidate} k2 WHERE {where} ORDER BY k2.weight DESC, k2.code) s)"
    )


def _excluded(alias: str) -> str:
    """Rows of an exclusion source that drop candidate ``alias``."""
    candidate = _q(PlanCandidate._meta.db_table)
    return (
        f"SELECT 1 FROM {candidate} x WHERE x.run_id = {alias}.run_id "  # noqa: S608
        f"AND x.customer_id = {alias}.customer_id AND (x.kind = 'exclude_all' OR "
        f"(x.kind = 'exclude_marketing' AND {alias}.marketing = %s))"
    )


def _insert_entries(run: PlanRun, *, day: date, manager_id: int | None, now: datetime) -> int:
    """Score, rank and cap the candidates, and write the kept ones with their reasons."""
    candidate = _q(PlanCandidate._meta.db_table)
    entry = _q(PlanEntry._meta.db_table)
    capacity = _q(PlanCapacity._meta.db_table)
    sql = f"""
        INSERT INTO {entry}
            (created_at, updated_at, manager_id, day, customer_id, score, reasons, status,
             outcome, note, carried_from)
        SELECT %s, %s, r.manager_id, %s, r.customer_id, r.score, {_reasons_of("r.customer_id")},
               'open', '', '', r.carried_from
        FROM (
            SELECT g.manager_id, g.customer_id, g.score, g.carried_from,
                   ROW_NUMBER() OVER (
                       PARTITION BY g.manager_id ORDER BY g.score DESC, g.customer_id
                   ) AS rank,
                   COALESCE(cap.per_day, %s) - COALESCE(h.handled, 0) AS room
            FROM (
                SELECT k.manager_id, k.customer_id, SUM(k.weight) AS score,
                       MIN(k.carried_from) AS carried_from
                FROM {candidate} k
                WHERE k.run_id = %s AND k.kind = 'reason' AND NOT EXISTS ({_excluded("k")})
                GROUP BY k.manager_id, k.customer_id
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
    stamp = ops.adapt_datetimefield_value(now)
    the_day = ops.adapt_datefield_value(day)
    params = [
        stamp,
        stamp,
        the_day,
        run.pk,  # the reasons' subquery
        True,
        plan_capacity_default(),
        run.pk,
        True,
        the_day,
        the_day,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _lock_day(day: date) -> None:
    """One plan run per day at a time (SQLite's write lock already serialises).

    Also gives the run's transaction room to sort and hash the bank's candidates in
    memory (``RMDESK_CONTACT_PLAN_WORK_MEM``) rather than on disk, and no JIT.
    """
    if connection.vendor == "postgresql":
        work_mem = str(getattr(settings, "RMDESK_CONTACT_PLAN_WORK_MEM", "64MB"))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(f"contact.plan:{day}".encode())]
            )
            cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
            # One-shot statements over scratch rows: compiling them costs more than it saves.
            cursor.execute("SELECT set_config('jit', 'off', true)")


@transaction.atomic
def plans_generate(*, day: date, manager: Staff | None = None, actor: Staff | None = None) -> int:
    """(Re)generate the plans of ``day`` for every manager, or for ``manager`` only.

    Open entries of the day are recomputed; entries already done or dismissed stay and
    count against the capacity. Idempotent for a day and the data. Returns the number of
    open entries written. Audited as ``contact.plan.generated``.
    """
    timings: dict[str, float] = {}
    clock = perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        timings[name] = round(perf_counter() - clock, 3)
        clock = perf_counter()

    _lock_day(day)
    now = timezone.now()
    run = PlanRun.objects.create(day=day, manager=manager, started_at=now)
    customers = Customer.objects.filter(primary_manager__isnull=False, do_not_contact=False)
    stale = PlanEntry.objects.filter(day=day, status=PlanEntry.Status.OPEN)
    if manager is not None:
        customers = customers.filter(primary_manager=manager)
        stale = stale.filter(manager=manager)
    ctx = PlanContext(
        day=day,
        customers=customers,
        manager_id=manager.pk if manager is not None else None,
        run_id=run.pk,
    )
    stale.delete()
    lap("clear")
    _stage_flows(run, ctx)
    lap("flows")

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
        lap(source.code)
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
        lap(exclusion.code)
    _insert_carried(run, ctx, manager.pk if manager is not None else None)
    lap("carried_forward")
    if connection.vendor == "postgresql":
        # The scratch rows were just written: give the planner their real numbers.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {_q(PlanCandidate._meta.db_table)}")
    lap("analyze")
    written = _insert_entries(
        run, day=day, manager_id=manager.pk if manager is not None else None, now=now
    )
    lap("entries")
    PlanCandidate.objects.filter(run=run).delete()
    PlanFlow.objects.filter(run=run).delete()
    lap("cleanup")
    run.finished_at = timezone.now()
    run.entries = written
    run.save(update_fields=["finished_at", "entries"])
    lap("run")
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
    lap("audit")
    logger.info("contact plan %s: %d entries", day, written, extra={"timings": timings})
    return written
