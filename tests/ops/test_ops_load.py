"""RELIABILITY.md G1 and G2 under load: signed-in sessions against `rmdesk serve --prod`.

A small bank is seeded into the test database (one account manager per session), then
``bench/load.py`` runs as it does on the bench bank: gunicorn on 127.0.0.1 (processes ×
threads), one session per manager with 1–5 s pauses, the floor (``GET /healthz``) and
then the G2 mix — 80 % reads, 15 % writes (interactions, work orders, requests held in a
marketing pool, reveals), 5 % files (CSV exports, customers feeds uploaded by an
operations officer). The targets are the real ones: reads p99 ≤ 300 ms (G1), p99 of
every request ≤ 800 ms (G2), errors < 0.1 %, no 5xx; and afterwards no pool is
overspent and the access log holds exactly one entry per 360 answered, per exported
customer and per reveal.

CI runs ``RMDESK_LOAD_SESSIONS`` (40) sessions for ``RMDESK_LOAD_SECONDS`` (60 s) of
mix; ``make harden`` runs 200 sessions for 120 s on a bank of 200 managers. Sixty seconds
give about 600 reads, so the p99 is the seventh slowest: one pause of the machine that
holds up the four or five requests then in flight is inside the 1 % the target allows,
as it is in production, while a slow route (every request of it slow) is not. A run of
30 s (about 300 reads) made the p99 the fourth slowest, and one such pause failed it.

The bank is seeded, analysed and checkpointed before the server starts, as the bench
bank is vacuumed and analysed after its seed: the run measures the server on a settled
database, not autovacuum's first pass over fresh tables or the checkpoint of the seed's
writes (and of the suite's, which runs just before it in ``make test``).
"""

from __future__ import annotations

import contextlib
import importlib
import os
from pathlib import Path
from typing import Any

import pytest
from ops_helpers import bench_module, database_url, postgres_only

from rmdesk.demo.bank import Scale, build

pytestmark = [
    postgres_only(
        "G1 and G2 are PostgreSQL targets (4 workers on PostgreSQL); the server runs in"
        " other processes, which cannot share the in-memory SQLite test database"
    ),
    pytest.mark.django_db(transaction=True),
]

SESSIONS = int(os.environ.get("RMDESK_LOAD_SESSIONS", "40"))
SECONDS = float(os.environ.get("RMDESK_LOAD_SECONDS", "60"))
# The server: as production's (4 processes × 9 threads, core/gunicorn_conf.py).
WORKERS, THREADS = 4, 9


@pytest.fixture
def bank(settings: Any, tmp_path: Path) -> Scale:
    """One manager per session, 30 customers each, with the duty apps' working day."""
    from django.apps import apps
    from django.utils import timezone

    from rmdesk.contact import planning
    from rmdesk.coordination.tests.factories import seed_defaults
    from rmdesk.marketing.tests.factories import seeded_defaults

    # The rows the data migrations seed, which an earlier test's flush removed.
    seeded_defaults()
    seed_defaults()
    importlib.import_module("rmdesk.contact.migrations.0002_need_categories").seed(apps, None)
    settings.VAR_DIR = tmp_path  # the seed keeps the demo password there
    scale = Scale(
        branches=2,
        subbranches_per_branch=2,
        managers=SESSIONS,
        customers=30 * SESSIONS,
        holdings=90 * SESSIONS,
        transactions=300 * SESSIONS,
    )
    build(scale=scale)
    # The morning's contact plans, as the nightly job leaves them (the sessions open them).
    planning.plans_generate(day=timezone.localdate())
    settle()
    return scale


def settle() -> None:
    """Statistics for the new rows, and their pages written out, before the run starts."""
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:  # autocommit (a transactional test): VACUUM may run
        cursor.execute("VACUUM (ANALYZE)")
        # A role without pg_checkpoint leaves it to the checkpointer's own schedule.
        with contextlib.suppress(DatabaseError):
            cursor.execute("CHECKPOINT")
    os.sync()  # the operating system's dirty pages too (the suite's test databases)


def test_mixed_load_meets_the_g1_and_g2_targets(
    bank: Scale,
    settings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load = bench_module("load")
    # The real targets, not loosened ones.
    targets = load.Targets()
    assert (targets.reads_p99, targets.mixed_p99, targets.max_error_rate) == (300, 800, 0.001)
    # The server digests mobiles with the same keys as this process seeded them.
    monkeypatch.setenv("SECRET_KEY", settings.SECRET_KEY)
    monkeypatch.setenv("RMDESK_LOOKUP_KEY", settings.RMDESK_LOOKUP_KEY)
    outcome = load.run(
        database_url(),
        sessions=SESSIONS,
        seconds=SECONDS,
        workers=WORKERS,
        threads=THREADS,
        warm=3,
        floor_seconds=5,
        seed=7,
        targets=targets,
        var=tmp_path / "server",
    )
    mixed = outcome.mixed
    assert outcome.sessions == SESSIONS
    assert mixed["requests"] >= 5 * SESSIONS, mixed  # every session worked through the run
    # Every group of the mix ran, the files too.
    assert {"reads", "writes", "imports and exports"} <= mixed.keys(), mixed
    assert outcome.broken == []
    assert outcome.missed == [], server_errors(tmp_path / "server")


def server_errors(folder: Path) -> str:
    """What the server logged besides its access lines (warnings, errors, traces)."""
    lines = [
        line
        for log in folder.glob("*.log")
        for line in log.read_text(errors="replace").splitlines()
        if '"log": "access"' not in line
    ]
    return "\n".join(lines[-60:])
