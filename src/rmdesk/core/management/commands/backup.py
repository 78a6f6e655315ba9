from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rmdesk.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the whole database to PATH: pg_dump's custom format on PostgreSQL, "
        "a consistent copy by the online backup API on SQLite. rmdesk may keep running."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            started = time.monotonic()
            backup_create(path)
            seconds = time.monotonic() - started
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backed up to {path} ({path.stat().st_size:,} bytes) in {seconds:.2f} s")
