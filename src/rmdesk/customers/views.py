from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rmdesk.core.errors import DomainError
from rmdesk.customers import export, presenters, selectors, services
from rmdesk.customers.forms import EditCustomerForm, NewCustomerForm, RevealForm
from rmdesk.customers.masking import PERSONAL_FIELDS
from rmdesk.org.http import acting_staff
from rmdesk.org.policy import can_modify_customers
from rmdesk.web.actions import refusal_on_form, run_action


def _params(request: HttpRequest) -> QueryDict:
    """A search's parameters: in the body when the page posts them (a mobile or identity
    number must not land in a URL), in the query string for links."""
    return request.POST if request.method == "POST" else request.GET


def _int_param(request: HttpRequest, name: str, default: int, *, low: int, high: int) -> int:
    try:
        value = int(_params(request).get(name, default))
    except ValueError:
        return default
    return min(max(value, low), high)


@require_http_methods(["GET", "POST"])
@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    q = _params(request).get("q", "")[:100]
    offset = _int_param(request, "offset", 0, low=0, high=1_000_000)
    page = selectors.customer_list(actor=actor, q=q, offset=offset, limit=settings.RMDESK_PAGE_SIZE)
    context = {
        "page": page,
        "rows": [presenters.customer_summary(customer) for customer in page.items],
        "q": q,
        "next_offset": offset + page.limit,
        "can_create": can_modify_customers(actor),
        "can_export": export.can_export_customers(actor),
    }
    template = (
        "customers/_customer_rows.html"
        if getattr(request, "htmx", False) and _params(request).get("fragment") == "rows"
        else "customers/customer_list.html"
    )
    return render(request, template, context)


@require_GET
@login_required
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = acting_staff(request)
    view = selectors.customer_360(actor=actor, customer_id=customer_id)
    services.customer_viewed(actor=actor, customer=view.customer, channel="web", request=request)
    return render(
        request,
        "customers/customer_detail.html",
        {
            "c": presenters.customer_360_out(view),
            "customer": view.customer,
            "reveal_form": RevealForm(
                initial={"show": sorted(set(PERSONAL_FIELDS) - view.revealed)}
            ),
            "can_edit": can_modify_customers(actor),
        },
    )


@require_POST
@login_required
def customer_reveal(request: HttpRequest, customer_id: int) -> HttpResponse:
    selectors.customer_get(actor=acting_staff(request), customer_id=customer_id)  # 404 first
    back = reverse("customers:detail", kwargs={"customer_id": customer_id})
    form = RevealForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what to show and say why."))
        return redirect(back)
    minutes = settings.RMDESK_REVEAL_SECONDS // 60
    return run_action(
        request,
        lambda actor: services.customer_reveal(
            actor=actor,
            customer_id=customer_id,
            fields=form.cleaned_data["show"],
            reason=form.cleaned_data["reason"],
            request=request,
            channel="web",
        ),
        success=_("Shown in full for %(minutes)d minutes.") % {"minutes": minutes},
        back=back,
    )


@require_http_methods(["GET", "POST"])
@login_required
def customer_new(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    if not can_modify_customers(actor):
        raise PermissionDenied
    form = NewCustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            customer = services.customer_register(actor=actor, kind=kind, data=form.data_for(kind))
        except DomainError as exc:
            refusal_on_form(form, exc)
        else:
            messages.success(request, _("Customer %(no)s recorded.") % {"no": customer.customer_no})
            return redirect("customers:detail", customer_id=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None})


@require_http_methods(["GET", "POST"])
@login_required
def customer_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = acting_staff(request)
    view = selectors.customer_360(actor=actor, customer_id=customer_id)
    if not can_modify_customers(actor):
        raise PermissionDenied
    customer = view.customer
    # The form starts from what the viewer may see: masked fields stay masked and are
    # only sent back if the user typed a new value over the mask.
    seen = presenters.customer_360_out(view)
    initial = {
        "display_name": seen["display_name"],
        "id_type": customer.id_type,
        "id_number": seen["identity"]["id_number"],
        "mobile": seen["contact"]["mobile"],
        "email": seen["contact"]["email"],
        "province": customer.province,
        "city": customer.city,
        "district": customer.district,
        "address": seen["contact"]["address"],
        "nationality": customer.nationality,
        "marital_status": customer.marital_status,
        "occupation": customer.occupation,
        "employer": customer.employer,
        "industry": customer.industry,
        "size": customer.size,
        "registered_capital": customer.registered_capital,
        "legal_representative": customer.legal_representative,
        "marketing_consent": customer.marketing_consent,
        "do_not_contact": customer.do_not_contact,
        "version": customer.version,
    }
    form = EditCustomerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {
            name: value
            for name, value in form.data_for(customer.kind).items()
            if value != initial.get(name)
        }
        try:
            services.customer_update(
                actor=actor,
                customer_id=customer.pk,
                version=form.cleaned_data["version"],
                data=data,
            )
        except DomainError as exc:
            refusal_on_form(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:detail", customer_id=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


@require_http_methods(["GET", "POST"])
@login_required
def customer_export(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    params = _params(request)
    fmt = params.get("format", "csv")
    if fmt not in {"csv", "xlsx"}:
        fmt = "csv"
    try:
        exported = export.customer_export(
            actor=actor, q=params.get("q", "")[:100], fmt=fmt, request=request
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("customers:list")
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response
