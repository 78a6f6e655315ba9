"""Deployment properties over every route (RELIABILITY.md H2, H3, F4).

Every route, signed in or not, and the error answers (404, 405) carry the security
headers of a production deployment; a foreign Host or a TRACE is refused; the database
runs with its durability settings on.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client, override_settings

from rmdesk.conftest import Cast
from rmdesk.web.tests.test_routes import routes

pytestmark = pytest.mark.django_db

PRODUCTION_TRANSPORT = {
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
}


def assert_secure_headers(response: object, where: str) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert "max-age=31536000; includeSubDomains" in headers.get("Strict-Transport-Security", ""), (
        where
    )
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert headers.get("X-Frame-Options") == "DENY", where
    csp = headers.get("Content-Security-Policy", "")
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp, (where, csp)
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[-1].split(";", 1)[0], where
    assert "Access-Control-Allow-Origin" not in headers, where


@override_settings(**PRODUCTION_TRANSPORT)
def test_every_route_carries_the_security_headers(cast: Cast) -> None:
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(cast.branch_head)
    checked = 0
    for path in [*routes(), "/no-such-page/", "/api/v1/no-such-thing"]:
        if path.startswith("/static/"):
            continue
        for client in (anonymous, signed_in):
            for method in ("get", "post"):
                response = getattr(client, method)(
                    path, secure=True, HTTP_ORIGIN="https://evil.example"
                )
                assert_secure_headers(response, f"{method} {path} {response.status_code}")
                checked += 1
    assert checked > 200


def test_a_foreign_host_and_trace_are_refused(cast: Cast) -> None:
    assert Client().get("/login/", HTTP_HOST="evil.example").status_code == 400
    client = Client()
    client.force_login(cast.manager)
    assert client.generic("TRACE", "/customers/").status_code == 405
    assert client.generic("TRACE", "/api/v1/customers").status_code == 405


def test_the_database_runs_with_its_durability_settings() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] in {"wal", "memory"}
            assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
            assert cursor.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        else:
            for name in ("fsync", "synchronous_commit", "full_page_writes"):
                cursor.execute(f"SHOW {name}")
                assert cursor.fetchone()[0] == "on", name
