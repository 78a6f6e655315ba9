"""Scheduled work of the coordination app."""

from __future__ import annotations

from rmdesk.coordination.escalation import sla_escalate as _sla_escalate
from rmdesk.tasks.registry import every, task


@task("coordination.sla_escalate", schedule=every(minutes=5))
def sla_escalate() -> dict[str, int]:
    """Escalate every work order whose SLA clock ran out (idempotent, set-based)."""
    return _sla_escalate()
