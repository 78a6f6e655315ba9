from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rmdesk.audit.models import AuditEvent
from rmdesk.org.models import Staff
from rmdesk.tasks import registry
from rmdesk.tasks.models import Job
from rmdesk.tasks.registry import task
from rmdesk.tasks.services import job_enqueue

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_job(tasks: dict[str, registry.Task]) -> Job:
    @task("tests.flaky")
    def flaky() -> None: ...

    job = job_enqueue(name="tests.flaky", unique_key="flaky")
    Job.objects.filter(pk=job.pk).update(status=Job.Status.DEAD, attempts=5, error="boom")
    job.refresh_from_db()
    return job


def test_administrators_list_jobs_with_a_constant_number_of_queries(
    cast: Any, client_for: Callable[[Staff], Client], dead_job: Job
) -> None:
    client = client_for(cast.admin)
    with CaptureQueriesContext(connection) as few:
        response = client.get("/api/v1/jobs")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [dead_job.pk]
    for n in range(10):
        job_enqueue(name="tests.flaky", kwargs={"n": n})
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/jobs?status=queued&limit=5")
    body = response.json()
    assert len(body["items"]) == 5
    assert body["page"]["has_more"] is True
    assert {item["status"] for item in body["items"]} == {"queued"}
    assert len(many) <= len(few) <= 4


@pytest.mark.parametrize("who", ["manager", "branch_head", "auditor", "analyst"])
def test_other_staff_may_not_read_the_queue(
    cast: Any, client_for: Callable[[Staff], Client], dead_job: Job, who: str
) -> None:
    client = client_for(getattr(cast, who))
    assert client.get("/api/v1/jobs").status_code == 403
    assert client.post(f"/api/v1/jobs/{dead_job.pk}/retry").status_code == 403
    dead_job.refresh_from_db()
    assert dead_job.status == Job.Status.DEAD


def test_anonymous_callers_are_refused(dead_job: Job) -> None:
    assert Client().get("/api/v1/jobs").status_code == 401
    assert Client().post(f"/api/v1/jobs/{dead_job.pk}/retry").status_code == 401


def test_retrying_a_dead_job_queues_it_again_and_is_audited(
    cast: Any, client_for: Callable[[Staff], Client], dead_job: Job
) -> None:
    client = client_for(cast.admin)
    response = client.post(f"/api/v1/jobs/{dead_job.pk}/retry")
    assert response.status_code == 200
    assert response.json()["status"] == "queued"
    assert response.json()["attempts"] == 0
    assert AuditEvent.objects.filter(action="tasks.job.retry").count() == 1
    again = client.post(f"/api/v1/jobs/{dead_job.pk}/retry")
    assert again.status_code == 409
    assert again.json()["code"] == "job_not_dead"
    assert client.get("/api/v1/jobs/999999").status_code == 404
    assert client.post("/api/v1/jobs/999999/retry").status_code == 404


def test_a_dead_job_is_not_retried_beside_an_active_one_with_its_key(
    cast: Any, client_for: Callable[[Staff], Client], dead_job: Job
) -> None:
    job_enqueue(name="tests.flaky", unique_key="flaky")
    response = client_for(cast.admin).post(f"/api/v1/jobs/{dead_job.pk}/retry")
    assert response.status_code == 409
    assert response.json()["code"] == "job_duplicate_active"


def test_the_jobs_page_is_for_administrators(
    cast: Any, browser_for: Callable[[Staff], Client], dead_job: Job
) -> None:
    page = browser_for(cast.admin).get("/tasks/")
    assert page.status_code == 200
    assert "tests.flaky" in page.content.decode()
    assert browser_for(cast.manager).get("/tasks/").status_code == 403
    assert browser_for(cast.manager).post(f"/tasks/{dead_job.pk}/retry/").status_code == 403
    response = browser_for(cast.admin).post(f"/tasks/{dead_job.pk}/retry/")
    assert response.status_code == 302
    dead_job.refresh_from_db()
    assert dead_job.status == Job.Status.QUEUED
