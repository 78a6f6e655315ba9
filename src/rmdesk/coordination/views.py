"""Pages: my work, the department queue, a work order with its timeline and actions, the
raise form (the type's own fields through htmx), working groups, pools, the dashboard."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rmdesk.coordination import access, escalation, groups, pools, selectors, services
from rmdesk.coordination.models import OPEN_STATUSES, Step, WorkOrder, WorkOrderType
from rmdesk.core.charts import share_chart, stacked_bars
from rmdesk.core.errors import DomainError
from rmdesk.customers.models import Customer
from rmdesk.org.http import acting_staff
from rmdesk.org.models import Staff
from rmdesk.org.policy import customer_q
from rmdesk.web.actions import run_action

TABS = (
    ("mine", gettext_lazy("My work")),
    ("queue", gettext_lazy("Department queue")),
    ("approvals", gettext_lazy("Awaiting my approval")),
    ("all", gettext_lazy("Everything I can see")),
)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _detail(work_order_id: int) -> str:
    return reverse("coordination:detail", kwargs={"work_order_id": work_order_id})


def _errors(error: DomainError) -> list[str]:
    details = error.details if isinstance(error.details, list) else [error.details]
    reasons = [
        f"{item.get('field')}: {item.get('reason')}"
        for item in details
        if isinstance(item, dict) and item.get("reason")
    ]
    return [str(error.message), *reasons]


@require_GET
@login_required
def work_order_list(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    view = request.GET.get("view", "mine")
    if view not in selectors.VIEWS:
        view = "mine"
    offset = max(_int(request.GET.get("offset")) or 0, 0)
    page = selectors.work_order_list(
        actor=actor, view=view, open_only=request.GET.get("open") == "1", offset=offset, limit=25
    )
    return render(
        request,
        "coordination/work_order_list.html",
        {
            "page": page,
            "view": view,
            "tabs": [
                (key, label)
                for key, label in TABS
                if key != "queue" or actor.department_id or actor.role_codes & access.HEAD_ROLES
            ],
            "next_offset": offset + page.limit,
            "open_only": request.GET.get("open") == "1",
        },
    )


def _type_fields(work_order_type: WorkOrderType | None, values: dict[str, Any]) -> list[Any]:
    if work_order_type is None:
        return []
    return [
        {**item, "value": values.get(item["name"], ""), "input": f"f_{item['name']}"}
        for item in work_order_type.fields
    ]


@require_GET
@login_required
def work_order_type_fields(request: HttpRequest) -> HttpResponse:
    """The htmx fragment with the chosen type's own fields."""
    acting_staff(request)
    work_order_type = WorkOrderType.objects.filter(
        code=request.GET.get("type", ""), is_active=True
    ).first()
    return render(
        request,
        "coordination/_type_fields.html",
        {"type": work_order_type, "type_fields": _type_fields(work_order_type, {})},
    )


