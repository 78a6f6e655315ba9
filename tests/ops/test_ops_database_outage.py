"""The app rides out the database going away in the middle of a request (RELIABILITY.md F3).

A live server on 127.0.0.1 answers a request whose database connection is cut while the
request runs (its PostgreSQL backend terminated, as a restart or a failover does): the
answer is a 503 with Retry-After — JSON on the API, a plain page on the web — with no
trace in it; the very next request is served normally, without restarting the app.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import Client
from ops_helpers import database_url, postgres_only

from rmdesk.api.services import api_token_create
from rmdesk.conftest import Cast
from rmdesk.customers import selectors

pytestmark = [
    postgres_only(
        "a live server's connection is cut from outside with pg_terminate_backend; "
        "an SQLite file has no server connection to cut"
    ),
    pytest.mark.django_db(transaction=True),
]


def terminate(pid: int) -> None:
    """Cut one backend from outside, as the server going down does to its sessions."""
    with psycopg.connect(database_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def cut_mid_request(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The next customer list loses its database connection after it has started."""
    original = selectors.customer_list
    cut: list[int] = []

    def customer_list(**kwargs: Any) -> Any:
        if not cut:
            with connection.cursor() as cursor:  # the server thread's own connection
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            terminate(pid)
            cut.append(pid)
        return original(**kwargs)

    monkeypatch.setattr(selectors, "customer_list", customer_list)
    return cut


def get(live_server: Any, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(live_server.url + path, timeout=30, **kwargs)


def assert_unavailable_without_trace(response: requests.Response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    for leak in ("Traceback", "psycopg", "OperationalError", "terminating connection"):
        assert leak not in response.text


def test_the_api_answers_503_json_then_recovers(
    cast: Cast, live_server: Any, cut_mid_request: list[int]
) -> None:
    token = api_token_create(staff=cast.manager, days=1).token
    auth: Callable[[], dict[str, str]] = lambda: {"Authorization": f"Bearer {token}"}  # noqa: E731
    assert get(live_server, "/api/v1/me", headers=auth()).status_code == 200

    during = get(live_server, "/api/v1/customers", headers=auth())
    assert cut_mid_request, "the connection was not cut"
    assert_unavailable_without_trace(during)
    assert during.headers["Content-Type"].startswith("application/json")
    assert json.loads(during.text)["code"] == "database_unavailable"

    after = get(live_server, "/api/v1/customers", headers=auth())
    assert after.status_code == 200
    assert {item["id"] for item in after.json()["items"]} == {cast.own.pk, cast.company.pk}
    assert get(live_server, "/readyz").status_code == 200


def test_a_page_answers_503_then_recovers_and_the_session_survives(
    cast: Cast, live_server: Any, cut_mid_request: list[int]
) -> None:
    browser = Client()
    browser.force_login(cast.manager)
    cookies = {settings.SESSION_COOKIE_NAME: browser.cookies[settings.SESSION_COOKIE_NAME].value}

    during = get(live_server, "/customers/", cookies=cookies, allow_redirects=False)
    assert cut_mid_request, "the connection was not cut"
    assert_unavailable_without_trace(during)
    assert during.headers["Content-Type"].startswith("text/html")

    after = get(live_server, "/customers/", cookies=cookies, allow_redirects=False)
    assert after.status_code == 200
    assert "王*明" in after.text or cast.own.customer_no in after.text


def test_every_connection_cut_between_requests_is_replaced(cast: Cast, live_server: Any) -> None:
    """All of the app's sessions killed at once (a restart between two requests)."""
    token = api_token_create(staff=cast.manager, days=1).token
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        assert get(live_server, "/api/v1/customers", headers=headers).status_code == 200
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid(), current_database()")
            mine, name = cursor.fetchone()
        with psycopg.connect(database_url(), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> %s AND pid <> pg_backend_pid()",
                [name, mine],
            )
