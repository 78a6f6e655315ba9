"""The queue's own housekeeping."""

from __future__ import annotations

from rmdesk.tasks.registry import daily, task
from rmdesk.tasks.services import jobs_prune


@task("tasks.jobs_prune", schedule=daily(at="03:15"))
def prune(*, keep_days: int | None = None) -> dict[str, int]:
    return jobs_prune(keep_days=keep_days)
