"""Bad ids and parameters never give a server error (RELIABILITY.md D6).

Every route with a path parameter, from the OpenAPI document and the URL resolver, is
called with ids that are not numbers, negative, zero, past 64 bits and absurdly long;
each answers a 4xx (the API in its uniform JSON error shape), never a 5xx.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from rmdesk.conftest import Cast
from rmdesk.org.models import Staff
from rmdesk.web.tests.test_object_scope import ROUTES, Route

BAD_IDS = ["abc", "-1", "0", str(2**63), "9" * 40, "1.5", "%00", "１"]


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_bad_ids_answer_a_client_error(
    route: Route,
    cast: Cast,
    client_for: Callable[[Staff], Client],
    browser_for: Callable[[Staff], Client],
) -> None:
    client = (client_for if route.channel == "api" else browser_for)(cast.branch_head)
    for bad in BAD_IDS:
        path = route.path(dict.fromkeys(route.params, bad))  # type: ignore[arg-type]
        if route.channel == "api" and route.method != "get":
            response = getattr(client, route.method)(
                path, route.body or {}, content_type="application/json"
            )
        else:
            response = getattr(client, route.method)(path)
        assert 400 <= response.status_code < 500, (str(route), bad, response.status_code)
        if route.channel == "api":
            body = response.json()
            assert set(body) >= {"code", "message"}, (str(route), bad, body)
