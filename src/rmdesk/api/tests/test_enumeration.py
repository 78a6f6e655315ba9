"""Sign-in does not tell who has an account (RELIABILITY.md A3).

A wrong password for a real user and any password for a user who does not exist get the
same status and the same body, and take the same time: with the production hasher
(Argon2id), the medians of interleaved attempts are within 20 % of each other. The
normal suite makes a dozen attempts of each; ``make harden`` makes 200
(``RMDESK_HARDEN_TRIALS``).
"""

from __future__ import annotations

import os
import re
import statistics
import time

from django.test import Client, override_settings

from rmdesk.conftest import Cast

TRIALS = int(os.environ.get("RMDESK_HARDEN_TRIALS", "12"))
PRODUCTION_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def sign_in(client: Client, username: str) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    response = client.post(
        "/api/v1/auth/tokens",
        {"username": username, "password": "not-the-password-9"},
        content_type="application/json",
    )
    return time.perf_counter() - started, response.status_code, response.content


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS, AXES_FAILURE_LIMIT=100_000)
def test_unknown_user_and_wrong_password_look_and_take_the_same(cast: Cast) -> None:
    """A3: same status and body; medians within 20 % (the lock-out is raised out of the way,
    so each attempt runs the real password check)."""
    cast.manager.set_password("the-right-password-1")
    cast.manager.save(update_fields=["password"])
    assert cast.manager.password.startswith("argon2$argon2id$")
    client = Client()
    known: list[float] = []
    unknown: list[float] = []
    answers: set[tuple[int, bytes]] = set()
    for trial in range(TRIALS):
        # Interleaved, so a change in the machine's load touches both alike.
        for username, times in (("rm-own", known), (f"nobody-{trial}", unknown)):
            elapsed, status, body = sign_in(client, username)
            times.append(elapsed)
            answers.add((status, body))
    assert len(answers) == 1, answers
    assert next(iter(answers))[0] == 401
    median_known, median_unknown = statistics.median(known), statistics.median(unknown)
    ratio = max(median_known, median_unknown) / min(median_known, median_unknown)
    print(f"A3 {TRIALS}+{TRIALS} attempts: medians {median_known:.4f} s / {median_unknown:.4f} s")
    assert ratio <= 1.2, (median_known, median_unknown)


def test_the_sign_in_page_gives_one_answer_for_both(cast: Cast) -> None:
    """A3 on the web form: the same status and the same page, apart from the name typed
    back into the form and the CSRF token."""

    def shape(username: str) -> tuple[int, str]:
        response = Client().post("/login/", {"username": username, "password": "not-it-9"})
        return response.status_code, re.sub(r'value="[^"]*"', 'value=""', response.content.decode())

    assert shape("rm-own") == shape("nobody-here")
    assert shape("rm-own")[0] == 200
