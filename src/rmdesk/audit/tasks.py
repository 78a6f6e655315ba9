"""Nightly work of the audit app (see rmdesk.tasks.registry)."""

from __future__ import annotations

from rmdesk.audit.history import history_prune
from rmdesk.tasks.registry import daily, task


@task("audit.history_prune", schedule=daily(at="03:45"))
def history_prune_task(*, keep_days: int | None = None) -> dict[str, int]:
    """Delete change-history rows past ``RMDESK_HISTORY_KEEP_DAYS`` (never the audit trail)."""
    return history_prune(keep_days=keep_days)
