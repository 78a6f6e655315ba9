from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rmdesk.demo.bank import SCALES, build
from rmdesk.org.models import OrgUnit


class Command(BaseCommand):
    help = (
        "Load a synthetic bank (org tree, staff, customers with their households, groups, "
        "holdings and a year of transactions) into an empty database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
        parser.add_argument(
            "--password", help="Password for every demo login (default: generated)."
        )
        parser.add_argument(
            "--workers",
            type=int,
            help="Processes generating customers (default: one per core, at most four, for "
            "the bench scale; none for smaller banks). The bank is the same whatever the number.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing, successfully, when the database already holds a bank.",
        )

    def handle(
        self,
        *args: Any,
        scale: str,
        password: str | None,
        if_empty: bool,
        workers: int | None,
        **options: Any,
    ) -> None:
        if OrgUnit.objects.exists():
            if if_empty:
                self.stdout.write("The database already holds a bank; nothing to seed.")
                return
            raise CommandError("The database already holds a bank. Seed an empty database.")
        if password is not None and len(password) < 8:
            raise CommandError("--password must be at least 8 characters long.")
        if workers is not None and workers < 1:
            raise CommandError("--workers must be at least 1.")
        verbosity = int(options.get("verbosity", 1))
        size = SCALES[scale]
        # A progress line every tenth of the way, when there is a way to go.
        every = max(1, size.customers // 10)
        reported = [0]

        def progress(done: int, line: str) -> None:
            if verbosity >= 2 or (size.customers >= 100_000 and done - reported[0] >= every):
                reported[0] = done
                self.stdout.write(f"  {line}")

        started = time.monotonic()
        bank = build(scale=size, password=password, workers=workers, progress=progress)
        elapsed = time.monotonic() - started
        rows = bank.rows
        self.stdout.write(
            f"Seeded the {scale} bank: {bank.org_units} org units, {bank.staff} staff, "
            f"{bank.customers} customers, {rows['holding']} holdings, "
            f"{rows['transaction']} transactions in {elapsed:.1f} s."
        )
        duties = ", ".join(f"{count} {kind}" for kind, count in sorted(bank.duties.items()))
        self.stdout.write(f"Duty apps: {duties} in {bank.seconds.get('duties', 0.0):.1f} s.")
        if verbosity >= 2:
            for table, count in rows.items():
                self.stdout.write(f"  {table:<12} {count:>12,} rows")
            for phase, seconds in bank.seconds.items():
                self.stdout.write(f"  {phase:<30} {seconds:8.1f} s")
