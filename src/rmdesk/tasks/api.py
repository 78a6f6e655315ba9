"""/api/v1/jobs: the task queue, for administrators (read, and retry a dead job)."""

from __future__ import annotations

from django.http import Http404
from ninja import Query, Router, Schema
from pydantic import Field

from rmdesk.api.auth import AuthedRequest
from rmdesk.api.schemas import ErrorOut
from rmdesk.tasks import selectors, services
from rmdesk.tasks.models import Job
from rmdesk.tasks.schemas import JobOut, JobPageOut

router = Router(tags=["jobs"])


class JobFilter(Schema):
    status: Job.Status | None = None
    name: str | None = Field(default=None, max_length=100)
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=50, ge=1, le=200)


@router.get(
    "/jobs",
    response={200: JobPageOut, 403: ErrorOut},
    summary="Background jobs, newest first (administrators)",
)
def job_list(request: AuthedRequest, filters: Query[JobFilter]) -> dict[str, object]:
    jobs = selectors.job_list(actor=request.auth, status=filters.status, name=filters.name)
    rows = list(jobs[filters.offset : filters.offset + filters.limit + 1])
    return {
        "items": rows[: filters.limit],
        "page": {
            "offset": filters.offset,
            "limit": filters.limit,
            "has_more": len(rows) > filters.limit,
        },
    }


@router.get(
    "/jobs/{job_id}", response={200: JobOut, 403: ErrorOut, 404: ErrorOut}, summary="One job"
)
def job_detail(request: AuthedRequest, job_id: int) -> Job:
    try:
        return selectors.job_get(actor=request.auth, job_id=job_id)
    except Job.DoesNotExist:
        raise Http404 from None


@router.post(
    "/jobs/{job_id}/retry",
    response={200: JobOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Send a dead job back to the queue",
)
def job_retry(request: AuthedRequest, job_id: int) -> Job:
    return services.job_retry(actor=request.auth, job_id=job_id)
