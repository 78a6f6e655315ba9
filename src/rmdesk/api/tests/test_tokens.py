from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from rmdesk.api.models import ApiToken
from rmdesk.api.services import api_token_authenticate, api_token_create
from rmdesk.conftest import Cast
from rmdesk.org.models import StaffRole
from rmdesk.org.roles import Role
from rmdesk.org.tests.factories import TEST_PASSWORD, StaffFactory


def issue(client: Client, username: str, password: str = TEST_PASSWORD, **extra: object):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/auth/tokens",
        {"username": username, "password": password, **extra},
        content_type="application/json",
    )


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_token_is_shown_once_and_stored_hashed(cast: Cast) -> None:
    response = issue(Client(), "rm-own", name="crm-sync")
    assert response.status_code == 201
    token = response.json()["token"]
    record = ApiToken.objects.get()
    assert token.startswith("rmd_")
    assert record.digest != token
    assert token not in {record.digest, record.prefix}
    assert len(record.prefix) < len(token)
    assert bearer(token).get("/api/v1/me").json()["username"] == "rm-own"
    listed = bearer(token).get("/api/v1/auth/tokens").json()
    assert [item["name"] for item in listed] == ["crm-sync"]
    assert "token" not in listed[0]


def test_wrong_password_and_unknown_user_look_the_same(cast: Cast) -> None:
    """RELIABILITY.md A3."""
    wrong = issue(Client(), "rm-own", "not-the-password")
    unknown = issue(Client(), "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"


def test_tokens_expire(cast: Cast) -> None:
    """RELIABILITY.md A5."""
    token = issue(Client(), "rm-own", days=1).json()["token"]
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        response = bearer(token).get("/api/v1/me")
    assert response.status_code == 401


@pytest.mark.parametrize("days", [0, -5, 10_000])
def test_token_lifetime_is_bounded(cast: Cast, days: int) -> None:
    response = issue(Client(), "rm-own", days=days)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_expiry"
    assert not ApiToken.objects.exists()


def test_a_revoked_token_stops_working(cast: Cast) -> None:
    """RELIABILITY.md A5."""
    body = issue(Client(), "rm-own").json()
    client = bearer(body["token"])
    assert client.delete(f"/api/v1/auth/tokens/{body['id']}").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_nobody_revokes_someone_elses_token(cast: Cast) -> None:
    mine = issue(Client(), "rm-own").json()
    theirs = issue(Client(), "rm-other").json()
    response = bearer(mine["token"]).delete(f"/api/v1/auth/tokens/{theirs['id']}")
    assert response.status_code == 404
    assert bearer(theirs["token"]).get("/api/v1/me").status_code == 200


def test_deactivating_staff_ends_their_tokens(cast: Cast) -> None:
    """RELIABILITY.md A5."""
    token = issue(Client(), "rm-own").json()["token"]
    cast.manager.is_active = False
    cast.manager.save()
    assert bearer(token).get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer rmd_forged", "Basic abc", "Bearer "])
def test_garbage_tokens_are_refused(cast: Cast, header: str) -> None:
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/me")
    assert response.status_code == 401


def test_lockout_after_five_failures_even_with_the_right_password(cast: Cast) -> None:
    """RELIABILITY.md A2."""
    client = Client(REMOTE_ADDR="10.0.0.7")
    statuses = [issue(client, "rm-own", "wrong-password").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    locked = issue(client, "rm-own")
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    # Another user from the same address is not affected…
    assert issue(client, "rm-other").status_code == 201
    # …nor the same user from another address.
    assert issue(Client(REMOTE_ADDR="10.0.0.8"), "rm-own").status_code == 201


def test_an_administrator_can_unlock(cast: Cast) -> None:
    """RELIABILITY.md A2."""
    client = Client(REMOTE_ADDR="10.0.0.7")
    for _ in range(5):
        issue(client, "rm-own", "wrong-password")
    assert issue(client, "rm-own").status_code == 429
    call_command("axes_reset_username", "rm-own")
    assert issue(client, "rm-own").status_code == 201


def test_forwarded_for_is_ignored_without_a_trusted_proxy(cast: Cast) -> None:
    """RELIABILITY.md H5."""
    for n in range(5):
        issue(Client(REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}"), "rm-own", "bad")
    spoofed = Client(REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="9.9.9.9")
    assert issue(spoofed, "rm-own").status_code == 429


def test_session_callers_must_send_the_csrf_token_on_writes(cast: Cast) -> None:
    """RELIABILITY.md A8."""
    body = issue(Client(), "rm-own").json()
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.manager)
    assert client.get("/api/v1/me").status_code == 200
    response = client.delete(f"/api/v1/auth/tokens/{body['id']}")
    assert response.status_code == 403
    assert ApiToken.objects.get().revoked_at is None


@pytest.mark.parametrize(
    "roles", [(), (Role.ACCOUNT_MANAGER,), (Role.TEAM_LEAD, Role.ACCOUNT_MANAGER, Role.HQ_ANALYST)]
)
def test_a_token_brings_its_holders_roles_in_the_same_query(
    db: None, roles: tuple[Role, ...], django_assert_num_queries: Any
) -> None:
    staff = StaffFactory(roles=roles)
    token = api_token_create(staff=staff, days=1).token
    api_token_authenticate(token)  # the token's last use is written once
    with django_assert_num_queries(1):
        found = api_token_authenticate(token)
        assert found is not None
        assert found.role_codes == frozenset(roles)
    StaffRole.objects.filter(staff=staff).delete()
    found = api_token_authenticate(token)
    assert found is not None
    assert found.role_codes == frozenset()
