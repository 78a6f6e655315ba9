from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rmdesk.core.errors import DomainError
from rmdesk.customers.masking import masked_name_of
from rmdesk.customers.selectors import customer_get, customer_visible_to
from rmdesk.marketing import presenters, selectors, services
from rmdesk.marketing.forms import (
    AssessmentForm,
    CampaignForm,
    CheckForm,
    EvidenceForm,
    ProductFilterForm,
    ProductForm,
    RequirementForm,
    SaleForm,
)
from rmdesk.marketing.models import Product
from rmdesk.marketing.permissions import can_manage_products, can_run_campaigns, can_sell
from rmdesk.org.http import acting_staff
from rmdesk.org.models import Staff
from rmdesk.web.actions import refusal_message, refusal_on_form, run_action

CUSTOMER_CHOICES_MAX = 300


def _form_field(name: str) -> str:
    """The sale form's name for a field the services name (``recording.zone``…)."""
    name = name.replace("recording.", "recording_")
    return {
        "second_checker_id": "second_checker",
        "recording_reviewer_id": "recording_reviewer",
    }.get(name, name)


# --- the shelf -------------------------------------------------------------------------


@require_GET
@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    form = ProductFilterForm(request.GET or None)
    filters: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    products = selectors.product_list(
        actor=actor,
        type=filters.get("type") or "",
        risk_level=filters.get("risk_level"),
        status=filters.get("status") or "",
        tier=filters.get("tier") or "",
        q=filters.get("q") or "",
    )[:200]
    return render(
        request,
        "marketing/product_list.html",
        {
            "form": form,
            "products": [presenters.product_out(p) for p in products],
            "can_manage": can_manage_products(actor),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def product_edit(request: HttpRequest, product_id: int | None = None) -> HttpResponse:
    actor = acting_staff(request)
    if not can_manage_products(actor):
        raise PermissionDenied
    instance = selectors.product_get(actor=actor, product_id=product_id) if product_id else None
    form = ProductForm(request.POST or None, instance=instance)
    if instance is not None:
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data.get(name) for name in form.Meta.fields}
        try:
            if instance is None:
                product = services.product_create(actor=actor, data=data)
            else:
                product = services.product_update(actor=actor, product_id=instance.pk, data=data)
        except DomainError as exc:
            refusal_on_form(form, exc, field_of=_form_field)
        else:
            messages.success(request, _("Product saved."))
            return redirect("marketing:product_detail", product_id=product.pk)
    return render(request, "marketing/product_form.html", {"form": form, "product": instance})


@require_GET
@login_required
def product_detail(request: HttpRequest, product_id: int) -> HttpResponse:
    actor = acting_staff(request)
    product = selectors.product_get(actor=actor, product_id=product_id)
    return render(
        request,
        "marketing/product_detail.html",
        {"p": presenters.product_out(product), "can_manage": can_manage_products(actor)},
    )


# --- check and sale --------------------------------------------------------------------


def _choices(
    actor: Staff, customer_id: int | None
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    visible = customer_visible_to(actor).order_by("display_name", "id")
    rows = list(visible[:CUSTOMER_CHOICES_MAX])
    if customer_id and all(c.pk != customer_id for c in rows):
        rows += list(visible.filter(pk=customer_id))
    customers = [(c.pk, f"{c.customer_no} {masked_name_of(c)}") for c in rows]
    products = [
        (p.pk, f"{p.code} {p.name} (R{p.risk_level})")
        for p in Product.objects.filter(status=Product.Status.ON_SALE).order_by("code")
    ]
    return customers, products


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_GET
@login_required
def check(request: HttpRequest) -> HttpResponse:
    """The check page: pick a customer, a product and an amount; see the decision and,
    where the sale is allowed, the form to record it with what it requires."""
    actor = acting_staff(request)
    customers, products = _choices(actor, _int(request.GET.get("customer")))
    form = CheckForm(
        request.GET if "amount" in request.GET else None,
        customers=customers,
        products=products,
        initial={"customer": request.GET.get("customer"), "product": request.GET.get("product")},
    )
    decision = None
    sale_form = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        decision = services.suitability_evaluate(
            actor=actor,
            customer_id=data["customer"],
            product_id=data["product"],
            amount=data["amount"],
            channel=data["channel"],
        )
        if decision.allowed or decision.overridable:
            sale_form = SaleForm(customers=customers, products=products, initial=data)
    return render(
        request,
        "marketing/check.html",
        {
            "form": form,
            "decision": decision,
            "sale_form": sale_form,
            "needs": decision.requirement_codes if decision else frozenset(),
            "can_sell": can_sell(actor),
        },
    )


@require_POST
@login_required
def sale_create(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    customers, products = _choices(actor, _int(request.POST.get("customer")))
    form = SaleForm(request.POST, customers=customers, products=products)
    decision = None
    if form.is_valid():
        data = form.cleaned_data
        recording = None
        if data["recording_file_name"] or data["recording_sha256"]:
            recording = services.RecordingIn(
                file_name=data["recording_file_name"],
                sha256=data["recording_sha256"].strip().lower(),
                zone=data["recording_zone"],
                consent=data["recording_consent"],
                reviewer_id=data["recording_reviewer"] or 0,
            )
        try:
            sale = services.sale_record(
                actor=actor,
                customer_id=data["customer"],
                product_id=data["product"],
                amount=data["amount"],
                channel=data["channel"],
                recording=recording,
                risk_warning_signed=data["risk_warning_signed"],
                second_checker_id=data["second_checker"],
                witness_name=data["witness_name"],
                disclosure_sha256=data["disclosure_sha256"].strip().lower(),
            )
        except services.SaleBlocked as exc:
            form.add_error(None, str(exc.message))
        except DomainError as exc:
            refusal_on_form(form, exc, field_of=_form_field)
        else:
            messages.success(request, _("Sale recorded."))
            return redirect("marketing:customer", customer_id=sale.customer_id)
        decision = services.suitability_evaluate(
            actor=actor,
            customer_id=data["customer"],
            product_id=data["product"],
            amount=data["amount"],
            channel=data["channel"],
        )
    check_form = CheckForm(request.POST, customers=customers, products=products)
    check_form.is_valid()
    return render(
        request,
        "marketing/check.html",
        {
            "form": check_form,
            "decision": decision,
            "sale_form": form,
            "needs": decision.requirement_codes if decision else frozenset(),
            "can_sell": can_sell(actor),
        },
        status=422,
    )


@require_POST
@login_required
def sale_cancel(request: HttpRequest, sale_id: int) -> HttpResponse:
    sale = selectors.sale_get(actor=acting_staff(request), sale_id=sale_id)
    return run_action(
        request,
        lambda actor: services.sale_cancel(actor=actor, sale_id=sale.pk),
        success=_("Sale cancelled; the customer is refunded in full."),
        back=_customer_page(sale.customer_id),
    )


@require_GET
@login_required
def sale_list(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    sales = selectors.sale_list(actor=actor, limit=100)
    return render(
        request, "marketing/sale_list.html", {"sales": [presenters.sale_out(s) for s in sales]}
    )


# --- the customer's page ---------------------------------------------------------------


@require_GET
@login_required
def customer(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = acting_staff(request)
    view = selectors.customer_marketing(actor=actor, customer_id=customer_id)
    return render(
        request,
        "marketing/customer.html",
        {
            "customer": view.customer,
            "customer_name": masked_name_of(view.customer),
            "assessment": view.assessment,
            "sales": [presenters.sale_out(s) for s in view.sales],
            "recommendations": [presenters.recommendation_out(r) for r in view.recommendations],
            "evidence": view.evidence,
            "evidence_form": EvidenceForm(),
            "requirement_form": RequirementForm(),
            "can_sell": can_sell(actor),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def assess(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = acting_staff(request)
    view_customer = selectors.customer_marketing(actor=actor, customer_id=customer_id).customer
    if not can_sell(actor):
        raise PermissionDenied
    try:
        questionnaire = services.questionnaire_active()
    except DomainError as exc:
        # The bank has switched every questionnaire off: say so where the form would be.
        messages.error(request, str(exc.message))
        return redirect("marketing:customer", customer_id=view_customer.pk)
    form = AssessmentForm(
        request.POST or None, questionnaire=questionnaire, language=get_language() or "en"
    )
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_record(
                actor=actor,
                customer_id=view_customer.pk,
                answers=form.answers(),
                channel=form.cleaned_data["channel"],
                customer_confirmed=form.cleaned_data["customer_confirmed"],
            )
        except DomainError as exc:
            refusal_on_form(form, exc, field_of=_form_field)
        else:
            messages.success(
                request,
                _("Assessed C%(level)d, valid until %(day)s.")
                % {"level": assessment.risk_level, "day": assessment.expires_on},
            )
            return redirect("marketing:customer", customer_id=view_customer.pk)
    return render(
        request,
        "marketing/assess.html",
        {
            "form": form,
            "customer": view_customer,
            "customer_name": masked_name_of(view_customer),
            "questionnaire": questionnaire,
        },
    )


def _reasons(error: DomainError) -> str:
    """The per-field reasons of a refusal in one line, or its message when it has none."""
    details = error.details if isinstance(error.details, list) else []
    return " ".join(str(d.get("reason")) for d in details) or str(error.message)


def _customer_page(customer_id: int) -> str:
    return reverse("marketing:customer", kwargs={"customer_id": customer_id})


def _record_for_customer(
    request: HttpRequest,
    customer_id: int,
    form: BaseForm,
    record: Callable[..., object],
    *,
    incomplete: str,
    success: str,
    explain: Callable[[DomainError], str] = refusal_message,
) -> HttpResponse:
    """A form posted from the customer's page: out of scope is a 404 before the form is
    read; an incomplete form says ``incomplete``; else ``record`` takes the form's fields.
    Back to the customer's page either way."""
    customer_get(actor=acting_staff(request), customer_id=customer_id)
    if not form.is_valid():
        messages.error(request, incomplete)
        return redirect(_customer_page(customer_id))
    return run_action(
        request,
        lambda actor: record(actor=actor, customer_id=customer_id, **form.cleaned_data),
        success=success,
        back=_customer_page(customer_id),
        explain=explain,
    )


@require_POST
@login_required
def evidence_add(request: HttpRequest, customer_id: int) -> HttpResponse:
    return _record_for_customer(
        request,
        customer_id,
        EvidenceForm(request.POST),
        services.evidence_record,
        incomplete=_("Complete every field of the evidence."),
        success=_("Evidence recorded."),
        explain=_reasons,
    )


@require_POST
@login_required
def requirement_add(request: HttpRequest, customer_id: int) -> HttpResponse:
    return _record_for_customer(
        request,
        customer_id,
        RequirementForm(request.POST),
        services.requirement_record,
        incomplete=_("Give a topic and describe the need."),
        success=_("Requirement sent to the product department."),
    )


# --- campaigns, plans, requirements ----------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    products = [(p.pk, f"{p.code} {p.name}") for p in Product.objects.order_by("code")[:500]]
    form = (
        CampaignForm(request.POST or None, products=products) if can_run_campaigns(actor) else None
    )
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                campaign = services.campaign_create(
                    actor=actor,
                    name=data["name"],
                    rules=form.rules(),
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    product_id=data["product"],
                    talking_points=data["talking_points"],
                )
            except DomainError as exc:
                refusal_on_form(form, exc, field_of=_form_field)
            else:
                return redirect("marketing:campaign", campaign_id=campaign.pk)
    return render(
        request,
        "marketing/campaign_list.html",
        {"campaigns": list(selectors.campaign_list(actor=actor)[:200]), "form": form},
    )


@require_GET
@login_required
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    actor = acting_staff(request)
    campaign = selectors.campaign_get(actor=actor, campaign_id=campaign_id)
    entries = selectors.campaign_entries(actor=actor, campaign=campaign)
    return render(
        request,
        "marketing/campaign_detail.html",
        {
            "campaign": campaign,
            "funnel": selectors.campaign_funnel(campaign=campaign),
            "entries": [(e, masked_name_of(e.customer)) for e in entries],
            "can_launch": can_run_campaigns(actor) and campaign.status == "draft",
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Change a draft campaign's segment, product, dates and talking points."""
    actor = acting_staff(request)
    campaign = selectors.campaign_get(actor=actor, campaign_id=campaign_id)
    if not can_run_campaigns(actor):
        raise PermissionDenied
    if campaign.status != campaign.Status.DRAFT:
        messages.error(
            request, _("A launched campaign's targets are frozen; it can no longer be changed.")
        )
        return redirect("marketing:campaign", campaign_id=campaign.pk)
    products = [(p.pk, f"{p.code} {p.name}") for p in Product.objects.order_by("code")[:500]]
    form = CampaignForm(
        request.POST or None, products=products, initial=CampaignForm.initial_of(campaign)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.campaign_update(
                actor=actor,
                campaign_id=campaign.pk,
                name=data["name"],
                rules=form.rules(),
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                product_id=data["product"],
                talking_points=data["talking_points"],
                materials=campaign.materials,
            )
        except DomainError as exc:
            refusal_on_form(form, exc, field_of=_form_field)
        else:
            messages.success(request, _("The campaign was changed."))
            return redirect("marketing:campaign", campaign_id=campaign.pk)
    return render(
        request,
        "marketing/campaign_edit.html",
        {"campaign": campaign, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@login_required
def campaign_launch(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return run_action(
        request,
        lambda actor: services.campaign_launch(actor=actor, campaign_id=campaign_id),
        back=reverse("marketing:campaign", kwargs={"campaign_id": campaign_id}),
    )


@require_POST
@login_required
def campaign_touch(request: HttpRequest, entry_id: int) -> HttpResponse:
    return run_action(
        request,
        lambda actor: services.campaign_touch(actor=actor, entry_id=entry_id),
        back=lambda entry: reverse("marketing:campaign", kwargs={"campaign_id": entry.campaign_id}),
        back_when_refused="marketing:campaigns",
    )


@require_GET
@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    rows = [(t, selectors.plan_progress(target=t)) for t in selectors.plan_list(actor=actor)]
    return render(request, "marketing/plan_list.html", {"rows": rows})


@require_GET
@login_required
def requirement_list(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    return render(
        request,
        "marketing/requirement_list.html",
        {
            "requirements": list(selectors.requirement_list(actor=actor)[:200]),
            "groups": selectors.requirement_groups() if can_manage_products(actor) else [],
            "can_answer": can_manage_products(actor),
        },
    )


@require_POST
@login_required
def requirement_answer(request: HttpRequest, requirement_id: int) -> HttpResponse:
    return run_action(
        request,
        lambda actor: services.requirement_answer(
            actor=actor, requirement_id=requirement_id, answer=request.POST.get("answer", "")[:5000]
        ),
        back="marketing:requirements",
    )
