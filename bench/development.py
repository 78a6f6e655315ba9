"""Benchmark: every latent-need signal for the bench bank, beside one aggregate scan.

    .venv/bin/python bench/development.py --database-url postgres://postgres@127.0.0.1:5432/rmdesk_bench

Needs the seeded bench bank and the development app's migrations
(``rmdesk migrate development``). Prints the wall time of ``signals_compute`` for the
last booked day, the floor (one aggregate scan over the transactions, in the same run)
and the ratio (DESIGN.md: at most 3x). Run twice, it also shows the run is idempotent.

The rules read the daily summary (development_dailyflow). The first run on a bank
builds it from the transactions of the window (one scan, like the floor); later runs
fold in only the transactions booked since (by id) and the customer-days an import
changed, which is the nightly case.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/rmdesk_bench")
    parser.add_argument("--var-dir", default=str(HERE / "var" / "rmdesk_bench"))
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
    os.environ.setdefault("RMDESK_VAR_DIR", args.var_dir)
    import django

    django.setup()
    from django.db import connection

    from rmdesk.development.signals import signals_compute

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(booked_on) FROM customers_transaction")
        (as_of,) = cursor.fetchone()
        # Warm the cache the same way for both: the floor first, once untimed.
        cursor.execute("SELECT count(*), sum(amount) FROM customers_transaction")
        started = time.monotonic()
        cursor.execute("SELECT count(*), sum(amount) FROM customers_transaction")
        (rows, _total) = cursor.fetchone()
        floor = time.monotonic() - started

    started = time.monotonic()
    run = signals_compute(as_of=as_of)
    wall = time.monotonic() - started

    print(f"transactions: {rows:,}  as of {as_of}")
    for code, count in run.counts.items():
        print(f"  {code:<20} {count:>9,} signals  {run.seconds[code]:7.2f} s")
    print(f"  {'(daily summary)':<20} {'':>9}          {run.seconds['summary']:7.2f} s")
    print(f"  {'(corporate window)':<20} {'':>9}          {run.seconds['window']:7.2f} s")
    print(f"signals_compute   {wall:8.2f} s")
    print(
        f"floor (one scan)  {floor:8.2f} s   "
        "SELECT count(*), sum(amount) FROM customers_transaction"
    )
    print(f"ratio             {wall / floor:8.2f}x  (target <= 3x)")


if __name__ == "__main__":
    main()
