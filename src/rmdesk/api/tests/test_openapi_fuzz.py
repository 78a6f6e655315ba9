"""The OpenAPI document fuzzed against a running server (RELIABILITY.md D6).

Every operation of /api/v1/openapi.json is called on a live server on 127.0.0.1 with
requests schemathesis generates from the document — inputs that fit it and inputs that
do not — signed in with a manager's API token. No answer may be a server error, and every
answer must match the schema the document gives for it (its body and its content type).

The normal suite runs a few examples per operation; ``make harden`` runs many
(``RMDESK_FUZZ_EXAMPLES``) and for more roles (``RMDESK_FUZZ_ROLES``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from rmdesk.api.services import api_token_create
from rmdesk.conftest import Cast
from rmdesk.coordination.tests.factories import seed_defaults
from rmdesk.marketing.tests.factories import seeded_defaults

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(os.environ.get("RMDESK_FUZZ_EXAMPLES", "4"))
ROLES = os.environ.get("RMDESK_FUZZ_ROLES", "manager").split(",")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def openapi_document(cast: Cast) -> dict[str, Any]:
    """The document as a signed-in member of staff reads it (it is not public)."""
    client = Client()
    client.force_login(cast.manager)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def fuzz(
    schema: Any,
    base_url: str,
    token: Callable[[], str],
    examples: int,
    report: Callable[[str, str], None],
    statuses: dict[int, int],
) -> int:
    """Run ``examples`` cases of each operation, counting answers by status class in
    ``statuses``; returns the number of operations."""
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # A fresh token per operation (the token endpoints may revoke the last one), fixed
        # so the generator never replaces it with one of its own; no cookie jar between
        # calls, so a cookie an answer sets is never sent back.
        headers = {"Authorization": f"Bearer {token()}"}
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE, headers=headers),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, headers=headers),
        )

        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def call(case: Any) -> None:
            response = case.call_and_validate(base_url=base_url, checks=CHECKS, timeout=30)
            statuses[response.status_code // 100] = statuses.get(response.status_code // 100, 0) + 1

        try:
            call()
        except (Exception, BaseExceptionGroup) as failure:  # every failure is reported together
            report(f"{operation.method.upper()} {operation.path}", str(failure)[:3000])
    return operations


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_without_server_error_and_as_documented(
    role: str, cast: Cast, live_server: Any
) -> None:
    seed_defaults()
    seeded_defaults()
    document = openapi_document(cast)
    schema = schemathesis.openapi.from_dict(document)
    staff = getattr(cast, role)
    failures: dict[str, str] = {}
    statuses: dict[int, int] = {}
    started = time.monotonic()
    operations = fuzz(
        schema,
        live_server.url,
        lambda: api_token_create(staff=staff, days=1).token,
        EXAMPLES,
        failures.__setitem__,
        statuses,
    )
    elapsed = time.monotonic() - started
    print(
        f"fuzzed {operations} operations x {EXAMPLES} examples as {role} in {elapsed:.0f} s;"
        f" answers by class: {sorted(statuses.items())}"
    )
    assert operations >= 100
    assert failures == {}, "\n\n".join(f"{op}:\n{text}" for op, text in failures.items())