@require_http_methods(["GET", "POST"])
@login_required
def work_order_new(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    types = selectors.work_order_types()
    data = request.POST if request.method == "POST" else request.GET
    chosen = next((t for t in types if t.code == data.get("type")), None)
    answers: dict[str, Any] = {
        item["name"]: data.get(f"f_{item['name']}", "")
        for item in (chosen.fields if chosen else [])
    }
    errors: list[str] = []
    if request.method == "POST":
        customer_id = None
        customer_no = data.get("customer_no", "").strip()
        if customer_no:
            customer = Customer.objects.filter(customer_q(actor), customer_no=customer_no).first()
            if customer is None:
                errors.append(_("No customer of yours has this number."))
            else:
                customer_id = customer.pk
        amount: Decimal | None = None
        if data.get("amount", "").strip():
            try:
                amount = Decimal(data["amount"].strip())
            except InvalidOperation:
                errors.append(_("The amount is not a number."))
        for item in chosen.fields if chosen else []:
            if item.get("type") == "bool":
                answers[item["name"]] = data.get(f"f_{item['name']}") == "on"
        if not errors:
            try:
                work_order = services.work_order_raise(
                    actor=actor,
                    type_code=data.get("type", ""),
                    title=data.get("title", ""),
                    customer_id=customer_id,
                    prospect_ref=data.get("prospect_ref", ""),
                    amount=amount,
                    fields={k: v for k, v in answers.items() if v not in ("", None)},
                    text=data.get("text", ""),
                )
            except DomainError as error:
                errors.extend(_errors(error))
            else:
                messages.success(request, _("The request was raised and routed."))
                return redirect("coordination:detail", work_order_id=work_order.pk)
    return render(
        request,
        "coordination/work_order_form.html",
        {
            "types": types,
            "type": chosen,
            "type_fields": _type_fields(chosen, answers),
            "data": data,
            "errors": errors,
        },
        status=422 if errors else 200,
    )


def _actions(actor: Staff, work_order: WorkOrder) -> dict[str, bool]:
    step = work_order.current_step
    handler = access.can_handle(actor, work_order, step)
    approver = access.is_approver(actor, step)
    raiser = actor.pk == work_order.raised_by_id
    status = work_order.status
    if access.is_read_only(actor):
        status = ""  # bank-wide readers take no action
    has_approval = any(s.kind == Step.Kind.APPROVE for s in work_order.step_list)  # type: ignore[attr-defined]
    return {
        "comment": status in OPEN_STATUSES,
        "request_info": status in ("open", "in_approval") and (handler or approver),
        "provide_info": status == "info_requested" and raiser,
        "submit": status == "open" and handler and has_approval,
        "done": status == "open" and handler and not has_approval,
        "approve": status == "in_approval" and approver,
        "reject": status in ("open", "in_approval") and (handler or approver),
        "reassign": status in OPEN_STATUSES and handler,
        "cancel": status in OPEN_STATUSES and raiser,
        "escalate": status in ("open", "in_approval") and (raiser or handler),
    }


@require_GET
@login_required
def work_order_detail(request: HttpRequest, work_order_id: int) -> HttpResponse:
    actor = acting_staff(request)
    work_order = selectors.work_order_get(actor=actor, work_order_id=work_order_id)
    colleagues = (
        list(
            Staff.objects.filter(
                department_id=work_order.owner_department_id, is_active=True
            ).order_by("display_name")[:50]
        )
        if work_order.owner_department_id
        else []
    )
    fields = {
        item["name"]: item.get("label", item["name"]) for item in work_order.work_order_type.fields
    }
    return render(
        request,
        "coordination/work_order_detail.html",
        {
            "wo": work_order,
            "answers": [(fields.get(k, k), v) for k, v in work_order.fields.items()],
            "can": _actions(actor, work_order),
            "colleagues": colleagues,
            "related": services.related_page(work_order),
        },
    )


@require_POST
@login_required
def work_order_act(request: HttpRequest, work_order_id: int) -> HttpResponse:
    selectors.work_order_get(actor=acting_staff(request), work_order_id=work_order_id)  # 404
    return run_action(
        request,
        lambda actor: services.work_order_transition(
            actor=actor,
            work_order_id=work_order_id,
            action=request.POST.get("action", ""),
            text=request.POST.get("text", ""),
            assignee_id=_int(request.POST.get("assignee_id")),
            expected_version=_int(request.POST.get("version")),
        ),
        success=_("Saved."),
        back=_detail(work_order_id),
        explain=_errors,
    )


@require_POST
@login_required
def work_order_attach(request: HttpRequest, work_order_id: int) -> HttpResponse:
    upload = request.FILES.get("file")
    return run_action(
        request,
        lambda actor: services.work_order_attach(
            actor=actor,
            work_order_id=work_order_id,
            name=(upload.name if upload is not None else "") or request.POST.get("reference", ""),
            content=upload.read(services.ATTACHMENT_MAX_BYTES + 1) if upload is not None else None,
            content_type=(upload.content_type or "") if upload is not None else "",
            reference=request.POST.get("reference", ""),
        ),
        back=_detail(work_order_id),
        explain=_errors,
    )


@require_GET
@login_required
def attachment_download(request: HttpRequest, work_order_id: int, attachment_id: int) -> Any:
    actor = acting_staff(request)
    attachment = selectors.attachment_get(
        actor=actor, work_order_id=work_order_id, attachment_id=attachment_id
    )
    if not attachment.sha256:
        raise Http404
    path = services.attachment_dir() / attachment.sha256[:2] / attachment.sha256
    if not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=attachment.name)


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    open_work = selectors.open_work_by_department(actor=actor)
    report = escalation.breach_report(actor=actor)
    usage = selectors.pool_usage(
        pools=pools.pools_visible_to(actor).order_by("org_unit__path")[:30]
    )
    return render(
        request,
        "coordination/dashboard.html",
        {
            "open_work": open_work,
            "age_labels": [label for _upper, label in selectors.AGE_BUCKETS],
            "report": report,
            "open_chart": stacked_bars(
                [(row["department"], row["ages"]) for row in open_work],
                legend=[label for _upper, label in selectors.AGE_BUCKETS],
            ),
            "breach_chart": share_chart(
                [(row["department"], float(row["breach_rate"])) for row in report],
                title=_("SLA breach rate"),
                good=0.05,
                bad=0.2,
            ),
            "usage": usage,
            "usage_chart": share_chart(
                [(f"{row['pool']}", float(row["share"])) for row in usage],
                title=_("Pool usage"),
                good=0.8,
                bad=0.95,
            ),
        },
    )


