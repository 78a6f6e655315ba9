"""Overload protection: bounded admission per process, and a deadline on every statement.

Under more load than the machine can answer, requests would otherwise queue in front of
busy threads until gunicorn kills them at its timeout. Two bounds keep every answer
fast instead:

- ``AdmissionMiddleware`` counts the requests a process is working on; past
  ``WEB_MAX_IN_FLIGHT`` a new one is refused at once with 503 and Retry-After, before
  it touches the session or the database. gunicorn runs one thread more than the
  limit, so a process always has a thread free to refuse.
- ``statement_timeout_apply`` gives the web processes' PostgreSQL sessions a
  ``statement_timeout`` below gunicorn's timeout; a statement past it is cancelled,
  and the request is answered 503 with Retry-After (``errors.database_unavailable``),
  never a 500 or a killed worker. Only the web application (``rmdesk.wsgi``) sets it:
  migrations, imports and nightly jobs in other processes are not cut short.

The health probes and the metrics scrape are answered above this middleware
(``observability.PROBES``) and static files by whitenoise, so none of them is shed.

A shed request is expected behaviour under overload, not a fault: it is counted in the
metrics under the route ``shed`` (``SHED_ROUTE``) and logged once, at WARNING, by this
module — not at ERROR by ``django.request`` as other 5xx answers are, so it pages no
one. Every other 5xx is still logged at ERROR.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# The metrics' route label of a request refused here (it never reached the URL resolver).
SHED_ROUTE = "shed"
# Set in the WSGI environ of a request refused here (an extension variable, as WSGI names them).
SHED_MARK = "rmdesk.shed"


def overloaded(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON in the API's error shape, a plain page elsewhere."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "code": "overloaded",
                "message": _("The server is busy. Please try again in a moment."),
                "details": None,
            },
            status=503,
        )
    else:
        # A plain page: rendering the site's layout would read the session and database.
        response = HttpResponse(render_to_string("web/503_busy.html"), status=503)
    response["Retry-After"] = str(settings.WEB_OVERLOAD_RETRY_AFTER)
    return response


class InFlight:
    """The requests this process is working on, and how many it has refused."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.shed = 0

    def enter(self, limit: int) -> bool:
        with self.lock:
            if self.count >= limit:
                self.shed += 1
                return False
            self.count += 1
            return True

    def leave(self) -> None:
        with self.lock:
            self.count -= 1


IN_FLIGHT = InFlight()  # one per process: gunicorn's workers are processes


class AdmissionMiddleware:
    """Refuses a request at once when the process already works on its limit of them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = int(settings.WEB_MAX_IN_FLIGHT)
        if limit <= 0:
            return self.get_response(request)
        if not IN_FLIGHT.enter(limit):
            logger.warning(
                "Overloaded: refused %s %s (%s requests in flight)",
                request.method,
                request.path,
                limit,
                extra={"in_flight": limit},
            )
            request.META[SHED_MARK] = True
            response = overloaded(request)
            # Logged above at WARNING: Django's handler skips a response marked as logged,
            # where it would log any other 5xx at ERROR.
            response._has_been_logged = True  # type: ignore[attr-defined]
            return response
        try:
            return self.get_response(request)
        finally:
            IN_FLIGHT.leave()


def statement_timeout_apply(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created``: a new PostgreSQL session gets the web statement timeout."""
    milliseconds = int(settings.WEB_STATEMENT_TIMEOUT_MS)
    if connection.vendor != "postgresql" or milliseconds <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{milliseconds}ms"])
