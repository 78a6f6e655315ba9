"""The JSON API at /api/v1/: one NinjaAPI, the apps' routers, uniform JSON errors."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from rmdesk.api.api import router as auth_router
from rmdesk.api.auth import API_AUTH
from rmdesk.audit.api import router as audit_router
from rmdesk.contact.api import router as contact_router
from rmdesk.coordination.api import router as coordination_router
from rmdesk.core.errors import DomainError, database_unavailable
from rmdesk.customers.api import router as customers_router
from rmdesk.customers.transfers_api import router as transfers_router
from rmdesk.development.api import router as development_router
from rmdesk.ingest.api import router as ingest_router
from rmdesk.marketing.api import router as marketing_router
from rmdesk.notify.api import router as notify_router
from rmdesk.org.api import router as org_router
from rmdesk.quality.api import router as quality_router
from rmdesk.tasks.api import router as jobs_router
from rmdesk.web.api import router as search_router
from rmdesk.workbench.api import router as home_router

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="rmdesk API",
    version="1",
    description=(
        "The account manager's workbench. Authenticate with a bearer token from "
        "`POST /api/v1/auth/tokens`, or with the web session (send `X-CSRFToken` on writes). "
        'Errors are JSON: `{"code": …, "message": …, "details": …}`.'
    ),
    urls_namespace="api",
    auth=API_AUTH,
    # The API description and its documentation page are for signed-in staff.
    docs_decorator=login_required,
)


def error(
    request: HttpRequest, status: int, code: str, message: str, details: object = None
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "details": details}, status=status
    )


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [
        {
            "field": ".".join(str(part) for part in item.get("loc", ())),
            "reason": item.get("msg", ""),
        }
        for item in exc.errors
    ]
    return error(request, 422, "validation_error", _("Some fields are not valid."), details)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(request, 401, "not_authenticated", _("Sign in or send a valid bearer token."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "not_found", _("Not found."))


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error(request, 403, "permission_denied", _("You may not do this."))


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error(request, exc.status, exc.code, str(exc.message), exc.details)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {403: "permission_denied", 405: "method_not_allowed", 429: "too_many_requests"}
    return error(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("Database unavailable in %s %s: %s", request.method, request.path, exc)
    return database_unavailable(request, exc)


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled error in %s %s", request.method, request.path)
    return error(request, 500, "server_error", _("Something went wrong on our side."))


api.add_router("/auth", auth_router)
api.add_router("/", org_router)
api.add_router("/customers", customers_router)
api.add_router("/transfers", transfers_router)
api.add_router("/audit", audit_router)
api.add_router("/imports", ingest_router)
# The duty apps mount their own paths (/interactions, /prospects, /products, /work-orders…).
api.add_router("/", contact_router)
api.add_router("/", development_router)
api.add_router("/", marketing_router)
api.add_router("/", coordination_router)
api.add_router("/notifications", notify_router)
api.add_router("/", quality_router)
# The task queue, for administrators (/api/v1/jobs).
api.add_router("/", jobs_router)
api.add_router("/", home_router)
api.add_router("/", search_router)
