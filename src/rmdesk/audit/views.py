from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rmdesk.audit import selectors
from rmdesk.org.http import acting_staff


@require_GET
@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    customer_id: int | None
    try:
        customer_id = int(request.GET["customer"]) if request.GET.get("customer") else None
    except ValueError:
        customer_id = None
    entries = selectors.access_log_list(actor=actor, customer_id=customer_id)
    return render(
        request,
        "audit/access_log.html",
        {"entries": list(entries[:200]), "customer_id": customer_id},
    )
