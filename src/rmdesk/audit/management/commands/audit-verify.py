from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rmdesk.audit.models import AccessLog, AuditEvent
from rmdesk.audit.selectors import chain_breaks


class Command(BaseCommand):
    help = "Check the audit trail's hash chains; exit non-zero if any row was altered."

    def handle(self, *args: Any, **options: Any) -> None:
        failed = False
        for model in (AuditEvent, AccessLog):
            broken = chain_breaks(model)
            if broken:
                failed = True
                shown = ", ".join(str(pk) for pk in broken[:20])
                self.stderr.write(f"{model.__name__}: {len(broken)} rows break the chain: {shown}")
            else:
                self.stdout.write(f"{model.__name__}: chain intact.")
        if failed:
            raise CommandError("The audit trail has been altered.")
