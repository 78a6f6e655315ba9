from __future__ import annotations

import io

from rmdesk.ingest import services
from rmdesk.ingest.models import ImportRun
from rmdesk.org.models import Staff

LIMITS = services.Limits(max_bytes=10 * 1024 * 1024, max_rows=50_000, max_errors=1000)


def run_import(
    actor: Staff | None,
    feed: str,
    content: bytes | str,
    *,
    name: str = "feed.csv",
    limits: services.Limits = LIMITS,
    **options: bool,
) -> ImportRun:
    data = content.encode() if isinstance(content, str) else content
    return services.import_file(
        actor=actor, feed=feed, source=io.BytesIO(data), file_name=name, limits=limits, **options
    )


def counts(run: ImportRun) -> tuple[str, int, int, int, int, int]:
    return (run.status, run.rows, run.new, run.changed, run.unchanged, run.rejected)


def errors(run: ImportRun) -> list[tuple[int, str, str]]:
    return list(run.errors.order_by("row", "id").values_list("row", "field", "code"))
