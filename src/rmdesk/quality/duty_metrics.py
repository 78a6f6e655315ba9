"""Scorecard figures read from the duty apps' records (contact, development, marketing,
coordination). Each is one grouped query over the bank for the period."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.contact.models import Interaction, PlanEntry, ServiceRequest
from rmdesk.coordination.models import WorkingGroupTask, WorkOrder
from rmdesk.customers.models import CustomerAssignment
from rmdesk.development.models import Opportunity, Stage, StageChange
from rmdesk.marketing.models import Sale, StaffQualification
from rmdesk.quality.metrics import (
    Figure,
    Quality,
    count_per_staff,
    figures_of,
    metric,
    period_bounds,
)
from rmdesk.quality.periods import Period

# --- social communication ------------------------------------------------------------


@metric(
    "contact_coverage",
    quality=Quality.COMMUNICATION,
    label=_("Share of the customers led who were contacted in the period"),
    unit="share",
    evidence="/contact/coverage/",
)
def contact_coverage(period: Period) -> list[Figure]:
    start, end = period_bounds(period)
    lead = CustomerAssignment.Role.LEAD
    book = Q(role=lead, started_at__lt=end) & (Q(ended_at__isnull=True) | Q(ended_at__gte=end))
    rows = (
        CustomerAssignment.objects.filter(book)
        .values("manager_id")
        .annotate(
            book=Count("customer_id", distinct=True),
            contacted=Count(
                "customer_id",
                distinct=True,
                filter=Q(
                    customer__interactions__occurred_at__gte=start,
                    customer__interactions__occurred_at__lt=end,
                ),
            ),
        )
    )
    return figures_of(rows, "manager_id", "contacted", "book")


@metric(
    "interactions_logged",
    quality=Quality.COMMUNICATION,
    label=_("Contacts logged"),
    evidence="/contact/",
)
def interactions_logged(period: Period) -> list[Figure]:
    return count_per_staff(Interaction.objects.all(), period, staff="author_id", when="occurred_at")


@metric("needs_recorded", quality=Quality.COMMUNICATION, label=_("Customer needs recorded"))
def needs_recorded(period: Period) -> list[Figure]:
    start, end = period_bounds(period)
    rows = (
        Interaction.needs.through.objects.filter(
            interaction__occurred_at__gte=start, interaction__occurred_at__lt=end
        )
        .values("interaction__author_id")
        .annotate(n=Count("pk"))
    )
    return figures_of(rows, "interaction__author_id", "n")


# --- a warm and responsible attitude -------------------------------------------------


@metric(
    "service_requests_on_time",
    quality=Quality.ATTITUDE,
    label=_("Share of the service requests one took, due in the period, done by their date"),
    unit="share",
    evidence="/contact/service-requests/",
)
def service_requests_on_time(period: Period) -> list[Figure]:
    # Only due dates already past: a request due later this period is not late yet.
    last = min(period.end, timezone.localdate())
    rows = (
        ServiceRequest.objects.filter(due_on__gte=period.start, due_on__lt=last)
        .exclude(status=ServiceRequest.Status.CANCELLED)
        .annotate(done_on=TruncDate("closed_at"))
        .values("raised_by_id")
        .annotate(
            on_time=Count(
                "pk",
                filter=Q(status=ServiceRequest.Status.DONE, done_on__lte=F("due_on")),
            ),
            total=Count("pk"),
        )
    )
    return figures_of(rows, "raised_by_id", "on_time", "total")


# --- coordination and time management ------------------------------------------------


@metric(
    "plan_completion",
    quality=Quality.COORDINATION,
    label=_("Share of the contact plan's entries done"),
    unit="share",
    evidence="/contact/",
)
def plan_completion(period: Period) -> list[Figure]:
    rows = (
        PlanEntry.objects.filter(day__gte=period.start, day__lt=period.end)
        .values("manager_id")
        .annotate(
            done=Count("pk", filter=Q(status=PlanEntry.Status.DONE)),
            total=Count("pk"),
        )
    )
    return figures_of(rows, "manager_id", "done", "total")


@metric(
    "follow_ups_overdue",
    quality=Quality.COORDINATION,
    label=_("Follow-ups not done by their date"),
    higher_is_better=False,
)
def follow_ups_overdue(period: Period) -> list[Figure]:
    # Only dates already past: a follow-up due later this period is not late yet.
    last = min(period.end, timezone.localdate())
    rows = (
        Interaction.objects.filter(follow_up_on__gte=period.start, follow_up_on__lt=last)
        .annotate(done_on=TruncDate("follow_up_done_at"))
        .filter(Q(follow_up_done_at__isnull=True) | Q(done_on__gt=F("follow_up_on")))
        .values("author_id")
        .annotate(n=Count("pk"))
    )
    return figures_of(rows, "author_id", "n")


@metric(
    "work_orders_on_time",
    quality=Quality.COORDINATION,
    label=_("Share of the work orders one handled that closed within their SLA"),
    unit="share",
    evidence="/coordination/",
)
def work_orders_on_time(period: Period) -> list[Figure]:
    start, end = period_bounds(period)
    rows = (
        WorkOrder.objects.filter(
            closed_at__gte=start, closed_at__lt=end, due_at__isnull=False, assignee__isnull=False
        )
        .values("assignee_id")
        .annotate(
            on_time=Count("pk", filter=Q(sla_breached_at__isnull=True)),
            total=Count("pk"),
        )
    )
    return figures_of(rows, "assignee_id", "on_time", "total")


# --- team spirit ----------------------------------------------------------------------


@metric(
    "group_tasks_done",
    quality=Quality.TEAM_SPIRIT,
    label=_("Working-group tasks completed"),
    evidence="/coordination/groups/",
)
def group_tasks_done(period: Period) -> list[Figure]:
    return count_per_staff(WorkingGroupTask.objects.all(), period, staff="owner_id", when="done_at")


# --- product knowledge ----------------------------------------------------------------


@metric(
    "qualifications_current",
    quality=Quality.PRODUCT_KNOWLEDGE,
    label=_("Sales qualifications valid at the end of the period"),
)
def qualifications_current(period: Period) -> list[Figure]:
    last_day = period.end - dt.timedelta(days=1)
    rows = (
        StaffQualification.objects.filter(valid_from__lte=last_day)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=last_day))
        .values("staff_id")
        .annotate(n=Count("kind", distinct=True))
    )
    return figures_of(rows, "staff_id", "n")


@metric(
    "product_categories_sold",
    quality=Quality.PRODUCT_KNOWLEDGE,
    label=_("Product categories sold"),
    evidence="/marketing/sales/",
)
def product_categories_sold(period: Period) -> list[Figure]:
    return count_per_staff(
        Sale.objects.filter(status=Sale.Status.ACTIVE),
        period,
        staff="staff_id",
        when="signed_at",
        counted="product__type",
        distinct=True,
    )


# --- market research and customer development -----------------------------------------


@metric(
    "prospects_won",
    quality=Quality.DEVELOPMENT,
    label=_("Prospects won as customers"),
    evidence="/development/",
)
def prospects_won(period: Period) -> list[Figure]:
    return count_per_staff(
        StageChange.objects.filter(to_stage=Stage.WON),
        period,
        staff="prospect__owner_id",
        when="at",
        counted="prospect_id",
        distinct=True,
    )


@metric(
    "opportunities_won",
    quality=Quality.DEVELOPMENT,
    label=_("Opportunities won"),
    evidence="/development/opportunities/",
)
def opportunities_won(period: Period) -> list[Figure]:
    return count_per_staff(
        Opportunity.objects.filter(status=Opportunity.Status.WON),
        period,
        staff="manager_id",
        when="closed_at",
    )
