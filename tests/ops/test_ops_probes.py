"""Health and readiness probes, the metrics scrape, and the structured request log."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from rmdesk.core import health
from rmdesk.core.logging import JsonFormatter, RequestIdFilter
from rmdesk.org.models import Staff
from rmdesk.tasks.models import Job

pytestmark = pytest.mark.django_db


def test_liveness_is_anonymous_and_touches_no_database(
    django_assert_num_queries: Any,
) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")
    assert Client().post("/healthz").status_code == 405


def test_readiness_checks_database_migrations_and_queue(settings: Any) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "queue": "ok"},
    }
    settings.RMDESK_READY_QUEUE_MAX_SECONDS = 600
    Job.objects.create(name="x.y", run_after=timezone.now() - dt.timedelta(hours=1))
    stuck = Client().get("/readyz")
    assert stuck.status_code == 503
    assert stuck.json()["checks"]["queue"] == "stuck"
    settings.RMDESK_READY_QUEUE_MAX_SECONDS = 0
    assert Client().get("/readyz").status_code == 200


def test_readiness_fails_while_migrations_are_pending(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "_migrations_applied", False)
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan", lambda self, targets: [1])
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "pending"


def test_metrics_need_the_token(
    settings: Any, cast: Any, client_for: Callable[[Staff], Client]
) -> None:
    settings.RMDESK_METRICS_TOKEN = "s3cret-metrics-token"
    assert Client().get("/metrics").status_code == 401
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    # Signed-in staff (even an administrator) do not get it without the token.
    assert client_for(cast.admin).get("/metrics").status_code == 403
    settings.RMDESK_METRICS_TOKEN = ""
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_metrics_from_loopback_only_when_allowed_and_not_proxied(settings: Any) -> None:
    """RELIABILITY.md H5."""
    settings.RMDESK_METRICS_TOKEN = ""
    settings.RMDESK_METRICS_LOOPBACK = True
    assert Client().get("/metrics").status_code == 200
    proxied = Client().get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert proxied.status_code == 401
    assert Client(REMOTE_ADDR="10.0.0.5").get("/metrics").status_code == 401


def test_metrics_count_requests_queries_and_the_queue(
    settings: Any, cast: Any, client_for: Callable[[Staff], Client]
) -> None:
    settings.RMDESK_METRICS_TOKEN = "s3cret-metrics-token"
    client_for(cast.manager).get(f"/api/v1/customers/{cast.own.pk}")
    Job.objects.create(name="x.y", queue="reports")
    Job.objects.create(name="x.y", status=Job.Status.DEAD)
    started = timezone.now() - dt.timedelta(seconds=3)
    Job.objects.create(
        name="x.z", status=Job.Status.DONE, started_at=started, finished_at=timezone.now()
    )
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    route = 'route="/api/v1/customers/<customer_id>"'
    assert f'rmdesk_http_requests_total{{method="GET",{route},status="200"}}' in text
    assert "rmdesk_http_request_duration_seconds_bucket{" in text
    assert f"rmdesk_http_request_db_queries_count{{{route}}}" in text
    assert 'rmdesk_jobs{queue="reports",status="queued"} 1.0' in text
    assert 'status="dead"' not in text.split("rmdesk_jobs_oldest")[0]  # history not counted
    assert 'rmdesk_task_recent_duration_seconds_count{status="done",task="x.z"} 1.0' in text
    assert "rmdesk_jobs_oldest_due_seconds" in text


def test_each_request_logs_one_structured_line(
    cast: Any, client_for: Callable[[Staff], Client], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="rmdesk.request"):
        response = client_for(cast.manager).get(
            f"/api/v1/customers/{cast.own.pk}", HTTP_X_REQUEST_ID="abc-123"
        )
    assert response["X-Request-ID"] == "abc-123"
    [record] = [r for r in caplog.records if r.name == "rmdesk.request"]
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["route"] == "/api/v1/customers/<customer_id>"
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert line["user_id"] == cast.manager.pk
    assert line["request_id"] == "abc-123"
    assert line["duration_ms"] > 0
    assert line["db_queries"] >= 1
    assert line["level"] == "INFO"
    # No personal data, no query strings, no secrets in the line.
    assert cast.own.display_name not in json.dumps(line, ensure_ascii=False)


def test_the_json_formatter_keeps_extras_and_exceptions() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed %s", ("job",), sys.exc_info()
        )
    record.job_id = 7
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed job"
    assert line["job_id"] == 7
    assert "ValueError: bad" in line["exc"]


def test_probes_answer_any_host_and_plain_http(settings: Any) -> None:
    """A load balancer probes the machine's address over HTTP, not the public name."""
    settings.ALLOWED_HOSTS = ["rmdesk.bank.example"]
    settings.SECURE_SSL_REDIRECT = True
    for path in ("/healthz", "/readyz"):
        response = Client().get(path, HTTP_HOST="10.1.2.3:8000")
        assert response.status_code == 200, path
    settings.RMDESK_METRICS_TOKEN = "s3cret-metrics-token"
    scrape = Client().get(
        "/metrics", HTTP_HOST="10.1.2.3:8000", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token"
    )
    assert scrape.status_code == 200
    assert Client().get("/metrics", HTTP_HOST="10.1.2.3:8000").status_code == 401
    assert Client().get("/login/", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_only_the_probes_are_anonymous() -> None:
    """RELIABILITY.md B1."""
    assert Client().get("/healthz/").status_code == 404
    assert Client().get("/readyzz").status_code == 404
    assert Client().get("/tasks/").status_code == 302
    assert Client().post("/tasks/1/retry/").status_code == 302


def test_probe_routes_are_labelled_by_their_path(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="rmdesk.request"):
        Client().get("/healthz")
        Client().get("/readyz")
    routes = [getattr(r, "route", None) for r in caplog.records if r.name == "rmdesk.request"]
    assert routes == ["/healthz", "/readyz"]


def test_reports_read_the_replica_only_when_there_is_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.conf import settings

    from rmdesk.core.db import reporting_db

    assert reporting_db() == "default"
    monkeypatch.setitem(settings.DATABASES, "replica", dict(settings.DATABASES["default"]))
    assert reporting_db() == "replica"
