from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from rmdesk.tasks import registry
from rmdesk.tasks.services import job_enqueue


class Command(BaseCommand):
    help = "Run a registered task now, in this process (or --enqueue it for the workers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help="The task, e.g. contact.plans_generate")
        parser.add_argument("--kwargs", default="{}", help='Arguments as JSON, e.g. {"day": "…"}')
        parser.add_argument("--enqueue", action="store_true", help="Queue it instead.")
        parser.add_argument("--list", action="store_true", help="List the registered tasks.")

    def handle(
        self, *args: Any, name: str | None, kwargs: str, enqueue: bool, list: bool, **options: Any
    ) -> None:
        if list or not name:
            for entry in sorted(registry.registered().values(), key=lambda t: t.name):
                schedule = entry.schedule
                when = (
                    ""
                    if schedule is None
                    else f"every {schedule.interval}"
                    if schedule.interval
                    else f"daily at {schedule.at}"
                )
                self.stdout.write(f"{entry.name}\t{when}")
            return
        try:
            arguments = json.loads(kwargs)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--kwargs is not JSON: {exc}") from exc
        if not isinstance(arguments, dict):
            raise CommandError("--kwargs must be a JSON object.")
        try:
            entry = registry.get(name)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        if enqueue:
            job = job_enqueue(name=name, kwargs=arguments)
            self.stdout.write(f"queued job {job.pk}")
            return
        with transaction.atomic():
            result = entry.function(**arguments)
        self.stdout.write(json.dumps(result, default=str, ensure_ascii=False))
