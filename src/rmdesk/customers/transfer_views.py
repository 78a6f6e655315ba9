"""Pages for transfer requests: the list, the request form, one request, a customer's history.

The rules live in ``customers.transfers``; these views parse, call and render.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_stubs_ext import StrOrPromise

from rmdesk.core.errors import DomainError
from rmdesk.customers import transfers
from rmdesk.customers.models import TransferRequest
from rmdesk.org.http import acting_staff
from rmdesk.org.models import Staff
from rmdesk.web.actions import run_action


def _int_param(request: HttpRequest, name: str, default: int, *, low: int, high: int) -> int:
    try:
        value = int(request.GET.get(name, default))
    except ValueError:
        return default
    return min(max(value, low), high)


@require_GET
@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    status = request.GET.get("status", "")
    if status not in TransferRequest.Status.values:
        status = ""
    offset = _int_param(request, "offset", 0, low=0, high=1_000_000)
    page = transfers.transfer_page(actor=actor, status=status or None, offset=offset, limit=25)
    return render(
        request,
        "customers/transfer_list.html",
        {
            "page": page,
            "status": status,
            "statuses": TransferRequest.Status.choices,
            "next_offset": offset + page.limit,
        },
    )


def _manager_label(staff: Staff) -> str:
    unit = staff.org_unit.name if staff.org_unit is not None else ""
    name = staff.display_name or staff.username
    label = f"{name} ({staff.username}) · {unit}" if unit else f"{name} ({staff.username})"
    if staff.is_active:
        return label
    inactive = _("no longer active")
    return f"{label} · {inactive}"


class TransferForm(forms.Form):
    """The request form. Customers are typed as numbers, one per line, each optionally
    followed by its handover note: ``C0001 prefers calls after 6 pm``."""

    from_manager = forms.TypedChoiceField(label=gettext_lazy("Handing over"), coerce=int)
    to_manager = forms.TypedChoiceField(label=gettext_lazy("New lead manager"), coerce=int)
    to_assisting_manager = forms.TypedChoiceField(
        label=gettext_lazy("New assisting manager"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=gettext_lazy("Leave empty to keep each customer's assisting manager."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=transfers.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    customers = forms.CharField(
        label=gettext_lazy("Customers"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "One customer number per line, optionally followed by a space and a handover note."
        ),
    )

    def __init__(self, *args: Any, managers: list[Staff], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everyone = [(m.pk, _manager_label(m)) for m in managers]
        active = [(m.pk, _manager_label(m)) for m in managers if m.is_active]
        self.fields["from_manager"].choices = [("", "—"), *everyone]  # type: ignore[attr-defined]
        self.fields["to_manager"].choices = [("", "—"), *active]  # type: ignore[attr-defined]
        self.fields["to_assisting_manager"].choices = [("", "—"), *active]  # type: ignore[attr-defined]

    def clean_customers(self) -> list[tuple[str, str]]:
        lines: list[tuple[str, str]] = []
        seen: set[str] = set()
        for raw in self.cleaned_data["customers"].splitlines():
            parts = raw.strip().split(maxsplit=1)
            if not parts:
                continue
            number, note = parts[0], (parts[1].strip() if len(parts) > 1 else "")
            if number in seen:
                raise forms.ValidationError(_("Customer %(no)s is listed twice.") % {"no": number})
            if len(note) > transfers.MAX_TEXT:
                raise forms.ValidationError(
                    _("The note for %(no)s is longer than %(max)d characters.")
                    % {"no": number, "max": transfers.MAX_TEXT}
                )
            seen.add(number)
            lines.append((number, note))
        if not lines:
            raise forms.ValidationError(_("Name at least one customer."))
        if len(lines) > transfers.MAX_CUSTOMERS:
            raise forms.ValidationError(
                _("At most %(max)d customers in one request.") % {"max": transfers.MAX_CUSTOMERS}
            )
        return lines


def _explain(error: DomainError) -> str:
    """The error's message, with the customer numbers it names, for a form."""
    details = error.details
    numbers: list[str] = []
    if isinstance(details, dict):
        numbers = [str(n) for n in details.get("customer_nos", [])]
    elif isinstance(details, list):
        numbers = [
            str(d["customer_no"]) for d in details if isinstance(d, dict) and "customer_no" in d
        ]
    message = str(error.message)
    return f"{message} {', '.join(numbers)}" if numbers else message


@require_http_methods(["GET", "POST"])
@login_required
def transfer_create(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    managers = transfers.transfer_manager_choices(actor=actor)
    if request.method != "POST":
        initial = {"from_manager": actor.pk} if any(m.pk == actor.pk for m in managers) else {}
        form = TransferForm(managers=managers, initial=initial)
        return render(request, "customers/transfer_form.html", {"form": form})

    form = TransferForm(request.POST, managers=managers)
    if form.is_valid():
        lines: list[tuple[str, str]] = form.cleaned_data["customers"]
        ids = transfers.transfer_customer_ids(actor=actor, customer_nos=[n for n, _n in lines])
        missing = [number for number, _n in lines if number not in ids]
        if missing:
            form.add_error(
                "customers", _("No customer of yours has these numbers: %s") % ", ".join(missing)
            )
        else:
            try:
                transfer = transfers.transfer_request_create(
                    actor=actor,
                    from_manager_id=form.cleaned_data["from_manager"],
                    to_manager_id=form.cleaned_data["to_manager"],
                    to_assisting_manager_id=form.cleaned_data["to_assisting_manager"],
                    customer_ids=[ids[number] for number, _n in lines],
                    notes={ids[number]: note for number, note in lines},
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                form.add_error(None, _explain(exc))
            except PermissionDenied:
                form.add_error(None, _("You may not hand over this manager's customers."))
            else:
                messages.success(request, _("The transfer request was sent for approval."))
                return redirect("transfers:detail", request_id=transfer.pk)
    return render(request, "customers/transfer_form.html", {"form": form}, status=400)


@require_GET
@login_required
def transfer_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    actor = acting_staff(request)
    view = transfers.transfer_detail(actor=actor, request_id=request_id)
    return render(
        request, "customers/transfer_detail.html", {"view": view, "transfer": view.request}
    )


def _decision(
    service: Callable[..., TransferRequest], done: StrOrPromise
) -> Callable[[HttpRequest, int], HttpResponse]:
    @require_POST
    @login_required
    def decide(request: HttpRequest, request_id: int) -> HttpResponse:
        note = request.POST.get("note", "")
        return run_action(
            request,
            lambda actor: service(actor=actor, request_id=request_id, note=note),
            success=str(done),
            back=(
                reverse("transfers:list")
                if request.POST.get("back") == "list"
                else reverse("transfers:detail", kwargs={"request_id": request_id})
            ),
            explain=_explain,
        )

    return decide


transfer_approve = _decision(
    transfers.transfer_request_approve, gettext_lazy("Approved: the customers have moved.")
)
transfer_reject = _decision(transfers.transfer_request_reject, gettext_lazy("Rejected."))
transfer_cancel = _decision(transfers.transfer_request_cancel, gettext_lazy("Cancelled."))


@require_GET
@login_required
def assignment_history(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = acting_staff(request)
    rows = transfers.assignment_history(actor=actor, customer_id=customer_id)
    customer = rows[0].customer if rows else None
    return render(
        request,
        "customers/transfer_history.html",
        {
            "rows": rows,
            "customer_id": customer_id,
            "customer_no": customer.customer_no if customer else "",
            "display_name": transfers.masked_customer_name(customer) if customer else "",
        },
    )
