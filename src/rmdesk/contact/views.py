"""The contact pages: thin, calling the same services and selectors as the API."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rmdesk.contact import calendar, coverage, presenters, selectors, services
from rmdesk.contact.forms import (
    CalendarFeedForm,
    CheckInForm,
    DismissForm,
    InteractionForm,
    ServiceRequestForm,
    ServiceRequestUpdateForm,
    VisitForm,
)
from rmdesk.contact.models import PlanEntry
from rmdesk.core.charts import share_chart
from rmdesk.core.errors import DomainError
from rmdesk.customers.masking import masked_name_of
from rmdesk.customers.selectors import customer_get
from rmdesk.org.http import acting_staff
from rmdesk.org.models import Department
from rmdesk.org.policy import can_modify_customers
from rmdesk.web.actions import refusal_on_form, run_action


def _day_param(request: HttpRequest, name: str = "day") -> date:
    try:
        return date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return timezone.localdate()


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


# --- home: who to contact today ---------------------------------------------------------------


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    day = _day_param(request)
    entries = selectors.plan_for(actor=actor, day=day)
    rows = [presenters.plan_entry_out(e) for e in entries]
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    context = {
        "day": day,
        "today": timezone.localdate(),
        "open_rows": [r for r in rows if r["status"] == PlanEntry.Status.OPEN],
        "closed_rows": [r for r in rows if r["status"] != PlanEntry.Status.OPEN],
        "dismiss_form": DismissForm(),
        "follow_ups": selectors.follow_ups_due(actor=actor, day=day),
        "visits": selectors.visit_list(actor=actor, start=start, end=start + timedelta(days=1)),
        "can_write": can_modify_customers(actor),
    }
    return render(request, "contact/home.html", context)


@require_POST
@login_required
def plan_generate(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    written = services.plan_generate_for(actor=actor, day=day)
    messages.success(request, _("Plan ready: %(count)d customers.") % {"count": written})
    return redirect(f"{reverse('contact:home')}?day={day.isoformat()}")


@require_POST
@login_required
def plan_dismiss(request: HttpRequest, entry_id: int) -> HttpResponse:
    selectors.plan_entry_get(actor=acting_staff(request), entry_id=entry_id)  # 404 first
    form = DismissForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an outcome."))
        return redirect("contact:home")
    return run_action(
        request,
        lambda actor: services.plan_entry_dismiss(
            actor=actor,
            entry_id=entry_id,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
        ),
        success=_("Taken off the plan."),
        back=lambda entry: f"{reverse('contact:home')}?day={entry.day.isoformat()}",
        back_when_refused="contact:home",
    )


# --- interactions ---------------------------------------------------------------------------


@require_GET
@login_required
def customer_interactions(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = acting_staff(request)
    customer = customer_get(actor=actor, customer_id=customer_id)
    page = selectors.interaction_list(actor=actor, customer_id=customer.pk, limit=50)
    requests = selectors.service_request_list(actor=actor, customer_id=customer.pk, limit=20)
    return render(
        request,
        "contact/customer_interactions.html",
        {
            "customer": customer,
            "customer_name": masked_name_of(customer),
            "interactions": page.items,
            "requests": requests.items,
            "can_write": can_modify_customers(actor),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def interaction_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = acting_staff(request)
    customer = customer_get(actor=actor, customer_id=customer_id)
    needs = [(n.code, n.label) for n in selectors.need_categories()]
    key_people = [
        (p.pk, f"{p.get_role_display()} {masked_name_of_person(p.name)}")
        for p in selectors.key_people_of(customer=customer)
    ]
    form = InteractionForm(
        request.POST or None,
        needs=needs,
        key_people=key_people,
        initial={"occurred_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    back = reverse("contact:customer_interactions", kwargs={"customer_id": customer.pk})
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_log(
                actor=actor,
                customer_id=customer.pk,
                data=services.as_interaction_data(form.cleaned_data),
            )
        except DomainError as exc:
            refusal_on_form(form, exc)
        else:
            messages.success(request, _("Contact logged."))
            return redirect(_safe_next(request, back))
    return render(
        request,
        "contact/interaction_form.html",
        {
            "form": form,
            "customer": customer,
            "customer_name": masked_name_of(customer),
            "next": _safe_next(request, back),
        },
    )


def masked_name_of_person(name: str) -> str:
    from rmdesk.core.masking import mask_name

    return mask_name(name)


@require_POST
@login_required
def follow_up_done(request: HttpRequest, interaction_id: int) -> HttpResponse:
    return run_action(
        request,
        lambda actor: services.interaction_follow_up_done(
            actor=actor, interaction_id=interaction_id
        ),
        success=_("Follow-up done."),
        back=_safe_next(request, reverse("contact:home")),
    )


# --- visits -----------------------------------------------------------------------------------


@require_GET
@login_required
def visit_calendar(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    first = _day_param(request, "week")
    first -= timedelta(days=first.weekday())
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    visits = selectors.visit_list(actor=actor, start=start, end=start + timedelta(days=7))
    days = []
    for offset in range(7):
        day = first + timedelta(days=offset)
        days.append(
            {
                "day": day,
                "visits": [
                    presenters.visit_out(v)
                    for v in visits
                    if timezone.localdate(v.planned_start) == day
                ],
            }
        )
    return render(
        request,
        "contact/visit_calendar.html",
        {
            "days": days,
            "previous": first - timedelta(days=7),
            "next": first + timedelta(days=7),
            "today": timezone.localdate(),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def visit_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = acting_staff(request)
    customer = customer_get(actor=actor, customer_id=customer_id)
    start = timezone.localtime().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    form = VisitForm(
        request.POST or None,
        initial={"planned_start": start, "planned_end": start + timedelta(hours=1)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.visit_plan(actor=actor, customer_id=customer.pk, **form.cleaned_data)
        except DomainError as exc:
            refusal_on_form(form, exc)
        else:
            messages.success(request, _("Visit planned."))
            return redirect("contact:visit_detail", visit_id=visit.pk)
    return render(
        request,
        "contact/visit_form.html",
        {"form": form, "customer": customer, "customer_name": masked_name_of(customer)},
    )


@require_GET
@login_required
def visit_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    actor = acting_staff(request)
    visit = selectors.visit_get(actor=actor, visit_id=visit_id)
    return render(
        request,
        "contact/visit_detail.html",
        {"visit": presenters.visit_out(visit), "mine": visit.manager_id == actor.pk},
    )


@require_POST
@login_required
def visit_check_in(request: HttpRequest, visit_id: int) -> HttpResponse:
    acting_staff(request)
    back = reverse("contact:visit_detail", kwargs={"visit_id": visit_id})
    form = CheckInForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The location sent by the device is not valid."))
        return redirect(back)
    return run_action(
        request,
        lambda actor: services.visit_check_in(actor=actor, visit_id=visit_id, **form.cleaned_data),
        success=_("Checked in."),
        back=back,
    )


@require_POST
@login_required
def visit_cancel(request: HttpRequest, visit_id: int) -> HttpResponse:
    return run_action(
        request,
        lambda actor: services.visit_cancel(actor=actor, visit_id=visit_id),
        success=_("Visit cancelled."),
        back=reverse("contact:visit_detail", kwargs={"visit_id": visit_id}),
    )


# --- service requests -------------------------------------------------------------------------


@require_GET
@login_required
def service_requests(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    open_only = request.GET.get("all") != "1"
    page = selectors.service_request_list(actor=actor, open_only=open_only, limit=100)
    return render(
        request,
        "contact/service_requests.html",
        {"rows": [presenters.service_request_out(r) for r in page.items], "open_only": open_only},
    )


def _departments() -> list[tuple[int, str]]:
    return [
        (d.pk, str(d))
        for d in Department.objects.select_related("org_unit").order_by("org_unit__path", "kind")
    ]


@require_http_methods(["GET", "POST"])
@login_required
def service_request_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = acting_staff(request)
    customer = customer_get(actor=actor, customer_id=customer_id)
    form = ServiceRequestForm(request.POST or None, departments=_departments())
    if request.method == "POST" and form.is_valid():
        try:
            created = services.service_request_create(
                actor=actor, customer_id=customer.pk, **form.cleaned_data
            )
        except DomainError as exc:
            refusal_on_form(form, exc)
        else:
            messages.success(request, _("Service request taken."))
            return redirect("contact:service_request_detail", request_id=created.pk)
    return render(
        request,
        "contact/service_request_form.html",
        {"form": form, "customer": customer, "customer_name": masked_name_of(customer)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def service_request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    actor = acting_staff(request)
    found = selectors.service_request_get(actor=actor, request_id=request_id)
    form = ServiceRequestUpdateForm(request.POST or None, initial={"status": found.status})
    if request.method == "POST" and form.is_valid():
        try:
            services.service_request_update(
                actor=actor,
                request_id=found.pk,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            refusal_on_form(form, exc)
        else:
            messages.success(request, _("Service request updated."))
            return redirect("contact:service_request_detail", request_id=found.pk)
    return render(
        request,
        "contact/service_request_detail.html",
        {"r": presenters.service_request_out(found, history=True), "form": form},
    )


# --- coverage ---------------------------------------------------------------------------------


@require_GET
@login_required
def coverage_page(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    result = coverage.coverage_compute(actor=actor, as_of=_day_param(request, "as_of"))
    units = [presenters.coverage_row_out(r) for r in result.units]
    teams = [presenters.coverage_row_out(r) for r in result.teams]
    managers = [presenters.coverage_row_out(r) for r in result.managers]
    return render(
        request,
        "contact/coverage.html",
        {
            "coverage": result,
            "bank": presenters.coverage_row_out(result.bank),
            "units": units,
            "teams": teams,
            "managers": managers,
            "chart": share_chart(
                [(r["label"], r["share"]) for r in (units or managers)][:30],
                title=_("Share of customers contacted within cadence"),
                good=0.9,
                bad=0.6,
            ),
        },
    )


# --- calendar feeds ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def calendar_feeds(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    form = CalendarFeedForm(request.POST or None)
    issued_url = ""
    if request.method == "POST" and form.is_valid():
        issued = services.calendar_feed_create(actor=actor, label=form.cleaned_data["label"])
        issued_url = request.build_absolute_uri(
            reverse("contact:calendar_feed", kwargs={"token": issued.token})
        )
        form = CalendarFeedForm()
    return render(
        request,
        "contact/calendar_feeds.html",
        {
            "form": form,
            "feeds": selectors.calendar_feed_list(actor=actor),
            "issued_url": issued_url,
        },
    )


@require_POST
@login_required
def calendar_feed_revoke(request: HttpRequest, feed_id: int) -> HttpResponse:
    return run_action(
        request,
        lambda actor: services.calendar_feed_revoke(actor=actor, feed_id=feed_id),
        success=_("Link revoked."),
        back="contact:calendar_feeds",
    )


@never_cache
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The secret-link feed: no session; anything but a live token is a 404."""
    feed = services.calendar_feed_resolve(token)
    if feed is None:
        raise Http404
    response = HttpResponse(
        calendar.calendar_feed_render(feed), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="rmdesk.ics"'
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
