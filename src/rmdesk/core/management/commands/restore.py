from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rmdesk.core.backup import BackupError, backup_restore, database_tables


class Command(BaseCommand):
    help = (
        "Restore the database from a backup made by `rmdesk backup`. Refuses a database "
        "that is not empty unless --force (which replaces everything in it). Stop the "
        "web servers and workers first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--force", action="store_true", help="Replace a database that is not empty."
        )

    def handle(self, *args: Any, path: Path, force: bool, **options: Any) -> None:
        try:
            started = time.monotonic()
            backup_restore(path, force=force)
            seconds = time.monotonic() - started
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        # The time the restore took is the recovery time to plan on (docs/production.md).
        self.stdout.write(
            f"restored {len(database_tables())} tables from {path} in {seconds:.2f} s"
        )
