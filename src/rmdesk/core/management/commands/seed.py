from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rmdesk.demo.bank import SCALES, build
from rmdesk.org.models import OrgUnit


class Command(BaseCommand):
    help = "Load the demo bank (org tree, staff, customers) into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
        parser.add_argument(
            "--password", help="Password for every demo login (default: generated)."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing, successfully, when the database already holds a bank.",
        )

    def handle(
        self, *args: Any, scale: str, password: str | None, if_empty: bool, **options: Any
    ) -> None:
        if OrgUnit.objects.exists():
            if if_empty:
                self.stdout.write("The database already holds a bank; nothing to seed.")
                return
            raise CommandError("The database already holds a bank. Seed an empty database.")
        if password is not None and len(password) < 8:
            raise CommandError("--password must be at least 8 characters long.")
        started = time.monotonic()
        bank = build(scale=SCALES[scale], password=password)
        self.stdout.write(
            f"Seeded the {scale} bank: {bank.org_units} org units, {bank.staff} staff, "
            f"{bank.customers} customers in {time.monotonic() - started:.1f} s."
        )
