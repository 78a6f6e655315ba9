"""Domain errors: raised by services, turned into JSON or a page by the edges."""

from __future__ import annotations

from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _


class DomainError(Exception):
    """A business rule refused the request. ``code`` is stable; ``message`` is translated."""

    status = 400

    def __init__(self, message: Any, *, code: str, details: Any = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.details = details


class ConflictError(DomainError):
    """The request lost a race or the record changed underneath it."""

    status = 409


# The database went away (restarted, failed over, a connection cut): the request is
# refused with 503 and Retry-After, never a 500 with a trace; the next request opens a
# fresh connection (CONN_HEALTH_CHECKS), so the app recovers without a restart.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


# A statement cancelled by the web processes' statement_timeout (core/admission.py) is an
# OperationalError too: the same 503, with its own code.
QUERY_CANCELED = "57014"


def statement_timed_out(exc: BaseException | None) -> bool:
    cause = getattr(exc, "__cause__", None)
    return getattr(cause, "sqlstate", None) == QUERY_CANCELED or (
        getattr(cause, "pgcode", None) == QUERY_CANCELED
    )


def database_unavailable(request: HttpRequest, exc: BaseException | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        if statement_timed_out(exc):
            code, message = "statement_timeout", _("The request took too long. Please try again.")
        else:
            code, message = "database_unavailable", _("Something went wrong on our side.")
        response: HttpResponse = JsonResponse(
            {"code": code, "message": message, "details": None}, status=503
        )
    else:
        # No request context: the context processors read the database.
        response = HttpResponse(render_to_string("web/503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
