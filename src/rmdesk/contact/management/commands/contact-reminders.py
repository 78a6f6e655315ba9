"""``rmdesk contact-reminders [--date YYYY-MM-DD]``: send the day's contact reminders now."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rmdesk.contact import reminders


class Command(BaseCommand):
    help = "Send the day's reminders: follow-ups due, visits today, plan ready."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="The day (YYYY-MM-DD); today by default.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        sent = reminders.reminders_send(day=day)
        self.stdout.write(", ".join(f"{kind}: {count}" for kind, count in sent.items()))
