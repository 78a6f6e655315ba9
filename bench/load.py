"""Load test: many signed-in people against `rmdesk serve --prod`, beside a floor.

    .venv/bin/python bench/load.py --database-url postgres://postgres@127.0.0.1:5432/rmdesk_bench

Starts `rmdesk serve --prod` on 127.0.0.1 (or uses ``--base-url``) against the bench
bank, gives ``--sessions`` random account managers a bearer token each (and an
operations officer one for the feeds), and runs one session per manager for
``--seconds``. A session is a person at work: a request, then a pause drawn uniformly
from ``--think MIN MAX`` seconds (1–5 by default, as locust's ``between(1, 5)``), then
the next. ``--closed`` drops the pauses: every session fires its next request as soon as
the last answers, which measures saturation throughput (latency is then queueing:
sessions ÷ throughput).

1. the floor: the same sessions ask ``GET /healthz`` (the same server, no database);
2. the mix: each request is an action drawn by weight from ``ACTIONS`` (``--mix g2``:
   80 % reads, 15 % writes, 5 % imports and exports; ``--mix reads``: the reads alone).

Prints p50/p99 latency per action and per group, throughput, errors (any status the
action does not expect) and 5xx answers, beside the floor. Then checks, in the
database, what the run must leave true (RELIABILITY.md G2):

- no resource pool is overspent (limit ≥ held + booked + allocated, none negative),
  each pool's ledger adds up to what it has available, and what a pool holds is what
  its work orders hold;
- every answered 360, export and reveal of the run has exactly its access-log entries
  (one per 360, one per exported customer, one per reveal), found by the request id the
  client sent, and a refused one has none.

``--overload FACTOR`` runs closed loop with FACTOR times the sessions the server admits at
once (processes × threads less the one each keeps to refuse: core/admission.py), so
FACTOR 2 is twice its capacity. Then an answer must be fast, not good: requests past a
process's limit are shed with 503 and Retry-After (a shed session waits as told before
its next request); the run reports how many were shed
and the slowest request beside the floor's, and ``--check`` fails if any request took
longer than gunicorn's timeout (``--web-timeout``), got no answer, or was answered 5xx
other than 503 (RELIABILITY.md G3).

A broken invariant exits 1. ``--check`` also exits 1 when the latency or error targets
are missed (``--reads-p99``, ``--mixed-p99``, ``--max-error-rate``; 5xx must be 0), so
the run can gate G1 and G2. ``--json`` writes the figures.

``run()`` is the whole run for a caller that has set Django up: the test suite's
``tests/ops/test_ops_load.py`` calls it over a small bank seeded into its test database,
with the same ``Targets``.

To add an action append an ``Action`` to ``ACTIONS``: a name, a weight, its group and a
function from a ``Persona`` and the run's ``Context`` to a request. Only 127.0.0.1 is
ever contacted. What the run writes stays in the database: interactions, work orders
(those drawing on the load test's marketing pool are cancelled at the end, which
releases their holds), access-log and audit entries, and the 500 customers
``LT00000000``–``LT00000499`` that the feed uploads keep up to date.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import itertools
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

LOAD_TAG = "bench-load"
POOL_KIND = "marketing_cny"
POOL_LIMIT = Decimal("2000000.00")
FEED_CUSTOMERS = 500  # LT00000000 … LT00000499, kept up to date by the feed uploads
FEED_ROWS = 20


@dataclass
class Persona:
    """A signed-in manager and the customers they may see."""

    token: str
    username: str
    customer_ids: list[int]
    names: list[str]
    mobiles: list[str]
    rng: random.Random = field(default_factory=random.Random)

    def customer(self) -> int:
        return self.customer_ids[self.rng.randrange(len(self.customer_ids))]


@dataclass
class Context:
    """What the run shares: the operations officer's token, the feed's customers, ids."""

    tag: str
    ops_token: str = ""
    feed_people: list[tuple[str, str, str]] = field(default_factory=list)  # no, manager, unit
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def request_id(self) -> str:
        return f"{self.tag}{next(self.counter)}"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    expect: tuple[int, ...] = (200,)
    content_type: str = "application/json"
    token: str = ""  # another identity than the session's (the operations officer)
    access: str = ""  # the access-log entries an answer must leave: view, export, unmask


@dataclass(frozen=True)
class Action:
    name: str
    weight: float
    group: str  # read, write, transfer (imports and exports)
    make: Callable[[Persona, Context], Request]


def _name_prefix(p: Persona) -> str:
    return quote(p.names[p.rng.randrange(len(p.names))][:2])


def _json(method: str, path: str, body: dict[str, Any], **kw: Any) -> Request:
    return Request(method, path, json.dumps(body).encode(), **kw)


def _interaction(p: Persona, c: Context) -> Request:
    body = {
        "customer_id": p.customer(),
        "channel": p.rng.choice(["phone", "wechat", "visit"]),
        "occurred_at": datetime.now(UTC).isoformat(),
        "summary": "回访：理财到期后的安排",
        "needs": [],
    }
    return _json("POST", "/api/v1/interactions", body, expect=(201,))


def _work_order(p: Persona, c: Context) -> Request:
    body = {
        "type": "customer_requirement",
        "title": "客户需求：大额存单额度",
        "customer_id": p.customer(),
        "fields": {"need": "大额存单额度"},
    }
    return _json("POST", "/api/v1/work-orders", body, expect=(201,))


def _pool_request(p: Persona, c: Context) -> Request:
    """A marketing expense drawing on the pool: held when raised, refused once it is spent."""
    body = {
        "type": "marketing_expense",
        "title": f"营销费用 {c.tag}",
        "customer_id": p.customer(),
        "amount": f"{p.rng.randrange(1_000, 20_000)}.00",
        "fields": {"activity": "客户答谢会"},
    }
    # 400 ``pool_exhausted`` (rmdesk's answer to a refused request) once the pool is spent.
    return _json("POST", "/api/v1/work-orders", body, expect=(201, 400))


def _reveal(p: Persona, c: Context) -> Request:
    body = {"fields": ["mobile"], "reason": "核对联系方式"}
    return _json("POST", f"/api/v1/customers/{p.customer()}/reveal", body, access="unmask")


def _export(p: Persona, c: Context) -> Request:
    return Request("GET", f"/api/v1/customers/export?q={_name_prefix(p)}", access="export")


def _feed_upload(p: Persona, c: Context) -> Request:
    """An operations officer uploads a small customers feed (distinct content each time)."""
    stamp = c.request_id()
    lines = ["customer_no,kind,name,home_unit,manager,address"]
    for no, manager, unit in p.rng.sample(c.feed_people, min(FEED_ROWS, len(c.feed_people))):
        lines.append(f"{no},individual,压测客户{no[-3:]},{unit},{manager},测试路{stamp}号")
    boundary = "rmdeskload" + secrets.token_hex(8)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="customers.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        + ("\n".join(lines) + "\n").encode()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return Request(
        "POST",
        "/api/v1/imports/customers",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        token=c.ops_token,
    )


READ_ACTIONS: list[Action] = [
    Action(
        "customer 360",
        26,
        "read",
        lambda p, c: Request("GET", f"/api/v1/customers/{p.customer()}", access="view"),
    ),
    Action(
        "holdings",
        6,
        "read",
        lambda p, c: Request("GET", f"/api/v1/customers/{p.customer()}/holdings"),
    ),
    Action(
        "my customers, first page", 10, "read", lambda p, c: Request("GET", "/api/v1/customers")
    ),
    Action(
        "search by name",
        12,
        "read",
        lambda p, c: Request("GET", f"/api/v1/customers?q={_name_prefix(p)}"),
    ),
    Action(
        "search by mobile",
        6,
        "read",
        lambda p, c: Request(
            "GET", f"/api/v1/customers?q={quote(p.mobiles[p.rng.randrange(len(p.mobiles))])}"
        ),
    ),
    # Today's contact plan (generated at set-up for managers who have none).
    Action(
        "open the contact plan", 20, "read", lambda p, c: Request("GET", "/api/v1/contact-plan")
    ),
]
ACTIONS: list[Action] = [
    *READ_ACTIONS,
    # The duties' writes, and a reveal (a write: a grant and its log entry).
    Action("log an interaction", 7, "write", _interaction),
    Action("raise a work order", 3, "write", _work_order),
    Action("ask the marketing pool", 3, "write", _pool_request),
    Action("reveal a mobile", 2, "write", _reveal),
    # Files in and out.
    Action("export my customers (CSV)", 3.5, "transfer", _export),
    Action("upload a customers feed", 1.5, "transfer", _feed_upload),
]
MIXES = {"g2": ACTIONS, "reads": READ_ACTIONS}
FLOOR = Action("floor: GET /healthz", 1, "floor", lambda p, c: Request("GET", "/healthz"))


# --- a small HTTP/1.1 keep-alive client ------------------------------------------------


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.retry_after = 0.0  # the last answer's Retry-After, seconds

    async def request(self, req: Request, token: str, rid: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                return await self._exchange(req, token, rid)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, req: Request, token: str, rid: str) -> tuple[int, bytes]:
        assert self.reader is not None
        assert self.writer is not None
        lines = [
            f"{req.method} {req.path} HTTP/1.1",
            f"Host: {self.host}",
            "Accept: application/json",
            "Connection: keep-alive",
            f"X-Request-ID: {rid}",
        ]
        if token:
            lines.append(f"Authorization: Bearer {token}")
        if req.body is not None:
            lines += [f"Content-Type: {req.content_type}", f"Content-Length: {len(req.body)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (req.body or b""))
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        self.retry_after = 0.0
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
            elif name == "retry-after" and value.isdigit():
                self.retry_after = float(value)
        body = b""
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append((await self.reader.readexactly(size + 2))[:size])
                if size == 0:
                    break
            body = b"".join(parts)
        elif length:
            body = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Tally:
    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    server_errors: int = 0
    shed: int = 0  # 503: refused at once (overloaded) or cut at the statement timeout
    unanswered: int = 0  # no answer: a dropped connection or the client's own timeout
    slowest: float = 0.0
    # (request id, access kind, entries the answer must have left; None: unknown)
    accesses: list[tuple[str, str, int | None]] = field(default_factory=list)

    def add(self, name: str, seconds: float, ok: bool, status: int) -> None:
        self.samples.setdefault(name, []).append(seconds)
        self.slowest = max(self.slowest, seconds)
        if status == 503:
            self.shed += 1
        elif status == 0:
            self.unanswered += 1
        if status >= 500:
            self.server_errors += 1
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


def _access_expected(req: Request, status: int, body: bytes) -> int | None:
    """How many access-log entries the answer must have left (None when unknowable)."""
    if status == 0:
        return None  # no answer: the server may or may not have finished
    if status not in req.expect or status >= 300:
        return 0  # refused: no trace
    if req.access == "export":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        return max(len(rows) - 1, 0)
    return 1


async def drive(
    base: str,
    personas: list[Persona],
    actions: list[Action],
    context: Context,
    *,
    seconds: float,
    think: tuple[float, float],
    seed: int,
    patience: float = 120.0,
    polite: bool = False,
) -> tuple[Tally, float]:
    """One session per persona for ``seconds``: request, pause ``think`` (uniform), again."""
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit("bench/load.py only talks to this machine (127.0.0.1).")
    tally = Tally()
    weights = [a.weight for a in actions]
    deadline = time.monotonic() + seconds

    async def session(n: int, persona: Persona) -> None:
        rng = random.Random(seed * 100_003 + n)
        persona.rng = rng
        conn = Connection(host, port)
        # Sessions start spread over one pause, not all in the same instant.
        await asyncio.sleep(rng.uniform(0, think[1]))
        try:
            while time.monotonic() < deadline:
                action = rng.choices(actions, weights)[0]
                req = action.make(persona, context)
                rid = context.request_id()
                started = time.perf_counter()
                body = b""
                try:
                    status, body = await asyncio.wait_for(
                        conn.request(req, req.token or persona.token, rid), patience
                    )
                except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError):
                    status = 0
                    conn.close()
                tally.add(action.name, time.perf_counter() - started, status in req.expect, status)
                if req.access:
                    tally.accesses.append((rid, req.access, _access_expected(req, status, body)))
                if polite and status == 503 and conn.retry_after:
                    await asyncio.sleep(conn.retry_after)  # as told, like a well-behaved client
                elif think[1]:
                    await asyncio.sleep(rng.uniform(*think))
        finally:
            conn.close()

    started = time.monotonic()
    await asyncio.gather(*(session(n, persona) for n, persona in enumerate(personas)))
    return tally, time.monotonic() - started


def _line(name: str, samples: list[float], floor_p99: float | None) -> str:
    p50, p99 = percentile(samples, 50), percentile(samples, 99)
    line = f"  {name:<28} n {len(samples):>6}  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
    if floor_p99:
        line += f"   (p99 {p99 / floor_p99:.1f}× the floor's)"
    return line


def report(
    title: str, tally: Tally, elapsed: float, floor: Tally | None, actions: list[Action]
) -> dict[str, Any]:
    total = sum(len(v) for v in tally.samples.values())
    errors = sum(tally.errors.values())
    print(
        f"\n{title}: {total} requests in {elapsed:.1f} s = {total / elapsed:.1f} req/s, "
        f"errors {errors} ({100 * errors / max(total, 1):.2f} %), 5xx {tally.server_errors}"
        f" (503 shed {tally.shed}), no answer {tally.unanswered},"
        f" slowest {1000 * tally.slowest:.0f} ms"
        + (f" (the floor's slowest {1000 * floor.slowest:.0f} ms)" if floor else "")
    )
    floor_all = [s for v in (floor.samples.values() if floor else []) for s in v]
    floor_p99 = percentile(floor_all, 99) if floor_all else None
    rows: dict[str, Any] = {}
    for action in actions:
        samples = tally.samples.get(action.name, [])
        if not samples:
            continue
        line = _line(action.name, samples, floor_p99)
        if tally.errors.get(action.name):
            line += f"  errors {tally.errors[action.name]} {tally.statuses.get(action.name)}"
        print(line)
        rows[action.name] = {
            "n": len(samples),
            "p50_ms": percentile(samples, 50),
            "p99_ms": percentile(samples, 99),
            "errors": tally.errors.get(action.name, 0),
        }
    groups = {"reads": "read", "writes": "write", "imports and exports": "transfer"}
    group_of = {a.name: a.group for a in actions}
    summary: dict[str, Any] = {}
    for label, group in groups.items():
        samples = [s for n, v in tally.samples.items() if group_of.get(n) == group for s in v]
        if samples and len(groups) > 1 and floor is not None:
            print(_line(f"({label})", samples, floor_p99))
            summary[label] = {
                "n": len(samples),
                "p50_ms": percentile(samples, 50),
                "p99_ms": percentile(samples, 99),
            }
    every = [s for v in tally.samples.values() for s in v]
    load = os.getloadavg()
    summary |= {
        "requests": total,
        "seconds": elapsed,
        "throughput": total / elapsed,
        "errors": errors,
        "server_errors": tally.server_errors,
        "shed": tally.shed,
        "unanswered": tally.unanswered,
        "slowest_ms": 1000 * tally.slowest,
        "error_rate": errors / max(total, 1),
        "p50_ms": percentile(every, 50),
        "p99_ms": percentile(every, 99),
        "mean_ms": statistics.fmean(every) * 1000 if every else float("nan"),
        "actions": rows,
        "load_average": load,
    }
    print(_line("(all)", every, floor_p99) + f"   load average {load[0]:.1f} {load[1]:.1f}")
    return summary


# --- where the CPU goes ------------------------------------------------------------------


def _cpu_seconds(pid: int, children: bool = False) -> float:
    """A process's CPU time (and its reaped children's), from /proc; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU spent by the server's processes and by its database sessions while sampling.

    The gunicorn master counts its reaped (recycled) workers; live workers and database
    sessions (found by the server's ``application_name``) are sampled every second and
    each counted by its largest reading, so a session closed between samples loses at
    most a second.
    """

    def __init__(self, server_pid: int, application_name: str) -> None:
        self.server_pid, self.application_name = server_pid, application_name
        self.web: dict[int, float] = {}
        self.db: dict[int, float] = {}
        self.start_web: dict[int, float] = {}
        self.start_db: dict[int, float] = {}
        self.running = False

    def _children(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except (OSError, IndexError):
                    continue
                if int(stat[1]) == self.server_pid:
                    found.append(int(entry.name))
        return found

    def _sample(self, cursor: Any) -> None:
        self.web[self.server_pid] = _cpu_seconds(self.server_pid, children=True)
        for pid in self._children():
            self.web[pid] = max(self.web.get(pid, 0.0), _cpu_seconds(pid))
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
            [self.application_name],
        )
        for (pid,) in cursor.fetchall():
            self.db[pid] = max(self.db.get(pid, 0.0), _cpu_seconds(pid))

    def begin(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            self._sample(cursor)
        self.start_web, self.start_db = dict(self.web), dict(self.db)
        self.running = True

        def loop() -> None:
            from django.db import connection as own

            while self.running:
                with own.cursor() as cursor:
                    self._sample(cursor)
                time.sleep(1)
            own.close()

        import threading

        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()

    def end(self) -> tuple[float, float]:
        """Seconds of CPU: (web processes, database sessions) since ``begin``."""
        self.running = False
        self.thread.join()
        web = sum(v - self.start_web.get(pid, 0.0) for pid, v in self.web.items())
        db = sum(v - self.start_db.get(pid, 0.0) for pid, v in self.db.items())
        return web, db


# --- set-up and tear-down ------------------------------------------------------------------


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
    import django

    django.setup()


def _exports_today() -> dict[int, int]:
    """Exports each staff member made today: the run keeps clear of the daily quota."""
    from django.db.models import Count
    from django.utils import timezone

    from rmdesk.audit.models import AuditEvent
    from rmdesk.customers.export import EXPORTED_ACTION

    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return dict(
        AuditEvent.objects.filter(action=EXPORTED_ACTION, created_at__gte=midnight)
        .values("actor_id")
        .annotate(n=Count("id"))
        .values_list("actor_id", "n")
    )


def personas_make(count: int, per_manager: int, seed: int, tag: str) -> list[Persona]:
    """``count`` random managers, each with a token and a contact plan for today."""
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from rmdesk.api.services import api_token_create
    from rmdesk.contact.models import PlanEntry
    from rmdesk.contact.services import plan_generate_for
    from rmdesk.org.models import Staff

    rng = random.Random(seed)
    today = timezone.localdate()
    busy = {pk for pk, n in _exports_today().items() if n > settings.RMDESK_EXPORTS_PER_DAY // 2}
    managers = [
        pk
        for pk in Staff.objects.filter(username__startswith="rm-", is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
        if pk not in busy
    ]
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
            token = api_token_create(staff=staff, name=tag, days=1).token
            if not PlanEntry.objects.filter(manager=staff, day=today).exists():
                plan_generate_for(actor=staff, day=today, manager_id=staff.pk)
            personas.append(
                Persona(
                    token=token,
                    username=staff.username,
                    customer_ids=[r[0] for r in rows],
                    names=[r[1] for r in rows],
                    mobiles=[r[2] or r[1] for r in rows],
                )
            )
    return personas


def context_make(tag: str) -> Context:
    """The operations officer's token and the customers the feed uploads keep current."""
    from rmdesk.api.services import api_token_create
    from rmdesk.ingest.permissions import can_import
    from rmdesk.org.models import Staff
    from rmdesk.org.roles import Role

    context = Context(tag=tag)
    officer = next(
        (
            staff
            for staff in Staff.objects.filter(
                is_active=True, roles__role=Role.DEPARTMENT_OFFICER
            ).order_by("id")[:50]
            if can_import(staff, "customers")
        ),
        None,
    )
    if officer is not None:
        context.ops_token = api_token_create(staff=officer, name=tag, days=1).token
    # The feed's customers belong to fixed managers, so every run uploads the same people.
    managers = list(
        Staff.objects.filter(username__startswith="rm-", is_active=True, org_unit__isnull=False)
        .order_by("id")
        .values_list("username", "org_unit__code")[:50]
    )
    context.feed_people = [
        (f"LT{n:08d}", *managers[n % len(managers)]) for n in range(FEED_CUSTOMERS)
    ]
    return context


def pool_make() -> None:
    """Head office's marketing pool for this year, for the pool requests to draw on."""
    from django.utils import timezone

    from rmdesk.coordination import pools
    from rmdesk.coordination.models import ResourcePool
    from rmdesk.org.models import OrgUnit, Staff

    head_office = OrgUnit.objects.filter(depth=0).order_by("id").first()
    admin = Staff.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
    if head_office is None or admin is None:
        return
    period = str(timezone.localdate().year)
    if not ResourcePool.objects.filter(
        org_unit=head_office, kind=POOL_KIND, period=period
    ).exists():
        pools.pool_create(
            actor=admin,
            org_unit_id=head_office.pk,
            kind=POOL_KIND,
            period=period,
            limit_amount=POOL_LIMIT,
        )


def pool_requests_cancel(tag: str) -> int:
    """Cancel the run's pool requests still holding money (each raiser cancels their own)."""
    from rmdesk.coordination import services
    from rmdesk.coordination.models import WorkOrder

    cancelled = 0
    for work_order in WorkOrder.objects.filter(
        title__endswith=tag, hold_state=WorkOrder.HoldState.HELD
    ).select_related("raised_by"):
        services.work_order_transition(
            actor=work_order.raised_by,
            work_order_id=work_order.pk,
            action="cancel",
            text="",
        )
        cancelled += 1
    return cancelled


def tokens_drop(tag: str) -> None:
    from rmdesk.api.models import ApiToken

    ApiToken.objects.filter(name=tag).delete()


# --- what the run must leave true --------------------------------------------------------------


def invariants_check(tally: Tally, since: datetime, tag: str) -> list[str]:
    """Pools never overspent and consistent; the run's accesses logged exactly. Broken ones."""
    from django.db import connection

    from rmdesk.audit.models import AccessLog

    broken: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM coordination_resourcepool WHERE limit_amount < held + booked"
            " + allocated OR held < 0 OR booked < 0 OR allocated < 0"
        )
        overspent = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM coordination_resourcepool p LEFT JOIN (SELECT pool_id,"
            " sum(delta) AS total FROM coordination_poolentry GROUP BY pool_id) e"
            " ON e.pool_id = p.id"
            " WHERE coalesce(e.total, 0) <> p.limit_amount - p.held - p.booked - p.allocated"
        )
        ledger = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM coordination_resourcepool p LEFT JOIN (SELECT pool_id,"
            " sum(pool_amount) AS total FROM coordination_workorder WHERE hold_state = 'held'"
            " GROUP BY pool_id) w ON w.pool_id = p.id WHERE coalesce(w.total, 0) <> p.held"
        )
        holds = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM coordination_resourcepool")
        pools = cursor.fetchone()[0]
    print(
        f"\nInvariants: {pools} resource pools; overspent {overspent}, ledger not adding up"
        f" {ledger}, held not matching the work orders' holds {holds}"
    )
    if overspent:
        broken.append(f"{overspent} resource pools overspent")
    if ledger:
        broken.append(f"{ledger} resource pools whose ledger does not add up")
    if holds:
        broken.append(f"{holds} resource pools holding other than their work orders")

    found: dict[tuple[str, str], int] = {}
    customers: dict[str, set[int | None]] = {}
    for rid, action, customer_id in (
        AccessLog.objects.filter(created_at__gte=since, request_id__startswith=tag)
        .values_list("request_id", "action", "customer_id")
        .iterator(chunk_size=10_000)
    ):
        found[(rid, action)] = found.get((rid, action), 0) + 1
        customers.setdefault(rid, set()).add(customer_id)
    for kind in ("view", "export", "unmask"):
        records = [(rid, n) for rid, k, n in tally.accesses if k == kind]
        known = [(rid, n) for rid, n in records if n is not None]
        expected = sum(n for _, n in known)
        got = sum(found.get((rid, kind), 0) for rid, _ in known)
        wrong = [
            rid
            for rid, n in known
            if found.get((rid, kind), 0) != n
            or (kind == "export" and n and len(customers.get(rid, ())) != n)
        ]
        print(
            f"  access log, {kind}: {len(known)} answered requests ({len(records) - len(known)}"
            f" unanswered), entries expected {expected}, found {got}, requests not matching"
            f" {len(wrong)}"
        )
        if wrong:
            broken.append(f"{len(wrong)} {kind} requests without exactly their access entries")
    return broken


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_spawn(
    url: str,
    workers: int,
    threads: int,
    application_name: str,
    timeout: int,
    var: Path | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``rmdesk serve --prod`` on a free port of 127.0.0.1 (``server_wait`` for it)."""
    port = free_port()
    var = var or HERE / "var" / "load"
    var.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        {
            # The server's database sessions carry a name, so their CPU can be read.
            "DATABASE_URL": f"{url}{'&' if '?' in url else '?'}application_name={application_name}",
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
        "--timeout",
        str(timeout),
    ]
    log = open(var / f"server-{port}.log", "wb")  # noqa: SIM115 (kept open for the server)
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    return server, f"http://127.0.0.1:{port}"


def server_wait(server: subprocess.Popen[bytes], base: str) -> None:
    """Until the server listens (two minutes at most); SystemExit if it stops or never does."""
    port = urlsplit(base).port
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port or 80), timeout=1):
                return
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"the server stopped (exit {server.returncode})") from None
            time.sleep(0.3)
    server.kill()
    server.wait(30)
    raise SystemExit("the server did not come up")


@dataclass(frozen=True)
class Targets:
    """RELIABILITY.md G1 and G2."""

    reads_p99: float = 300.0  # ms (G1)
    mixed_p99: float = 800.0  # ms (G2)
    max_error_rate: float = 0.001  # errors < 0.1 % (G1)


def targets_check(
    summary: dict[str, Any],
    *,
    mix: str,
    targets: Targets,
    overload: float = 0,
    web_timeout: int = 30,
) -> list[str]:
    """The targets the run missed (none: met)."""
    missed = []
    if overload:
        # Past capacity an answer must be fast, not good: 503s are expected, nothing else.
        if not summary["slowest_ms"] <= 1000 * web_timeout:
            missed.append(f"slowest {summary['slowest_ms']:.0f} ms > gunicorn's {web_timeout} s")
        if summary["unanswered"]:
            missed.append(f"{summary['unanswered']} requests got no answer")
        if summary["server_errors"] > summary["shed"]:
            other = summary["server_errors"] - summary["shed"]
            missed.append(f"{other} answers 5xx other than 503")
        return missed
    reads = summary.get("reads", {}).get("p99_ms", float("nan"))
    if not reads <= targets.reads_p99:
        missed.append(f"reads p99 {reads:.0f} ms > {targets.reads_p99:.0f} ms")
    if mix != "reads" and not summary["p99_ms"] <= targets.mixed_p99:
        missed.append(f"mixed p99 {summary['p99_ms']:.0f} ms > {targets.mixed_p99:.0f} ms")
    if not summary["error_rate"] < targets.max_error_rate:
        missed.append(
            f"errors {100 * summary['error_rate']:.2f} % ≥ {100 * targets.max_error_rate:g} %"
        )
    if summary["server_errors"]:
        missed.append(f"{summary['server_errors']} answers 5xx")
    return missed


@dataclass
class Outcome:
    """What a run measured and what it found broken or missed."""

    sessions: int
    think: tuple[float, float]
    floor: dict[str, Any]
    mixed: dict[str, Any]
    broken: list[str]  # invariants (always a failure)
    missed: list[str]  # targets (a failure under --check)


def run(
    database_url: str,
    *,
    sessions: int = 200,
    seconds: float = 120,
    think: tuple[float, float] = (1.0, 5.0),
    closed: bool = False,
    mix: str = "g2",
    workers: int = 4,
    threads: int = 9,
    overload: float = 0,
    web_timeout: int = 30,
    warm: float = 10,
    floor_seconds: float | None = None,
    seed: int = 0,
    targets: Targets = Targets(),  # noqa: B008 (frozen)
    base_url: str = "",
    var: Path | None = None,
) -> Outcome:
    """Start a server (unless ``base_url``), run the floor and the mix, check; Django is set up.

    The database is the one Django is configured with; ``database_url`` names it for the
    server. ``floor_seconds`` defaults to half of ``seconds``, at most a minute.
    """
    from django.utils import timezone

    if overload:
        closed = True
        sessions = max(1, round(overload * workers * max(1, threads - 1)))
    think = (0.0, 0.0) if closed else (min(think), max(think))
    seed = seed or random.SystemRandom().randrange(1, 1_000_000)
    tag = "load" + secrets.token_hex(4)
    actions = MIXES[mix]
    server = None
    base = base_url
    started = time.monotonic()
    try:
        if not base:
            # It starts while the sessions are made.
            server, base = server_spawn(
                database_url, workers, threads, "rmdesk-" + tag, web_timeout, var
            )
        personas = personas_make(sessions, 50, seed, LOAD_TAG + "-" + tag)
        context = context_make(LOAD_TAG + "-" + tag)
        context.tag = tag
        if mix == "g2":
            pool_make()
            if not context.ops_token:
                raise SystemExit("no operations officer may import in this bank")
        pauses = "no pauses (closed loop)" if closed else f"pauses {think[0]:g}–{think[1]:g} s"
        print(
            f"{len(personas)} sessions (managers signed in with bearer tokens), {pauses},"
            f" mix {mix}, seed {seed}, request ids {tag}… (set up in"
            f" {time.monotonic() - started:.1f} s)"
        )
        if server is not None:
            server_wait(server, base)
            print(
                f"rmdesk serve --prod at {base}: {workers} processes × {threads}"
                f" threads (each admits {max(1, threads - 1)} requests at once),"
                f" {os.cpu_count()} cores (listening after {time.monotonic() - started:.1f} s)"
            )
        if warm:
            asyncio.run(
                drive(base, personas[:20], [FLOOR, *actions], context,
                      seconds=warm, think=(0.0, 0.0), seed=seed + 1)
            )  # fmt: skip
        floor_for = min(seconds / 2, 60) if floor_seconds is None else floor_seconds
        floor, floor_time = asyncio.run(
            drive(base, personas, [FLOOR], context, seconds=floor_for, think=think, seed=seed)
        )
        floor_summary = report(
            "Floor (same server, GET /healthz)", floor, floor_time, None, [FLOOR]
        )
        since = timezone.now()
        meter = CpuMeter(server.pid, "rmdesk-" + tag) if server is not None else None
        if meter is not None:
            meter.begin()
        client_cpu = time.process_time()
        mixed, mixed_time = asyncio.run(
            drive(base, personas, actions, context, seconds=seconds, think=think, seed=seed,
                  patience=web_timeout + 10.0, polite=bool(overload))
        )  # fmt: skip
        client_cpu = time.process_time() - client_cpu
        mixed_summary = report(f"Mix {mix}", mixed, mixed_time, floor, actions)
        if meter is not None:
            web, db = meter.end()
            n = max(mixed_summary["requests"], 1)
            per = (web + db) / n
            mixed_summary["cpu_ms_per_request"] = {
                "web": 1000 * web / n,
                "database": 1000 * db / n,
                "client": 1000 * client_cpu / n,
            }
            mixed_summary["capacity_per_core"] = 1 / per if per else None
            print(
                f"  CPU per request: web processes {1000 * web / n:.1f} ms, database"
                f" {1000 * db / n:.1f} ms (this client {1000 * client_cpu / n:.1f} ms): one"
                f" core serves about {1 / per if per else float('nan'):.0f} requests/s of this"
                f" mix; the machine had {mixed_time * (os.cpu_count() or 1):.0f} core-seconds"
                f" in {mixed_time:.0f} s, the server and its database used {web + db:.0f}"
            )
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(60)
            server = None
        print(f"\nServer stopped after {time.monotonic() - started:.1f} s")
        cancelled = pool_requests_cancel(tag)
        if cancelled:
            print(f"\n{cancelled} pool requests of the run cancelled (their holds released)")
        broken = invariants_check(mixed, since, tag)
        missed = targets_check(
            mixed_summary, mix=mix, targets=targets, overload=overload, web_timeout=web_timeout
        )
        wanted = (
            f"every request answered within gunicorn's {web_timeout} s, 5xx only 503"
            if overload
            else f"reads p99 ≤ {targets.reads_p99:g} ms, mixed p99 ≤ {targets.mixed_p99:g} ms,"
            f" errors < {100 * targets.max_error_rate:g} %, no 5xx"
        )
        verdict = "met" if not missed else "missed: " + "; ".join(missed)
        print(f"\nTargets: {verdict} ({wanted})")
        if broken:
            print("Invariants broken: " + "; ".join(broken))
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(60)
        tokens_drop(LOAD_TAG + "-" + tag)
    return Outcome(len(personas), think, floor_summary, mixed_summary, broken, missed)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--base-url", default="", help="A running server (else one is started).")
    parser.add_argument("--sessions", type=int, default=200, help="Signed-in managers.")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument(
        "--think", type=float, nargs=2, default=(1.0, 5.0), metavar=("MIN", "MAX"),
        help="Pause between a session's requests, uniform in seconds (default 1 5).",
    )  # fmt: skip
    parser.add_argument("--closed", action="store_true", help="No pauses: saturation throughput.")
    parser.add_argument("--mix", choices=sorted(MIXES), default="g2")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn processes.")
    parser.add_argument("--threads", type=int, default=9, help="per process (one refuses)")
    parser.add_argument(
        "--overload", type=float, default=0, metavar="FACTOR",
        help="Closed loop at FACTOR × the requests the server admits at once (G3).",
    )  # fmt: skip
    parser.add_argument("--web-timeout", type=int, default=30, help="gunicorn's timeout, s")
    parser.add_argument("--warm", type=float, default=10, help="Seconds of warm-up, not counted.")
    parser.add_argument("--seed", type=int, default=0, help="0: a new draw of managers each run.")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--check", action="store_true", help="Exit 1 when a target is missed.")
    parser.add_argument("--reads-p99", type=float, default=300.0, help="ms (G1: 300)")
    parser.add_argument("--mixed-p99", type=float, default=800.0, help="ms (G2: 800)")
    parser.add_argument("--max-error-rate", type=float, default=0.001, help="(G1: 0.001)")
    args = parser.parse_args(argv)

    # The bench bank's digests were made with its own secret key; search by mobile needs it.
    bench_key = HERE / "var" / urlsplit(args.database_url).path.lstrip("/")
    if not os.environ.get("SECRET_KEY") and (bench_key / "secret_key").is_file():
        os.environ["SECRET_KEY"] = (bench_key / "secret_key").read_text().strip()
    os.environ.setdefault("RMDESK_VAR_DIR", str(HERE / "var" / "load"))
    django_setup(args.database_url)
    outcome = run(
        args.database_url,
        sessions=args.sessions,
        seconds=args.seconds,
        think=tuple(args.think),
        closed=args.closed,
        mix=args.mix,
        workers=args.workers,
        threads=args.threads,
        overload=args.overload,
        web_timeout=args.web_timeout,
        warm=args.warm,
        seed=args.seed,
        targets=Targets(args.reads_p99, args.mixed_p99, args.max_error_rate),
        base_url=args.base_url,
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "floor": outcome.floor,
                    "mixed": outcome.mixed,
                    "sessions": outcome.sessions,
                    "think": outcome.think,
                    "workers": args.workers,
                    "threads": args.threads,
                    "cores": os.cpu_count(),
                    "invariants_broken": outcome.broken,
                    "targets_missed": outcome.missed,
                },
                indent=2,
                default=str,
            )
        )
    if outcome.broken:
        raise SystemExit(1)
    if args.check and outcome.missed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
