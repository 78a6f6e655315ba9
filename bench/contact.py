"""Benchmark: the daily contact plans for the whole bench bank, beside a one-scan floor.

    .venv/bin/python bench/contact.py --database-url postgres://postgres@127.0.0.1:5432/rmdesk_bench

Expects the bench bank (bench/customers.py seeds it) with the contact app migrated
(``rmdesk migrate contact``). If ``contact_interaction`` is empty it first gives the
bank a contact history (``--interactions``, default one for two customers in three,
over the last 120 days, a few with follow-ups), written set-based in this app's own
table only, then ``ANALYZE``. Then, in the same run:

- **plans**: ``contact.planning.plans_generate`` for every manager for ``--day`` (the
  last booked day by default), ``--runs`` times; before each run (untimed) the day's
  plan is deleted and the contact tables vacuumed, so each run is the day's first, as
  the 05:30 task meets it; the best and the median are shown;
- **floor**: one scan over each table the plan reads — customers, holdings,
  transactions, interactions, service requests, plan entries — as a single aggregate
  each (the least any computation over them must pay), summed.

Prints both and the ratio (target ≤ 3×). Nothing in the seeded tables is changed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

FLOOR_QUERIES = {
    "customers": "SELECT count(*), max(birth_date), max(risk_expires_on), "
    "count(*) FILTER (WHERE do_not_contact) FROM customers_customer",
    "holdings": "SELECT count(*), max(matures_on) FROM customers_holding",
    "transactions": "SELECT count(*), max(booked_on), sum(amount) FROM customers_transaction",
    "interactions": "SELECT count(*), max(occurred_at), max(follow_up_on) FROM contact_interaction",
    "service requests": "SELECT count(*), max(due_on) FROM contact_servicerequest",
    "plan entries": "SELECT count(*), max(day) FROM contact_planentry",
}


def django_setup(url: str, var_dir: Path) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
    os.environ.setdefault("RMDESK_VAR_DIR", str(var_dir))
    import django

    django.setup()


def seed_interactions(every: int) -> int:
    """One interaction for ``every - 1`` customers in ``every`` (own table only)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contact_interaction")
        if cursor.fetchone()[0]:
            return 0
        cursor.execute(
            """
            INSERT INTO contact_interaction
                (created_at, updated_at, customer_id, author_id, channel, occurred_at,
                 summary, confidentiality, next_step, follow_up_on)
            SELECT now(), now(), c.id, c.primary_manager_id,
                   (ARRAY['phone','visit','branch_meeting','wechat','email','video'])
                       [1 + mod(c.id, 6)],
                   now() - make_interval(days => mod(c.id * 7919, 120)::int,
                                         hours => mod(c.id, 9)::int),
                   'bench', CASE WHEN mod(c.id, 20) = 0 THEN 'restricted' ELSE 'normal' END, '',
                   CASE WHEN mod(c.id, 50) = 0
                        THEN (now() - make_interval(days => mod(c.id * 13, 10)::int))::date END
            FROM customers_customer c
            WHERE c.primary_manager_id IS NOT NULL AND mod(c.id, %s) <> 0
            """,
            [every],
        )
        written = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contact_interaction")
    return int(written)


def settle(day: date) -> None:
    """Before each timed run (not counted): the day's plan not yet made, and the contact
    tables vacuumed, as the daily run finds them after a night of autovacuum."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM contact_planentry WHERE day = %s", [day])
    connection.ensure_connection()
    autocommit = connection.get_autocommit()
    connection.set_autocommit(True)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM (ANALYZE) contact_plancandidate, contact_planflow, contact_planentry"
            )
    finally:
        connection.set_autocommit(autocommit)


def floor() -> tuple[float, dict[str, float]]:
    from django.db import connection

    parts: dict[str, float] = {}
    with connection.cursor() as cursor:
        for name, sql in FLOOR_QUERIES.items():
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            parts[name] = time.perf_counter() - started
    return sum(parts.values()), parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/rmdesk_bench")
    parser.add_argument("--day", help="The plan day (YYYY-MM-DD); the last booked day by default.")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--interactions",
        type=int,
        default=3,
        metavar="EVERY",
        help="Seed a contact for every customer but one in EVERY (if none yet).",
    )
    args = parser.parse_args()
    name = args.database_url.rsplit("/", 1)[-1]
    django_setup(args.database_url, ROOT / "bench" / "var" / name)

    from django.db import connection

    from rmdesk.contact.models import PlanEntry
    from rmdesk.contact.planning import plans_generate

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(booked_on) FROM customers_transaction")
        last_booked = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM customers_customer")
        customers = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(DISTINCT primary_manager_id) FROM customers_customer "
            "WHERE primary_manager_id IS NOT NULL"
        )
        managers = cursor.fetchone()[0]
    day = date.fromisoformat(args.day) if args.day else last_booked
    started = time.perf_counter()
    seeded = seed_interactions(args.interactions)
    if seeded:
        print(f"Seeded {seeded:,} interactions in {time.perf_counter() - started:.1f}s")

    import logging

    steps: list[dict[str, float]] = []

    class Steps(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            steps.append(getattr(record, "timings", {}))

    plan_log = logging.getLogger("rmdesk.contact.plan")
    plan_log.setLevel(logging.INFO)
    plan_log.addHandler(Steps())
    print(f"Contact plans for {day}: {customers:,} customers, {managers:,} managers")
    timings = []
    entries = 0
    commits = []
    for run in range(args.runs):
        settle(day)
        started = time.perf_counter()
        entries = plans_generate(day=day)  # its own transaction, committed on return
        timings.append(time.perf_counter() - started)
        commits.append(timings[-1] - sum(steps[-1].values()) if steps else 0.0)
        print(f"  run {run + 1}: {timings[-1]:.2f}s, {entries:,} entries", flush=True)
    floors = []
    parts: dict[str, float] = {}
    for _ in range(args.runs):
        total, parts = floor()
        floors.append(total)
    best, median = min(timings), statistics.median(timings)
    floor_best = min(floors)
    print()
    print("One scan over each table read (single aggregate each), last run:")
    for table, seconds in parts.items():
        print(f"  {table:<18} {seconds:>7.2f}s")
    print()
    print(f"  {'':<22} {'plans s':>8} {'floor s':>8} {'ratio':>6}")
    print(f"  {'best':<22} {best:>8.2f} {floor_best:>8.2f} {best / floor_best:>6.2f}")
    print(
        f"  {'median':<22} {median:>8.2f} {statistics.median(floors):>8.2f} "
        f"{median / statistics.median(floors):>6.2f}"
    )
    if steps:
        best_run = timings.index(best)
        print(
            "  steps of the best run: "
            + ", ".join(f"{name} {seconds:.2f}s" for name, seconds in steps[best_run].items())
            + f", commit {commits[best_run]:.2f}s"
        )
    per_manager = PlanEntry.objects.filter(day=day).values("manager_id").distinct().count()
    print(f"  entries: {entries:,} for {per_manager:,} managers (target ratio ≤ 3×)")


if __name__ == "__main__":
    main()
