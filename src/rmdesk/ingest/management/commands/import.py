from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rmdesk.ingest import services
from rmdesk.ingest.models import Feed, ImportRun
from rmdesk.org.models import Staff


@contextmanager
def _refused_as_error(options: dict[str, Any]) -> Iterator[None]:
    try:
        yield
    except PermissionDenied as exc:
        raise CommandError(
            f"{options['username']} may not import the {options['feed']} feed.", returncode=1
        ) from exc


class Command(BaseCommand):
    help = (
        "Import a core-system feed file (CSV or XLSX): customers, holdings, transactions "
        "or products. "
        "Exit status: 0 all rows applied (or already imported), 2 applied with some rows "
        "refused, 1 nothing applied."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("feed", choices=Feed.values)
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate and count only.")
        parser.add_argument("--force", action="store_true", help="Import even if imported already.")
        parser.add_argument("--as", dest="username", help="The staff member the run is for.")
        parser.add_argument(
            "--errors", type=Path, help="Where to write refused rows (default: FILE.errors.csv)."
        )
        limits = services.command_limits()
        parser.add_argument("--max-bytes", type=int, default=limits.max_bytes)
        parser.add_argument("--max-rows", type=int, default=limits.max_rows)
        parser.add_argument("--max-errors", type=int, default=limits.max_errors)
        parser.add_argument("--progress-every", type=int, default=10_000)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        actor = None
        if options["username"]:
            actor = Staff.objects.filter(username=options["username"], is_active=True).first()
            if actor is None:
                raise CommandError(f"No active staff member {options['username']!r}.")

        def progress(rows: int, fraction: float) -> None:
            done = int(fraction * 30)
            sys.stderr.write(
                f"rows read: {rows} [{'#' * done}{'.' * (30 - done)}] {fraction:.0%}\n"
            )
            sys.stderr.flush()

        limits = services.Limits(
            max_bytes=options["max_bytes"],
            max_rows=options["max_rows"],
            max_errors=options["max_errors"],
        )
        with path.open("rb") as source, _refused_as_error(options):
            run = services.import_file(
                actor=actor,
                feed=options["feed"],
                source=source,
                file_name=path.name,
                limits=limits,
                dry_run=options["dry_run"],
                force=options["force"],
                progress=progress,
                progress_every=max(1, options["progress_every"]),
            )
        self.stdout.write(
            f"run #{run.pk} {run.feed} {run.status}{' (dry run)' if run.dry_run else ''}: "
            f"rows {run.rows}, new {run.new}, changed {run.changed}, "
            f"unchanged {run.unchanged}, rejected {run.rejected}"
        )
        if run.error_summary:
            self.stdout.write(run.error_summary)
        if run.errors.exists():
            target = options["errors"] or path.with_name(path.name + ".errors.csv")
            target.write_text(services.import_errors_csv(run=run), encoding="utf-8")
            self.stdout.write(f"refused rows: {target}")
        if run.status in (ImportRun.Status.REJECTED, ImportRun.Status.FAILED):
            raise CommandError(run.error_summary or run.status, returncode=1)
        if run.rejected:
            raise CommandError(f"{run.rejected} rows refused", returncode=2)
