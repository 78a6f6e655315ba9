from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rmdesk.core.errors import DomainError
from rmdesk.quality.periods import PeriodKind, period_containing, period_parse
from rmdesk.quality.services import scorecards_compute


class Command(BaseCommand):
    help = "Compute every account manager's scorecard for a period (a new snapshot)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--period", default="", help="2026-11, 2026-Q4 or 2026 (default: this month)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = (
                period_parse(options["period"])
                if options["period"]
                else period_containing(timezone.localdate(), PeriodKind.MONTH)
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        started = timezone.now()
        run = scorecards_compute(period=period)
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(
            f"{period.label}: {run.staff_count} managers, {run.score_count} figures "
            f"in {seconds:.1f} s"
        )
