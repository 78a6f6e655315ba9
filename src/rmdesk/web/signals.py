"""Stamp the sign-in time into the session, for the absolute session limit."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from rmdesk.core.middleware import LOGIN_TIME_KEY


@receiver(user_logged_in)
def stamp_login_time(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_TIME_KEY] = time.time()
