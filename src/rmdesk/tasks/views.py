from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rmdesk.org.http import acting_staff
from rmdesk.tasks import selectors, services
from rmdesk.tasks.models import Job
from rmdesk.tasks.policy import can_manage_jobs
from rmdesk.web.actions import run_action


@require_GET
@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    if not can_manage_jobs(actor):
        raise PermissionDenied
    status = request.GET.get("status") or None
    if status not in {None, *Job.Status.values}:
        status = None
    jobs = list(selectors.job_list(actor=actor, status=status)[:200])
    depth = selectors.queue_depth()
    totals: dict[str, int] = {}
    for (_queue, state), count in depth.items():
        totals[state] = totals.get(state, 0) + count
    return render(
        request,
        "tasks/job_list.html",
        {
            "jobs": jobs,
            "status": status,
            "statuses": Job.Status.choices,
            "totals": [(label, totals.get(value, 0)) for value, label in Job.Status.choices[:3]],
            "health": selectors.queue_health(),
        },
    )


@require_POST
@login_required
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    return run_action(
        request,
        lambda actor: services.job_retry(actor=actor, job_id=job_id),
        success=_("The job is queued again."),
        back="tasks:list",
    )
