"""Latent needs found in the bank's own data, every night, for the whole bank at once.

Each rule is one CREATE TABLE … AS SELECT into a working table of its own, reading the
daily summary (flow.py), the holdings, the window's salaries, or the working tables the
rules share (``_shared_sql``): the customers read once (``dev_cust``: the corporate
ones, the birthdays near) and a copy of the corporate customers' transactions with a
counterparty (``dev_win``, shared by the two counterparty rules). What they found is
then written to development_signal in one pass that touches only what changed
(``_write``). The few differences between SQLite and PostgreSQL (JSON building, money
as text, month-day formatting, the working tables) are the ``Dialect`` below; the SQL
is otherwise the same, and so are the results.

A signal is stored once per episode: one row per (customer, code, subject) and run of
consecutive days its rule found it (``first_seen``, ``last_seen``, the latest evidence).
While its rule's latest run (SignalRun) still finds it, ``last_seen`` is null, so a
night writes only what changed: new episodes, closed ones, changed evidence. A run is
idempotent for its date: a rerun with the same data writes nothing.
"""

# The SQL below is assembled from constants (our own enums and dialect snippets); every
# value from outside goes in as a parameter.
# ruff: noqa: S608
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core.errors import DomainError
from rmdesk.customers.models import Customer, Holding
from rmdesk.development.flow import INFLOW_KINDS, flow_refresh
from rmdesk.development.models import Signal, SignalCode, SignalRule, SignalRun
from rmdesk.org.models import Staff
from rmdesk.org.policy import customer_q

MAX_ID = 2**63 - 1

# The thresholds a bank starts with; SignalRule.params overrides any of them.
DEFAULTS: dict[str, dict[str, Any]] = {
    SignalCode.IDLE_DEPOSIT: {"min_balance": "200000", "days": 60},
    SignalCode.MATURITY: {"days": 30},
    SignalCode.SALARY_NO_WEALTH: {"days": 90, "months": 3, "min_amount": "3000"},
    SignalCode.LARGE_INFLOW: {"days": 7, "min_amount": "500000"},
    SignalCode.ATTRITION: {"days": 30, "count": 3, "min_total": "50000"},
    SignalCode.BIRTHDAY: {"days": 7},
    SignalCode.SETTLEMENT_GROWTH: {"days": 30, "growth_pct": 30, "min_volume": "1000000"},
    SignalCode.PAYROLL_POTENTIAL: {"days": 30, "count": 20},
    SignalCode.COUNTERPARTY: {"days": 90, "count": 5, "min_volume": "500000"},
}
MONEY_PARAMS = {"min_balance", "min_amount", "min_total", "min_volume"}

WEALTH_TYPES = (
    Holding.ProductType.WEALTH,
    Holding.ProductType.FUND,
    Holding.ProductType.STRUCTURED_DEPOSIT,
    Holding.ProductType.BOND,
    Holding.ProductType.INSURANCE,
    Holding.ProductType.PRECIOUS_METAL,
)


def _sql_list(values: tuple[str, ...]) -> str:
    # Constants from our own enums, never user input.
    return ", ".join(f"'{v}'" for v in values)


def rules_effective() -> dict[str, dict[str, Any]]:
    """Each enabled rule's thresholds: the defaults overlaid with the bank's settings."""
    configured = {rule.code: rule for rule in SignalRule.objects.all()}
    rules: dict[str, dict[str, Any]] = {}
    for code, defaults in DEFAULTS.items():
        rule = configured.get(code)
        if rule is not None and not rule.enabled:
            continue
        params = {**defaults, **(rule.params if rule is not None else {})}
        rules[code] = _checked(code, params)
    return rules


