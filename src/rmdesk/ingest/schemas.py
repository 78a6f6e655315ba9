from __future__ import annotations

from datetime import datetime

from ninja import Schema


class ImportRunOut(Schema):
    id: int
    feed: str
    file_name: str
    sha256: str
    size: int
    rows: int
    new: int
    changed: int
    unchanged: int
    rejected: int
    status: str
    dry_run: bool
    forced: bool
    repeat_of_id: int | None
    started_by: str | None
    started_at: datetime
    finished_at: datetime | None
    error_code: str
    error_summary: str

    @staticmethod
    def resolve_started_by(run: object) -> str | None:
        staff = getattr(run, "started_by", None)
        return staff.username if staff is not None else None


class ImportRunPageOut(Schema):
    items: list[ImportRunOut]
