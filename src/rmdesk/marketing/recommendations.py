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
    """Rank per customer profile, then hand each customer their profile's ranking.

    Eligibility and score depend on a customer only through a few facts: risk level and
    whether it is current, tier, evidence, branch assessment, the kinds of product held,
    and where AUM and maturing money fall among the shelf's minimums. Customers with the
    same facts get the same ranking, so the products are ranked once per distinct profile
    (thousands, not a million) and the result joined back to every customer.
    """
    pg = connection.vendor == "postgresql"
    day = "CAST(%s AS date)" if pg else "%s"
    bits = {kind: 1 << n for n, kind in enumerate(sorted(set(HOLDING_TYPE.values())))}
    # The distinct minimums: a customer's AUM (or maturing money) "reaches" a product
    # exactly when its bucket (how many of these it reaches) is ≥ the product's index.
    thresholds = sorted({row[2] for row in rows})
    index = {amount: n + 1 for n, amount in enumerate(thresholds)}
    values = ", ".join("(%s, %s, %s, %s, %s, %s, %s, %s)" for _ in rows)
    params: list[Any] = []
    for product_id, risk, minimum, assessed, private, bank_wm, tiers, kind in rows:
        params += [product_id, risk, index[minimum], assessed, private, bank_wm, tiers, bits[kind]]

    def bucket(column: str) -> str:
        return " + ".join(
            f"(CASE WHEN {column} >= CAST(%s AS NUMERIC) THEN 1 ELSE 0 END)" for _ in thresholds
        )

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
    profile = "risk, valid, tier, qualified, branch_ok, held, aum_b, mat_b"
    sql = f"""
    INSERT INTO {reco} (customer_id, product_id, score, rank, reason, refreshed_at)
    WITH p(product_id, risk_level, min_idx, needs_assessment, is_private, bank_wm, tiers,
           hbit) AS (VALUES {values}),
    facts AS (
        SELECT c.id,
               COALESCE(c.risk_level, 0) AS risk,
               CASE WHEN c.risk_expires_on >= {day} THEN 1 ELSE 0 END AS valid,
               c.tier,
               CASE WHEN q.customer_id IS NULL THEN 0 ELSE 1 END AS qualified,
               CASE WHEN b.customer_id IS NULL THEN 0 ELSE 1 END AS branch_ok,
               COALESCE(h.held, 0) AS held,
               {bucket("c.aum")} AS aum_b,
               {bucket("COALESCE(h.maturing, 0)")} AS mat_b
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
    ),
    profiles AS (SELECT DISTINCT {profile} FROM facts),
    ranked AS (
        SELECT k.*, p.product_id,
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
        SELECT r.*, ROW_NUMBER() OVER (
            PARTITION BY {profile} ORDER BY score DESC, product_id) AS rank
        FROM ranked r
    )
    SELECT f.id, t.product_id, t.score, t.rank, t.reason, %s
    FROM facts f JOIN top t
      ON t.rank <= %s AND t.risk = f.risk AND t.valid = f.valid AND t.tier = f.tier
     AND t.qualified = f.qualified AND t.branch_ok = f.branch_ok AND t.held = f.held
     AND t.aum_b = f.aum_b AND t.mat_b = f.mat_b
    """  # noqa: S608 - table names and bit values are ours; values are parameters
    params += [today, *thresholds, *thresholds]
    params += [today, today + dt.timedelta(days=LIQUIDITY_DAYS)]
    params += [today - dt.timedelta(days=rules_valid_days), min_years]
    params += [now if pg else now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")]
    params += [TOP_N]
    if not pg:
        params = [
            p.isoformat() if isinstance(p, dt.date) and not isinstance(p, dt.datetime) else p
            for p in params
        ]
        params = [str(p) if isinstance(p, Decimal) else p for p in params]
    with connection.cursor() as cursor:
        if pg:
            # The ranking's size is unknowable to the planner (it guesses one row) and a
            # nested loop over a million customers per ranked row would be quadratic:
            # join the profiles back by hash, for this transaction only.
            cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(sql, params)
        inserted = int(cursor.rowcount)
        if pg:
            cursor.execute("SET LOCAL enable_nestloop = on")
        return inserted
