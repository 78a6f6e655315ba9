"""/api/v1/imports: upload a feed file, list runs, read one, download its refusals."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from rmdesk.api.auth import AuthedRequest
from rmdesk.api.schemas import ErrorOut
from rmdesk.core.errors import DomainError
from rmdesk.ingest import services
from rmdesk.ingest.models import Feed, ImportRun
from rmdesk.ingest.permissions import can_import
from rmdesk.ingest.schemas import ImportRunOut, ImportRunPageOut

router = Router(tags=["imports"])


class ImportRefused(DomainError):
    """The run applied nothing; ``details`` names the run and its first refusals."""


def refusal(run: ImportRun) -> ImportRefused:
    error = ImportRefused(run.error_summary, code=run.error_code.lower() or "import_failed")
    error.status = {"FILE_TOO_LARGE": 413, "TOO_MANY_ROWS": 413}.get(
        run.error_code, 500 if run.status == ImportRun.Status.FAILED else 422
    )
    error.details = {
        "run_id": run.pk,
        "errors": list(
            run.errors.order_by("row", "id").values("row", "field", "code", "reason")[:50]
        ),
    }
    return error


class RunFilter(Schema):
    limit: int = Field(default=50, ge=1, le=200)


@router.get("", response={200: ImportRunPageOut, 403: ErrorOut}, summary="Recent import runs")
def run_list(request: AuthedRequest, filters: Query[RunFilter]) -> dict[str, object]:
    runs = services.import_run_list(actor=request.auth)
    return {"items": list(runs[: filters.limit])}


@router.get(
    "/{int:run_id}", response={200: ImportRunOut, 403: ErrorOut, 404: ErrorOut}, summary="One run"
)
def run_get(request: AuthedRequest, run_id: int) -> ImportRun:
    return services.import_run_get(actor=request.auth, run_id=run_id)


@router.get(
    "/{int:run_id}/errors.csv",
    response={200: None, 403: ErrorOut, 404: ErrorOut},
    summary="A run's refused rows as CSV: row, field, code, reason",
)
def run_errors(request: AuthedRequest, run_id: int) -> HttpResponse:
    run = services.import_run_get(actor=request.auth, run_id=run_id)
    response = HttpResponse(
        services.import_errors_csv(run=run), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-errors.csv"'
    return response


@router.post(
    "/{feed}",
    response={200: ImportRunOut, 403: ErrorOut, 413: ErrorOut, 422: ErrorOut, 500: ErrorOut},
    summary="Import a feed file (CSV or XLSX, multipart field `file`)",
    description=(
        "Valid rows apply as one unit; refused rows are listed with row, field and reason. "
        "Status `repeat` means the same file was imported already and nothing was done. "
        "A file refused as a whole answers 413 or 422 with `details.run_id`."
    ),
)
def run_create(
    request: AuthedRequest,
    feed: Feed,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
) -> ImportRun:
    # Checked before the file is read, not only in the service.
    if not can_import(request.auth, feed):
        raise PermissionDenied
    run = services.import_file(
        actor=request.auth,
        feed=feed,
        source=file,
        file_name=file.name or _("upload"),
        limits=services.upload_limits(),
        dry_run=dry_run,
    )
    if run.status in (ImportRun.Status.REJECTED, ImportRun.Status.FAILED):
        raise refusal(run)
    return run
