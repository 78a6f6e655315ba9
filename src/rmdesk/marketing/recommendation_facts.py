"""Each customer's recommendation inputs (``RecommendationFacts``), kept up to date.

The first refresh on a bank reads every table once, in customer order, into the facts
table. After that a night reads again only the customers that changed: those the
triggers of ``recommendation_changes`` noted (holdings, assessments, evidence,
purchases, tier or AUM written since), and those with active money maturing into or
out of the 60-day window since the day the facts were read (found through the
maturity index). Assessment expiry and evidence age are kept as dates and judged on
the day of each run, so the passing of time alone re-reads nobody else.

The whole bank is read again when what the facts mean changes: the liquidity window,
the experience a qualified investor needs (S11), or which products are the bank's own
WM (S6).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection

from rmdesk.customers.models import Holding
from rmdesk.marketing.models import (
    Assessment,
    CustomerRecommendationProfile,
    Product,
    QualifiedInvestorEvidence,
    RecommendationChange,
    RecommendationFacts,
    RecommendationMark,
    Sale,
)

# The customers read again by this refresh (a temporary table of its transaction).
IDS = "marketing_recommendation_ids"
# Their facts as read again (PostgreSQL).
FRESH = "marketing_recommendation_fresh"
COLUMNS = (
    "customer_id",
    "tier",
    "aum",
    "risk_level",
    "expires_on",
    "assessed",
    "branch",
    "qualified_on",
    "bank_wm",
    "held_kinds",
    "maturing",
    "key",
)


@dataclass(frozen=True)
class FactsRead:
    """What ``facts_refresh`` did: a whole-bank read or not, and the customers it read."""

    full: bool
    customers: int


def _day(pg: bool) -> str:
    return "CAST(%s AS date)" if pg else "%s"


def _facts_select(*, pg: bool, kinds: dict[str, int], only: bool) -> str:
    """The facts of every customer, or ``only`` of the customers to read again.

    Named parameters: ``first`` and ``last``, the liquidity window's days, ``years``, the
    experience S11 asks, and with ``only`` on PostgreSQL ``ids``, the customers (the
    temporary table ``IDS`` on SQLite).
    """
    holding = Holding._meta.db_table
    assessment = Assessment._meta.db_table
    evidence = QualifiedInvestorEvidence._meta.db_table
    sale = Sale._meta.db_table
    product = Product._meta.db_table
    stored = CustomerRecommendationProfile._meta.db_table
    first, last = (
        ("CAST(%(first)s AS date)", "CAST(%(last)s AS date)")
        if pg
        else (
            "%(first)s",
            "%(last)s",
        )
    )

    def among(column: str, joiner: str = "AND") -> str:
        if not only:
            return ""
        if pg:
            # An array: each table read through its customer index, page by page in
            # table order (a bitmap scan), rather than every row hashed against a list.
            return f"{joiner} {column} = ANY(CAST(%(ids)s AS bigint[]))"
        return f"{joiner} {column} IN (SELECT id FROM {IDS})"  # noqa: S608

    if pg:
        held_mask = (
            "BIT_OR(CASE product_type "
            + " ".join(f"WHEN '{kind}' THEN {bit}" for kind, bit in kinds.items())
            + " ELSE 0 END)"
        )
        # The latest (assessed_at, id) with its level and expiry as one array's maximum:
        # a plain grouped pass in customer order, where numbering the rows of each
        # customer sorts them and walks them twice.
        latest_assessment = f"""
            SELECT customer_id, latest[3] AS risk_level,
                   DATE '2000-01-01' + CAST(latest[4] AS integer) AS expires_on, branch
            FROM (
                SELECT customer_id,
                       MAX(ARRAY[CAST(EXTRACT(EPOCH FROM assessed_at) * 1000000 AS bigint),
                                 id, risk_level, expires_on - DATE '2000-01-01']) AS latest,
                       MAX(CASE WHEN channel = 'branch' THEN 1 ELSE 0 END) AS branch
                FROM {assessment} {among("customer_id", "WHERE")} GROUP BY customer_id
            ) grouped_assessments
        """  # noqa: S608 - table names are ours
    else:
        held_mask = " + ".join(
            f"MAX(CASE WHEN product_type = '{kind}' THEN {bit} ELSE 0 END)"
            for kind, bit in kinds.items()
        )
        latest_assessment = f"""
            SELECT customer_id, risk_level, expires_on, branch FROM (
                SELECT customer_id, risk_level, expires_on,
                       MAX(CASE WHEN channel = 'branch' THEN 1 ELSE 0 END)
                           OVER (PARTITION BY customer_id) AS branch,
                       ROW_NUMBER() OVER (
                           PARTITION BY customer_id ORDER BY assessed_at DESC, id DESC) AS n
                FROM {assessment} {among("customer_id", "WHERE")}
            ) ranked_assessments WHERE n = 1
        """  # noqa: S608 - table names are ours
    # Each table is read once: the customers, their active holdings, their assessments
    # (the latest one decides, as in the engine; any at a branch counts for S6), their
    # qualifying evidence, their active purchases of the bank's own WM, and the profile
    # their row names now.
    sql = f"""
        SELECT c.id AS customer_id, c.tier, c.aum, COALESCE(a.risk_level, 0) AS risk_level,
               a.expires_on, a.customer_id IS NOT NULL AS assessed,
               COALESCE(a.branch, 0) = 1 AS branch, q.qualified_on,
               w.customer_id IS NOT NULL AS bank_wm, COALESCE(h.held, 0) AS held_kinds,
               h.maturing, s.profile_id AS key
        FROM customers_customer c
        LEFT JOIN (
            -- The kinds held, and the money maturing soon (summed only where some is).
            SELECT customer_id, {held_mask} AS held,
                   SUM(balance_cny) FILTER (
                       WHERE matures_on >= {first} AND matures_on <= {last}) AS maturing
            FROM {holding} WHERE status = 'active' {among("customer_id")}
            GROUP BY customer_id
        ) h ON h.customer_id = c.id
        LEFT JOIN ({latest_assessment}) a ON a.customer_id = c.id
        LEFT JOIN (
            SELECT customer_id, MAX(evidenced_on) AS qualified_on FROM {evidence}
            WHERE (basis = 'company_net_assets' OR experience_years >= %(years)s)
              {among("customer_id")}
            GROUP BY customer_id
        ) q ON q.customer_id = c.id
        LEFT JOIN (
            SELECT DISTINCT s.customer_id FROM {sale} s
            JOIN {product} sp ON sp.id = s.product_id
            WHERE s.status = 'active' AND sp.issuer_type = 'bank'
              AND sp.type IN ('wm_public', 'wm_private') {among("s.customer_id")}
        ) w ON w.customer_id = c.id
        LEFT JOIN {stored} s ON s.customer_id = c.id
        {among("c.id", "WHERE")}
    """  # noqa: S608 - table names are ours; values are parameters
    return sql


def facts_refresh(
    cursor: Any,
    *,
    today: dt.date,
    window_days: int,
    min_years: int,
    bank_wm_products: str,
    kinds: dict[str, int],
) -> FactsRead:
    """Bring ``RecommendationFacts`` up to date for ``today``, in the caller's transaction.

    Holds the refresh's lock (one refresh at a time). Empties ``RecommendationChange``
    of the changes it read; a change committed while it runs stays for the next one.
    """
    pg = connection.vendor == "postgresql"
    facts = RecommendationFacts._meta.db_table
    changes = RecommendationChange._meta.db_table
    mark = RecommendationMark.objects.order_by("pk").first()
    full = (
        mark is None
        or mark.window_days != window_days
        or mark.min_experience_years != min_years
        or mark.bank_wm_products != bank_wm_products
    )
    params: dict[str, Any] = {
        "first": today,
        "last": today + dt.timedelta(days=window_days),
        "years": min_years,
    }
    if not pg:
        params = {name: _params(pg, [value])[0] for name, value in params.items()}
    insert = f"INSERT INTO {facts} ({', '.join(COLUMNS)}) "
    if full or mark is None:
        cursor.execute(f"DELETE FROM {changes}")  # noqa: S608 - table names are ours
        cursor.execute(f"DELETE FROM {facts}")  # noqa: S608 - table names are ours
        sql = _facts_select(pg=pg, kinds=kinds, only=False)
        if pg:
            # Every table walked once in customer order and merged as it comes, rather
            # than a million customers' holdings hashed in memory.
            for setting in ("enable_hashagg", "enable_hashjoin", "enable_nestloop"):
                cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(insert + sql, params)
        read = int(cursor.rowcount)
        if pg:
            for setting in ("enable_hashagg", "enable_hashjoin", "enable_nestloop"):
                cursor.execute(f"RESET {setting}")
    else:
        cursor.execute(f"DROP TABLE IF EXISTS {IDS}")
        cursor.execute(f"CREATE TEMP TABLE {IDS} (id bigint)")
        if pg:
            # Exactly the changes read are removed, whatever commits meanwhile.
            cursor.execute(
                f"WITH read AS (DELETE FROM {changes} RETURNING customer_id) "  # noqa: S608
                f"INSERT INTO {IDS} SELECT DISTINCT customer_id FROM read"
            )
        else:
            # SQLite writes one transaction at a time: nothing commits in between.
            cursor.execute(f"INSERT INTO {IDS} SELECT DISTINCT customer_id FROM {changes}")  # noqa: S608
            cursor.execute(f"DELETE FROM {changes}")  # noqa: S608 - table names are ours
        if mark.day != today:
            # Money maturing into or out of the window as it moved from the facts' day:
            # the days between the two starts, and between the two ends.
            low, high = sorted((mark.day, today))
            day = _day(pg)
            cursor.execute(
                f"INSERT INTO {IDS} SELECT DISTINCT customer_id FROM {Holding._meta.db_table} "  # noqa: S608
                f"WHERE status = 'active' AND matures_on IS NOT NULL "
                f"AND ((matures_on >= {day} AND matures_on < {day}) "
                f"OR (matures_on > {day} AND matures_on <= {day}))",
                _params(
                    pg,
                    [
                        low,
                        high,
                        low + dt.timedelta(days=window_days),
                        high + dt.timedelta(days=window_days),
                    ],
                ),
            )
        cursor.execute(f"SELECT DISTINCT id FROM {IDS} ORDER BY id")  # noqa: S608
        ids = [int(row[0]) for row in cursor.fetchall()]
        read = 0
        if ids:
            sql = _facts_select(pg=pg, kinds=kinds, only=True)
            if pg:
                # Read into a new table first: CREATE TABLE … AS may scan the tables in
                # parallel, an INSERT … SELECT may not.
                params["ids"] = ids
                cursor.execute(f"DROP TABLE IF EXISTS {FRESH}")
                cursor.execute(f"CREATE TEMP TABLE {FRESH} AS {sql}", params)
                cursor.execute(
                    f"DELETE FROM {facts} WHERE customer_id = ANY(CAST(%s AS bigint[]))",  # noqa: S608
                    [ids],
                )
                cursor.execute(insert + f"SELECT * FROM {FRESH}")  # noqa: S608
                read = int(cursor.rowcount)
                cursor.execute(f"DROP TABLE {FRESH}")
            else:
                cursor.execute(
                    f"DELETE FROM {facts} WHERE customer_id IN (SELECT id FROM {IDS})"  # noqa: S608
                )
                cursor.execute(insert + sql, params)
                read = int(cursor.rowcount)
        cursor.execute(f"DROP TABLE {IDS}")
    if mark is None:
        RecommendationMark.objects.create(
            day=today,
            window_days=window_days,
            min_experience_years=min_years,
            bank_wm_products=bank_wm_products,
        )
    elif (mark.day, mark.window_days, mark.min_experience_years, mark.bank_wm_products) != (
        today,
        window_days,
        min_years,
        bank_wm_products,
    ):
        mark.day, mark.window_days = today, window_days
        mark.min_experience_years, mark.bank_wm_products = min_years, bank_wm_products
        mark.save()
    return FactsRead(full=full, customers=read)


def shelf_ranked(digest: str) -> bool:
    """Whether the stored profiles were ranked against this shelf and ranking."""
    return RecommendationMark.objects.filter(shelf=digest).exists()


def shelf_mark(digest: str) -> None:
    RecommendationMark.objects.exclude(shelf=digest).update(shelf=digest)


def _params(pg: bool, params: list[Any]) -> list[Any]:
    if pg:
        return params
    return [
        p.isoformat() if isinstance(p, dt.date) and not isinstance(p, dt.datetime) else p
        for p in params
    ]
