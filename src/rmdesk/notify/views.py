from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from rmdesk.notify import selectors, services
from rmdesk.org.http import acting_staff


@require_GET
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    entries = list(selectors.notification_list(actor=actor)[:100])
    return render(request, "notify/list.html", {"entries": entries})


@require_POST
@login_required
def notification_mark_read(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    ids: list[int] | None = None
    if request.POST.get("id"):
        try:
            ids = [int(request.POST["id"])]
        except ValueError:
            ids = []
    services.notifications_mark_read(actor=actor, ids=ids)
    return redirect("notify:list")
