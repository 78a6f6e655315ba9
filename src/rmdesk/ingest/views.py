"""The import page: upload a feed file, recent runs, a run with its refused rows."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rmdesk.ingest import services
from rmdesk.ingest.forms import UploadForm
from rmdesk.ingest.models import ImportRun
from rmdesk.ingest.permissions import can_import, importable_feeds
from rmdesk.org.http import acting_staff

ERRORS_SHOWN = 500


@require_http_methods(["GET", "POST"])
@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    if not can_import(actor):
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None, feeds=importable_feeds(actor))
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = services.import_file(
            actor=actor,
            feed=form.cleaned_data["feed"],
            source=upload,
            file_name=upload.name or "upload",
            limits=services.upload_limits(),
            dry_run=form.cleaned_data["dry_run"],
        )
        level = messages.SUCCESS if run.status == ImportRun.Status.DONE else messages.WARNING
        messages.add_message(
            request,
            level,
            _("Run #%(id)s: %(status)s.") % {"id": run.pk, "status": run.get_status_display()},
        )
        return redirect("ingest:detail", run_id=run.pk)
    runs = list(services.import_run_list(actor=actor)[:50])
    return render(request, "ingest/run_list.html", {"form": form, "runs": runs})


@require_GET
@login_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = services.import_run_get(actor=acting_staff(request), run_id=run_id)
    errors = list(run.errors.order_by("row", "id")[: ERRORS_SHOWN + 1])
    return render(
        request,
        "ingest/run_detail.html",
        {"run": run, "errors": errors[:ERRORS_SHOWN], "more_errors": len(errors) > ERRORS_SHOWN},
    )


@require_GET
@login_required
def run_errors(request: HttpRequest, run_id: int) -> HttpResponse:
    run = services.import_run_get(actor=acting_staff(request), run_id=run_id)
    response = HttpResponse(
        services.import_errors_csv(run=run), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-errors.csv"'
    return response


@require_GET
@login_required
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The progress of a running import (polled by its page); reloads the page when done."""
    run = services.import_run_get(actor=acting_staff(request), run_id=run_id)
    response = render(request, "ingest/_progress.html", {"run": run})
    if run.status != ImportRun.Status.RUNNING and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response
