"""The scorecard figures read from the duty apps, each on hand-built records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from rmdesk.conftest import Cast
from rmdesk.contact.models import Interaction, NeedCategory, PlanEntry, ServiceRequest
from rmdesk.coordination.models import WorkingGroup, WorkingGroupTask, WorkOrder
from rmdesk.coordination.tests.factories import WorkOrderTypeFactory
from rmdesk.customers.models import Customer, CustomerAssignment
from rmdesk.development.models import Opportunity, Stage, StageChange
from rmdesk.development.tests.factories import ProspectFactory
from rmdesk.marketing.models import Sale, StaffQualification
from rmdesk.marketing.tests.factories import ProductFactory
from rmdesk.quality.models import Score, ScoreRun
from rmdesk.quality.periods import period_parse
from rmdesk.quality.services import scorecards_compute

pytestmark = pytest.mark.django_db

NOVEMBER = period_parse("2026-11")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
IN_NOVEMBER = dt.datetime(2026, 11, 5, 9, 0, tzinfo=dt.UTC)
IN_OCTOBER = dt.datetime(2026, 10, 30, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _november() -> object:
    with time_machine.travel(NOW, tick=False):
        yield


def figure(run: ScoreRun, metric: str, username: str) -> Decimal:
    return Score.objects.get(run=run, metric=metric, staff__username=username).value


def contact(customer: Customer, author: object, when: dt.datetime, **extra: object) -> Interaction:
    return Interaction.objects.create(
        customer=customer, author=author, channel="phone", occurred_at=when, summary="…", **extra
    )


def test_communication_figures(cast: Cast) -> None:
    growth, _created = NeedCategory.objects.get_or_create(
        code="wealth_growth_t", defaults={"name_en": "Wealth", "name_zh": "财富"}
    )
    first = contact(cast.own, cast.manager, IN_NOVEMBER)
    first.needs.add(growth)
    contact(cast.own, cast.manager, IN_NOVEMBER)  # the same customer again
    contact(cast.company, cast.manager, IN_OCTOBER)  # before the period
    contact(cast.other, cast.manager, IN_NOVEMBER)  # someone else's customer
    run = scorecards_compute(period=NOVEMBER)
    # rm-own leads own and company; only own was contacted in November: 1 of 2.
    assert figure(run, "contact_coverage", "rm-own") == Decimal("0.5")
    # rm-other's customer was contacted (by a colleague): covered.
    assert figure(run, "contact_coverage", "rm-other") == Decimal("1")
    assert figure(run, "interactions_logged", "rm-own") == 3
    assert figure(run, "needs_recorded", "rm-own") == 1
    assert figure(run, "interactions_logged", "rm-other") == 0


def test_time_management_figures(cast: Cast) -> None:
    day = dt.date(2026, 11, 10)
    for customer, status in ((cast.own, "done"), (cast.company, "open")):
        PlanEntry.objects.create(
            manager=cast.manager, day=day, customer=customer, score=1, status=status
        )
    # Due 12 Nov, done 13 Nov: late. Due 14 Nov, not done: late. Due 15 Nov, done that
    # day: on time. Due 25 Nov: not due yet on 20 Nov.
    contact(
        cast.own,
        cast.manager,
        IN_NOVEMBER,
        follow_up_on=dt.date(2026, 11, 12),
        follow_up_done_at=dt.datetime(2026, 11, 13, 2, 0, tzinfo=dt.UTC),
    )
    contact(cast.own, cast.manager, IN_NOVEMBER, follow_up_on=dt.date(2026, 11, 14))
    contact(
        cast.own,
        cast.manager,
        IN_NOVEMBER,
        follow_up_on=dt.date(2026, 11, 15),
        follow_up_done_at=dt.datetime(2026, 11, 15, 2, 0, tzinfo=dt.UTC),
    )
    contact(cast.own, cast.manager, IN_NOVEMBER, follow_up_on=dt.date(2026, 11, 25))
    kind = WorkOrderTypeFactory()
    for breached in (None, IN_NOVEMBER):
        WorkOrder.objects.create(
            work_order_type=kind,
            title="…",
            customer=cast.own,
            raised_by=cast.manager,
            raised_unit=cast.sub_a1,
            owner_unit=cast.branch_a,
            owner_department=cast.ops_dept,
            assignee=cast.ops_officer,
            status="done",
            due_at=IN_NOVEMBER,
            sla_breached_at=breached,
            closed_at=IN_NOVEMBER,
        )
    run = scorecards_compute(period=NOVEMBER)
    assert figure(run, "plan_completion", "rm-own") == Decimal("0.5")
    assert figure(run, "follow_ups_overdue", "rm-own") == 2
    # The ops officer is no account manager: no scorecard, whatever they handled.
    assert not Score.objects.filter(run=run, staff=cast.ops_officer).exists()
    WorkOrder.objects.update(assignee=cast.manager)
    run = scorecards_compute(period=NOVEMBER)
    assert figure(run, "work_orders_on_time", "rm-own") == Decimal("0.5")


def test_team_product_and_development_figures(cast: Cast) -> None:
    group = WorkingGroup.objects.create(name="银团", lead=cast.manager, customer=cast.company)
    WorkingGroupTask.objects.create(
        group=group, title="尽调", owner=cast.other_manager, done_at=IN_NOVEMBER
    )
    WorkingGroupTask.objects.create(group=group, title="报告", owner=cast.other_manager)
    StaffQualification.objects.create(
        staff=cast.manager,
        kind="fund",
        valid_from=dt.date(2025, 1, 1),
        expires_on=dt.date(2026, 11, 30),
    )
    StaffQualification.objects.create(
        staff=cast.manager,
        kind="insurance",
        valid_from=dt.date(2025, 1, 1),
        expires_on=dt.date(2026, 11, 29),
    )
    for product in (
        ProductFactory(type="fund"),
        ProductFactory(type="fund"),
        ProductFactory(type="insurance"),
    ):
        Sale.objects.create(
            customer=cast.own,
            product=product,
            amount=Decimal(10000),
            channel="branch",
            staff=cast.manager,
            signed_at=IN_NOVEMBER,
            suitability={},
            rule_set_version=1,
        )
    prospect = ProspectFactory(home_unit=cast.sub_a1, owner=cast.manager)
    StageChange.objects.create(
        prospect=prospect,
        from_stage=Stage.ACCOUNT_OPENING,
        to_stage=Stage.WON,
        actor=cast.manager,
        at=IN_NOVEMBER,
    )
    Opportunity.objects.create(
        customer=cast.own,
        manager=cast.manager,
        title="…",
        follow_up_on=dt.date(2026, 11, 5),
        status=Opportunity.Status.WON,
        closed_at=IN_NOVEMBER,
    )
    run = scorecards_compute(period=NOVEMBER)
    assert figure(run, "group_tasks_done", "rm-other") == 1
    # Valid on 30 November, the period's last day: the fund licence only.
    assert figure(run, "qualifications_current", "rm-own") == 1
    assert figure(run, "product_categories_sold", "rm-own") == 2
    assert figure(run, "prospects_won", "rm-own") == 1
    assert figure(run, "opportunities_won", "rm-own") == 1
    assert figure(run, "opportunities_won", "rm-other") == 0
    assert CustomerAssignment.objects.exists()


def test_service_requests_done_by_their_date(cast: Cast) -> None:
    def request(due: dt.date, *, closed: dt.datetime | None, status: str) -> None:
        ServiceRequest.objects.create(
            customer=cast.own,
            kind="statement",
            description="…",
            raised_by=cast.manager,
            due_on=due,
            closed_at=closed,
            status=status,
        )

    # Due 10 Nov, done on the 10th (Shanghai): on time. Due 12 Nov, done on the 13th:
    # late. Due 14 Nov, still open: late. Due 16 Nov, cancelled: not counted. Due
    # 25 Nov: not due yet on 20 Nov.
    request(
        dt.date(2026, 11, 10), closed=dt.datetime(2026, 11, 10, 9, tzinfo=dt.UTC), status="done"
    )
    request(
        dt.date(2026, 11, 12), closed=dt.datetime(2026, 11, 13, 9, tzinfo=dt.UTC), status="done"
    )
    request(dt.date(2026, 11, 14), closed=None, status="in_progress")
    request(
        dt.date(2026, 11, 16),
        closed=dt.datetime(2026, 11, 15, 9, tzinfo=dt.UTC),
        status="cancelled",
    )
    request(dt.date(2026, 11, 25), closed=None, status="new")
    run = scorecards_compute(period=NOVEMBER)
    assert figure(run, "service_requests_on_time", "rm-own") == Decimal("0.3333")
