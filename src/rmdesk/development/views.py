"""Pages: the pipeline board, capture, the pool, name lists, signals, opportunities, charts."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rmdesk.core.errors import DomainError
from rmdesk.customers.forms import PERSONAL_LABELS
from rmdesk.development import (
    charts,
    namelists,
    opportunities,
    pool,
    presenters,
    prospects,
    signals,
)
from rmdesk.development.access import can_claim, can_issue_name_lists, can_work_prospects
from rmdesk.development.models import Outcome, Prospect, SignalCode, Stage
from rmdesk.org.http import acting_staff
from rmdesk.org.models import Staff
from rmdesk.web.actions import run_action


def _error_text(error: DomainError) -> str:
    details = error.details if isinstance(error.details, list) else []
    reasons = [f"{d.get('field')}: {d.get('reason')}" for d in details if isinstance(d, dict)]
    return "; ".join([str(error.message), *reasons])


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@require_GET
@login_required
def board(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    columns = prospects.prospect_board(actor=actor, owner_only=request.GET.get("all") != "1")
    return render(
        request,
        "development/board.html",
        {
            "columns": [
                (stage, Stage(stage).label, [_card(p, actor) for p in rows])
                for stage, rows in columns.items()
            ],
            "can_create": can_work_prospects(actor),
        },
    )


def _card(prospect: Prospect, actor: Any) -> dict[str, Any]:
    out = presenters.prospect_out(prospect, actor=actor)
    out["choices"] = prospects.stage_choices(prospect.stage)
    return out


@require_POST
@login_required
def prospect_move(request: HttpRequest, prospect_id: int) -> HttpResponse:
    actor = acting_staff(request)
    try:
        prospects.prospect_transition(
            actor=actor,
            prospect_id=prospect_id,
            to_stage=request.POST.get("stage", ""),
            lost_reason=request.POST.get("lost_reason", ""),
            note=request.POST.get("note", "")[:500],
        )
    except DomainError as error:
        messages.error(request, _error_text(error))
    if getattr(request, "htmx", False):
        prospect = prospects.prospect_get(actor=actor, prospect_id=prospect_id)
        return render(
            request, "development/_card.html", {"p": _card(prospect, actor), "moved": True}
        )
    return redirect(request.POST.get("next") or "development:board")


@require_http_methods(["GET", "POST"])
@login_required
def prospect_new(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    form = request.POST if request.method == "POST" else {}
    matches: list[dict[str, Any]] = []
    error = ""
    if request.method == "POST":
        data = {
            name: request.POST.get(name, "").strip()
            for name in ("display_name", "mobile", "id_number", "birth_date", "city")
            if request.POST.get(name, "").strip()
        }
        merge = None
        if request.POST.get("merge_kind") in ("customer", "prospect"):
            merge_id = _int(request.POST.get("merge_id"))
            if merge_id is not None:
                merge = {f"{request.POST['merge_kind']}_id": merge_id}
        try:
            created = prospects.prospect_capture(
                actor=actor,
                kind=request.POST.get("kind", ""),
                data=data,
                source=request.POST.get("source", ""),
                referrer_customer_id=_int(request.POST.get("referrer_customer_id")),
                referrer_staff_id=_int(request.POST.get("referrer_staff_id")),
                note=request.POST.get("note", "")[:500],
                confirm_duplicate=request.POST.get("confirm_duplicate") == "on",
                merge_into=merge,
            )
        except DomainError as exc:
            if exc.code == "duplicate_suspected":
                matches = exc.details["matches"]
            error = _error_text(exc)
        else:
            if created.prospect is not None:
                messages.success(request, _("Prospect recorded."))
                return redirect("development:prospect", prospect_id=created.prospect.pk)
            messages.success(request, _("Merged into the existing record."))
            return redirect("development:board")
    return render(
        request,
        "development/prospect_form.html",
        {
            "form": form,
            "matches": matches,
            "error": error,
            "kinds": Prospect.Kind.choices,
            "sources": Prospect.Source.choices,
        },
        status=422 if error else 200,
    )


@require_GET
@login_required
def prospect_detail(request: HttpRequest, prospect_id: int) -> HttpResponse:
    actor = acting_staff(request)
    prospect = prospects.prospect_get(actor=actor, prospect_id=prospect_id)
    return _prospect_page(request, actor, prospect, revealed=frozenset())


def _prospect_page(
    request: HttpRequest, actor: Any, prospect: Prospect, *, revealed: frozenset[str]
) -> HttpResponse:
    card = presenters.prospect_out(prospect, actor=actor, revealed=revealed)
    card["choices"] = prospects.stage_choices(prospect.stage)
    return render(
        request,
        "development/prospect_detail.html",
        {
            "p": card,
            "history": prospects.prospect_history(prospect=prospect),
            "lost_reasons": Prospect.LostReason.choices,
            "can_release": prospect.owner_id == actor.pk,
            "reveal_choices": [(name, PERSONAL_LABELS[name]) for name in card["masked_fields"]],
        },
    )


@require_POST
@login_required
def prospect_reveal(request: HttpRequest, prospect_id: int) -> HttpResponse:
    """Show the chosen fields in full on this answer only (a reload masks them again)."""
    actor = acting_staff(request)
    try:
        values = prospects.prospect_reveal(
            actor=actor,
            prospect_id=prospect_id,
            fields=request.POST.getlist("show"),
            reason=request.POST.get("reason", "")[:255],
            request=request,
            channel="web",
        )
    except DomainError as error:
        messages.error(request, _error_text(error))
        return redirect("development:prospect", prospect_id=prospect_id)
    prospect = prospects.prospect_get(actor=actor, prospect_id=prospect_id)
    return _prospect_page(request, actor, prospect, revealed=frozenset(values))


@require_POST
@login_required
def prospect_touch(request: HttpRequest, prospect_id: int) -> HttpResponse:
    return run_action(
        request,
        lambda actor: prospects.prospect_touch(
            actor=actor, prospect_id=prospect_id, note=request.POST.get("note", "")[:500]
        ),
        back=reverse("development:prospect", kwargs={"prospect_id": prospect_id}),
        explain=_error_text,
    )


@require_http_methods(["GET", "POST"])
@login_required
def pool_page(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    if request.method == "POST":
        item_id = _int(request.POST.get("id")) or 0
        kind = request.POST.get("kind")

        def claim_or_release(actor: Staff) -> None:
            if kind == "customer":
                pool.customer_claim(actor=actor, customer_id=item_id)
            elif kind == "release":
                pool.prospect_release(actor=actor, prospect_id=item_id)
            else:
                pool.prospect_claim(actor=actor, prospect_id=item_id)

        return run_action(
            request,
            claim_or_release,
            success=_("Done."),
            back="development:pool",
            explain=_error_text,
        )
    return render(
        request,
        "development/pool.html",
        {"items": pool.pool_list(actor=actor), "can_claim": can_claim(actor)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def name_lists(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    error = ""
    if request.method == "POST":
        ids = [
            int(i)
            for i in request.POST.get("customer_ids", "").replace(",", " ").split()
            if i.isdigit()
        ]
        try:
            issued = namelists.name_list_issue(
                actor=actor,
                title=request.POST.get("title", ""),
                purpose=request.POST.get("purpose", ""),
                customer_ids=ids,
                signal_code=request.POST.get("signal_code", ""),
                due_on=_date(request.POST.get("due_on")),
            )
        except DomainError as exc:
            error = _error_text(exc)
        else:
            return redirect("development:name_list", name_list_id=issued.pk)
    return render(
        request,
        "development/name_lists.html",
        {
            "lists": namelists.name_list_list(actor=actor),
            "can_issue": can_issue_name_lists(actor),
            "signal_codes": SignalCode.choices,
            "error": error,
            "form": request.POST,
        },
        status=422 if error else 200,
    )


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
@login_required
def name_list_detail(request: HttpRequest, name_list_id: int) -> HttpResponse:
    actor = acting_staff(request)
    name_list = namelists.name_list_get(actor=actor, name_list_id=name_list_id)
    if request.method == "POST":
        return run_action(
            request,
            lambda actor: namelists.entry_outcome_record(
                actor=actor,
                entry_id=_int(request.POST.get("entry_id")) or 0,
                outcome=request.POST.get("outcome", ""),
                note=request.POST.get("note", "")[:500],
            ),
            back=reverse("development:name_list", kwargs={"name_list_id": name_list_id}),
            explain=_error_text,
        )
    return render(
        request,
        "development/name_list.html",
        {
            "nl": name_list,
            "entries": [
                presenters.entry_out(e)
                for e in namelists.name_list_entries(actor=actor, name_list=name_list)
            ],
            "rollup": namelists.name_list_rollup(name_list=name_list),
            "outcomes": Outcome.choices,
            "me": actor.pk,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def signal_page(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    if request.method == "POST":
        return run_action(
            request,
            lambda actor: opportunities.opportunity_create(
                actor=actor,
                signal_id=_int(request.POST.get("signal_id")) or 0,
                follow_up_on=_date(request.POST.get("follow_up_on")) or timezone.localdate(),
            ),
            success=_("Opportunity raised."),
            back="development:signals",
            explain=_error_text,
        )
    code = request.GET.get("code", "")[:24]
    offset = max(_int(request.GET.get("offset")) or 0, 0)
    rows, more = signals.signal_list(actor=actor, code=code or None, offset=offset, limit=50)
    return render(
        request,
        "development/signals.html",
        {
            "rows": [presenters.signal_out(s) for s in rows],
            "more": more,
            "next_offset": offset + 50,
            "code": code,
            "codes": SignalCode.choices,
            "today": timezone.localdate(),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def opportunity_page(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    if request.method == "POST":
        return run_action(
            request,
            lambda actor: opportunities.opportunity_close(
                actor=actor,
                opportunity_id=_int(request.POST.get("opportunity_id")) or 0,
                status=request.POST.get("status", ""),
                product=request.POST.get("product", "")[:200],
                amount=request.POST.get("amount") or None,
                note=request.POST.get("note", "")[:500],
            ),
            success=_("Opportunity closed."),
            back="development:opportunities",
            explain=_error_text,
        )
    status = request.GET.get("status", "open")[:8]
    rows, _more = opportunities.opportunity_list(actor=actor, status=status or None, limit=100)
    return render(
        request,
        "development/opportunities.html",
        {"rows": [presenters.opportunity_out(o) for o in rows], "status": status},
    )


@require_GET
@login_required
def chart_page(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    by, _sep, target_text = request.GET.get("scope", "").partition(":")
    target = _int(target_text)
    if not by:
        by, target = "manager", actor.pk
    error = ""
    try:
        steps = charts.funnel(actor=actor, by=by, target_id=target)
    except DomainError as exc:
        error = _error_text(exc)
        by, target = "manager", actor.pk
        steps = charts.funnel(actor=actor, by=by, target_id=target)
    conversion = opportunities.conversion_by_signal(actor=actor)
    choices = charts.scope_choices(actor)
    return render(
        request,
        "development/charts.html",
        {
            "scope": f"{by}:{target}",
            "groups": [
                (_("Managers"), [(f"manager:{pk}", label) for pk, label in choices["manager"]]),
                (_("Teams"), [(f"team:{pk}", label) for pk, label in choices["team"]]),
                (_("Org units"), [(f"branch:{pk}", label) for pk, label in choices["branch"]]),
            ],
            "error": error,
            "funnel_svg": charts.funnel_svg(steps),
            "conversion_svg": charts.conversion_svg(conversion),
            "conversion": conversion,
        },
        status=422 if error else 200,
    )
