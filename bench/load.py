"""Load test: many signed-in managers against `rmdesk serve --prod`, beside a floor.

    .venv/bin/python bench/load.py --database-url postgres://postgres@127.0.0.1:5432/rmdesk_bench

Starts `rmdesk serve --prod` on 127.0.0.1 (or uses ``--base-url``) against the bench
bank, gives ``--managers`` random managers a bearer token each, and drives
``--sessions`` concurrent sessions (a bounded asyncio client, keep-alive connections,
closed loop with ``--think`` seconds between requests) for ``--seconds``:

1. the floor: every session asks ``GET /healthz`` (the same server, no database);
2. the mix: each request is an action drawn by weight from ``ACTIONS`` for a manager and
   one of the customers that manager may see.

The mix reads (the customer 360, holdings, the first page, searches, today's contact
plan) and writes (logging an interaction, raising a work order); managers without a plan
for today get one generated at set-up. Prints p50/p99 latency per action and for reads
and writes, throughput, error rate and the load average, beside the floor. To add an
action append an ``Action`` to ``ACTIONS``: a name, a weight and a function from a
``Persona`` to a request. Only 127.0.0.1 is ever contacted. The interactions and work
orders written stay in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))


@dataclass
class Persona:
    """A signed-in manager and the customers they may see."""

    token: str
    customer_ids: list[int]
    names: list[str]
    mobiles: list[str]
    rng: random.Random = field(default_factory=random.Random)

    def customer(self) -> int:
        return self.customer_ids[self.rng.randrange(len(self.customer_ids))]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    expect: tuple[int, ...] = (200,)


@dataclass(frozen=True)
class Action:
    name: str
    weight: float
    make: Callable[[Persona], Request]


def _name_prefix(p: Persona) -> str:
    return quote(p.names[p.rng.randrange(len(p.names))][:2])


def _interaction(p: Persona) -> Request:
    body = {
        "customer_id": p.customer(),
        "channel": p.rng.choice(["phone", "wechat", "visit"]),
        "occurred_at": datetime.now(UTC).isoformat(),
        "summary": "回访：理财到期后的安排",
        "needs": [],
    }
    return Request("POST", "/api/v1/interactions", json.dumps(body).encode(), expect=(201,))


def _work_order(p: Persona) -> Request:
    body = {
        "type": "customer_requirement",
        "title": "客户需求：大额存单额度",
        "customer_id": p.customer(),
        "fields": {"need": "大额存单额度"},
    }
    return Request("POST", "/api/v1/work-orders", json.dumps(body).encode(), expect=(201,))


ACTIONS: list[Action] = [
    Action("customer 360", 5, lambda p: Request("GET", f"/api/v1/customers/{p.customer()}")),
    Action("holdings", 1, lambda p: Request("GET", f"/api/v1/customers/{p.customer()}/holdings")),
    Action("my customers, first page", 2, lambda p: Request("GET", "/api/v1/customers")),
    Action("search by name", 2, lambda p: Request("GET", f"/api/v1/customers?q={_name_prefix(p)}")),
    Action(
        "search by mobile",
        1,
        lambda p: Request(
            "GET", f"/api/v1/customers?q={quote(p.mobiles[p.rng.randrange(len(p.mobiles))])}"
        ),
    ),
    # The duties: today's contact plan (generated for these managers at set-up if they
    # have none), logging a contact, raising a work order.
    Action("open the contact plan", 3, lambda p: Request("GET", "/api/v1/contact-plan")),
    Action("log an interaction", 1, _interaction),
    Action("raise a work order", 0.5, _work_order),
]
READS = {"customer 360", "holdings", "my customers, first page", "search by name",
         "search by mobile", "open the contact plan"}  # fmt: skip
FLOOR = Action("floor: GET /healthz", 1, lambda p: Request("GET", "/healthz"))


# --- a small HTTP/1.1 keep-alive client ------------------------------------------------


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, req: Request, token: str | None) -> int:
        for attempt in (1, 2):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                return await self._exchange(req, token)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, req: Request, token: str | None) -> int:
        assert self.reader is not None
        assert self.writer is not None
        lines = [
            f"{req.method} {req.path} HTTP/1.1",
            f"Host: {self.host}",
            "Accept: application/json",
            "Connection: keep-alive",
        ]
        if token:
            lines.append(f"Authorization: Bearer {token}")
        if req.body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(req.body)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (req.body or b""))
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Tally:
    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)

    def add(self, name: str, seconds: float, ok: bool, status: int) -> None:
        self.samples.setdefault(name, []).append(seconds)
        if not ok:
            self.errors[name] = self.errors.get(name, 0) + 1
            codes = self.statuses.setdefault(name, {})
            codes[status] = codes.get(status, 0) + 1


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index] * 1000


async def drive(
    base: str,
    personas: list[Persona],
    actions: list[Action],
    *,
    sessions: int,
    seconds: float,
    think: float,
    seed: int,
) -> tuple[Tally, float]:
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit("bench/load.py only talks to this machine (127.0.0.1).")
    tally = Tally()
    weights = [a.weight for a in actions]
    deadline = time.monotonic() + seconds

    async def session(n: int) -> None:
        rng = random.Random(seed * 100_003 + n)
        persona = personas[n % len(personas)]
        persona.rng = rng
        conn = Connection(host, port)
        try:
            while time.monotonic() < deadline:
                action = rng.choices(actions, weights)[0]
                req = action.make(persona)
                started = time.perf_counter()
                try:
                    status = await conn.request(req, persona.token)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    status = 0
                    conn.close()
                tally.add(action.name, time.perf_counter() - started, status in req.expect, status)
                if think:
                    await asyncio.sleep(rng.expovariate(1 / think))
        finally:
            conn.close()

    started = time.monotonic()
    await asyncio.gather(*(session(n) for n in range(sessions)))
    return tally, time.monotonic() - started


def report(title: str, tally: Tally, elapsed: float, floor: Tally | None) -> dict[str, object]:
    total = sum(len(v) for v in tally.samples.values())
    errors = sum(tally.errors.values())
    print(
        f"\n{title}: {total} requests in {elapsed:.1f} s = {total / elapsed:.0f} req/s, "
        f"errors {errors} ({100 * errors / max(total, 1):.2f} %)"
    )
    floor_all = [s for v in (floor.samples.values() if floor else []) for s in v]
    rows: dict[str, object] = {}
    for name, samples in tally.samples.items():
        p50, p99 = percentile(samples, 50), percentile(samples, 99)
        line = f"  {name:<28} n {len(samples):>6}  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
        if floor_all:
            line += f"   (p99 {p99 / percentile(floor_all, 99):.1f}× the floor's)"
        if tally.errors.get(name):
            line += f"  errors {tally.errors[name]} {tally.statuses.get(name)}"
        print(line)
        rows[name] = {
            "n": len(samples),
            "p50_ms": p50,
            "p99_ms": p99,
            "errors": tally.errors.get(name, 0),
        }
    groups = {
        "reads": [s for n, v in tally.samples.items() if n in READS for s in v],
        "writes": [s for n, v in tally.samples.items() if n not in READS for s in v],
    }
    for group, samples in groups.items():
        if samples and floor_all:
            p99 = percentile(samples, 99)
            print(
                f"  {'(' + group + ')':<28} n {len(samples):>6}  p50 "
                f"{percentile(samples, 50):7.1f} ms  p99 {p99:7.1f} ms"
                f"   (p99 {p99 / percentile(floor_all, 99):.1f}× the floor's)"
            )
            rows[f"({group})"] = {
                "n": len(samples),
                "p50_ms": percentile(samples, 50),
                "p99_ms": p99,
            }
    every = [s for v in tally.samples.values() for s in v]
    summary = {
        "requests": total,
        "seconds": elapsed,
        "throughput": total / elapsed,
        "errors": errors,
        "error_rate": errors / max(total, 1),
        "p50_ms": percentile(every, 50),
        "p99_ms": percentile(every, 99),
        "mean_ms": statistics.fmean(every) * 1000 if every else float("nan"),
        "actions": rows,
    }
    load = os.getloadavg()
    summary["load_average"] = load
    print(
        f"  {'all':<28} n {total:>6}  p50 {summary['p50_ms']:7.1f} ms  "
        f"p99 {summary['p99_ms']:7.1f} ms   (load average {load[0]:.1f} {load[1]:.1f})"
    )
    return summary


# --- set-up ----------------------------------------------------------------------------


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
    import django

    django.setup()


def personas_make(count: int, per_manager: int, seed: int) -> list[Persona]:
    from django.db import connection
    from django.utils import timezone

    from rmdesk.api.services import api_token_create
    from rmdesk.contact.models import PlanEntry
    from rmdesk.contact.services import plan_generate_for
    from rmdesk.org.models import Staff

    rng = random.Random(seed)
    today = timezone.localdate()
    managers = list(
        Staff.objects.filter(username__startswith="rm-", is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    chosen = rng.sample(managers, min(count, len(managers)))
    personas = []
    with connection.cursor() as cursor:
        for manager_id in chosen:
            cursor.execute(
                "SELECT id, display_name, mobile FROM customers_customer "
                "WHERE primary_manager_id = %s ORDER BY id LIMIT %s",
                [manager_id, per_manager],
            )
            rows = cursor.fetchall()
            if not rows:
                continue
            staff = Staff.objects.select_related("org_unit").get(pk=manager_id)
            token = api_token_create(staff=staff, name="bench-load", days=1).token
            if not PlanEntry.objects.filter(manager=staff, day=today).exists():
                plan_generate_for(actor=staff, day=today, manager_id=staff.pk)
            personas.append(
                Persona(
                    token=token,
                    customer_ids=[r[0] for r in rows],
                    names=[r[1] for r in rows],
                    mobiles=[r[2] or r[1] for r in rows],
                )
            )
    return personas


def tokens_drop() -> None:
    from rmdesk.api.models import ApiToken

    ApiToken.objects.filter(name="bench-load").delete()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_start(url: str, workers: int, threads: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    var = HERE / "var" / "load"
    var.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "RMDESK_VAR_DIR": str(var),
            "PYTHONPATH": str(ROOT / "src"),
        }
    )
    # Quiet by default; RMDESK_REQUEST_LOG_LEVEL=INFO keeps the server's view in server.log.
    env.setdefault("RMDESK_REQUEST_LOG_LEVEL", "WARNING")
    env.setdefault("RMDESK_WEB_LOG_LEVEL", "warning")
    command = [
        sys.executable,
        "-m",
        "rmdesk.cli",
        "serve",
        "--prod",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
    log = open(var / "server.log", "wb")  # noqa: SIM115 (kept open for the server)
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, base
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"the server stopped; see {var / 'server.log'}") from None
            time.sleep(0.3)
    raise SystemExit("the server did not come up")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--base-url", default="", help="A running server (else one is started).")
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--managers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--think", type=float, default=0.0, help="Mean pause between requests.")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn processes (2×cores+1).")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--warm", type=float, default=5, help="Seconds of warm-up, not counted.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    # The bench bank's digests were made with its own secret key; search by mobile needs it.
    bench_key = HERE / "var" / urlsplit(args.database_url).path.lstrip("/")
    if not os.environ.get("SECRET_KEY") and (bench_key / "secret_key").is_file():
        os.environ["SECRET_KEY"] = (bench_key / "secret_key").read_text().strip()
    os.environ.setdefault("RMDESK_VAR_DIR", str(HERE / "var" / "load"))
    django_setup(args.database_url)
    personas = personas_make(args.managers, 50, args.seed)
    print(f"{len(personas)} managers signed in (bearer tokens), {args.sessions} sessions")
    server = None
    base = args.base_url
    if not base:
        workers = args.workers or min(2 * (os.cpu_count() or 1) + 1, 17)
        server, base = server_start(args.database_url, workers, args.threads)
        print(f"rmdesk serve --prod at {base}: {workers} processes × {args.threads} threads")
    try:
        run = asyncio.run
        if args.warm:
            run(
                drive(
                    base,
                    personas,
                    [FLOOR, *ACTIONS],
                    sessions=min(args.sessions, 20),
                    seconds=args.warm,
                    think=0,
                    seed=args.seed + 1,
                )
            )
        floor, floor_time = run(
            drive(
                base,
                personas,
                [FLOOR],
                sessions=args.sessions,
                seconds=args.seconds / 2,
                think=args.think,
                seed=args.seed,
            )
        )
        floor_summary = report("Floor (same server, GET /healthz)", floor, floor_time, None)
        mixed, mixed_time = run(
            drive(
                base,
                personas,
                ACTIONS,
                sessions=args.sessions,
                seconds=args.seconds,
                think=args.think,
                seed=args.seed,
            )
        )
        mixed_summary = report("Mixed workload", mixed, mixed_time, floor)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {"floor": floor_summary, "mixed": mixed_summary, "sessions": args.sessions},
                    indent=2,
                )
            )
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(60)
        tokens_drop()


if __name__ == "__main__":
    main()
