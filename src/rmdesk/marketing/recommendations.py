"""Next best products for every customer of the bank, in one INSERT … SELECT.

The products are few (a shelf of tens), the customers many: each product's fixed facts
(effective minimum, whether it needs an assessment, is private, is bank-issued WM, its
target tiers) are worked out in Python once and passed in as a VALUES list; the
customers × products pairing, the eligibility, the score and the ranking happen in the
database in a single statement, the same on SQLite and PostgreSQL.

Eligibility is the engine's, made stricter: a product above the customer's level is
never recommended, not even an agency fund a customer could insist on (S3: the bank
must not recommend it).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

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

REASONS = ("liquidity", "tier", "risk_match", "familiar", "fit")


def _on_sale(product: Product, now: dt.datetime) -> bool:
    return (
        product.status == Product.Status.ON_SALE
        and (product.sale_starts_at is None or product.sale_starts_at <= now)
        and (product.sale_ends_at is None or now < product.sale_ends_at)
    )


def recommendations_refresh(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Rebuild every customer's recommendations. Idempotent; one transaction."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rules = selectors.rules_current()
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
            # would write every old row's death (readers wait for the commit).
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {Recommendation._meta.db_table}")
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
        )
    return {"products": len(rows), "recommendations": inserted}


def _insert(
    *,
    rows: list[tuple[int, int, Decimal, int, int, int, str, str]],
    now: dt.datetime,
    today: dt.date,
    rules_valid_days: int,
    min_years: int,
) -> int:
    pg = connection.vendor == "postgresql"
    day = "CAST(%s AS date)" if pg else "%s"
    bits = {
        holding_type: 1 << n for n, holding_type in enumerate(sorted(set(HOLDING_TYPE.values())))
    }
    values = ", ".join("(%s, %s, CAST(%s AS NUMERIC), %s, %s, %s, %s, %s)" for _ in rows)
    params: list[Any] = [(*row[:-1], bits[row[-1]]) for row in rows]
    params = [value for row in params for value in row]
    # Which kinds of product a customer holds, as a bit mask (one pass over holdings).
    held_mask = " + ".join(
        f"MAX(CASE WHEN product_type = '{kind}' THEN {bit} ELSE 0 END)"
        for kind, bit in bits.items()
    )
    holding = Holding._meta.db_table
    assessment = Assessment._meta.db_table
    evidence = QualifiedInvestorEvidence._meta.db_table
    sale = Sale._meta.db_table
    product = Product._meta.db_table
    reco = Recommendation._meta.db_table
    # One row per customer with everything the ranking needs (one scan of each table).
    facts = f"""
    p(product_id, risk_level, eff_min, needs_assessment, is_private, bank_wm, tiers, hbit)
        AS (VALUES {values}),
    facts AS (
        SELECT c.id, c.risk_level, c.risk_expires_on, c.aum, c.tier,
               COALESCE(h.maturing, 0) AS maturing, COALESCE(h.held, 0) AS held,
               CASE WHEN q.customer_id IS NULL THEN 0 ELSE 1 END AS qualified,
               CASE WHEN b.customer_id IS NULL THEN 0 ELSE 1 END AS branch_ok
        FROM customers_customer c
        LEFT JOIN (
            SELECT customer_id,
                   SUM(CASE WHEN matures_on >= {day} AND matures_on <= {day}
                            THEN balance_cny ELSE 0 END) AS maturing,
                   {held_mask} AS held
            FROM {holding} WHERE status = 'active' GROUP BY customer_id
        ) h ON h.customer_id = c.id
        LEFT JOIN (
            SELECT DISTINCT customer_id FROM {evidence}
            WHERE evidenced_on >= {day}
              AND (basis = 'company_net_assets' OR experience_years >= %s)
        ) q ON q.customer_id = c.id
        LEFT JOIN (
            SELECT customer_id FROM {assessment} WHERE channel = 'branch'
            UNION
            SELECT s.customer_id FROM {sale} s JOIN {product} sp ON sp.id = s.product_id
            WHERE s.status = 'active' AND sp.issuer_type = 'bank'
              AND sp.type IN ('wm_public', 'wm_private')
        ) b ON b.customer_id = c.id
    )"""  # noqa: S608 - table names are ours; values are parameters
    params += [
        today,
        today + dt.timedelta(days=LIQUIDITY_DAYS),
        today - dt.timedelta(days=rules_valid_days),
        min_years,
    ]
    liquid = "f.maturing >= p.eff_min"
    score = f"""(CASE WHEN p.needs_assessment = 1 THEN 40 - 10 * (f.risk_level - p.risk_level)
                  ELSE 15 END)
            + (CASE WHEN {liquid} THEN 25 ELSE 0 END)
            + (CASE WHEN p.tiers <> '' THEN 15 ELSE 0 END)
            + (CASE WHEN (f.held / p.hbit) % 2 = 1 THEN 10 ELSE 0 END)"""
    reason = f"""CASE WHEN {liquid} THEN 'liquidity'
                 WHEN p.tiers <> '' THEN 'tier'
                 WHEN p.needs_assessment = 1 AND f.risk_level = p.risk_level THEN 'risk_match'
                 WHEN (f.held / p.hbit) % 2 = 1 THEN 'familiar'
                 ELSE 'fit' END"""
    # Never a product the customer may not buy, nor one above their level (S3).
    eligible = f"""f.aum >= p.eff_min
          AND (p.tiers = '' OR p.tiers LIKE '%,' || f.tier || ',%')
          AND (p.needs_assessment = 0 OR (
                f.risk_level IS NOT NULL AND f.risk_expires_on >= {day}
                AND p.risk_level <= f.risk_level))
          AND (p.is_private = 0 OR f.qualified = 1)
          AND (p.bank_wm = 0 OR f.branch_ok = 1)"""
    columns = "(customer_id, product_id, score, rank, reason, refreshed_at)"
    if pg:
        # Each customer's top N among a few dozen products: a small in-memory sort per
        # customer rather than one sort of every pair in the bank.
        sql = f"""
        INSERT INTO {reco} {columns}
        WITH {facts}
        SELECT f.id, x.product_id, x.score, x.rank, x.reason, %s
        FROM facts f CROSS JOIN LATERAL (
            SELECT s.*, ROW_NUMBER() OVER (ORDER BY s.score DESC, s.product_id) AS rank
            FROM (SELECT p.product_id, {score} AS score, {reason} AS reason
                  FROM p WHERE {eligible}) s
            ORDER BY rank LIMIT %s
        ) x"""  # noqa: S608
        params += [now, today, TOP_N]
    else:
        sql = f"""
        INSERT INTO {reco} {columns}
        WITH {facts},
        ranked AS (
            SELECT f.id AS customer_id, p.product_id, {score} AS score, {reason} AS reason,
                   ROW_NUMBER() OVER (PARTITION BY f.id
                                      ORDER BY {score} DESC, p.product_id) AS rank
            FROM facts f CROSS JOIN p WHERE {eligible}
        )
        SELECT customer_id, product_id, score, rank, reason, %s FROM ranked
        WHERE rank <= %s"""  # noqa: S608
        params += [today, now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" "), TOP_N]
        params = [
            p.isoformat() if isinstance(p, dt.date) and not isinstance(p, dt.datetime) else p
            for p in params
        ]
        params = [str(p) if isinstance(p, Decimal) else p for p in params]
    # psycopg and sqlite3 both take %s; a literal % is written %%.
    sql = sql.replace("LIKE '%,'", "LIKE '%%,'").replace("',%'", "',%%'").replace(") % 2", ") %% 2")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)
