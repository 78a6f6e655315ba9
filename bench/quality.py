"""Benchmark: every manager's scorecard for a month at bench scale, beside a one-scan floor.

    .venv/bin/python bench/quality.py --database-url postgres://postgres@127.0.0.1:5432/rmdesk_bench

Needs the bench bank (bench/customers.py seeds it). Migrates the quality tables if need
be, then times, in the same run:

- the floor: one pass over each table the scorecards read (the month's transactions,
  the assignments, the customers, and the duty apps' contacts, plan entries, sales and
  work orders) — a grouped aggregate per table, as cheap as reading them can be;
- ``scorecards_compute`` for the month: every metric for every account manager, stored
  as a snapshot.

Prints both, their ratio (DESIGN.md: ≤ 3×) and the peak memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from customers import django_setup  # noqa: E402

FLOOR_QUERIES = [
    # The month's transactions, grouped by customer: the scan book_net_inflow needs.
    "SELECT customer_id, sum(amount) FROM customers_transaction "
    "WHERE booked_on >= %(start)s AND booked_on < %(end)s GROUP BY customer_id",
    # The assignments, grouped by manager and role: book size, gains, assists.
    "SELECT manager_id, role, count(*) FROM customers_customerassignment GROUP BY 1, 2",
    # The customers, grouped by manager: the AUM credited.
    "SELECT primary_manager_id, sum(aum) FROM customers_customer GROUP BY 1",
    # The duty apps' records of the month: contacts, plan entries, sales, work orders.
    "SELECT author_id, count(*) FROM contact_interaction "
    "WHERE occurred_at >= %(start)s AND occurred_at < %(end)s GROUP BY 1",
    "SELECT manager_id, count(*) FROM contact_planentry "
    "WHERE day >= %(start)s AND day < %(end)s GROUP BY 1",
    "SELECT staff_id, count(*) FROM marketing_sale "
    "WHERE signed_at >= %(start)s AND signed_at < %(end)s GROUP BY 1",
    "SELECT assignee_id, count(*) FROM coordination_workorder "
    "WHERE closed_at >= %(start)s AND closed_at < %(end)s GROUP BY 1",
]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--period", default="", help="a month, 2026-11 (default: the latest)")
    args = parser.parse_args(argv)
    name = args.database_url.rsplit("/", 1)[-1]
    django_setup(args.database_url, HERE / "var" / name)

    from django.core.management import call_command
    from django.db import connection

    from rmdesk.quality.periods import period_parse
    from rmdesk.quality.services import scorecards_compute

    call_command("migrate", "quality", verbosity=0)
    if args.period:
        period = period_parse(args.period)
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT max(booked_on) FROM customers_transaction")
            latest = cursor.fetchone()[0]
        period = period_parse(f"{latest:%Y-%m}")

    bounds = {"start": period.start, "end": period.end}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for query in FLOOR_QUERIES:
            cursor.execute(query, bounds)
            cursor.fetchall()
    floor = time.perf_counter() - started

    started = time.perf_counter()
    run = scorecards_compute(period=period)
    took = time.perf_counter() - started

    print(f"scorecards for {period.label}: {run.staff_count:,} managers, {run.score_count:,} rows")
    print(f"  one scan of the tables read (floor)  {floor:8.2f} s")
    ratio = took / floor
    print(f"  scorecards_compute                   {took:8.2f} s   {ratio:5.2f}× (target ≤ 3×)")
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
