"""Pages shared by every app: sign-in, the home page, errors."""

from __future__ import annotations

import sys

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from rmdesk.core.errors import DATABASE_UNAVAILABLE, database_unavailable
from rmdesk.org.http import acting_staff
from rmdesk.web import search as global_search
from rmdesk.web.forms import SignInForm


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


def home(request: HttpRequest) -> HttpResponse:
    """The home page that runs the day: the workbench's, for the signed-in member of staff."""
    from rmdesk.workbench.views import home as workbench_home

    return workbench_home(request)


@require_http_methods(["GET", "POST"])
@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Hits of every kind for the header's search box; one kind when ``kinds`` names it.

    The pages search by POST, so a mobile or identity number never lands in a URL (the
    browser's history, a proxy's log); GET stays for links that search by a name.
    """
    actor = acting_staff(request)
    params = request.POST if request.method == "POST" else request.GET
    raw = params.get("q", "")
    errors: list[dict[str, str]] = []
    q = ""
    kinds: tuple[str, ...] = tuple(global_search.KINDS)
    try:
        q = global_search.search_text_clean(raw)
        kinds = global_search.search_kinds_clean(params.get("kinds"))
    except global_search.SearchInvalid as refused:
        errors = list(refused.details)
        q = ""
    one_kind = len(kinds) == 1
    limit = global_search.MANY if one_kind else global_search.FEW
    results = (
        global_search.search_everything(actor=actor, q=q, kinds=kinds, limit=limit) if q else []
    )
    return render(
        request,
        "web/search.html",
        {
            "q": q or raw[: global_search.MAX_LENGTH],
            "search_q": q,
            "results": results,
            "searched": bool(q),
            "errors": errors,
            "one_kind": one_kind,
            "kinds": [(code, str(label)) for code, label in global_search.KINDS.items()],
            "chosen": kinds if params.get("kinds") else (),
            "max_length": global_search.MAX_LENGTH,
        },
    )


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
        return database_unavailable(request, sys.exc_info()[1])
    return render(request, "web/500.html", status=500)


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. (Readiness, with the database, comes with production.)"""
    return HttpResponse("ok", content_type="text/plain")
