from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone

from rmdesk.conftest import Cast
from rmdesk.contact.tests.factories import PlanEntryFactory
from rmdesk.org.models import Staff
from rmdesk.org.tests.factories import TEST_PASSWORD


def sign_in(client: Client, username: str, password: str = TEST_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": username, "password": password})


def test_a_manager_signs_in_and_lands_on_their_home(cast: Cast) -> None:
    PlanEntryFactory(manager=cast.manager, customer=cast.own)
    PlanEntryFactory(manager=cast.other_manager, customer=cast.other)
    client = Client()
    response = sign_in(client, "rm-own")
    assert response.status_code == 302
    page = client.get(response["Location"], follow=True).content.decode()
    assert 'id="block-plan"' in page
    assert cast.own.customer_no in page
    assert cast.other.customer_no not in page


def test_a_wrong_password_says_so_without_naming_the_cause(cast: Cast) -> None:
    wrong = sign_in(Client(), "rm-own", "nope-nope-nope").content.decode()
    unknown = sign_in(Client(), "no-such-user", "nope-nope-nope").content.decode()
    assert "Wrong username or password" in wrong or "用户名或密码错误" in wrong
    strip = lambda page: page.split('name="csrfmiddlewaretoken" value="')[0]  # noqa: E731
    assert strip(wrong) == strip(unknown).replace('value="no-such-user"', 'value="rm-own"')


def test_the_web_sign_in_locks_out_with_a_clear_message(cast: Cast) -> None:
    """RELIABILITY.md A2."""
    client = Client(REMOTE_ADDR="10.9.9.9", HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(5):
        sign_in(client, "rm-own", "nope-nope-nope")
    response = sign_in(client, "rm-own")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_passwords_are_hashed_with_argon2id(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    """RELIABILITY.md A1."""
    settings.PASSWORD_HASHERS = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
    cast.manager.set_password("a-new-long-password")
    cast.manager.save()
    assert cast.manager.password.startswith("argon2$argon2id$")


def test_old_pbkdf2_hashes_are_upgraded_on_sign_in(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    """RELIABILITY.md A1."""
    settings.PASSWORD_HASHERS = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
    Staff.objects.filter(pk=cast.manager.pk).update(
        password=make_password(TEST_PASSWORD, hasher="pbkdf2_sha256")
    )
    assert sign_in(Client(), "rm-own").status_code == 302
    cast.manager.refresh_from_db()
    assert cast.manager.password.startswith("argon2$argon2id$")


def test_the_session_key_rotates_on_sign_in(cast: Cast) -> None:
    """RELIABILITY.md A4."""
    client = Client()
    client.get("/login/")
    client.session.save()
    before = client.session.session_key
    sign_in(client, "rm-own")
    assert client.session.session_key != before


def form_token(page: str) -> str:
    return page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]


def test_the_pre_sign_in_session_key_is_dead_after_sign_in(cast: Cast) -> None:
    """RELIABILITY.md A4: a fixated (pre-sign-in) session cookie is not signed in."""
    client = Client()
    client.get("/login/")
    client.session.save()
    old = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert sign_in(client, "rm-own").status_code == 302
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != old
    assert client.get("/api/v1/me").status_code == 200
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old
    assert replay.get("/api/v1/me").status_code == 401
    assert replay.get("/").status_code == 302


def test_the_csrf_token_rotates_on_sign_in(cast: Cast) -> None:
    """RELIABILITY.md A4: the CSRF secret changes and the pre-sign-in token is refused."""
    client = Client(enforce_csrf_checks=True)
    old_token = form_token(client.get("/login/").content.decode())
    old_cookie = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        "/login/",
        {"username": "rm-own", "password": TEST_PASSWORD, "csrfmiddlewaretoken": old_token},
    )
    assert response.status_code == 302
    new_cookie = client.cookies[settings.CSRF_COOKIE_NAME].value
    assert new_cookie
    assert new_cookie != old_cookie
    # A forged post carrying the token known before sign-in is refused (the browser
    # now holds the new CSRF cookie; a page cannot set a __Host- cookie cross-site) ...
    assert client.post("/logout/", {"csrfmiddlewaretoken": old_token}).status_code == 403
    assert client.get("/api/v1/me").status_code == 200
    # ... while the token of a page served after sign-in works.
    fresh = form_token(client.get("/customers/").content.decode())
    assert client.post("/logout/", {"csrfmiddlewaretoken": fresh}).status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_the_token_sign_in_neither_reuses_nor_opens_a_session(cast: Cast) -> None:
    """RELIABILITY.md A4: a bearer token is issued without signing any session in."""
    client = Client()
    client.get("/login/")
    client.session.save()
    old = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post(
        "/api/v1/auth/tokens",
        {"username": "rm-own", "password": TEST_PASSWORD, "days": 1},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert client.get("/api/v1/me").status_code == 401
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old
    assert replay.get("/api/v1/me").status_code == 401
    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    assert bearer.get("/api/v1/me").status_code == 200


def test_signing_out_ends_the_session_on_the_server(cast: Cast) -> None:
    """RELIABILITY.md A5."""
    client = Client()
    sign_in(client, "rm-own")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post("/logout/").status_code == 302
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert replay.get("/api/v1/me").status_code == 401


def test_sign_out_needs_a_post(cast: Cast) -> None:
    client = Client()
    sign_in(client, "rm-own")
    assert client.get("/logout/").status_code == 405
    assert client.get("/api/v1/me").status_code == 200


def test_deactivation_ends_open_sessions(cast: Cast) -> None:
    """RELIABILITY.md A5."""
    client = Client()
    sign_in(client, "rm-own")
    cast.manager.is_active = False
    cast.manager.save()
    assert client.get("/api/v1/me").status_code == 401


def test_a_password_change_elsewhere_ends_the_session(cast: Cast) -> None:
    """RELIABILITY.md A5."""
    client = Client()
    sign_in(client, "rm-own")
    cast.manager.set_password("another-long-password")
    cast.manager.save()
    assert client.get("/api/v1/me").status_code == 401


def test_idle_sessions_expire_after_fifteen_minutes(cast: Cast) -> None:
    """RELIABILITY.md A6."""
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sign_in(client, "rm-own")
        traveller.shift(timedelta(minutes=14))
        assert client.get("/api/v1/me").status_code == 200
        traveller.shift(timedelta(minutes=16))
        assert client.get("/api/v1/me").status_code == 401


def test_busy_sessions_still_end_after_eight_hours(cast: Cast) -> None:
    """RELIABILITY.md A6."""
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sign_in(client, "rm-own")
        for _ in range(8 * 6):
            traveller.shift(timedelta(minutes=10))
            client.get("/api/v1/me")
        traveller.shift(timedelta(minutes=10))
        assert client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_health_answers_without_sign_in() -> None:
    response = Client().get("/health")
    assert response.status_code == 200


def test_security_headers_on_pages_and_api(cast: Cast) -> None:
    for path in ("/login/", "/api/v1/openapi.json", "/no-such-page/"):
        response = Client().get(path)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        csp = response["Content-Security-Policy"]
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp
