"""Benchmark: the synthetic bank at bench scale on PostgreSQL, each figure beside its floor.

    .venv/bin/python bench/customers.py --database-url postgres://postgres@127.0.0.1:5432/rmdesk_bench

Creates and migrates the database if need be, seeds the scale if the database is empty
(timing it), then measures:

- data generation: the seed's time beside a raw COPY of the same rows (exported from
  the seeded tables to a file, then copied into unindexed temporary tables) — for the
  customer rows alone and for every table the seed writes (DESIGN.md: ≤ 2×);
- the API, in process with Django's test client: the customer 360 view
  (``GET /api/v1/customers/{id}``), the first page of a manager's list, search by
  name and by mobile, and the first page of the manager's signals
  (``GET /api/v1/signals``), each as p50/p99 beside a minimal Django view that does
  one primary-key select (through the same middleware).

Every figure is printed beside a floor measured in the same run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))


# --- set-up ----------------------------------------------------------------------------


def database_ensure(url: str, *, fresh: bool) -> None:
    """Create the database (dropping it first with ``fresh``)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(url: str, var_dir: Path) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
    # The demo-mode secret key (and so every lookup digest) lives in the var folder:
    # keep the folder with the database.
    os.environ.setdefault("RMDESK_VAR_DIR", str(var_dir))
    import django

    django.setup()


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory of this process, or of the largest of its finished children."""
    return resource.getrusage(who).ru_maxrss / 1024


# --- seeding ---------------------------------------------------------------------------


def seed(scale_name: str, results: Path, workers: int | None) -> dict[str, Any] | None:
    """Seed an empty database and return its timings; None if it already held a bank."""
    from rmdesk.demo.bank import SCALES, build, default_workers
    from rmdesk.org.models import OrgUnit

    if OrgUnit.objects.exists():
        return None
    scale = SCALES[scale_name]
    every = max(1, scale.customers // 10)
    reported = [0]

    def progress(done: int, line: str) -> None:
        if done - reported[0] >= every or done == scale.customers:
            reported[0] = done
            print(f"  {line}", flush=True)

    print(f"Seeding the {scale_name} bank ...", flush=True)
    started = time.monotonic()
    bank = build(scale=scale, progress=progress, workers=workers)
    elapsed = time.monotonic() - started
    # The seed analyses the tables it bulk-loads, not the org tables it fills through the
    # ORM; until autovacuum comes round the planner would take the staff for a few hundred.
    analysed = org_analyse()
    outcome = {
        "scale": scale_name,
        "seconds": elapsed,
        "phases": {**bank.seconds, "analyse the org tables (not counted)": analysed},
        "rows": bank.rows,
        "workers": default_workers(scale) if workers is None else workers,
        "cores": os.cpu_count(),
        "peak_rss_mib": peak_rss_mib(),
        "peak_rss_worker_mib": peak_rss_mib(resource.RUSAGE_CHILDREN),
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    results.write_text(json.dumps(outcome, indent=2))
    return outcome


def org_analyse() -> float:
    """ANALYZE the staff, their roles, the org units and departments; the seconds it took."""
    from django.db import connection

    from rmdesk.org.models import Department, OrgUnit, Staff, StaffRole

    started = time.monotonic()
    with connection.cursor() as cursor:
        for model in (OrgUnit, Department, Staff, StaffRole):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    return time.monotonic() - started


def vacuum(tables: Sequence[str]) -> float:
    """VACUUM ANALYZE: sets hint bits and the visibility map, as a settled database has."""
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'VACUUM (ANALYZE) "{table}"')
    return time.monotonic() - started


# --- the COPY floor --------------------------------------------------------------------


def copy_floor(table: str, columns: Sequence[str]) -> tuple[int, float]:
    """Export ``table`` to a file, then time a raw COPY of it into an unindexed temporary
    table with the same columns. Returns (rows, seconds)."""
    from django.db import connection, transaction

    cols = ", ".join(f'"{c}"' for c in columns)
    spool_dir = os.environ.get("BENCH_TMP")
    with tempfile.TemporaryFile(dir=spool_dir) as spool, connection.cursor() as cursor:
        with cursor.copy(f'COPY "{table}" ({cols}) TO STDOUT') as copy:
            for chunk in copy:
                spool.write(chunk)
        spool.seek(0)
        with transaction.atomic():
            cursor.execute(f'CREATE TEMP TABLE "floor_{table}" (LIKE "{table}") ON COMMIT DROP')
            started = time.monotonic()
            with cursor.copy(f'COPY "floor_{table}" ({cols}) FROM STDIN') as copy:
                while chunk := spool.read(1 << 20):
                    copy.write(chunk)
            seconds = time.monotonic() - started
            cursor.execute(f'SELECT count(*) FROM "floor_{table}"')
            rows = cursor.fetchone()[0]
    return rows, seconds


def generation_report(outcome: dict[str, Any], *, all_tables: bool) -> None:
    from rmdesk.demo.bank import MODELS
    from rmdesk.demo.columns import COLUMNS, TABLES

    phases = outcome["phases"]
    print()
    print("Bench data generation beside a raw COPY of the same rows (unindexed temp table):")
    floors: dict[str, tuple[int, float]] = {}
    for name in TABLES if all_tables else ("customer",):
        model = MODELS[name]
        columns = [model._meta.get_field(c).column for c in COLUMNS[name]]
        floors[name] = copy_floor(model._meta.db_table, columns)
    # "seed s" is the seed's writing of the table (COPY of the generated rows); for
    # transactions it includes generating them, which happens as they are written.
    print(f"  {'table':<12} {'rows':>12} {'COPY s':>8} {'seed s':>8} {'ratio':>6}")
    for name, (rows, seconds) in floors.items():
        written = phases[f"write {name}"]
        ratio = written / seconds if seconds else float("nan")
        print(f"  {name:<12} {rows:>12,} {seconds:>8.2f} {written:>8.2f} {ratio:>6.1f}")
    customer_rows, customer_floor = floors["customer"]
    # The customers' share of the seed: the batches' generation (customers and everything
    # hanging off them but transactions) and the customer table's writes.
    customers = phases["generate"] + phases["write customer"]
    print(
        f"  customers: generated and written in {customers:.1f} s; "
        f"raw COPY of the same {customer_rows:,} rows {customer_floor:.1f} s; "
        f"ratio {customers / customer_floor:.1f}× (target ≤ 2×)"
    )
    if all_tables:
        floor = sum(seconds for _rows, seconds in floors.values())
        every_row = sum(rows for rows, _seconds in floors.values())
        print(
            f"  whole bank: seeded in {outcome['seconds']:.1f} s (indexes and analyse "
            f"{phases['indexes and analyse']:.1f} s); raw COPY of all {every_row:,} rows "
            f"{floor:.1f} s; ratio {outcome['seconds'] / floor:.1f}× (target ≤ 2×)"
        )


# --- API latency -----------------------------------------------------------------------


@dataclass
class Latency:
    name: str
    samples: list[float]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    def line(self, floor: Latency | None = None) -> str:
        p50, p99 = self.percentile(50), self.percentile(99)
        text = f"  {self.name:<34} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
        if floor is not None:
            text += (
                f"   (floor p50 {floor.percentile(50):.1f} ms, p99 {floor.percentile(99):.1f} ms;"
                f" p99 ratio {self.percentile(99) / floor.percentile(99):.1f}×)"
            )
        return text


def floor_view(request: Any, pk: int) -> Any:
    """The floor: a minimal Django view doing one primary-key select."""
    from django.http import JsonResponse

    from rmdesk.customers.models import Customer

    row = Customer.objects.filter(pk=pk).values_list("id", "display_name").first()
    return JsonResponse({"id": row[0] if row else None})


def bench_urls() -> Any:
    """The project's URLs plus the floor view, as a urlconf module."""
    import types

    from django.urls import include, path

    module = types.ModuleType("bench_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("bench/floor/<int:pk>", floor_view),
        path("", include("rmdesk.urls")),
    ]
    sys.modules["bench_urls"] = module
    return module


