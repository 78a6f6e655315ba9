"""Pages shared by every app: sign-in, the home page, errors."""

from __future__ import annotations

import sys

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from rmdesk.core.errors import DATABASE_UNAVAILABLE, database_unavailable
from rmdesk.web.forms import SignInForm


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("customers:list")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        from django.http import JsonResponse
        from django.utils.translation import gettext as _

        return JsonResponse(
            {"code": "not_found", "message": _("Not found."), "details": None}, status=404
        )
    return render(request, "web/404.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    return render(request, "web/500.html", status=500)


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. (Readiness, with the database, comes with production.)"""
    return HttpResponse("ok", content_type="text/plain")
