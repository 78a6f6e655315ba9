"""Session limits, cache headers and API error shapes that Django does not provide on its own."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

LOGIN_TIME_KEY = "rmdesk_login_at"


class SessionLimitsMiddleware:
    """Ends a signed-in session eight hours after sign-in, however active it was.

    The idle limit is the session cookie's age, renewed on every request
    (``SESSION_SAVE_EVERY_REQUEST``); this adds the absolute cap from the time the
    sign-in view stored in the session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None:
            started = session.get(LOGIN_TIME_KEY)
            if started is not None and time.time() - float(started) > (
                settings.SESSION_ABSOLUTE_SECONDS
            ):
                logout(request)
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages and API answers may carry personal data: no browser or proxy keeps them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class ApiMethodNotAllowedMiddleware:
    """The API speaks JSON even when the router refuses a method (Django's 405 is HTML)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            allowed = response.get("Allow", "")
            response = JsonResponse(
                {
                    "code": "method_not_allowed",
                    "message": _("This address does not take that method."),
                    "details": {"allowed": [m.strip() for m in allowed.split(",") if m.strip()]},
                },
                status=405,
            )
            if allowed:
                response["Allow"] = allowed
        return response
