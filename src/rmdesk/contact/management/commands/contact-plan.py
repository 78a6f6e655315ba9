"""``rmdesk contact-plan [--date YYYY-MM-DD] [--manager USERNAME]``: generate the plans now."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rmdesk.contact import planning
from rmdesk.org.models import Staff


class Command(BaseCommand):
    help = "Generate the daily contact plans for every manager (or one) for a day."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="The day (YYYY-MM-DD); today by default.")
        parser.add_argument("--manager", help="Only this manager (username or id).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        manager = None
        if options["manager"]:
            key = options["manager"]
            lookup = {"pk": int(key)} if key.isdigit() else {"username": key}
            manager = Staff.objects.filter(**lookup).first()
            if manager is None:
                raise CommandError(f"No staff member {key!r}.")
        started = time.perf_counter()
        written = planning.plans_generate(day=day, manager=manager)
        elapsed = time.perf_counter() - started
        who = manager.username if manager else "every manager"
        self.stdout.write(f"{day}: {written} plan entries for {who} in {elapsed:.2f}s")
