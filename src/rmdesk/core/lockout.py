"""What a locked-out client is told: JSON for the API, a page for people."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    minutes = round(float(settings.AXES_COOLOFF_TIME) * 60)
    message = _(
        "Too many failed sign-in attempts for this user from this address. "
        "Try again in %(minutes)d minutes, or ask an administrator to unlock the account."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "locked_out", "message": message, "details": {"retry_after_minutes": minutes}},
            status=429,
            headers={"Retry-After": str(minutes * 60)},
        )
    return render(
        request,
        "web/locked_out.html",
        {"message": message, "minutes": minutes},
        status=429,
    )
