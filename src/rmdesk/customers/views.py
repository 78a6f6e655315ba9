from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rmdesk.customers import selectors, services
from rmdesk.org.http import acting_staff


def _int_param(request: HttpRequest, name: str, default: int, *, low: int, high: int) -> int:
    try:
        value = int(request.GET.get(name, default))
    except ValueError:
        return default
    return min(max(value, low), high)


@require_GET
@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    q = request.GET.get("q", "")[:100]
    offset = _int_param(request, "offset", 0, low=0, high=1_000_000)
    page = selectors.customer_list(actor=actor, q=q, offset=offset, limit=settings.RMDESK_PAGE_SIZE)
    rows = [
        (customer, selectors.customer_display_name(actor=actor, customer=customer))
        for customer in page.items
    ]
    context = {"page": page, "rows": rows, "q": q, "next_offset": offset + page.limit}
    template = (
        "customers/_customer_rows.html"
        if getattr(request, "htmx", False) and request.GET.get("fragment") == "rows"
        else "customers/customer_list.html"
    )
    return render(request, template, context)


@require_GET
@login_required
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = acting_staff(request)
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    services.customer_viewed(actor=actor, customer=customer, channel="web", request=request)
    return render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            "display_name": selectors.customer_display_name(actor=actor, customer=customer),
        },
    )
