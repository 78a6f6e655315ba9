"""Probes for load balancers and orchestrators, and the metrics scrape.

- ``/healthz``: the process answers (no database); for liveness.
- ``/readyz``: the database answers, every migration is applied, the queue is not
  stuck; for readiness. Both are anonymous and say nothing beyond ok/failing.
- ``/metrics``: Prometheus text, for a bearer token (``RMDESK_METRICS_TOKEN``), or
  from the machine itself when ``RMDESK_METRICS_LOOPBACK`` is on and no proxy
  forwarded the request.
"""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from rmdesk.core.metrics import exposition

logger = logging.getLogger(__name__)

_migrations_applied = False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _migrations_ok() -> bool:
    """Once every migration is seen applied, this process does not look again."""
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        _migrations_applied = not plan
    return _migrations_applied


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError:
        logger.warning("readiness: database unreachable", exc_info=True)
        checks["database"] = "failing"
    if checks["database"] == "ok":
        try:
            checks["migrations"] = "ok" if _migrations_ok() else "pending"
        except DatabaseError:
            checks["migrations"] = "failing"
        try:
            from rmdesk.tasks.selectors import queue_health

            limit = float(getattr(settings, "RMDESK_READY_QUEUE_MAX_SECONDS", 900))
            waited = queue_health()["oldest_due_seconds"]
            checks["queue"] = "ok" if limit <= 0 or waited <= limit else "stuck"
        except DatabaseError:
            checks["queue"] = "failing"
    ready = bool(checks) and all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "failing", "checks": checks}, status=200 if ready else 503
    )


def _metrics_allowed(request: HttpRequest) -> tuple[bool, int]:
    token = str(getattr(settings, "RMDESK_METRICS_TOKEN", "") or "")
    header = str(request.META.get("HTTP_AUTHORIZATION", ""))
    if token:
        scheme, _sep, given = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
            return True, 200
    if getattr(settings, "RMDESK_METRICS_LOOPBACK", False):
        remote = str(request.META.get("REMOTE_ADDR", ""))
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR") or request.META.get("HTTP_FORWARDED")
        if remote in {"127.0.0.1", "::1"} and not forwarded:
            return True, 200
    return False, 401 if not header else 403


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    allowed, status = _metrics_allowed(request)
    if not allowed:
        response = JsonResponse(
            {"code": "not_authenticated", "message": "Send the metrics bearer token."},
            status=status,
        )
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
