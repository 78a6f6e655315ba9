"""Overload protection (RELIABILITY.md G3): fast 503s, never a queue up to the timeout."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.db import connection, connections
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import path
from prometheus_client import REGISTRY

from rmdesk.conftest import Cast
from rmdesk.core.admission import IN_FLIGHT, AdmissionMiddleware, statement_timeout_apply
from rmdesk.customers.models import Customer
from rmdesk.org.models import Staff


@pytest.fixture
def busy() -> Iterator[Callable[[int], None]]:
    """Marks ``n`` requests in flight in this process; they leave at the end of the test."""
    taken = 0

    def take(n: int) -> None:
        nonlocal taken
        for _ in range(n):
            assert IN_FLIGHT.enter(10**6)
            taken += 1

    yield take
    for _ in range(taken):
        IN_FLIGHT.leave()


@override_settings(WEB_MAX_IN_FLIGHT=3)
def test_a_process_at_its_limit_refuses_the_next_request_at_once() -> None:
    limit = 3
    inside = threading.Semaphore(0)
    release = threading.Event()

    def slow_view(request: HttpRequest) -> HttpResponse:
        inside.release()
        release.wait(10)
        return HttpResponse("done")

    middleware = AdmissionMiddleware(slow_view)
    factory = RequestFactory()
    answers: list[int] = []
    workers = [
        threading.Thread(
            target=lambda: answers.append(middleware(factory.get("/customers/")).status_code)
        )
        for _ in range(limit)
    ]
    for worker in workers:
        worker.start()
    for _ in range(limit):
        assert inside.acquire(timeout=10)  # every one of them is inside the view
    shed_before = IN_FLIGHT.shed
    try:
        started = time.perf_counter()
        api = middleware(factory.get("/api/v1/customers"))
        page = middleware(factory.get("/customers/"))
        elapsed = time.perf_counter() - started
    finally:
        release.set()
        for worker in workers:
            worker.join(10)
    assert api.status_code == 503
    assert api["Retry-After"] == "2"
    assert json.loads(api.content)["code"] == "overloaded"
    assert page.status_code == 503
    assert page["Retry-After"] == "2"
    assert page["Content-Type"].startswith("text/html")
    assert elapsed < 1.0  # refused, not queued behind the slow requests
    assert IN_FLIGHT.shed == shed_before + 2
    assert answers == [200] * limit
    # The slow requests have left: the next one is admitted.
    assert IN_FLIGHT.count == 0
    assert middleware(factory.get("/customers/")).status_code == 200


@override_settings(WEB_MAX_IN_FLIGHT=2)
def test_past_the_limit_the_api_and_pages_answer_503_but_probes_do_not(
    db: None, busy: Callable[[int], None], browser_for: Callable[[Staff], Client], cast: Cast
) -> None:
    browser = browser_for(cast.manager)
    assert browser.get("/api/v1/customers").status_code == 200
    busy(2)
    api = browser.get("/api/v1/customers")
    assert api.status_code == 503
    assert api["Retry-After"] == "2"
    body = api.json()
    assert body["code"] == "overloaded"
    assert body["message"]
    assert body["details"] is None
    page = browser.get("/")
    assert page.status_code == 503
    assert b"busy" in page.content
    # Liveness, readiness and the metrics scrape are never shed.
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/readyz").status_code in {200, 503}
    assert Client().get("/readyz").json()["status"] in {"ok", "failing"}
    assert Client().get("/metrics").status_code != 503


@override_settings(WEB_MAX_IN_FLIGHT=0)
def test_a_limit_of_zero_admits_everything(busy: Callable[[int], None]) -> None:
    busy(50)
    middleware = AdmissionMiddleware(lambda request: HttpResponse("ok"))
    assert middleware(RequestFactory().get("/api/v1/customers")).status_code == 200


def test_the_limit_leaves_one_gunicorn_thread_free_to_refuse() -> None:
    from django.conf import settings

    from rmdesk.core import gunicorn_conf

    assert gunicorn_conf.threads - 1 == settings.WEB_MAX_IN_FLIGHT
    assert 0 < settings.WEB_STATEMENT_TIMEOUT_MS < gunicorn_conf.timeout * 1000
    assert "rmdesk.core.admission.AdmissionMiddleware" in settings.MIDDLEWARE


def test_the_web_application_sets_the_statement_timeout_on_new_connections() -> None:
    from django.db.backends.signals import connection_created

    import rmdesk.wsgi  # noqa: F401 (connects the receiver)

    sync_receivers, _async_receivers = connection_created._live_receivers(None)
    assert statement_timeout_apply in sync_receivers


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statement_timeout")
@pytest.mark.django_db(transaction=True)  # another session must see the committed tables
@override_settings(WEB_STATEMENT_TIMEOUT_MS=300)
def test_a_statement_past_the_timeout_answers_503_with_retry_after(
    cast: Cast, client_for: Callable[[Staff], Client]
) -> None:
    client = client_for(cast.manager)
    statement_timeout_apply(sender=None, connection=connection)
    other = connections.create_connection("default")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone() == ("300ms",)
        # Another session holds the customers table: the list waits on it past the timeout.
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute(f'LOCK TABLE "{Customer._meta.db_table}" IN ACCESS EXCLUSIVE MODE')
        started = time.perf_counter()
        response = client.get("/api/v1/customers")
        elapsed = time.perf_counter() - started
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "statement_timeout"
    assert elapsed < 5


def _broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a real fault")


urlpatterns = [path("broken", _broken_view)]


def _requests_counted(route: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "rmdesk_http_requests_total", {"route": route, "method": "GET", "status": status}
    )
    return value or 0.0


@override_settings(WEB_MAX_IN_FLIGHT=2)
def test_a_shed_request_is_counted_as_shed_and_logged_as_a_warning_not_an_error(
    db: None,
    busy: Callable[[int], None],
    browser_for: Callable[[Staff], Client],
    cast: Cast,
    caplog: pytest.LogCaptureFixture,
) -> None:
    browser = browser_for(cast.manager)
    shed, unmatched = _requests_counted("shed", "503"), _requests_counted("unmatched", "503")
    busy(2)
    with caplog.at_level(logging.INFO):
        assert browser.get("/api/v1/customers").status_code == 503
        assert browser.get("/customers/").status_code == 503
    # Its own label in the metrics, not the unmatched routes'.
    assert _requests_counted("shed", "503") == shed + 2
    assert _requests_counted("unmatched", "503") == unmatched
    # One WARNING line each, from the admission limit; no ERROR from django.request.
    refused = [r for r in caplog.records if r.name == "rmdesk.core.admission"]
    assert [r.levelno for r in refused] == [logging.WARNING, logging.WARNING]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.name == "django.request"]


@override_settings(ROOT_URLCONF=__name__, WEB_MAX_IN_FLIGHT=2)
def test_a_real_server_error_is_still_logged_as_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        response = Client(raise_request_exception=False).get("/broken")
    assert response.status_code == 500
    errors = [r for r in caplog.records if r.name == "django.request"]
    assert [r.levelno for r in errors] == [logging.ERROR]
    assert _requests_counted("/broken", "500") >= 1


def test_the_web_application_imports_its_views_before_the_first_request() -> None:
    """A fresh gunicorn worker answers its first request without importing the URL
    patterns, the views and the API (seconds on a busy machine)."""
    import subprocess
    import sys

    code = (
        "import sys, rmdesk.wsgi; "
        "print(all(m in sys.modules for m in "
        "('rmdesk.urls', 'rmdesk.api.v1', 'rmdesk.customers.api', 'rmdesk.web.views')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "True", done.stderr
