from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rmdesk.audit.history import history_prune


class Command(BaseCommand):
    help = (
        "Delete change-history rows (audit_rowchange) older than RMDESK_HISTORY_KEEP_DAYS, "
        "in batches. The audit trail and the access log are never pruned."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--keep-days",
            type=int,
            default=None,
            help="Days to keep (default RMDESK_HISTORY_KEEP_DAYS; 0 keeps everything).",
        )
        parser.add_argument("--batch-size", type=int, default=10_000, help="Rows per batch.")

    def handle(self, *args: Any, keep_days: int | None, batch_size: int, **options: Any) -> None:
        days = settings.RMDESK_HISTORY_KEEP_DAYS if keep_days is None else keep_days
        try:
            result = history_prune(keep_days=days, batch_size=batch_size)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if days == 0:
            self.stdout.write("The change history is kept whole (keep days 0).")
            return
        self.stdout.write(
            f"Deleted {result['deleted']} change-history rows older than {days} days"
            f" in {result['batches']} batches."
        )
