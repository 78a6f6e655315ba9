"""Next best products for every customer of the bank, set-based, in one transaction.

The products are few (a shelf of tens), the customers many: each product's fixed facts
(effective minimum, whether it needs an assessment, is private, is bank-issued WM, its
target tiers) are worked out in Python once and passed in as a VALUES list. Each
customer's facts come from one pass over each table into a temporary table of profiles;
the profiles × products pairing, the eligibility, the score and the ranking happen in
the database, once per distinct profile, and one INSERT … SELECT hands every customer
their profile's top products — the same statements on SQLite and PostgreSQL.

Eligibility is the engine's (``suitability_check`` at the product's minimum: it reads
the latest assessment, as the engine does), made stricter: a product above the
customer's level is never recommended, not even an agency fund a customer could insist
on (S3: the bank must not recommend it), nor one whose minimum their AUM does not reach
or whose target tiers leave them out. ``tests/test_recommendation_agreement.py`` holds
the two to agreement pair by pair.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from rmdesk.customers.models import Holding
from rmdesk.marketing import selectors
from rmdesk.marketing.models import (
    Assessment,
    Product,
    QualifiedInvestorEvidence,
    Recommendation,
    Sale,
)
from rmdesk.marketing.suitability import WM_TYPES

TOP_N = 5
LIQUIDITY_DAYS = 60

# Which holdings count as "has bought this kind before".
HOLDING_TYPE: dict[str, str] = {
    Product.Type.WM_PUBLIC: Holding.ProductType.WEALTH,
    Product.Type.WM_PRIVATE: Holding.ProductType.WEALTH,
    Product.Type.FUND: Holding.ProductType.FUND,
    Product.Type.INSURANCE: Holding.ProductType.INSURANCE,
    Product.Type.TIME_DEPOSIT: Holding.ProductType.TIME_DEPOSIT,
    Product.Type.STRUCTURED_DEPOSIT: Holding.ProductType.STRUCTURED_DEPOSIT,
    Product.Type.GOVERNMENT_BOND: Holding.ProductType.BOND,
    Product.Type.PHYSICAL_METAL: Holding.ProductType.PRECIOUS_METAL,
}

# Loans and cards are offered through credit, not recommended as investments.
RECOMMENDABLE = frozenset(HOLDING_TYPE)

# Each customer's profile, for the rebuild's one transaction.
FACTS = "marketing_recommendation_facts"

REASONS = ("liquidity", "tier", "risk_match", "familiar", "fit")


def _on_sale(product: Product, now: dt.datetime) -> bool:
    return (
        product.status == Product.Status.ON_SALE
        and (product.sale_starts_at is None or product.sale_starts_at <= now)
        and (product.sale_ends_at is None or now < product.sale_ends_at)
    )


def recommendations_refresh(
    *, now: dt.datetime | None = None, top_n: int = TOP_N
) -> dict[str, int]:
    """Rebuild every customer's recommendations (their best ``top_n`` products).

    Idempotent; one transaction.
    """
    now = now or timezone.now()
    rules = selectors.rules_current()
    # The engine's day: the rule set's time zone.
    today = now.astimezone(ZoneInfo(rules.time_zone)).date()
    rows = []
    for product in Product.objects.filter(type__in=RECOMMENDABLE).order_by("pk"):
        if not _on_sale(product, now):
            continue
        minimum = max(
            product.min_amount,
            rules.regulatory_minimum(
                issuer=product.issuer_type,
                product_type=product.type,
                asset_class=product.asset_class,
            ),
        )
        if product.quota is not None and product.quota - product.quota_used < minimum:
            continue
        tiers = "," + ",".join(product.target_tiers) + "," if product.target_tiers else ""
        rows.append(
            (
                product.pk,
                product.risk_level,
                minimum,
                int(product.type in rules.assessed_types),
                int(product.type in rules.private_types),
                int(product.type in WM_TYPES and product.issuer_type == Product.Issuer.BANK),
                tiers,
                HOLDING_TYPE[product.type],
            )
        )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A nightly rebuild of a derived table: TRUNCATE is instant where DELETE
            # would write every old row's death (readers wait for the commit). The new
            # rows are numbered from 1 as they are written.
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {Recommendation._meta.db_table} RESTART IDENTITY")
        else:
            Recommendation.objects.all().delete()
        if not rows:
            return {"products": 0, "recommendations": 0}
        inserted = _insert(
            rows=rows,
            now=now,
            today=today,
            rules_valid_days=rules.qualified_evidence_valid_days,
            min_years=rules.qualified_min_experience_years,
            top_n=top_n,
        )
    return {"products": len(rows), "recommendations": inserted}


def _insert(
    *,
    rows: list[tuple[int, int, Decimal, int, int, int, str, str]],
    now: dt.datetime,
    today: dt.date,
    rules_valid_days: int,
    min_years: int,
    top_n: int,
) -> int:
    """Rank per customer profile, then hand each customer their profile's ranking.

    Eligibility and score depend on a customer only through a few facts: the latest
    assessment's level and whether it is current, tier, evidence, whether the bank's own
    WM may be bought (S6), the kinds of product held, and where AUM and maturing money
    fall among the shelf's minimums. Customers with the same facts get the same ranking,
    so the products are ranked once per distinct profile (thousands, not a million) and
    the result joined back to every customer by the profile's number and tier.
    """
    pg = connection.vendor == "postgresql"
    day = "CAST(%s AS date)" if pg else "%s"
    kinds = sorted(set(HOLDING_TYPE.values()))
    bits = {kind: 1 << n for n, kind in enumerate(kinds)}
    # The distinct minimums: a customer's AUM (or maturing money) "reaches" a product
    # exactly when its bucket (how many of these it reaches) is ≥ the product's index.
    thresholds = sorted({row[2] for row in rows})
    index = {amount: n + 1 for n, amount in enumerate(thresholds)}
    values = ", ".join("(%s, %s, %s, %s, %s, %s, %s, %s)" for _ in rows)
    params: list[Any] = []
    for product_id, risk, minimum, assessed, private, bank_wm, tiers, kind in rows:
        params += [product_id, risk, index[minimum], assessed, private, bank_wm, tiers, bits[kind]]

    def bucket(column: str) -> str:
        if pg:
            # How many of the sorted minimums the amount reaches, by binary search.
            return f"width_bucket({column}, CAST(%s AS numeric[]))"
        return " + ".join(
            f"(CASE WHEN {column} >= CAST(%s AS NUMERIC) THEN 1 ELSE 0 END)" for _ in thresholds
        )

    bucket_params: list[Any] = [thresholds] if pg else list(thresholds)

    if pg:
        cases = " ".join(f"WHEN '{kind}' THEN {bit}" for kind, bit in bits.items())
        held_mask = f"BIT_OR(CASE product_type {cases} ELSE 0 END)"
    else:
        held_mask = " + ".join(
            f"MAX(CASE WHEN product_type = '{kind}' THEN {bit} ELSE 0 END)"
            for kind, bit in bits.items()
        )
    # One number per profile (tier aside): the facts in mixed radix.
    span = len(thresholds) + 1
    key = (
        f"((((((held * {span} + aum_b) * {span} + mat_b) * 6 + risk) * 2 + valid) * 2"
        " + qualified) * 2 + branch_ok)"
    )
    holding = Holding._meta.db_table
    assessment = Assessment._meta.db_table
    evidence = QualifiedInvestorEvidence._meta.db_table
    sale = Sale._meta.db_table
    product = Product._meta.db_table
    reco = Recommendation._meta.db_table
    # Each table is read once: the customers, their active holdings, their assessments
    # (the latest one decides, as in the engine; any at a branch counts for S6), their
    # current evidence and their active purchases of the bank's own WM.
    facts_sql = f"""
    CREATE TEMP TABLE {FACTS} AS
    SELECT id, tier, risk, valid, qualified, branch_ok, held, aum_b, mat_b, {key} AS pkey
    FROM (
        SELECT c.id, c.tier,
               COALESCE(a.risk_level, 0) AS risk,
               CASE WHEN a.expires_on >= {day} THEN 1 ELSE 0 END AS valid,
               CASE WHEN q.customer_id IS NULL THEN 0 ELSE 1 END AS qualified,
               -- S6: a first purchase of the bank's own WM needs a branch assessment.
               CASE WHEN a.customer_id IS NULL OR a.branch = 1 OR w.customer_id IS NOT NULL
                    THEN 1 ELSE 0 END AS branch_ok,
               COALESCE(h.held, 0) AS held,
               {bucket("c.aum")} AS aum_b,
               CASE WHEN h.maturing IS NULL THEN 0 ELSE {bucket("h.maturing")} END AS mat_b
        FROM customers_customer c
        LEFT JOIN (
            -- The kinds held, and the money maturing soon (summed only where some is).
            SELECT customer_id, {held_mask} AS held,
                   SUM(CASE WHEN matures_on >= {day} AND matures_on <= {day}
                            THEN balance_cny END) AS maturing
            FROM {holding} WHERE status = 'active' GROUP BY customer_id
        ) h ON h.customer_id = c.id
        LEFT JOIN (
            SELECT customer_id, risk_level, expires_on, branch FROM (
                SELECT customer_id, risk_level, expires_on,
                       MAX(CASE WHEN channel = 'branch' THEN 1 ELSE 0 END)
                           OVER (PARTITION BY customer_id) AS branch,
                       ROW_NUMBER() OVER (
                           PARTITION BY customer_id ORDER BY assessed_at DESC, id DESC) AS n
                FROM {assessment}
            ) ranked_assessments WHERE n = 1
        ) a ON a.customer_id = c.id
        LEFT JOIN (
            SELECT DISTINCT customer_id FROM {evidence}
            WHERE evidenced_on >= {day}
              AND (basis = 'company_net_assets' OR experience_years >= %s)
        ) q ON q.customer_id = c.id
        LEFT JOIN (
            SELECT DISTINCT s.customer_id FROM {sale} s
            JOIN {product} sp ON sp.id = s.product_id
            WHERE s.status = 'active' AND sp.issuer_type = 'bank'
              AND sp.type IN ('wm_public', 'wm_private')
        ) w ON w.customer_id = c.id
    ) facts
    """  # noqa: S608 - table names are ours; values are parameters
    sql = f"""
    INSERT INTO {reco} ({"id, " if pg else ""}customer_id, product_id, score, rank, reason,
                        refreshed_at)
    WITH p(product_id, risk_level, min_idx, needs_assessment, is_private, bank_wm, tiers,
           hbit) AS (VALUES {values}),
    profiles AS (
        SELECT DISTINCT pkey, tier, risk, valid, qualified, branch_ok, held, aum_b, mat_b
        FROM {FACTS}
    ),
    ranked AS (
        SELECT k.pkey, k.tier, p.product_id,
            (CASE WHEN p.needs_assessment = 1 THEN 40 - 10 * (k.risk - p.risk_level)
                  ELSE 15 END)
            + (CASE WHEN k.mat_b >= p.min_idx THEN 25 ELSE 0 END)
            + (CASE WHEN p.tiers <> '' THEN 15 ELSE 0 END)
            + (CASE WHEN (k.held / p.hbit) %% 2 = 1 THEN 10 ELSE 0 END) AS score,
            CASE WHEN k.mat_b >= p.min_idx THEN 'liquidity'
                 WHEN p.tiers <> '' THEN 'tier'
                 WHEN p.needs_assessment = 1 AND k.risk = p.risk_level THEN 'risk_match'
                 WHEN (k.held / p.hbit) %% 2 = 1 THEN 'familiar'
                 ELSE 'fit' END AS reason
        FROM profiles k CROSS JOIN p
        -- Never a product the customer may not buy, nor one above their level (S3).
        WHERE k.aum_b >= p.min_idx
          AND (p.tiers = '' OR p.tiers LIKE '%%,' || k.tier || ',%%')
          AND (p.needs_assessment = 0 OR (k.risk > 0 AND k.valid = 1 AND p.risk_level <= k.risk))
          AND (p.is_private = 0 OR k.qualified = 1)
          AND (p.bank_wm = 0 OR k.branch_ok = 1)
    ),
    top AS (
        SELECT * FROM (
            SELECT r.*, ROW_NUMBER() OVER (
                PARTITION BY pkey, tier ORDER BY score DESC, product_id) AS rank
            FROM ranked r
        ) numbered WHERE rank <= %s
    )
    SELECT {"ROW_NUMBER() OVER ()," if pg else ""}
           f.id, t.product_id, t.score, t.rank, t.reason, %s
    FROM {FACTS} f JOIN top t ON t.pkey = f.pkey AND t.tier = f.tier
    """  # noqa: S608 - table names and bit values are ours; values are parameters
    facts_params: list[Any] = [today, *bucket_params, *bucket_params]
    facts_params += [today, today + dt.timedelta(days=LIQUIDITY_DAYS)]
    facts_params += [today - dt.timedelta(days=rules_valid_days), min_years]
    params += [top_n]
    params += [now if pg else now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")]
    if not pg:
        facts_params = _sqlite_params(facts_params)
        params = _sqlite_params(params)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FACTS}")
        if not pg:
            cursor.execute(facts_sql, facts_params)
            cursor.execute(sql, params)
            inserted = int(cursor.rowcount)
            cursor.execute(f"DROP TABLE {FACTS}")
            return inserted
        # A rebuild of a derived table, in this transaction only: no JIT (compiling the
        # wide statements costs seconds and saves nothing) and room to sort in memory.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        # The facts: every table walked once in customer order and merged as it comes,
        # rather than a million customers' holdings hashed in memory.
        cursor.execute("SET LOCAL enable_hashagg = off")
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(facts_sql, facts_params)
        for setting in ("enable_hashagg", "enable_hashjoin", "enable_nestloop"):
            cursor.execute(f"RESET {setting}")
        cursor.execute(f"ANALYZE {FACTS}")
        # The table was just emptied: fill it without its indexes and build them once,
        # sorted, rather than insert millions of rows into two B-trees one by one.
        indexes = _indexes_drop(cursor, reco)
        cursor.execute(sql, params)
        inserted = int(cursor.rowcount)
        # The rows carry their own numbers (no sequence call per row): move it past them.
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, %s)",
            [reco, max(inserted, 1), inserted > 0],
        )
        for statement in indexes:
            cursor.execute(statement)
        cursor.execute(f"DROP TABLE {FACTS}")
        for setting in ("jit", "work_mem", "maintenance_work_mem"):
            cursor.execute(f"RESET {setting}")
        return inserted


def _sqlite_params(params: list[Any]) -> list[Any]:
    return [
        p.isoformat()
        if isinstance(p, dt.date) and not isinstance(p, dt.datetime)
        else str(p)
        if isinstance(p, Decimal)
        else p
        for p in params
    ]


def _indexes_drop(cursor: Any, table: str) -> list[str]:
    """Drop ``table``'s constraints' and indexes (PostgreSQL); return how to rebuild them."""
    cursor.execute(
        """
        SELECT con.conname, pg_get_constraintdef(con.oid)
        FROM pg_constraint con
        WHERE con.conrelid = CAST(%s AS regclass) AND con.contype IN ('p', 'u')
        ORDER BY con.contype, con.conname
        """,
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = CAST(%s AS regclass)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
        """,
        [table],
    )
    plain = cursor.fetchall()
    rebuild = []
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in plain:
        cursor.execute(f"DROP INDEX {name}")
        rebuild.append(definition)
    return rebuild
