"""CSRF is enforced on every state-changing call that a session authenticates (A8).

Every unsafe operation of the OpenAPI document and every page route, signed in by
session and sent without the CSRF token, is refused with 403 and changes nothing.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from rmdesk.api.v1 import api
from rmdesk.audit.models import AuditEvent
from rmdesk.conftest import Cast
from rmdesk.web.tests.test_routes import routes

PARAM = re.compile(r"\{(\w+)\}")
# A value for each path parameter that reaches the operation (ids need not exist).
FILL = {"feed": "customers"}
# Signing in and out and choosing a language are the pages a CSRF token guards too;
# only the token endpoint, which takes a password instead of a session, is exempt.
EXEMPT = {"/api/v1/auth/tokens"}


def unsafe_api_calls() -> list[tuple[str, str]]:
    calls = []
    for template, operations in api.get_openapi_schema()["paths"].items():
        for method in operations:
            if method in {"post", "put", "patch", "delete"} and template not in EXEMPT:
                calls.append((method, PARAM.sub(lambda m: FILL.get(m.group(1), "1"), template)))
    return calls


@pytest.mark.django_db
def test_unsafe_api_calls_without_the_token_are_refused(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.branch_head)
    calls = unsafe_api_calls()
    assert len(calls) >= 10
    before = AuditEvent.objects.count()
    for method, path in calls:
        response = getattr(client, method)(path, {}, content_type="application/json")
        assert response.status_code == 403, (method, path, response.status_code)
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_page_posts_without_the_token_are_refused(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.branch_head)
    pages = [path for path in routes() if not path.startswith(("/api/", "/static/"))]
    assert len(pages) >= 20
    before = AuditEvent.objects.count()
    for path in pages:
        response = client.post(path, {"anything": "1"})
        assert response.status_code in {403, 405}, (path, response.status_code)
    assert AuditEvent.objects.count() == before
