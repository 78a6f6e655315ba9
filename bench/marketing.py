"""Benchmark: next best products for every customer of the bench bank, and a campaign
segment evaluated over it, each beside a one-scan floor measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rmdesk_bench \
    RMDESK_VAR_DIR=bench/var/rmdesk_bench .venv/bin/python bench/marketing.py

Apply the marketing migrations to the bench database first (``rmdesk migrate
marketing``). If the shelf is empty the script puts a realistic one of 50 products on
it, and if nobody has been assessed yet it records, set-based, an assessment for every
customer whose risk level the seed set (70 % at a branch) and qualified-investor
evidence for customers holding CNY 3 million or more: the facts recommendations read.

Measures (wall time, best of ``--repeat``):

- recommendations: ``marketing.recommendations_refresh`` — every customer's profile
  from their facts, every distinct profile × every product on sale, eligibility, score,
  rank, each profile's top 5 written, and the customers whose profile changed (one
  transaction); each of ``--repeat`` runs is printed with what it wrote;
- a night (``--night``): after the runs, a night's changes are written set-based —
  1 % of the active holdings change balance, 0.1 % close, 0.1 % of the customers open a
  new one, 0.2 % are assessed again, and the AUM of every customer touched follows —
  and the refresh runs as of the next day (money maturing moves with the window); then
  once more with no change;
- segment: a campaign's launch — the segment (tiers, AUM band, holding type, risk
  level, consent) evaluated bank-wide and its target list frozen with INSERT … SELECT,
  rolled back after timing;
- the floor: one scan of every table the recommendations read — ``count(*)`` and a
  sum over the customers, the active holdings, the assessments, the qualified-investor
  evidence, the sales and the shelf — measured in the same run (the customers and
  holdings alone are printed too: the segment reads no more);
- peak memory: this process's and the database backend's (``VmHWM`` of the server
  process serving the run, when it is on this machine and readable).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
    os.environ.setdefault("RMDESK_VAR_DIR", str(ROOT / "bench" / "var" / "rmdesk_bench"))
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL to the bench database (postgres://…/rmdesk_bench).")
    import django

    django.setup()


def best_of(repeat: int, work: Callable[[], object]) -> tuple[float, object]:
    best = float("inf")
    result: object = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


# --- the shelf and the facts -----------------------------------------------------------


def shelf_ensure() -> int:
    from rmdesk.marketing.models import Product

    if Product.objects.exists():
        return Product.objects.count()
    kinds = [
        # (type, issuer, asset class, risk, minimum, tiers, qualification, term)
        ("wm_public", "wm_subsidiary", "cash", 1, "1", [], "", None),
        ("wm_public", "wm_subsidiary", "fixed_income", 2, "1", [], "", 90),
        ("wm_public", "wm_subsidiary", "fixed_income", 2, "1", [], "", 180),
        ("wm_public", "wm_subsidiary", "mixed", 3, "1", [], "", 365),
        ("wm_public", "wm_subsidiary", "equity", 4, "1", [], "", 365),
        ("wm_public", "bank", "fixed_income", 2, "10000", [], "", 180),
        ("wm_public", "bank", "mixed", 3, "10000", ["gold", "diamond", "private"], "", 365),
        (
            "wm_private",
            "wm_subsidiary",
            "fixed_income",
            3,
            "300000",
            ["diamond", "private"],
            "",
            365,
        ),
        ("wm_private", "wm_subsidiary", "mixed", 4, "400000", ["private"], "", 540),
        ("wm_private", "wm_subsidiary", "equity", 5, "1000000", ["private"], "", 730),
        ("fund", "third_party", "fixed_income", 2, "1000", [], "fund", None),
        ("fund", "third_party", "mixed", 3, "1000", [], "fund", None),
        ("fund", "third_party", "equity", 4, "1000", [], "fund", None),
        ("fund", "third_party", "equity", 5, "1000", [], "fund", None),
        ("insurance", "third_party", "protection", 1, "5000", [], "insurance", 3650),
        ("insurance", "third_party", "mixed", 3, "10000", ["gold", "diamond"], "insurance", 3650),
        ("structured_deposit", "bank", "fixed_income", 1, "50000", [], "", 90),
        ("structured_deposit", "bank", "commodity", 2, "50000", ["gold", "diamond"], "", 180),
        ("time_deposit", "bank", "cash", 1, "50", [], "", 365),
        ("government_bond", "bank", "fixed_income", 1, "100", [], "", 1095),
        ("physical_metal", "bank", "commodity", 3, "500", [], "", None),
    ]
    now = dt.datetime.now(dt.UTC)
    rows = []
    for n in range(50):
        ptype, issuer, asset, risk, minimum, tiers, qual, term = kinds[n % len(kinds)]
        rows.append(
            Product(
                code=f"BENCH-{n + 1:03d}",
                name=f"基准产品{n + 1}号",
                type=ptype,
                issuer_type=issuer,
                asset_class=asset,
                risk_level=risk,
                term_days=term,
                yield_low=Decimal("1.5") + Decimal(risk) / 2,
                yield_high=Decimal("2.5") + Decimal(risk),
                min_amount=Decimal(minimum),
                increment=Decimal("1000") if Decimal(minimum) >= 1000 else Decimal("1"),
                sale_starts_at=now - dt.timedelta(days=30),
                sale_ends_at=now + dt.timedelta(days=30 + n),
                quota=Decimal("500000000")
                if ptype in {"wm_private", "structured_deposit"}
                else None,
                target_tiers=tiers,
                qualification_needed=qual,
                cooling_off_hours=24 if ptype == "wm_private" else 0,
                status="suspended" if n % 17 == 16 else "on_sale",
            )
        )
    Product.objects.bulk_create(rows)
    return len(rows)


def facts_ensure() -> tuple[int, int]:
    """Assessments and evidence for the seeded customers, set-based, once."""
    from django.db import connection, transaction

    from rmdesk.marketing.models import Assessment, QualifiedInvestorEvidence, Questionnaire

    if Assessment.objects.exists():
        return Assessment.objects.count(), QualifiedInvestorEvidence.objects.count()
    questionnaire = Questionnaire.objects.get(active=True)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM org_staff")
        staff_id = cursor.fetchone()[0]
        # Assessed on the anniversary-minus-a-year of the seeded expiry.
        cursor.execute(
            """
            INSERT INTO marketing_assessment (created_at, updated_at, customer_id,
                questionnaire_id, answers, score, risk_level, loss_unable, channel, staff_id,
                customer_confirmed_at, assessed_at, expires_on)
            SELECT now(), now(), c.id, %s, '{}'::jsonb, 7 * c.risk_level, c.risk_level, false,
                   CASE WHEN c.id %% 10 < 7 THEN 'branch' ELSE 'online' END, %s,
                   (c.risk_expires_on - interval '1 year')::timestamptz,
                   (c.risk_expires_on - interval '1 year')::timestamptz,
                   c.risk_expires_on
            FROM customers_customer c
            WHERE c.risk_level IS NOT NULL AND c.risk_expires_on IS NOT NULL
            """,
            [questionnaire.pk, staff_id],
        )
        cursor.execute(
            """
            INSERT INTO marketing_qualifiedinvestorevidence (created_at, updated_at,
                customer_id, basis, amount, experience_years, document_ref, evidenced_on,
                recorded_by_id)
            SELECT now(), now(), c.id,
                   CASE WHEN c.kind = 'corporate' THEN 'company_net_assets'
                        ELSE 'net_financial_assets' END,
                   c.aum, 3, 'BENCH', current_date - (c.id %% 400)::int, %s
            FROM customers_customer c WHERE c.aum >= 3000000
            """,
            [staff_id],
        )
    return Assessment.objects.count(), QualifiedInvestorEvidence.objects.count()


# --- the measurements ------------------------------------------------------------------


# One scan of each table the recommendations read; the first two are all the segment reads.
FLOOR_SCANS = (
    "SELECT count(*), sum(aum), count(risk_level) FROM customers_customer",
    "SELECT count(*), sum(balance_cny) FROM customers_holding WHERE status = 'active'",
    "SELECT count(*), max(assessed_at), count(DISTINCT channel) FROM marketing_assessment",
    "SELECT count(*), max(evidenced_on) FROM marketing_qualifiedinvestorevidence",
    "SELECT count(*), sum(amount) FROM marketing_sale WHERE status = 'active'",
    "SELECT count(*), max(min_amount) FROM marketing_product",
)


def floor_scan(scans: tuple[str, ...] = FLOOR_SCANS) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in scans:
            cursor.execute(sql)
            cursor.fetchone()
    return time.perf_counter() - started


def floor_scan_segment() -> float:
    return floor_scan(FLOOR_SCANS[:2])


def peak_memory() -> str:
    """Peak resident memory of this process and of the database backend serving it."""
    import resource

    from django.db import connection

    mine = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    backend = "not readable"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                backend = f"{int(line.split()[1]) // 1024} MiB"
    except OSError:
        pass
    return f"this process {mine} MiB, database backend {backend}"


def night_simulate() -> int:
    """A night's changes to the bank, set-based; returns the customers noted as changed."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.5 - extract(epoch from now())::bigint % 1000 / 1000.0)")
        cursor.execute(
            "UPDATE customers_holding SET balance = balance + 100, "
            "balance_cny = balance_cny + 100, updated_at = now() "
            "WHERE status = 'active' AND random() < 0.01"
        )
        cursor.execute(
            "UPDATE customers_holding SET status = 'closed', updated_at = now() "
            "WHERE status = 'active' AND random() < 0.001"
        )
        cursor.execute(
            """
            INSERT INTO customers_holding (created_at, updated_at, customer_id, account_no,
                product_type, product_code, product_name, currency, balance, balance_cny,
                opened_on, matures_on, status)
            SELECT now(), now(), c.id, 'NIGHT-' || c.id || '-' || extract(epoch from now())::bigint,
                   (ARRAY['time_deposit', 'wealth', 'fund'])[1 + c.id % 3], '', '', 'CNY',
                   50000, 50000, current_date, current_date + 30 + (c.id % 90)::int, 'active'
            FROM customers_customer c WHERE random() < 0.001
            """
        )
        cursor.execute("SELECT id FROM marketing_questionnaire WHERE active LIMIT 1")
        questionnaire = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO marketing_assessment (created_at, updated_at, customer_id,
                questionnaire_id, answers, score, risk_level, loss_unable, channel, staff_id,
                customer_confirmed_at, assessed_at, expires_on)
            SELECT now(), now(), a.customer_id, %s, '{}'::jsonb, a.score,
                   1 + (a.risk_level + a.customer_id %% 3) %% 5, false, 'online', a.staff_id,
                   now(), now(), current_date + 365
            FROM marketing_assessment a WHERE random() < 0.004
            """,
            [questionnaire],
        )
        # The AUM refresh follows the holdings: the customers touched, once each.
        cursor.execute(
            """
            UPDATE customers_customer c SET aum = h.total FROM (
                SELECT customer_id, SUM(balance_cny) AS total FROM customers_holding
                WHERE status = 'active' AND product_type NOT IN ('loan', 'credit_card')
                  AND customer_id IN (SELECT customer_id FROM marketing_recommendationchange)
                GROUP BY customer_id
            ) h WHERE h.customer_id = c.id AND c.aum <> h.total
            """
        )
        cursor.execute("SELECT COUNT(DISTINCT customer_id) FROM marketing_recommendationchange")
        return int(cursor.fetchone()[0])


def segment_launch() -> int:
    """Create and launch a campaign, count its targets, and roll it all back."""
    from django.db import transaction
    from django.utils import timezone

    from rmdesk.marketing import services
    from rmdesk.marketing.models import CampaignEntry, Product
    from rmdesk.org.models import Staff
    from rmdesk.org.roles import Role

    head = Staff.objects.filter(roles__role=Role.BRANCH_HEAD).order_by("pk").first()
    assert head is not None, "the bench bank has no branch head"
    head_unit = head.org_unit
    assert head_unit is not None
    # The whole bank: a head-office segment owner would see it; launch from the root.
    root = head_unit
    while root.parent is not None:
        root = root.parent
    product = Product.objects.filter(type="wm_public", risk_level=3).first()

    class Rollback(Exception):
        pass

    targeted = 0
    try:
        with transaction.atomic():
            # Branch heads may launch; pretend this one runs a bank-wide segment.
            campaign = services.campaign_create(
                actor=head,
                name="基准：中高净值理财季",
                rules={
                    "tiers": ["gold", "diamond", "private"],
                    "aum_min": "300000",
                    "holding_types": ["wealth", "fund"],
                    "risk_levels": [3, 4, 5],
                    "org_unit_id": root.pk,
                },
                starts_on=timezone.localdate(),
                ends_on=timezone.localdate() + dt.timedelta(days=30),
                product_id=product.pk if product else None,
            )
            services.campaign_launch(actor=head, campaign_id=campaign.pk)
            targeted = CampaignEntry.objects.filter(campaign=campaign).count()
            raise Rollback
    except Rollback:
        pass
    return targeted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--night", action="store_true", help="then a night's changes, and a run the next day"
    )
    args = parser.parse_args()
    django_setup()

    from django.db import connection

    from rmdesk.marketing.recommendations import recommendations_refresh
    from rmdesk.marketing.selectors import campaign_get  # noqa: F401 - import check

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_customer")
        customers = cursor.fetchone()[0]
    products = shelf_ensure()
    assessments, evidence = facts_ensure()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE marketing_assessment")
        cursor.execute("ANALYZE marketing_qualifiedinvestorevidence")
        cursor.execute("ANALYZE marketing_product")
    print(
        f"Bench bank: {customers:,} customers, {products} products, "
        f"{assessments:,} assessments, {evidence:,} qualified-investor records"
    )

    floor, _ = best_of(args.repeat, floor_scan)
    seg_floor, _ = best_of(args.repeat, floor_scan_segment)
    # Each run on its own: the first after a change of shelf or facts writes every
    # customer whose profile moved (all of them on a fresh table), a rerun none.
    runs = []
    for _ in range(args.repeat):
        wall, outcome = best_of(1, recommendations_refresh)
        runs.append((wall, outcome))
    night = []
    if args.night:
        changed = night_simulate()
        tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        for _ in range(2):
            wall, outcome = best_of(1, lambda: recommendations_refresh(now=tomorrow))
            night.append((wall, outcome))
    floor_after, _ = best_of(args.repeat, floor_scan)
    seg_floor_after, _ = best_of(args.repeat, floor_scan_segment)
    seg, targeted = best_of(args.repeat, segment_launch)
    floor = min(floor, floor_after)
    seg_floor = min(seg_floor, seg_floor_after)
    print(f"\n{'measure':<48} {'wall s':>8} {'floor s':>8} {'ratio':>6}")
    label = "one scan: every table the recommendations read"
    print(f"{label:<48} {floor:>8.2f} {floor:>8.2f} {1:>6.1f}")
    label = "one scan: customers + active holdings"
    print(f"{label:<48} {seg_floor:>8.2f} {seg_floor:>8.2f} {1:>6.1f}")
    for n, (wall, outcome) in enumerate(runs, start=1):
        label = f"recommendations, run {n}"
        print(f"{label:<48} {wall:>8.2f} {floor:>8.2f} {wall / floor:>6.1f}")
        print(
            f"  {outcome['recommendations']:,} recommendations over "  # type: ignore[index]
            f"{outcome['profiles']:,} profiles; "  # type: ignore[index]
            f"{outcome['customers_written']:,} customers written"  # type: ignore[index]
        )
    for n, (wall, outcome) in enumerate(night):
        label = (
            f"the next day, after {changed:,} customers changed"
            if n == 0
            else "the next day, rerun"
        )
        print(f"{label:<48} {wall:>8.2f} {floor:>8.2f} {wall / floor:>6.1f}")
        print(
            f"  {outcome['recommendations']:,} recommendations over "  # type: ignore[index]
            f"{outcome['profiles']:,} profiles; "  # type: ignore[index]
            f"{outcome['customers_written']:,} customers written"  # type: ignore[index]
        )
    label = f"segment evaluated and frozen ({targeted:,})"
    print(f"{label:<48} {seg:>8.2f} {seg_floor:>8.2f} {seg / seg_floor:>6.1f}")
    print(f"\nPeak memory: {peak_memory()}")


if __name__ == "__main__":
    main()
