"""Nightly work of the development app (see rmdesk.tasks.registry)."""

from __future__ import annotations

from datetime import date

from rmdesk.development.pool import pool_return_due
from rmdesk.development.signals import signals_compute
from rmdesk.tasks.registry import daily, task


@task("development.signals_compute", schedule=daily(at="04:30"))
def signals_compute_task(*, day: str | None = None) -> dict[str, int]:
    """Compute every signal rule for ``day`` (ISO date; today by default)."""
    run = signals_compute(as_of=date.fromisoformat(day) if day else None)
    return run.counts


@task("development.pool_return", schedule=daily(at="04:00"))
def pool_return_task() -> dict[str, int]:
    """Send back to the pool what was left without contact past its rule."""
    return pool_return_due()