def timed(client: Any, requests: Sequence[tuple[str, dict[str, str]]], name: str) -> Latency:
    samples = []
    for url, headers in requests:
        started = time.perf_counter()
        response = client.get(url, **headers)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return Latency(name, samples)


@dataclass
class Sample:
    """Who asks what: random managers, random customers each may see."""

    headers: list[dict[str, str]]
    customer_ids: list[int]
    names: list[str]
    mobiles: list[str]
    manager_ids: list[int]


def api_sample(count: int, *, seed: int = 1) -> Sample:
    from django.db.models import Max

    from rmdesk.api.services import api_token_create
    from rmdesk.customers.models import Customer
    from rmdesk.org.models import Staff

    rng = random.Random(seed)
    managers = list(Staff.objects.filter(username__startswith="rm-").order_by("id"))
    chosen = rng.sample(managers, min(50, len(managers)))
    tokens = {m.pk: api_token_create(staff=m, name="bench", days=1).token for m in chosen}
    top = Customer.objects.aggregate(top=Max("id"))["top"]
    headers, ids, names, mobiles, owners = [], [], [], [], []
    while len(ids) < count:
        manager = chosen[rng.randrange(len(chosen))]
        # A random visible customer: the first of this manager's customers after a random key.
        found = (
            Customer.objects.filter(primary_manager=manager, pk__gte=rng.randrange(1, top + 1))
            .order_by("pk")
            .values_list("pk", "display_name", "mobile")
            .first()
        )
        if found is None:
            continue
        headers.append({"HTTP_AUTHORIZATION": f"Bearer {tokens[manager.pk]}"})
        ids.append(found[0])
        names.append(found[1])
        mobiles.append(found[2])
        owners.append(manager.pk)
    return Sample(headers, ids, names, mobiles, owners)


