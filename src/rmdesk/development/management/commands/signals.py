from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rmdesk.development.signals import signals_compute


class Command(BaseCommand):
    help = "Compute the latent-need signals of every customer for a day (today by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", default=None, help="YYYY-MM-DD")

    def handle(self, *args: Any, date: str | None = None, **options: Any) -> None:
        try:
            as_of = _parse(date)
        except ValueError as exc:
            raise CommandError("--date must be YYYY-MM-DD") from exc
        started = time.monotonic()
        run = signals_compute(as_of=as_of)
        for code, count in run.counts.items():
            self.stdout.write(f"{code}: {count} ({run.seconds[code]:.2f} s)")
        self.stdout.write(f"Signals for {run.as_of} in {time.monotonic() - started:.1f} s.")


def _parse(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