# Working groups ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    errors: list[str] = []
    if request.method == "POST":
        customer_id = None
        customer_no = request.POST.get("customer_no", "").strip()
        if customer_no:
            customer = Customer.objects.filter(customer_q(actor), customer_no=customer_no).first()
            customer_id = customer.pk if customer else None
            if customer is None:
                errors.append(_("No customer of yours has this number."))
        if not errors:
            try:
                group = groups.working_group_create(
                    actor=actor,
                    name=request.POST.get("name", ""),
                    customer_id=customer_id,
                    deal_ref=request.POST.get("deal_ref", ""),
                    purpose=request.POST.get("purpose", ""),
                )
            except DomainError as error:
                errors.extend(_errors(error))
            except PermissionDenied:
                errors.append(_("You may not form working groups."))
            else:
                return redirect("coordination:group", group_id=group.pk)
    return render(
        request,
        "coordination/group_list.html",
        {"groups": groups.working_group_list(actor=actor), "errors": errors, "data": request.POST},
        status=422 if errors else 200,
    )


@require_GET
@login_required
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = acting_staff(request)
    group = groups.working_group_get(actor=actor, group_id=group_id)
    member_ids = {member.staff_id for member in group.live_members}  # type: ignore[attr-defined]
    return render(
        request,
        "coordination/group_detail.html",
        {
            "group": group,
            "is_lead": group.lead_id == actor.pk and group.status == "open",
            "is_member": actor.pk in member_ids and group.status == "open",
            "today": timezone.localdate(),
        },
    )


@require_POST
@login_required
def group_act(request: HttpRequest, group_id: int) -> HttpResponse:
    groups.working_group_get(actor=acting_staff(request), group_id=group_id)  # out of scope: 404
    return run_action(
        request,
        lambda actor: _group_action(request, actor, group_id),
        back=reverse("coordination:group", kwargs={"group_id": group_id}),
        explain=_errors,
        refusals={ValueError: _("Not a valid date.")},
    )


def _group_action(request: HttpRequest, actor: Staff, group_id: int) -> None:
    """The working-group change the form's ``action`` names."""
    action = request.POST.get("action", "")
    if action == "add_member":
        username = request.POST.get("username", "").strip()
        staff = Staff.objects.filter(username=username, is_active=True).first()
        if staff is None:
            raise DomainError(
                _("No active staff member has this user name."), code="invalid_member"
            )
        groups.working_group_member_add(
            actor=actor, group_id=group_id, staff_id=staff.pk, role=request.POST.get("role", "")
        )
    elif action == "remove_member":
        groups.working_group_member_remove(
            actor=actor, group_id=group_id, staff_id=_int(request.POST.get("staff_id")) or 0
        )
    elif action == "add_task":
        due = request.POST.get("due_on") or None
        groups.working_group_task_add(
            actor=actor,
            group_id=group_id,
            title=request.POST.get("title", ""),
            owner_id=_int(request.POST.get("owner_id")) or 0,
            due_on=dt.date.fromisoformat(due) if due else None,
        )
    elif action == "task_done":
        groups.working_group_task_done(
            actor=actor, group_id=group_id, task_id=_int(request.POST.get("task_id")) or 0
        )
    elif action == "close":
        groups.working_group_close(actor=actor, group_id=group_id)
    else:
        raise DomainError(_("Unknown action."), code="unknown_action")


# Resource pools ---------------------------------------------------------------------


@require_GET
@login_required
def pool_list(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    return render(request, "coordination/pool_list.html", {"pools": pools.pool_list(actor=actor)})


@require_http_methods(["GET", "POST"])
@login_required
def pool_detail(request: HttpRequest, pool_id: int) -> HttpResponse:
    actor = acting_staff(request)
    pool = pools.pool_get(actor=actor, pool_id=pool_id)
    if request.method == "POST":
        return run_action(
            request,
            lambda actor: pools.pool_allocate(
                actor=actor,
                pool_id=pool_id,
                org_unit_id=_int(request.POST.get("org_unit_id")) or 0,
                amount=Decimal(request.POST.get("amount", "").strip() or "0"),
            ),
            success=_("Allocated."),
            back=reverse("coordination:pool", kwargs={"pool_id": pool_id}),
            explain=_errors,
            refusals={
                InvalidOperation: _("The amount is not a number."),
                PermissionDenied: _("You may not allocate from this pool."),
            },
        )
    return render(
        request,
        "coordination/pool_detail.html",
        {
            "pool": pool,
            "entries": pools.pool_entries(actor=actor, pool_id=pool_id),
            "children": pool.org_unit.children.order_by("path"),
            "can_allocate": pools.can_allocate_from(actor, pool),
        },
    )
