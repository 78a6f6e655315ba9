from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from rmdesk.coordination.escalation import sla_escalate


class Command(BaseCommand):
    help = "Escalate work orders whose SLA has run out (what the scheduled task does)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = sla_escalate()
        self.stdout.write(f"escalated {result['escalated']}")
