"""Benchmark: every latent-need signal for the bench bank, beside one scan of its inputs.

    .venv/bin/python bench/development.py --database-url postgres://postgres@127.0.0.1:5432/rmdesk_bench

Needs the seeded bench bank and the development app's migrations
(``rmdesk migrate development``). Prints the wall time of ``signals_compute`` for the
last booked day, each phase's share, the floor measured in the same run (before the
runs and again after each) and the ratio to the mean of the floors either side of the
run (DESIGN.md: at most 3x), and the peak memory of the run: this process and the
database backend serving it, parallel workers included (private memory; the shared
buffer cache is not counted).

The floor is one aggregate scan of each table the signals read: the transactions,
the holdings and the customers (``--floor transactions`` for the transactions alone,
the floor of earlier rounds). The daily summary (development_dailyflow) is not in
it: it is the run's own derived table, read in place of the transactions.

The first run on a bank builds the daily summary from the transactions of the window;
later runs fold in only the transactions booked since (by id) and the customer-days
an import changed, which is the nightly case.

Signals are stored one row per episode (the consecutive runs that found a need), so a
night's work depends on the night before: the day before the last booked day is
computed first, untimed (its time is printed, as "the night before"; if the bank has
runs of later days it takes the rules back to that day), then run 1 is the night of
the last booked day, which extends the open episodes, closes the ones no longer found,
opens the new ones and updates the evidence that changed. ``--runs 2`` runs the day
again: the rerun finds the same signals and writes nothing. ``--from-empty`` clears the
signals first (but those an opportunity was raised from) and vacuums the table, so the
night before is a first run on a bank, which writes every episode.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

FLOOR_SCANS = {
    "customers_transaction": "SELECT count(*), sum(amount) FROM customers_transaction",
    "customers_holding": "SELECT count(*), sum(balance_cny) FROM customers_holding",
    "customers_customer": "SELECT count(*), max(birth_date) FROM customers_customer",
}


def _private_kib(pid: int) -> int:
    """A process's private resident memory (anonymous pages), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class BackendMemory:
    """Samples the private memory of one backend and its parallel workers."""

    def __init__(self, backend: int) -> None:
        self.backend = backend
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _pids(self) -> list[int]:
        pids = [self.backend]
        marker = f"parallel worker for PID {self.backend}".encode()
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                        if marker in cmdline.read():
                            pids.append(int(entry))
                except OSError:
                    continue
        return pids

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = sum(_private_kib(pid) for pid in self._pids())
            self.peak_kib = max(self.peak_kib, total)
            self._stop.wait(0.2)

    def __enter__(self) -> BackendMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _floors(connection: Any, scans: dict[str, str]) -> dict[str, float]:
    """Each floor scan's time (the cache warmed by an earlier pass)."""
    floors: dict[str, float] = {}
    with connection.cursor() as cursor:
        for table, sql in scans.items():
            started = time.monotonic()
            cursor.execute(sql)
            cursor.fetchone()
            floors[table] = time.monotonic() - started
    return floors


def _mark(connection: Any) -> int:
    """The next transaction id (the low 32 bits a row's xmin holds)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current() % 4294967296")
        (txid,) = cursor.fetchone()
    return int(txid)


def _written(connection: Any, mark: int) -> tuple[int, int]:
    """The signal rows written (inserted or updated) since ``mark``, and the rows now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE xmin::text::bigint > %s), count(*) "
            "FROM development_signal",
            [mark],
        )
        written, rows = cursor.fetchone()
    return int(written), int(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/rmdesk_bench")
    parser.add_argument("--var-dir", default=str(HERE / "var" / "rmdesk_bench"))
    parser.add_argument("--floor", choices=("all", "transactions"), default="all")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--from-empty", action="store_true")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
    os.environ.setdefault("RMDESK_VAR_DIR", args.var_dir)
    import django

    django.setup()
    from django.db import connection

    from rmdesk.development.signals import signals_compute

    scans = FLOOR_SCANS if args.floor == "all" else dict(list(FLOOR_SCANS.items())[:1])
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(booked_on) FROM customers_transaction")
        (as_of,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM customers_transaction")
        (rows,) = cursor.fetchone()
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
        for sql in scans.values():
            # Warm the cache the same way for both: each floor scan first, once untimed.
            cursor.execute(sql)
            cursor.fetchone()
    floors = _floors(connection, scans)
    floor = sum(floors.values())

    print(f"transactions: {rows:,}  as of {as_of}")
    for table, seconds in floors.items():
        print(f"  floor scan {table:<24} {seconds:7.2f} s")
    print(f"floor (one scan of each input) {floor:7.2f} s")
    from datetime import timedelta

    if args.from_empty:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM development_signal s WHERE NOT EXISTS "
                "(SELECT 1 FROM development_opportunity o WHERE o.signal_id = s.id)"
            )
            cursor.execute("DELETE FROM development_signalrun")
            cursor.execute("VACUUM (ANALYZE) development_signal")
    with BackendMemory(backend) as memory:
        started = time.monotonic()
        before = signals_compute(as_of=as_of - timedelta(days=1))
        wall = time.monotonic() - started
    print(
        f"the night before ({before.as_of}): {sum(before.counts.values()):,} signals"
        f"  {wall:.2f} s ({wall / floor:.2f}x), untimed"
        f"  peak memory {memory.peak_kib / 1024:,.0f} MiB"
    )
    for number in range(1, args.runs + 1):
        mark = _mark(connection)
        with BackendMemory(backend) as memory:
            started = time.monotonic()
            run = signals_compute(as_of=as_of)
            wall = time.monotonic() - started
        written, rows = _written(connection, mark)
        print(f"run {number}:" + (" a rerun of the day" if number > 1 else " the night"))
        for phase in ("summary", "dev_cust", "dev_win"):
            label = f"({phase})"
            print(f"  {label:<20} {'':>9}          {run.seconds[phase]:7.2f} s")
        for code, count in run.counts.items():
            print(f"  {code:<20} {count:>9,} signals  {run.seconds[code]:7.2f} s")
        found = sum(run.counts.values())
        print(f"  {'(write)':<20} {found:>9,} found    {run.seconds['write']:7.2f} s")
        print(f"  signal rows written (new or updated) {written:,} of {rows:,}")
        # The floor again right after, so a change of load during the run shows.
        after = sum(_floors(connection, scans).values())
        mean = (floor + after) / 2
        print(f"  signals_compute   {wall:8.2f} s, commit included")
        print(f"  floor before/after {floor:.2f} s / {after:.2f} s")
        print(f"  ratio             {wall / mean:8.2f}x  to their mean (target <= 3x)")
        floor = after
        print(f"  peak memory: database backend and workers {memory.peak_kib / 1024:,.0f} MiB")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: this process {own:,.0f} MiB  (target: both <= 2 GiB)")


if __name__ == "__main__":
    main()