def _checked(code: str, params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name not in DEFAULTS[code]:
            continue
        try:
            if name in MONEY_PARAMS:
                amount = Decimal(str(value))
                if not amount.is_finite() or amount < 0:
                    raise InvalidOperation
                out[name] = amount
            else:
                number = int(value)
                if number < 0 or number > 3660:
                    raise ValueError
                out[name] = number
        except (InvalidOperation, ValueError, TypeError) as exc:
            raise DomainError(
                _("The %(rule)s rule's %(name)s is not valid.") % {"rule": code, "name": name},
                code="bad_signal_rule",
                details={"field": name},
            ) from exc
    return out


@dataclass(frozen=True)
class Dialect:
    obj: str  # builds a JSON object
    agg: str  # aggregates JSON values into an array
    money: str  # formats a money expression as "1234.50" ({} is the expression)
    month_day: str  # "MM-DD" of a date column
    length: str
    scratch: str  # creates a working table for the run's own transaction
    evidence: str  # the type of a JSON column of a working table
    differs: str  # "is distinct from", NULLs included
    json: str  # a JSON value passed up from a subquery, still JSON ({} is the value)
    key: str  # a narrow grouping key for a text ({}): equal texts, equal keys


POSTGRES = Dialect(
    obj="jsonb_build_object",
    agg="jsonb_agg",
    money="(({})::numeric(18,2))::text",
    month_day="to_char({}, 'MM-DD')",
    length="char_length",
    # Unlogged rather than temporary: parallel workers can read it. Created and dropped
    # inside the run's transaction, so no other session ever sees it.
    scratch="CREATE UNLOGGED TABLE",
    evidence="jsonb",
    differs="IS DISTINCT FROM",
    json="{}",
    key="hashtext({})",
)
SQLITE = Dialect(
    obj="json_object",
    agg="json_group_array",
    money="printf('%%.2f', {})",
    month_day="strftime('%%m-%%d', {})",
    length="length",
    scratch="CREATE TEMP TABLE",
    evidence="text",
    differs="IS NOT",
    json="json({})",
    key="{}",
)


def _dialect() -> Dialect:
    return POSTGRES if connection.vendor == "postgresql" else SQLITE


def _agg(d: Dialect, expression: str, order: str) -> str:
    # PostgreSQL orders inside the aggregate; SQLite 3.40 cannot (readers sort by id).
    if d is POSTGRES:
        return f"{d.agg}({expression} ORDER BY {order})"
    return f"{d.agg}({expression})"


def _months(first: date, last: date) -> list[tuple[date, date]]:
    """The calendar months from ``first`` to ``last``, each cut to that range (inclusive)."""
    out: list[tuple[date, date]] = []
    start = first
    while start <= last:
        following = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        out.append((start, min(following - timedelta(days=1), last)))
        start = following
    return out


# The rules that read each shared table (``_shared_sql``).
CUSTOMER_RULES = (
    SignalCode.BIRTHDAY,
    SignalCode.SETTLEMENT_GROWTH,
    SignalCode.PAYROLL_POTENTIAL,
    SignalCode.COUNTERPARTY,
)
CORPORATE_RULES = CUSTOMER_RULES[1:]
# The transfers the corporate rules read (payroll: out; counterparties: in and out).
CORPORATE_KINDS = ("transfer_in", "transfer_out", "transfer_out_other_bank")


def _shared_sql(
    rules: dict[str, dict[str, Any]], as_of: date, d: Dialect
) -> list[tuple[str, str, list[Any]]]:
    """The working tables rules share: (table, SELECT, parameters), in the order made.

    The customers are read once, into ``dev_cust``: the corporate customers (for the
    corporate rules) and the individuals whose birthday is near, with its month and
    day (the birthday rule). The corporate customers' transfers with a counterparty in
    the longest window of the two rules reading them go to ``dev_win``, joined to
    ``dev_cust`` rather than to the customers.
    """
    out: list[tuple[str, str, list[Any]]] = []
    codes = set(rules)
    if codes & set(CUSTOMER_RULES):
        kept: list[str] = []
        args: list[Any] = []
        month_day = "CAST(NULL AS TEXT)"
        if SignalCode.BIRTHDAY in codes:
            p = rules[SignalCode.BIRTHDAY]
            days = [f"{as_of + timedelta(days=i):%m-%d}" for i in range(p["days"] + 1)]
            marks = ", ".join(["%s"] * len(days))
            born = (
                "kind = 'individual' AND birth_date IS NOT NULL "
                f"AND {d.month_day.format('birth_date')} IN ({marks})"
            )
            month_day = f"CASE WHEN {born} THEN {d.month_day.format('birth_date')} END"
            kept.append(born)
            args += days
        if codes & set(CORPORATE_RULES):
            kept.append("kind = 'corporate'")
        out.append(
            (
                "dev_cust",
                f"SELECT id AS customer_id, kind, {month_day} AS month_day "
                f"FROM customers_customer WHERE {' OR '.join(f'({k})' for k in kept)}",
                args + args,
            )
        )
    window = [code for code in WINDOW_RULES if code in codes]
    if window:
        longest = max(_window_days(code, rules[code]) for code in window)
        out.append(
            (
                "dev_win",
                "SELECT t.id, t.customer_id, t.booked_on, t.kind, t.amount, t.counterparty "
                "FROM customers_transaction t JOIN dev_cust c ON c.customer_id = t.customer_id "
                f"WHERE c.kind = 'corporate' AND t.kind IN ({_sql_list(CORPORATE_KINDS)}) "
                "AND t.counterparty <> '' AND t.booked_on > %s AND t.booked_on <= %s",
                [as_of - timedelta(days=longest), as_of],
            )
        )
    return out


def _rule_sql(code: str, p: dict[str, Any], as_of: date, d: Dialect) -> tuple[str, list[Any]]:
    """The SELECT producing (customer_id, subject, evidence) for one rule, from the
    working tables (and, for evidence, the fired customers' transactions)."""
    m = d.money.format
    o = d.obj
    if code == SignalCode.IDLE_DEPOSIT:
        # The customers with an outflow after ``since`` go first (most customers have
        # one), then the rest's balances are summed in whole cents (bigint: small hash
        # states rather than numeric ones). The evidence holds the window's length, not
        # its first day, so it stays the same from one night to the next (the readers
        # give the day from the signal's last day, ``presenters.evidence_out``).
        since = as_of - timedelta(days=p["days"])
        cents = "CAST(ROUND(h.balance_cny * 100) AS BIGINT)"
        return (
            f"""
            SELECT dd.customer_id, '' AS subject,
                   {o}('balance', {m("dd.cents / 100.0")}, 'accounts', dd.accounts,
                       'days', CAST(%s AS INTEGER),
                       'last_outflow_on', (SELECT MAX(f.day) FROM development_dailyflow f
                                           WHERE f.customer_id = dd.customer_id
                                             AND f.day = %s AND f.outflows > 0)) AS evidence
            FROM (SELECT h.customer_id, SUM({cents}) AS cents, COUNT(*) AS accounts
                  FROM customers_holding h
                  WHERE h.status = 'active' AND h.product_type = 'demand_deposit'
                    AND h.opened_on <= %s
                    AND NOT EXISTS (SELECT 1 FROM development_dailyflow f
                                    WHERE f.customer_id = h.customer_id AND f.outflows > 0
                                      AND f.day > %s AND f.day <= %s)
                  GROUP BY h.customer_id
                  HAVING SUM({cents}) >= CAST(%s AS NUMERIC) * 100) dd
            """,
            [p["days"], since, since, since, as_of, str(p["min_balance"])],
        )
    if code == SignalCode.MATURITY:
        until = as_of + timedelta(days=p["days"])
        item = (
            f"{o}('holding_id', id, 'product_type', product_type, "
            f"'balance', {m('balance_cny')}, 'matures_on', matures_on)"
        )
        return (
            f"""
            SELECT customer_id, '' AS subject,
                   {o}('total', {m("SUM(balance_cny)")},
                       'holdings', {_agg(d, item, "matures_on, id")}) AS evidence
            FROM customers_holding
            WHERE status = 'active' AND matures_on IS NOT NULL
              AND matures_on >= %s AND matures_on <= %s
              AND product_type NOT IN ('loan', 'credit_card')
            GROUP BY customer_id
            """,
            [as_of, until],
        )
    if code == SignalCode.SALARY_NO_WEALTH:
        # One pass over the window's salaries at the threshold, grouped by customer: a
        # month counts when it has one (one flag per calendar month of the window, added
        # up), and the same group gives the total and the transactions. Wealth holders
        # are left out before grouping, so the transactions and the holdings are read
        # side by side (on PostgreSQL one parallel hash anti-join under the grouping,
        # rather than a hash of the holdings built by one process after it) and only
        # the other customers' salaries are grouped.
        since = as_of - timedelta(days=p["days"])
        months = _months(since + timedelta(days=1), as_of) or [(as_of, as_of)]
        flag = "MAX(CASE WHEN t.booked_on >= %s AND t.booked_on <= %s THEN 1 ELSE 0 END)"
        counted = " + ".join([flag] * len(months))
        bounds = [day for month in months for day in month]
        return (
            f"""
            SELECT g.customer_id, '' AS subject,
                   {o}('months', g.months, 'total', {m("g.total")},
                       'transactions', {d.json.format("g.ids")}) AS evidence
            FROM (SELECT t.customer_id, {counted} AS months, SUM(t.amount) AS total,
                         {_agg(d, "t.id", "t.id")} AS ids
                  FROM customers_transaction t
                  WHERE t.booked_on > %s AND t.booked_on <= %s AND t.kind = 'salary'
                    AND t.amount >= CAST(%s AS NUMERIC)
                    AND NOT EXISTS (SELECT 1 FROM customers_holding h
                                    WHERE h.customer_id = t.customer_id
                                      AND h.status = 'active'
                                      AND h.product_type IN ({_sql_list(WEALTH_TYPES)}))
                  GROUP BY t.customer_id
                  HAVING {counted} >= %s) g
            """,
            [*bounds, since, as_of, str(p["min_amount"]), *bounds, p["months"]],
        )
    if code == SignalCode.LARGE_INFLOW:
        since = as_of - timedelta(days=p["days"])
        item = f"{o}('id', t.id, 'amount', {m('t.amount')}, 'booked_on', t.booked_on)"
        inflows = (
            "FROM customers_transaction t WHERE t.customer_id = f.customer_id "
            "AND t.booked_on > %s AND t.booked_on <= %s "
            f"AND t.kind IN ({_sql_list(INFLOW_KINDS)}) AND t.amount >= CAST(%s AS NUMERIC)"
        )
        found = [since, as_of, str(p["min_amount"])]
        return (
            f"""
            SELECT f.customer_id, '' AS subject,
                   {o}('total', (SELECT {m("SUM(t.amount)")} {inflows}),
                       'transactions', (SELECT {_agg(d, item, "t.id")} {inflows})) AS evidence
            FROM (SELECT DISTINCT customer_id FROM development_dailyflow
                  WHERE day > %s AND day <= %s AND inflow_max >= CAST(%s AS NUMERIC)) f
            """,
            [*found, *found, *found],
        )
    if code == SignalCode.ATTRITION:
        since = as_of - timedelta(days=p["days"])
        return (
            f"""
            SELECT f.customer_id, '' AS subject,
                   {o}('count', f.n, 'total', {m("f.total")},
                       'transactions', (SELECT {_agg(d, "t.id", "t.id")}
                                        FROM customers_transaction t
                                        WHERE t.customer_id = f.customer_id
                                          AND t.booked_on > %s AND t.booked_on <= %s
                                          AND t.kind = 'transfer_out_other_bank')) AS evidence
            FROM (SELECT customer_id, SUM(other_bank_count) AS n,
                         SUM(other_bank_total) AS total
                  FROM development_dailyflow
                  WHERE day > %s AND day <= %s AND other_bank_count > 0
                  GROUP BY customer_id
                  HAVING SUM(other_bank_count) >= %s
                     AND SUM(other_bank_total) >= CAST(%s AS NUMERIC)) f
            """,
            [since, as_of, since, as_of, p["count"], str(p["min_total"])],
        )
    if code == SignalCode.BIRTHDAY:
        return (
            f"SELECT customer_id, '' AS subject, {o}('month_day', month_day) AS evidence "
            "FROM dev_cust WHERE month_day IS NOT NULL",
            [],
        )
    if code == SignalCode.SETTLEMENT_GROWTH:
        # Summed in whole cents (bigint: small hash states rather than numeric ones, as
        # for the idle deposits); the thresholds are compared in cents too, exactly.
        recent_from = as_of - timedelta(days=p["days"])
        previous_from = as_of - timedelta(days=2 * p["days"])
        cents = "CAST(ROUND(f.settlement * 100) AS BIGINT)"
        return (
            f"""
            SELECT g.customer_id, '' AS subject,
                   {o}('recent', {m("g.recent / 100.0")},
                       'previous', {m("g.previous / 100.0")}) AS evidence
            FROM (SELECT f.customer_id,
                         SUM(CASE WHEN f.day > %s THEN {cents} ELSE 0 END) AS recent,
                         SUM(CASE WHEN f.day <= %s THEN {cents} ELSE 0 END) AS previous
                  FROM development_dailyflow f
                  JOIN dev_cust c ON c.customer_id = f.customer_id
                  WHERE c.kind = 'corporate' AND f.day > %s AND f.day <= %s
                    AND f.settlement > 0
                  GROUP BY f.customer_id) g
            WHERE g.recent >= CAST(%s AS NUMERIC) * 100 AND g.previous > 0
              AND g.recent * 100 >= g.previous * (100 + %s)
            """,
            [
                recent_from,
                recent_from,
                previous_from,
                as_of,
                str(p["min_volume"]),
                p["growth_pct"],
            ],
        )
    if code == SignalCode.PAYROLL_POTENTIAL:
        since = as_of - timedelta(days=p["days"])
        return (
            f"""
            SELECT w.customer_id, '' AS subject,
                   {o}('people', COUNT(DISTINCT w.counterparty), 'transfers', COUNT(*),
                       'total', {m("-SUM(w.amount)")}) AS evidence
            FROM dev_win w
            WHERE w.booked_on > %s
              AND w.kind IN ('transfer_out', 'transfer_out_other_bank')
              AND {d.length}(w.counterparty) BETWEEN 2 AND 4
              AND w.counterparty NOT LIKE '%%公司%%' AND w.counterparty NOT LIKE '%% %%'
            GROUP BY w.customer_id
            HAVING COUNT(DISTINCT w.counterparty) >= %s
            """,
            [since, p["count"]],
        )
    if code == SignalCode.COUNTERPARTY:
        # Decided first, explained after: the pairs that may qualify are counted by
        # customer and a narrow key of the counterparty (on PostgreSQL an integer hash
        # of it, so the hash table holds two integers and a count per pair rather than
        # the text: equal names, equal keys, so no pair that qualifies is missed), and
        # only the rows of those pairs are grouped by the name itself, with their
        # volume. Most pairs are far below the count (none reach it at the defaults),
        # and the second grouping then reads nothing. The volume is summed in whole
        # cents (bigint states, as for settlement growth).
        since = as_of - timedelta(days=p["days"])
        recent = "w.booked_on > %s AND w.kind IN ('transfer_in', 'transfer_out')"
        key = d.key.format("w.counterparty")
        return (
            f"""
            SELECT g.customer_id, g.counterparty AS subject,
                   {o}('counterparty', g.counterparty, 'transactions', g.n,
                       'volume', {m("g.cents / 100.0")}) AS evidence
            FROM (SELECT w.customer_id, w.counterparty, COUNT(*) AS n,
                         SUM(CAST(ROUND(ABS(w.amount) * 100) AS BIGINT)) AS cents
                  FROM dev_win w
                  JOIN (SELECT w.customer_id, {key} AS pair
                        FROM dev_win w WHERE {recent}
                        GROUP BY w.customer_id, {key}
                        HAVING COUNT(*) >= %s) q
                    ON q.customer_id = w.customer_id AND q.pair = {key}
                  WHERE {recent}
                  GROUP BY w.customer_id, w.counterparty) g
            WHERE g.n >= %s AND g.cents >= CAST(%s AS NUMERIC) * 100
              AND NOT EXISTS (SELECT 1 FROM customers_customer k
                              WHERE k.display_name = g.counterparty)
            """,
            [since, p["count"], since, p["count"], str(p["min_volume"])],
        )
    raise ValueError(code)


# The rules that read the corporate customers' transactions with a counterparty
# (``dev_win``), and those that read the daily summary.
WINDOW_RULES = (SignalCode.PAYROLL_POTENTIAL, SignalCode.COUNTERPARTY)
SUMMARY_RULES = (
    SignalCode.IDLE_DEPOSIT,
    SignalCode.LARGE_INFLOW,
    SignalCode.ATTRITION,
    SignalCode.SETTLEMENT_GROWTH,
)


def _window_days(rule: str, p: dict[str, Any]) -> int:
    if rule == SignalCode.SETTLEMENT_GROWTH:
        return 2 * int(p["days"])
    if rule in (SignalCode.MATURITY, SignalCode.BIRTHDAY):
        return 0
    return int(p["days"])


@dataclass(frozen=True)
class Run:
    as_of: date
    counts: dict[str, int]
    seconds: dict[str, float]


def signals_compute(*, as_of: date | None = None, codes: list[str] | None = None) -> Run:
    """Compute every enabled rule for ``as_of`` (today by default) over the whole bank.

    One transaction. The customers are read once into a working table the rules share
    (``_shared_sql``); each rule's findings go to a working table of its own
    (``dev_<code>``), then to development_signal in one pass (``_write``); a second run
    for the same date finds the same rows and writes nothing.
    """
    as_of = as_of or timezone.localdate()
    rules = rules_effective()
    if codes is not None:
        rules = {code: p for code, p in rules.items() if code in codes}
    d = _dialect()
    seconds: dict[str, float] = {}
    flow_days = max(
        (_window_days(code, p) for code, p in rules.items() if code in SUMMARY_RULES), default=0
    )
    shared = _shared_sql(rules, as_of, d)
    scratch = [
        *(table for table, _sql, _args in shared),
        "dev_diff",
        *(f"dev_{code}" for code in rules),
    ]
    with transaction.atomic(), connection.cursor() as cursor:

        def analyse(table: str) -> None:
            # Fresh statistics, so the statements reading the table join it the right way.
            if d is POSTGRES:
                cursor.execute(f"ANALYZE {table}")

        started = time.monotonic()
        if d is POSTGRES:
            # Whole-bank aggregates: hash them in memory rather than spill to disk, and
            # skip JIT compilation, which costs more than it saves on these statements.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL jit = off")
        # Takes the run's lock (FlowMark), so two runs never interleave.
        flow = flow_refresh(cursor, start=as_of - timedelta(days=flow_days))
        if d is POSTGRES and (flow["added"] or flow["rebuilt"]):
            analyse("development_dailyflow")
        seconds["summary"] = time.monotonic() - started
        for table in scratch:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")

        # The working tables the rules share (``_shared_sql``).
        for table, sql, args in shared:
            started = time.monotonic()
            cursor.execute(f"{d.scratch} {table} AS {sql}", args)
            analyse(table)
            seconds[table] = time.monotonic() - started

        for code, params in rules.items():
            started = time.monotonic()
            select, args = _rule_sql(code, params, as_of, d)
            cursor.execute(f"{d.scratch} dev_{code} AS {select}", args)
            seconds[code] = time.monotonic() - started

        started = time.monotonic()
        counts = _write(cursor, d, as_of, list(rules))
        seconds["write"] = time.monotonic() - started
        for table in scratch:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
    return Run(as_of=as_of, counts=counts, seconds=seconds)


def _write(cursor: Any, d: Dialect, as_of: date, codes: list[str]) -> dict[str, int]:
    """Make the signals of ``codes`` found on ``as_of`` what their working tables
    (``dev_<code>``) hold, one row per episode, touching only the rows that change.

    A night after the last run extends the open episodes by recording the day
    (SignalRun) rather than writing them, updates the evidence that changed, opens the
    new episodes and closes the ones no longer found. A rerun of the day with the same
    data writes nothing. An earlier day first takes its rules back to how its own run
    left them (``_rewind``), then is computed the same way.
    """
    counts = dict.fromkeys(codes, 0)
    if not codes:
        return counts
    marks = ", ".join(["%s"] * len(codes))
    cursor.execute(f"SELECT code, day FROM development_signalrun WHERE code IN ({marks})", [*codes])
    days: dict[str, list[date]] = {code: [] for code in codes}
    for code, day in cursor.fetchall():
        days[code].append(_as_date(day))
    later = [code for code in codes if any(day > as_of for day in days[code])]
    if later:
        _rewind(cursor, as_of, later)
    groups: dict[date | None, list[str]] = {}
    for code in codes:
        previous = max((day for day in days[code] if day < as_of), default=None)
        groups.setdefault(previous, []).append(code)
    for previous, group in groups.items():
        _episodes(cursor, d, as_of, previous, group)
    fresh = [code for code in codes if as_of not in days[code]]
    if fresh:
        cursor.executemany(
            "INSERT INTO development_signalrun (code, day) VALUES (%s, %s)",
            [(code, as_of) for code in fresh],
        )
    for code in codes:
        cursor.execute(f"SELECT COUNT(*) FROM dev_{code}")
        counts[code] = cursor.fetchone()[0]
    return counts


def _as_date(value: Any) -> date:
    # SQLite hands dates back as text.
    return value if isinstance(value, date) else date.fromisoformat(value)


HELD = "EXISTS (SELECT 1 FROM development_opportunity o WHERE o.signal_id = development_signal.id)"


def _rewind(cursor: Any, as_of: date, codes: list[str]) -> None:
    """Take the signals of ``codes`` back to the day ``as_of``: the runs after it are
    forgotten, the episodes they opened go (but those an opportunity was raised from,
    kept closed as they were) and the episodes found on ``as_of`` are open again."""
    marks = ", ".join(["%s"] * len(codes))
    cursor.execute(
        "UPDATE development_signal SET last_seen = (SELECT MAX(r.day) "
        "FROM development_signalrun r WHERE r.code = development_signal.code) "
        f"WHERE code IN ({marks}) AND first_seen > %s AND last_seen IS NULL AND {HELD}",
        [*codes, as_of],
    )
    cursor.execute(
        f"DELETE FROM development_signal WHERE code IN ({marks}) AND first_seen > %s "
        f"AND NOT {HELD}",
        [*codes, as_of],
    )
    cursor.execute(
        "UPDATE development_signal SET last_seen = NULL "
        f"WHERE code IN ({marks}) AND first_seen <= %s AND last_seen >= %s",
        [*codes, as_of, as_of],
    )
    cursor.execute(
        f"DELETE FROM development_signalrun WHERE code IN ({marks}) AND day > %s",
        [*codes, as_of],
    )


def _episodes(
    cursor: Any, d: Dialect, as_of: date, previous: date | None, codes: list[str]
) -> None:
    """Fold the findings of ``codes`` on ``as_of`` into their episodes, the rules' run
    before being on ``previous``.

    One join of the findings with the episodes they may continue (``dev_diff``): the
    open ones, and those that ended on ``previous`` or on ``as_of`` itself (found by an
    earlier run of the day, then not). Found again: reopened, with the evidence if it
    changed; open and no longer found: closed on the last day found (``previous``), or
    gone if only an earlier run of this same day had found them, unless an opportunity
    was raised from them; found and new: inserted in customer order (their
    foreign-key checks then read the customers in order).
    """
    marks = ", ".join(["%s"] * len(codes))
    before = previous or as_of
    # The rules' own tables, read in place (not copied into one table first).
    union = " UNION ALL ".join(
        f"SELECT '{code}' AS code, customer_id, subject, evidence FROM dev_{code}" for code in codes
    )
    found = f"({union})"
    # A closed episode is a candidate when no open one (nor a later closed one) of the
    # same need is.
    ended = (
        "SELECT s.id, s.customer_id, s.code, s.subject, s.first_seen, s.last_seen, s.evidence "
        f"FROM development_signal s WHERE s.last_seen IN (%s, %s) AND s.code IN ({marks}) "
        "AND NOT EXISTS (SELECT 1 FROM development_signal o WHERE o.customer_id = s.customer_id "
        "AND o.code = s.code AND o.subject = s.subject "
        "AND (o.last_seen IS NULL OR (o.last_seen IN (%s, %s) AND o.id > s.id)))"
    )
    current = (
        "SELECT id, customer_id, code, subject, first_seen, last_seen, evidence "
        f"FROM development_signal WHERE last_seen IS NULL AND code IN ({marks})"
    )
    cursor.execute(
        f"{d.scratch} dev_diff AS "
        "SELECT s.id, s.first_seen, f.customer_id, f.code, f.subject, f.evidence "
        f"FROM {found} f FULL JOIN ({current} UNION ALL {ended}) s "
        "ON s.customer_id = f.customer_id AND s.code = f.code AND s.subject = f.subject "
        "WHERE s.id IS NULL OR (f.code IS NULL AND s.last_seen IS NULL) "
        "OR (f.code IS NOT NULL "
        f"AND (s.last_seen IS NOT NULL OR s.evidence {d.differs} f.evidence))",
        [*codes, before, as_of, *codes, before, as_of],
    )
    cursor.execute(
        "DELETE FROM development_signal WHERE id IN "
        "(SELECT x.id FROM dev_diff x WHERE x.code IS NULL AND x.first_seen >= %s) "
        f"AND NOT {HELD}",
        [as_of],
    )
    cursor.execute(
        "UPDATE development_signal SET last_seen = "
        "CASE WHEN x.first_seen >= %s THEN %s ELSE %s END FROM dev_diff x "
        "WHERE x.id = development_signal.id AND x.code IS NULL",
        [as_of, as_of, before],
    )
    cursor.execute(
        "UPDATE development_signal SET last_seen = NULL, evidence = x.evidence FROM dev_diff x "
        "WHERE x.id = development_signal.id AND x.code IS NOT NULL"
    )
    cursor.execute(
        "INSERT INTO development_signal "
        "(customer_id, code, subject, first_seen, last_seen, evidence) "
        "SELECT x.customer_id, x.code, x.subject, %s, NULL, x.evidence FROM dev_diff x "
        "WHERE x.id IS NULL ORDER BY x.customer_id, x.code, x.subject",
        [as_of],
    )
    cursor.execute("DROP TABLE dev_diff")


# --- reads -----------------------------------------------------------------------------


def signal_visible_to(actor: Staff) -> QuerySet[Signal]:
    """The signals of the customers ``actor`` may see.

    The policy's filter applies to the customers first and the signals follow by
    customer id, so a manager's few customers are found through the customer indexes
    (the policy's clauses OR-ed on one table) and their signals through the
    customer-first index, never by joining every signal to its customer.
    """
    scope = customer_q(actor)
    if scope == Q():
        return Signal.objects.all()
    return Signal.objects.filter(customer_id__in=Customer.objects.filter(scope).values("pk"))


def runs_through() -> dict[str, date]:
    """Each rule's latest run day: how long its open signals have been found."""
    return dict(
        SignalRun.objects.values("code").annotate(last=Max("day")).values_list("code", "last")
    )


def found_on_q(day: date, through: dict[str, date]) -> Q:
    """The signals found on ``day`` (``through``: runs_through())."""
    return Q(first_seen__lte=day) & found_since_q(day, through)


def found_since_q(day: date, through: dict[str, date]) -> Q:
    """The signals found on ``day`` or later (``through``: runs_through())."""
    still = sorted(code for code, last in through.items() if last >= day)
    return Q(last_seen__gte=day) | Q(last_seen__isnull=True, code__in=still)


def seen_until_set(signals: list[Signal], through: dict[str, date]) -> list[Signal]:
    """Give each signal the last day it was found (``through``: runs_through())."""
    for signal in signals:
        signal.seen_until = signal.last_seen or through.get(signal.code)
    return signals


def signal_list(
    *,
    actor: Staff,
    code: str | None = None,
    as_of: date | None = None,
    customer_id: int | None = None,
    offset: int = 0,
    limit: int = 25,
) -> tuple[list[Signal], bool]:
    """A page of the visible signals found on one day (the latest run's by default):
    (rows, has_more)."""
    rows = signal_visible_to(actor).select_related("customer", "customer__primary_manager")
    through = runs_through()
    day = as_of or max(through.values(), default=None)
    if day is None:
        return [], False
    rows = rows.filter(found_on_q(day, through))
    if code:
        rows = rows.filter(code=code)
    if customer_id is not None:
        rows = rows.filter(customer_id=customer_id)
    found = list(rows.order_by("code", "customer_id", "subject")[offset : offset + limit + 1])
    return seen_until_set(found[:limit], through), len(found) > limit


def signal_get(*, actor: Staff, signal_id: int) -> Signal:
    if not 0 < signal_id <= MAX_ID:
        raise Http404
    found = (
        signal_visible_to(actor)
        .select_related("customer", "customer__primary_manager")
        .filter(pk=signal_id)
        .first()
    )
    if found is None:
        raise Http404
    return seen_until_set([found], runs_through())[0]