def api_report(count: int) -> None:
    from urllib.parse import quote

    from django.test import Client, override_settings

    print()
    print(f"API latency, in process (Django test client), {count} requests each:")
    sample = api_sample(count)
    with override_settings(ROOT_URLCONF=bench_urls()):
        client = Client()
        ids = sample.customer_ids
        for warm in ids[:50]:  # warm the caches and connections
            client.get(f"/bench/floor/{warm}")
        floor = timed(client, [(f"/bench/floor/{i}", {}) for i in ids], "floor: one-pk-select view")
        print(floor.line())
        measures: list[tuple[str, Callable[[int], str]]] = [
            ("customer 360  GET /customers/{id}", lambda n: f"/api/v1/customers/{ids[n]}"),
            ("list, first page  GET /customers", lambda n: "/api/v1/customers"),
            (
                "search by name  ?q=<2 chars>",
                lambda n: f"/api/v1/customers?q={quote(sample.names[n][:2])}",
            ),
            (
                "search by mobile  ?q=<mobile>",
                lambda n: f"/api/v1/customers?q={sample.mobiles[n] or sample.names[n]}",
            ),
            ("signals, first page  GET /signals", lambda n: "/api/v1/signals"),
        ]
        for name, url in measures:
            requests = [(url(n), sample.headers[n]) for n in range(len(ids))]
            print(timed(client, requests, name).line(floor))
        print(page_360(sample).line(floor))
        print(f"  queries per 360: {queries_360(client, sample)}")


def page_360(sample: Sample) -> Latency:
    """The 360 page, signed in with a session as the customer's manager."""
    from django.test import Client

    from rmdesk.org.models import Staff

    clients: dict[int, Any] = {}
    for manager in Staff.objects.filter(pk__in=set(sample.manager_ids)):
        clients[manager.pk] = Client()
        clients[manager.pk].force_login(manager)
    samples = []
    for manager_id, customer_id in zip(sample.manager_ids, sample.customer_ids, strict=True):
        started = time.perf_counter()
        response = clients[manager_id].get(f"/customers/{customer_id}/")
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, (customer_id, response.status_code)
    return Latency("customer 360 page  GET /customers/{id}/", samples)


def queries_360(client: Any, sample: Sample) -> str:
    """How many statements the 360 API issued, over the first 50 customers: min–max."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in range(min(50, len(sample.customer_ids))):
        with CaptureQueriesContext(connection) as captured:
            client.get(f"/api/v1/customers/{sample.customer_ids[n]}", **sample.headers[n])
        counts.append(len(captured.captured_queries))
    return f"{min(counts)}–{max(counts)} (BEGIN and COMMIT of the access-log append included)"


# --- main ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", default="bench", choices=["tiny", "demo", "bench"])
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    parser.add_argument(
        "--floor",
        choices=["customers", "all"],
        default="all",
        help="COPY floor for the customer table only, or for every table the seed writes",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="generating processes (default: the seed's)"
    )
    parser.add_argument("--requests", type=int, default=2000, help="API requests per measure")
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument(
        "--skip-generation", action="store_true", help="no COPY floor: the API measures only"
    )
    parser.add_argument("--var-dir", type=Path, default=None)
    args = parser.parse_args(argv)

    name = urlsplit(args.database_url).path.lstrip("/")
    var_dir = args.var_dir or HERE / "var" / name
    var_dir.mkdir(parents=True, exist_ok=True)
    database_ensure(args.database_url, fresh=args.fresh)
    django_setup(args.database_url, var_dir)

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    results = var_dir / f"seed-{args.scale}.json"
    outcome = seed(args.scale, results, args.workers)
    if outcome is None:
        if not results.exists():
            sys.exit("The database holds a bank seeded elsewhere; run with --fresh to measure.")
        outcome = json.loads(results.read_text())
        print(f"Already seeded ({outcome['when']}); showing that seed's timings.")
    else:
        from rmdesk.demo.bank import MODELS

        tables = [model._meta.db_table for model in MODELS.values()]
        print(f"  VACUUM (ANALYZE) after the load: {vacuum(tables):.1f} s (not counted)")
    rows = outcome["rows"]
    print(
        f"Seed: {outcome['seconds']:.1f} s for {rows['customer']:,} customers, "
        f"{rows['holding']:,} holdings, {rows['transaction']:,} transactions; "
        f"peak RSS {outcome['peak_rss_mib']:.0f} MiB"
        + (
            f", each of {outcome['workers']} generating workers ≤ "
            f"{outcome['peak_rss_worker_mib']:.0f} MiB"
            if outcome.get("workers", 1) > 1
            else ""
        )
    )
    for phase, seconds in outcome["phases"].items():
        print(f"  {phase:<22} {seconds:8.1f} s")
    if not args.skip_generation:
        generation_report(outcome, all_tables=args.floor == "all")
    if not args.skip_api:
        api_report(args.requests)
    print(f"\nPeak RSS of this process: {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
