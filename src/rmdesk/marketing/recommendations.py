"""Next best products for every customer of the bank, set-based, in one transaction.

The products are few (a shelf of tens), the customers many, and what decides a
customer's ranking is a handful of facts — the latest assessment's level and whether it
is current, qualified-investor evidence, whether the bank's own WM may be bought (S6),
the kinds of product held, where AUM and maturing money fall among the shelf's
minimums, and the tier where a product targets it. Customers with the same facts get
the same ranking, so the refresh stores each distinct profile's ranked products once
(``RecommendationProfile`` and its items: tens of thousands of rows, not millions) and
one short row per customer naming their profile (``CustomerRecommendationProfile``).
Each is compared with what is stored and written only where it changed: a night on
which nobody's facts moved writes nothing. ``Recommendation`` is the view that
joins the two back: one customer's list is two index lookups.

Each product's fixed facts (effective minimum, whether it needs an assessment, is
private, is bank-issued WM, its target tiers) are worked out in Python once and passed
in as a VALUES list. Each customer's profile comes from one pass over each table into a
temporary table; the profiles × products pairing, the eligibility, the score and the
ranking happen in the database, once per profile — the same statements on SQLite and
PostgreSQL, but for how the latest assessment is picked.

Eligibility is the engine's (``suitability_check`` at the product's minimum: it reads
the latest assessment, as the engine does), made stricter: a product above the
customer's level is never recommended, not even an agency fund a customer could insist
on (S3: the bank must not recommend it), nor one whose minimum their AUM does not reach
or whose target tiers leave them out. ``tests/test_recommendation_agreement.py`` holds
the two to agreement pair by pair.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from rmdesk.customers.models import Holding
from rmdesk.marketing import selectors
from rmdesk.marketing.models import (
    CustomerRecommendationProfile,
    Product,
    RecommendationFacts,
    RecommendationProfile,
    RecommendationProfileItem,
)
from rmdesk.marketing.recommendation_facts import facts_refresh, shelf_mark, shelf_ranked
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

# The customers whose profile key moved, new and stored, for the refresh's transaction.
FACTS = "marketing_recommendation_keys"
# The profiles and their ranked products as this refresh finds them, compared with the
# stored ones so that only what changed is written.
PROFILES = "marketing_recommendation_profiles_new"
ITEMS = "marketing_recommendation_items_new"

# A bit per kind of holding, in the profile key's held kinds.
KINDS = sorted(set(HOLDING_TYPE.values()))

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
    """Re-rank every profile and name every customer's (their best ``top_n`` products).

    Idempotent; one transaction. Returns the products ranked, the profiles, the customer
    × product recommendations they amount to, and the customers whose row was written
    (inserted, changed or removed).
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
        rows.append(
            ProductRow(
                product_id=product.pk,
                risk_level=product.risk_level,
                minimum=minimum,
                assessed=int(product.type in rules.assessed_types),
                private=int(product.type in rules.private_types),
                bank_wm=int(
                    product.type in WM_TYPES and product.issuer_type == Product.Issuer.BANK
                ),
                tiers=tuple(product.target_tiers),
                kind=HOLDING_TYPE[product.type],
            )
        )
    # Which products are the bank's own WM: a purchase of one counts for S6.
    bank_wm_products = ",".join(
        str(pk)
        for pk in Product.objects.filter(issuer_type=Product.Issuer.BANK, type__in=WM_TYPES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        return _refresh(
            rows=rows,
            bank_wm_products=bank_wm_products,
            now=now,
            today=today,
            rules_valid_days=rules.qualified_evidence_valid_days,
            min_years=rules.qualified_min_experience_years,
            top_n=top_n,
        )


@dataclass(frozen=True)
class ProductRow:
    """What the ranking needs of one product on sale."""

    product_id: int
    risk_level: int
    minimum: Decimal
    assessed: int
    private: int
    bank_wm: int
    tiers: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class ProfileKey:
    """A profile's facts as one number, in mixed radix, for one shelf.

    AUM and maturing money count as the number of the shelf's distinct minimums they
    reach (0 … len(thresholds)): the shelf never asks more of them. A tier counts only
    if some product targets it; every other tier ranks alike (0).
    """

    thresholds: list[Decimal]
    tiers: list[str]
    kinds: list[str]

    def digits(self) -> list[tuple[str, int]]:
        """(fact, radix), least significant first; the last digit is unbounded."""
        span = len(self.thresholds) + 1
        return [
            ("tier_code", len(self.tiers) + 1),
            ("branch_ok", 2),
            ("qualified", 2),
            ("valid", 2),
            ("risk", 6),
            ("mat_b", span),
            ("aum_b", span),
            ("held", 0),
        ]

    def encode(self) -> str:
        """The key from columns named after the facts."""
        expression = ""
        for fact, radix in reversed(self.digits()):
            expression = fact if not expression else f"({expression}) * {radix} + {fact}"
        return expression

    def decode(self, column: str, fact: str) -> str:
        """One fact from a key column (integer division on both databases)."""
        weight = 1
        for name, radix in self.digits():
            if name == fact:
                shifted = f"{column} / {weight}" if weight > 1 else column
                # "%%": the statements carry parameters.
                return f"({shifted}) %% {radix}" if radix else f"({shifted})"
            weight *= radix
        raise KeyError(fact)

    def bit(self, kind: str) -> int:
        return 1 << self.kinds.index(kind)


def _refresh(
    *,
    rows: list[ProductRow],
    now: dt.datetime,
    today: dt.date,
    rules_valid_days: int,
    min_years: int,
    bank_wm_products: str,
    top_n: int,
) -> dict[str, int]:
    """Rank per profile; write the profiles, their items and the customers that changed.

    The facts are brought up to date first (``recommendation_facts``: the whole bank on
    a first run, then only the customers that changed). Every customer's profile key is
    worked out from them in one pass over that narrow table and compared with the key
    their row names; the profiles are grouped from it (tens of thousands of rows) and,
    when the shelf or the ranking changed, all ranked again, otherwise only the new ones;
    only the profiles, items and customers that differ from the stored rows are written,
    so a rerun over unchanged facts writes nothing.
    """
    pg = connection.vendor == "postgresql"
    profile_table = RecommendationProfile._meta.db_table
    item_table = RecommendationProfileItem._meta.db_table
    customer_table = CustomerRecommendationProfile._meta.db_table
    facts_table = RecommendationFacts._meta.db_table
    key = ProfileKey(
        thresholds=sorted({row.minimum for row in rows}),
        tiers=sorted({tier for row in rows for tier in row.tiers}),
        kinds=KINDS,
    )
    with connection.cursor() as cursor:
        if pg:
            # One refresh at a time (the next waits); readers are not held up.
            cursor.execute(f"LOCK TABLE {profile_table} IN EXCLUSIVE MODE")
            # A rebuild of derived tables, in this transaction only: no JIT (compiling
            # the wide statements costs seconds and saves nothing).
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
        read = facts_refresh(
            cursor,
            today=today,
            window_days=LIQUIDITY_DAYS,
            min_years=min_years,
            bank_wm_products=bank_wm_products,
            kinds={kind: key.bit(kind) for kind in KINDS},
        )
    if not rows:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {item_table}")  # noqa: S608 - table names are ours
            cursor.execute(f"DELETE FROM {profile_table}")  # noqa: S608 - table names are ours
        shelf_mark("")
        # Nothing on sale: every customer's list is empty; their rows stay until a
        # shelf gives their profiles products again.
        return {
            "products": 0,
            "profiles": 0,
            "recommendations": 0,
            "customers_written": 0,
        }

    day = "CAST(%s AS date)" if pg else "%s"
    index = {amount: n + 1 for n, amount in enumerate(key.thresholds)}
    values = ", ".join("(%s, %s, %s, %s, %s, %s, %s, %s)" for _ in rows)
    product_params: list[Any] = []
    for row in rows:
        tiers = "," + ",".join(row.tiers) + "," if row.tiers else ""
        product_params += [
            row.product_id,
            row.risk_level,
            index[row.minimum],
            row.assessed,
            row.private,
            row.bank_wm,
            tiers,
            key.bit(row.kind),
        ]

    def bucket(column: str) -> str:
        if pg:
            # How many of the sorted minimums the amount reaches, by binary search.
            return f"width_bucket({column}, CAST(%s AS numeric[]))"
        return " + ".join(
            f"(CASE WHEN {column} >= CAST(%s AS NUMERIC) THEN 1 ELSE 0 END)" for _ in key.thresholds
        )

    bucket_params: list[Any] = [key.thresholds] if pg else list(key.thresholds)
    tier_code = (
        "CASE f.tier "
        + " ".join(f"WHEN %s THEN {n}" for n in range(1, len(key.tiers) + 1))
        + " ELSE 0 END"
        if key.tiers
        else "0"
    )
    # Every customer's key from their facts, on the day of the run (is the assessment
    # still current, the evidence recent enough), beside the key their row names; only
    # the customers whose key moved are kept.
    keys_sql = f"""
    CREATE TEMP TABLE {FACTS} AS
    SELECT id, pkey, stored FROM (
        SELECT id, {key.encode()} AS pkey, stored
        FROM (
            SELECT f.customer_id AS id, {tier_code} AS tier_code, f.risk_level AS risk,
                   CASE WHEN f.expires_on >= {day} THEN 1 ELSE 0 END AS valid,
                   CASE WHEN f.qualified_on >= {day} THEN 1 ELSE 0 END AS qualified,
                   -- S6: a first purchase of the bank's own WM needs a branch assessment.
                   CASE WHEN NOT f.assessed OR f.branch OR f.bank_wm THEN 1 ELSE 0 END
                       AS branch_ok,
                   f.held_kinds AS held, {bucket("f.aum")} AS aum_b,
                   CASE WHEN f.maturing IS NULL THEN 0 ELSE {bucket("f.maturing")} END
                       AS mat_b,
                   f.key AS stored
            FROM {facts_table} f
        ) facts
    ) keyed WHERE stored IS NULL OR stored <> pkey
    """  # noqa: S608 - table names are ours; values are parameters
    keys_params: list[Any] = [*key.tiers, today]
    keys_params += [today - dt.timedelta(days=rules_valid_days), *bucket_params, *bucket_params]

    def flag(fact: str) -> str:
        return f"{key.decode('pkey', fact)} = 1"

    tier_name = (
        "CASE "
        + key.decode("pkey", "tier_code")
        + " "
        + " ".join(f"WHEN {n} THEN %s" for n in range(1, len(key.tiers) + 1))
        + " ELSE '' END"
        if key.tiers
        else "''"
    )
    profiles_sql = f"""
    CREATE TEMP TABLE {PROFILES} AS
    SELECT pkey AS key, {tier_name} AS tier, {key.decode("pkey", "risk")} AS risk_level,
           {flag("valid")} AS assessment_valid, {flag("qualified")} AS qualified,
           {flag("branch_ok")} AS branch_ok, {key.decode("pkey", "held")} AS held_kinds,
           {key.decode("pkey", "aum_b")} AS aum_bucket,
           {key.decode("pkey", "mat_b")} AS maturing_bucket, customers
    FROM (SELECT key AS pkey, COUNT(*) AS customers FROM {facts_table} GROUP BY key) grouped
    """  # noqa: S608 - table names are ours; values are parameters
    stamp = now if pg else now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    profiles_params: list[Any] = [*key.tiers]
    items_sql = f"""
    CREATE TEMP TABLE {ITEMS} AS
    WITH p(product_id, risk_level, min_idx, needs_assessment, is_private, bank_wm, tiers,
           hbit) AS (VALUES {values}),
    ranked AS (
        SELECT k.key, p.product_id,
            (CASE WHEN p.needs_assessment = 1 THEN 40 - 10 * (k.risk_level - p.risk_level)
                  ELSE 15 END)
            + (CASE WHEN k.maturing_bucket >= p.min_idx THEN 25 ELSE 0 END)
            + (CASE WHEN p.tiers <> '' THEN 15 ELSE 0 END)
            + (CASE WHEN (k.held_kinds / p.hbit) %% 2 = 1 THEN 10 ELSE 0 END) AS score,
            CASE WHEN k.maturing_bucket >= p.min_idx THEN 'liquidity'
                 WHEN p.tiers <> '' THEN 'tier'
                 WHEN p.needs_assessment = 1 AND k.risk_level = p.risk_level THEN 'risk_match'
                 WHEN (k.held_kinds / p.hbit) %% 2 = 1 THEN 'familiar'
                 ELSE 'fit' END AS reason
        FROM {PROFILES} k CROSS JOIN p
        -- Never a product the customer may not buy, nor one above their level (S3).
        WHERE k.aum_bucket >= p.min_idx
          AND (p.tiers = '' OR p.tiers LIKE '%%,' || k.tier || ',%%')
          AND (p.needs_assessment = 0
               OR (k.risk_level > 0 AND k.assessment_valid AND p.risk_level <= k.risk_level))
          AND (p.is_private = 0 OR k.qualified)
          AND (p.bank_wm = 0 OR k.branch_ok)
          {{only_new}}
    )
    SELECT key AS profile_id, product_id, score, rank, reason FROM (
        SELECT r.*, ROW_NUMBER() OVER (
            PARTITION BY key ORDER BY score DESC, product_id) AS rank
        FROM ranked r
    ) numbered WHERE rank <= %s
    """  # noqa: S608 - table names and bit values are ours; values are parameters
    items_params: list[Any] = [*product_params, top_n]
    # A stored profile's items hold while the shelf, the ranking and what a key means do:
    # then only profiles not stored yet are ranked.
    digest = hashlib.sha256(
        repr((profiles_sql, profiles_params, items_sql, items_params)).encode()
    ).hexdigest()
    rank_all = read.full or not shelf_ranked(digest)
    items_sql = items_sql.replace(
        "{only_new}",
        "" if rank_all else f"AND NOT EXISTS (SELECT 1 FROM {profile_table} s WHERE s.key = k.key)",  # noqa: S608
    )
    if not pg:
        keys_params = _sqlite_params(keys_params)
        items_params = _sqlite_params(items_params)
    with connection.cursor() as cursor:
        for table in (FACTS, PROFILES, ITEMS):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(keys_sql, keys_params)
        if pg:
            # Its size, so that the few customers whose key moved are written through
            # the primary keys rather than by a pass over every row.
            cursor.execute(f"ANALYZE {FACTS}")
        cursor.execute(f"""
            UPDATE {facts_table} SET key = k.pkey FROM {FACTS} k
            WHERE k.id = {facts_table}.customer_id
        """)  # noqa: S608 - table names are ours
        cursor.execute(profiles_sql, profiles_params)
        cursor.execute(f"SELECT COUNT(*), COALESCE(SUM(customers), 0) FROM {PROFILES}")  # noqa: S608 - table names are ours
        profiles, customers = (int(n) for n in cursor.fetchone())
        cursor.execute(items_sql, items_params)
        ranked = _profiles_write(
            cursor,
            profile_table=profile_table,
            item_table=item_table,
            stamp=stamp,
            rank_all=rank_all,
        )
        written = _customers_write(cursor, customer_table=customer_table, customers=customers)
        cursor.execute(f"""
            SELECT COALESCE(SUM(k.customers), 0) FROM {item_table} i
            JOIN {profile_table} k ON k.key = i.profile_id
        """)  # noqa: S608 - table names are ours
        recommendations = int(cursor.fetchone()[0])
        for table in (FACTS, PROFILES, ITEMS):
            cursor.execute(f"DROP TABLE {table}")
        if pg:
            for setting in ("jit", "work_mem"):
                cursor.execute(f"RESET {setting}")
            if ranked:
                # Fresh statistics keep a customer's read on its indexes.
                cursor.execute(f"ANALYZE {profile_table}, {item_table}")
    shelf_mark(digest)
    return {
        "products": len(rows),
        "profiles": profiles,
        "recommendations": recommendations,
        "customers_written": written,
    }


def _profiles_write(
    cursor: Any, *, profile_table: str, item_table: str, stamp: Any, rank_all: bool
) -> int:
    """Make the stored profiles and items equal the new ones, writing only the differences.

    An item is unchanged when its profile, rank, product, score and reason all are; its
    ``refreshed_at`` says when it was last written. Without ``rank_all`` only the new
    profiles were ranked: the stored ones keep their items. Returns the rows written
    (deleted, updated or inserted): none on a rerun over unchanged facts and shelf.
    """
    same_item = """n.profile_id = {t}.profile_id AND n.rank = {t}.rank
        AND n.product_id = {t}.product_id AND n.score = {t}.score AND n.reason = {t}.reason"""
    # Items first (the old ones out before the new take their ranks), then the profiles
    # no customer has any more; their items went with the first statement.
    if rank_all:
        cursor.execute(f"""
            DELETE FROM {item_table} WHERE NOT EXISTS (
                SELECT 1 FROM {ITEMS} n WHERE {same_item.format(t=item_table)})
        """)  # noqa: S608 - table names are ours
    else:
        cursor.execute(f"""
            DELETE FROM {item_table} WHERE NOT EXISTS (
                SELECT 1 FROM {PROFILES} n WHERE n.key = {item_table}.profile_id)
        """)  # noqa: S608 - table names are ours
    written = int(cursor.rowcount)
    cursor.execute(f"""
        DELETE FROM {profile_table} WHERE NOT EXISTS (
            SELECT 1 FROM {PROFILES} n WHERE n.key = {profile_table}.key)
    """)  # noqa: S608 - table names are ours
    written += int(cursor.rowcount)
    # A key's facts hold for one shelf: a new shelf may give a stored key other facts.
    columns = (
        "tier",
        "risk_level",
        "assessment_valid",
        "qualified",
        "branch_ok",
        "held_kinds",
        "aum_bucket",
        "maturing_bucket",
        "customers",
    )
    cursor.execute(
        f"""
        UPDATE {profile_table} SET {", ".join(f"{c} = n.{c}" for c in columns)},
            refreshed_at = %s
        FROM {PROFILES} n WHERE n.key = {profile_table}.key
          AND ({" OR ".join(f"{profile_table}.{c} <> n.{c}" for c in columns)})
        """,  # noqa: S608 - table and column names are ours
        [stamp],
    )
    written += int(cursor.rowcount)
    cursor.execute(
        f"""
        INSERT INTO {profile_table} (key, {", ".join(columns)}, refreshed_at)
        SELECT key, {", ".join(columns)}, %s FROM {PROFILES} n
        WHERE NOT EXISTS (SELECT 1 FROM {profile_table} k WHERE k.key = n.key)
        """,  # noqa: S608 - table and column names are ours
        [stamp],
    )
    written += int(cursor.rowcount)
    cursor.execute(
        f"""
        INSERT INTO {item_table} (profile_id, product_id, score, rank, reason, refreshed_at)
        SELECT profile_id, product_id, score, rank, reason, %s FROM {ITEMS} n
        WHERE NOT EXISTS (
            SELECT 1 FROM {item_table} WHERE {same_item.format(t=item_table)})
        """,  # noqa: S608 - table names are ours
        [stamp],
    )
    written += int(cursor.rowcount)
    return written


def _customers_write(cursor: Any, *, customer_table: str, customers: int) -> int:
    """Write the customers whose profile is new or changed; drop those of gone customers.

    Returns how many rows were written. A rerun over unchanged facts writes none.
    """
    facts_table = RecommendationFacts._meta.db_table
    cursor.execute(f"""
        UPDATE {customer_table} SET profile_id = f.pkey FROM {FACTS} f
        WHERE f.id = {customer_table}.customer_id AND {customer_table}.profile_id <> f.pkey
    """)  # noqa: S608 - table names are ours
    written = int(cursor.rowcount)
    cursor.execute(f"""
        INSERT INTO {customer_table} (customer_id, profile_id)
        SELECT id, pkey FROM {FACTS} f WHERE NOT EXISTS (
            SELECT 1 FROM {customer_table} s WHERE s.customer_id = f.id)
    """)  # noqa: S608 - table names are ours
    written += int(cursor.rowcount)
    # Rows written or removed behind the refresh's back (rare): only looked for when the
    # counts differ.
    cursor.execute(f"SELECT COUNT(*) FROM {customer_table}")  # noqa: S608 - table names are ours
    stored = int(cursor.fetchone()[0])
    if stored > customers:
        cursor.execute(f"""
            DELETE FROM {customer_table} WHERE NOT EXISTS (
                SELECT 1 FROM {facts_table} f WHERE f.customer_id = {customer_table}.customer_id)
        """)  # noqa: S608 - table names are ours
        written += int(cursor.rowcount)
    elif stored < customers:
        cursor.execute(f"""
            INSERT INTO {customer_table} (customer_id, profile_id)
            SELECT customer_id, key FROM {facts_table} f WHERE NOT EXISTS (
                SELECT 1 FROM {customer_table} s WHERE s.customer_id = f.customer_id)
        """)  # noqa: S608 - table names are ours
        written += int(cursor.rowcount)
    return written


def _sqlite_params(params: list[Any]) -> list[Any]:
    return [
        p.isoformat()
        if isinstance(p, dt.date) and not isinstance(p, dt.datetime)
        else str(p)
        if isinstance(p, Decimal)
        else p
        for p in params
    ]
