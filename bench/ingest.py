"""Benchmark: importing the core system's feeds on PostgreSQL, beside a raw COPY of each file.

    .venv/bin/python bench/ingest.py -n 1000000 -t 10000000 \
        --database-url postgres://postgres@127.0.0.1:5432/rmdesk_ingest_bench

Drops and recreates the database (never point it at a database you want to keep),
migrates it, creates 20 sub-branches with an account manager each, then for each feed
in turn (customers: N rows; holdings: one account per customer; transactions: T rows
over those accounts) writes the file and measures in the same run:

- floor: ``COPY … FROM STDIN (FORMAT csv, HEADER)`` of that very file into an
  unindexed table of text columns;
- ``rmdesk import <feed>`` (services.import_file): spool and hash the file, decode,
  validate every row by the feed's rules (customers through customer_fields_clean),
  stage with COPY, check references set-based, merge into the indexed tables with one
  statement, assignment history / AUM and tier refresh — in one transaction.

Prints rows/s for each beside the floor, and the ratio (DESIGN.md target: ≥ 0.5× the
COPY floor). ``--profile DIR`` writes a cProfile of each import to DIR/<feed>.prof;
``--explain MS`` prints the plan of every statement of the imports that takes longer
(auto_explain with ANALYZE, BUFFERS and triggers, nested statements included).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

UNITS = 20


def database_fresh(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def resident_id(n: int) -> str:
    from stdnum.cn import ric

    day = n // 1000
    body = f"110105{1950 + day // 336:04d}{1 + day // 28 % 12:02d}{1 + day % 28:02d}{n % 1000:03d}"
    return body + str(ric.calc_check_digit(body + "0"))


CUSTOMERS_HEADER = "customer_no,kind,name,home_unit,manager,mobile,id_number,address"
HOLDINGS_HEADER = "account_no,customer_no,product_type,balance,opened_on,currency"
TRANSACTIONS_HEADER = "txn_ref,customer_no,account_no,booked_on,kind,amount,counterparty"
KINDS = ("salary", "spending", "transfer_in", "transfer_out", "interest", "product_purchase")
COUNTERPARTIES = ("", "某某科技有限公司", "京东商城", "中国移动", "工资代发", "美团")


def write_customers(path: Path, n: int) -> None:
    # Distinct (birth date, sequence) bodies: unique identity numbers for n < 16,800,000.
    with path.open("w", encoding="utf-8") as out:
        out.write(CUSTOMERS_HEADER + "\n")
        for i in range(n):
            out.write(
                f"C{i:09d},individual,王小明{i % 997},S{i % UNITS:02d},rm{i % UNITS:02d},"
                f"1380{i % 10_000_000:07d},{resident_id(i)},北京市朝阳区建国路{i % 500}号\n"
            )


def write_holdings(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(HOLDINGS_HEADER + "\n")
        for i in range(n):
            out.write(
                f"A{i:012d},C{i:09d},demand_deposit,"
                f'"{(i * 7919) % 3_000_000:,}.{i % 100:02d}",'
                f"2024{1 + i % 12:02d}{1 + i % 28:02d},\n"
            )


def write_transactions(path: Path, t: int, n: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(TRANSACTIONS_HEADER + "\n")
        lines = []
        for j in range(t):
            i = (j * 7) % n
            sign = "-" if j % 3 else ""
            lines.append(
                f"T{j:014d},C{i:09d},A{i:012d},2026{1 + j % 12:02d}{1 + j % 28:02d},"
                f"{KINDS[j % 6]},{sign}{(j * 31) % 100_000}.{j % 100:02d},{COUNTERPARTIES[j % 6]}\n"
            )
            if len(lines) == 10_000:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))


def copy_floor(path: Path, header: str) -> float:
    """Seconds for a raw COPY of the file into an unindexed table of text columns."""
    from django.db import connection

    columns = ", ".join(f"{name} text" for name in header.split(","))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_floor")
        cursor.execute(f"CREATE UNLOGGED TABLE bench_copy_floor ({columns})")
        started = time.perf_counter()
        with (
            path.open("rb") as source,
            cursor.copy("COPY bench_copy_floor FROM STDIN (FORMAT csv, HEADER)") as copy,
        ):
            while block := source.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy_floor")
    return seconds


def measure(feed: str, path: Path, header: str, rows: int, profile: Path | None) -> None:
    from rmdesk.ingest import services

    size = path.stat().st_size
    floor = copy_floor(path, header)
    limits = services.Limits(max_bytes=size + 1, max_rows=rows, max_errors=0)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    with path.open("rb") as source:
        run = services.import_file(
            actor=None, feed=feed, source=source, file_name=path.name, limits=limits
        )
    if profiler:
        profiler.disable()
        assert profile is not None
        profiler.dump_stats(str(profile / f"{feed}.prof"))
    took = time.perf_counter() - started
    assert run.status == "done", (run.status, run.error_summary, list(run.errors.all()[:5]))
    assert (run.new, run.rejected) == (rows, 0), (run.new, run.rejected)
    print(
        f"{feed:<13} {rows:>11,} rows {size / 1e6:>8.1f} MB  "
        f"COPY {rows / floor:>9,.0f} rows/s ({floor:6.1f} s)  "
        f"import {rows / took:>9,.0f} rows/s ({took:6.1f} s)  ratio {floor / took:.3f}",
        flush=True,
    )


def explain(milliseconds: int) -> None:
    """Log the plan of every slow statement of this connection to stdout (auto_explain)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("LOAD 'auto_explain'")
        for name, value in (
            ("log_min_duration", str(milliseconds)),
            ("log_analyze", "on"),
            ("log_buffers", "on"),
            ("log_triggers", "on"),
            ("log_nested_statements", "on"),
        ):
            cursor.execute(f"SET auto_explain.{name} = '{value}'")
        cursor.execute("SET client_min_messages = 'log'")
    connection.connection.add_notice_handler(
        lambda notice: print(f"    {notice.message_primary}", flush=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("-n", type=int, default=200_000, help="customers (and holdings)")
    parser.add_argument("-t", type=int, default=1_000_000, help="transactions")
    parser.add_argument("--feeds", default="customers,holdings,transactions")
    parser.add_argument("--profile", type=Path, help="write cProfile stats here")
    parser.add_argument(
        "--explain", type=int, metavar="MS", help="print the plans of statements over MS ms"
    )
    args = parser.parse_args()
    if "bench" not in urlsplit(args.database_url).path:
        parser.error("the database is dropped and recreated: give one named *bench*")
    database_fresh(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
    import logging

    import django

    django.setup()
    logging.getLogger("rmdesk.ingest").setLevel(logging.INFO)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("    %(message)s"))
    logging.getLogger("rmdesk.ingest").addHandler(handler)
    logging.getLogger("rmdesk.ingest").propagate = False
    from django.core.management import call_command

    from rmdesk.org.tests.factories import OrgUnitFactory, StaffFactory

    call_command("migrate", verbosity=0)
    head = OrgUnitFactory(code="HO", name="总行", kind="head_office")
    units = [OrgUnitFactory(code=f"S{i:02d}", name=f"支行{i}", parent=head) for i in range(UNITS)]
    for i, unit in enumerate(units):
        StaffFactory(username=f"rm{i:02d}", org_unit=unit)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    if args.explain is not None:
        explain(args.explain)
    feeds = args.feeds.split(",")
    print(f"feeds: {', '.join(feeds)}; customers {args.n:,}, transactions {args.t:,}")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as folder:
        base = Path(folder)
        plan = {
            "customers": (CUSTOMERS_HEADER, args.n, lambda p: write_customers(p, args.n)),
            "holdings": (HOLDINGS_HEADER, args.n, lambda p: write_holdings(p, args.n)),
            "transactions": (
                TRANSACTIONS_HEADER,
                args.t,
                lambda p: write_transactions(p, args.t, args.n),
            ),
        }
        for feed in ("customers", "holdings", "transactions"):
            header, rows, write = plan[feed]
            path = base / f"{feed}.csv"
            write(path)
            if feed in feeds:
                measure(feed, path, header, rows, args.profile)
            else:  # a prerequisite of a later feed, not measured
                from rmdesk.ingest import services

                size = path.stat().st_size
                with path.open("rb") as source:
                    services.import_file(
                        actor=None,
                        feed=feed,
                        source=source,
                        file_name=path.name,
                        limits=services.Limits(max_bytes=size + 1, max_rows=rows, max_errors=0),
                    )
            path.unlink()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
