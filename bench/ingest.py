"""Benchmark: importing a customers feed on PostgreSQL, beside a raw COPY of the same file.

    .venv/bin/python bench/ingest.py -n 200000 \
        --database-url postgres://postgres@127.0.0.1:5432/rmdesk_bench_ingest

Drops and recreates the database, migrates, writes a customers CSV of N rows (every
column the page validates: name, resident ID, mobile, unit, manager), then measures in
the same run:

- floor: ``COPY … FROM STDIN (FORMAT csv, HEADER)`` of that file into an unindexed
  table of text columns;
- ``rmdesk import customers`` (services.import_file): decode, validate every row through
  customer_fields_clean, digests and tokens, COPY into staging, one merge into the
  indexed customers table, assignment history — in one transaction.

Prints rows/s for each and the ratio (DESIGN.md target: ≥ 0.5× the COPY floor).
The issue's full scale is -n 1000000 (transactions: not measured yet).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def database_fresh(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def resident_id(n: int) -> str:
    from stdnum.cn import ric

    body = f"110105{1950 + n % 50:04d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return body + str(ric.calc_check_digit(body + "0"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("-n", type=int, default=200_000)
    args = parser.parse_args()
    database_fresh(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from rmdesk.ingest import services
    from rmdesk.org.tests.factories import OrgUnitFactory, StaffFactory

    call_command("migrate", verbosity=0)
    head = OrgUnitFactory(code="HO", name="总行", kind="head_office")
    units = [OrgUnitFactory(code=f"S{i:02d}", name=f"支行{i}", parent=head) for i in range(20)]
    for i, unit in enumerate(units):
        StaffFactory(username=f"rm{i:02d}", org_unit=unit)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customers.csv"
        with path.open("w", encoding="utf-8") as out:
            out.write("customer_no,kind,name,home_unit,manager,mobile,id_number,address\n")
            # Unique identity numbers need distinct (date, sequence) bodies: n < 50·12·28·1000.
            for i in range(args.n):
                out.write(
                    f"C{i:09d},individual,王小明{i % 997},S{i % 20:02d},rm{i % 20:02d},"
                    f"1380{i % 10_000_000:07d},{resident_id(i)},北京市朝阳区建国路{i % 500}号\n"
                )
        size = path.stat().st_size
        print(f"file: {args.n} rows, {size / 1e6:.1f} MB")

        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE UNLOGGED TABLE bench_copy_floor (customer_no text, kind text, name text,"
                " home_unit text, manager text, mobile text, id_number text, address text)"
            )
            started = time.perf_counter()
            with (
                path.open("rb") as source,
                cursor.copy("COPY bench_copy_floor FROM STDIN (FORMAT csv, HEADER)") as copy,
            ):
                while block := source.read(1 << 20):
                    copy.write(block)
            floor = time.perf_counter() - started
        print(f"raw COPY floor:   {args.n / floor:>10,.0f} rows/s ({floor:.1f} s)")

        limits = services.Limits(max_bytes=size + 1, max_rows=args.n, max_errors=0)
        started = time.perf_counter()
        with path.open("rb") as source:
            run = services.import_file(
                actor=None, feed="customers", source=source, file_name=path.name, limits=limits
            )
        took = time.perf_counter() - started
        assert run.status == "done", run.error_summary
        assert run.new == args.n, run.new
        print(f"rmdesk import:    {args.n / took:>10,.0f} rows/s ({took:.1f} s)")
        print(f"ratio import/COPY: {floor / took:.3f} (target ≥ 0.5)")


if __name__ == "__main__":
    main()
