"""One middleware for every request: a request id, metrics, and one structured log line."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse

from rmdesk.core import admission, health, metrics
from rmdesk.core.http import request_id
from rmdesk.core.logging import REQUEST_ID

logger = logging.getLogger("rmdesk.request")

_GROUP = re.compile(r"\(\?P<(\w+)>([^()]*)\)")
_LITERALS = re.compile(r"[\w-]+(\|[\w-]+)*")


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def route_of(request: HttpRequest) -> str:
    """The URL pattern that answered (bounded cardinality), not the path."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        route = str(match.route).lstrip("^").rstrip("$")
        if "(?P<" in route:
            # A regex route: a group of literal alternatives (a bounded set, e.g. the
            # probes) shows its value; any other group shows its name.
            def group(found: re.Match[str]) -> str:
                name, choices = found.group(1), found.group(2)
                if _LITERALS.fullmatch(choices):
                    return str(match.kwargs.get(name, f"<{name}>"))
                return f"<{name}>"

            route = _GROUP.sub(group, route)
        return "/" + route
    if request.META.get(admission.SHED_MARK):
        return admission.SHED_ROUTE  # refused before the URL resolver ran
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return "unmatched"


def user_id_of(request: HttpRequest) -> int | None:
    """Who made the request, without loading the user just to log it."""
    auth = getattr(request, "auth", None)
    if auth is not None and getattr(auth, "pk", None) is not None:
        return int(auth.pk)
    user = getattr(request, "_cached_user", None)
    if user is not None and user.is_authenticated:
        return int(user.pk)
    return None


# Load balancers' probes and the metrics scrape are answered here, before host
# validation and the HTTPS redirect: they come by plain HTTP to the machine's
# address, not the public name. (/metrics still needs its bearer token.)
PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": health.healthz,
    "/readyz": health.readyz,
    "/metrics": health.metrics,
}


class RequestObservabilityMiddleware:
    """Request id, metrics and one log line per request; answers the health probes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id(request)
        token = REQUEST_ID.set(rid)
        counter = _QueryCounter()
        started = time.perf_counter()
        try:
            probe = PROBES.get(request.path_info)
            with connection.execute_wrapper(counter):
                response = probe(request) if probe else self.get_response(request)
            duration = time.perf_counter() - started
            route = request.path_info if probe else route_of(request)
            method = request.method or "GET"
            metrics.REQUESTS.labels(route, method, str(response.status_code)).inc()
            metrics.LATENCY.labels(route, method).observe(duration)
            metrics.QUERIES.labels(route).observe(counter.count)
            response.headers.setdefault("X-Request-ID", rid)
            if route != "static":
                logger.info(
                    "%s %s %s",
                    method,
                    route,
                    response.status_code,
                    extra={
                        "method": method,
                        "route": route,
                        "status": response.status_code,
                        "duration_ms": round(duration * 1000, 2),
                        "db_queries": counter.count,
                        "user_id": user_id_of(request),
                    },
                )
            return response
        finally:
            REQUEST_ID.reset(token)
