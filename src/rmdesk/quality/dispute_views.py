"""Pages of attribution: the customers whose credit one shares, disputing a split, and
the disputes with the head's resolution."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rmdesk.core.errors import DomainError
from rmdesk.customers.masking import masked_name_of
from rmdesk.customers.models import Customer
from rmdesk.org.http import acting_staff
from rmdesk.org.policy import customer_q
from rmdesk.quality import disputes

PAGE = 25


def _offset(request: HttpRequest) -> int:
    try:
        return min(max(int(request.GET.get("offset", "0")), 0), 10**9)
    except ValueError:
        return 0


def _errors(error: DomainError) -> list[str]:
    details = error.details if isinstance(error.details, list) else [error.details]
    reasons = [
        str(item.get("reason"))
        for item in details
        if isinstance(item, dict) and item.get("reason") and item.get("reason") != error.message
    ]
    return [str(error.message), *reasons]


@require_GET
@login_required
def attribution(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    offset = _offset(request)
    page = disputes.shared_customers(actor=actor, offset=offset, limit=PAGE)
    return render(
        request,
        "quality/attribution.html",
        {"page": page, "next_offset": offset + PAGE, "prev_offset": max(offset - PAGE, 0)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def dispute_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = acting_staff(request)
    if not 0 < customer_id <= disputes.MAX_ID:
        raise Http404
    customer = (
        Customer.objects.filter(customer_q(actor), pk=customer_id)
        .select_related("primary_manager", "assisting_manager")
        .first()
    )
    if customer is None:
        raise Http404
    if actor.pk not in (customer.primary_manager_id, customer.assisting_manager_id):
        raise PermissionDenied
    errors: list[str] = []
    if request.method == "POST":
        try:
            dispute = disputes.attribution_dispute_raise(
                actor=actor,
                customer_id=customer.pk,
                reason=request.POST.get("reason", ""),
                proposed_lead_share=request.POST.get("proposed_lead_share", ""),
            )
        except DomainError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("The dispute went to the head of the sub-branch."))
            return redirect("quality:dispute", dispute_id=dispute.pk)
    share, _split = disputes.customer_split(customer, timezone.localdate())
    return render(
        request,
        "quality/dispute_form.html",
        {
            "customer": customer,
            "name": masked_name_of(customer),
            "shared": customer.assisting_manager_id is not None,
            "lead_share": share,
            "errors": errors,
            "values": request.POST,
        },
        status=400 if errors else 200,
    )


@require_GET
@login_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    offset = _offset(request)
    waiting = request.GET.get("waiting") == "1"
    items, has_more = disputes.dispute_list(
        actor=actor, waiting_for_me=waiting, offset=offset, limit=PAGE
    )
    return render(
        request,
        "quality/dispute_list.html",
        {
            "items": [(dispute, masked_name_of(dispute.customer)) for dispute in items],
            "waiting": waiting,
            "has_more": has_more,
            "next_offset": offset + PAGE,
        },
    )


@require_GET
@login_required
def dispute_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    actor = acting_staff(request)
    dispute = disputes.dispute_get(actor=actor, dispute_id=dispute_id)
    return render(
        request,
        "quality/dispute_detail.html",
        {
            "dispute": dispute,
            "name": masked_name_of(dispute.customer),
            "can_resolve": disputes.can_resolve(actor, dispute),
            "errors": [],
        },
    )


@require_POST
@login_required
def dispute_resolve(request: HttpRequest, dispute_id: int) -> HttpResponse:
    actor = acting_staff(request)
    dispute = disputes.dispute_get(actor=actor, dispute_id=dispute_id)  # out of scope: 404
    try:
        disputes.attribution_dispute_resolve(
            actor=actor,
            dispute_id=dispute.pk,
            outcome=request.POST.get("outcome", ""),
            lead_share=request.POST.get("lead_share", ""),
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        return render(
            request,
            "quality/dispute_detail.html",
            {
                "dispute": dispute,
                "name": masked_name_of(dispute.customer),
                "can_resolve": disputes.can_resolve(actor, dispute),
                "errors": _errors(exc),
            },
            status=400,
        )
    messages.success(request, _("The dispute is settled; both managers were told."))
    return redirect("quality:dispute", dispute_id=dispute.pk)


@require_GET
@login_required
def dispute_for_work_order(request: HttpRequest, work_order_id: int) -> HttpResponse:
    actor = acting_staff(request)
    if not 0 < work_order_id <= disputes.MAX_ID:
        raise Http404
    dispute = disputes.disputes_visible_to(actor).filter(work_order_id=work_order_id).first()
    if dispute is None:
        raise Http404
    return redirect("quality:dispute", dispute_id=dispute.pk)
