"""Hand-built days of work for the home pages' tests (and the browser tests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from rmdesk.contact.tests.factories import InteractionFactory, PlanEntryFactory, VisitFactory
from rmdesk.coordination.models import WorkOrder, WorkOrderType
from rmdesk.coordination.tests.factories import WorkOrderTypeFactory
from rmdesk.customers.models import Customer, Tier
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.development.models import NameList, NameListEntry, Opportunity, Stage
from rmdesk.development.tests.factories import ProspectFactory
from rmdesk.marketing.models import Campaign, CampaignEntry, PlanTarget
from rmdesk.org.models import Department, Staff
from rmdesk.quality.models import Score, ScoreRun
from rmdesk.quality.periods import PeriodKind, period_containing
from rmdesk.quality.services import OVERALL


@dataclass
class Work:
    customers: list[Customer]
    work_type: WorkOrderType


def customers_for(manager: Staff, count: int, *, aum: Decimal = Decimal("1000")) -> list[Customer]:
    assert manager.org_unit is not None
    people = [
        CustomerFactory(home_unit=manager.org_unit, primary_manager=manager) for _n in range(count)
    ]
    Customer.objects.filter(pk__in=[c.pk for c in people]).update(aum=aum, tier=Tier.GOLD)
    return people


def work_order(
    *,
    work_type: WorkOrderType,
    raised_by: Staff,
    customer: Customer | None,
    department: Department | None,
    status: str = WorkOrder.Status.OPEN,
    age: dt.timedelta = dt.timedelta(hours=2),
    due_in: dt.timedelta | None = dt.timedelta(days=3),
    breached: bool = False,
    title: str = "开户资料审核",
) -> WorkOrder:
    now = timezone.now()
    assert raised_by.org_unit is not None
    owner_unit = department.org_unit if department is not None else raised_by.org_unit
    order = WorkOrder.objects.create(
        work_order_type=work_type,
        title=title,
        customer=customer,
        raised_by=raised_by,
        raised_unit=raised_by.org_unit,
        status=status,
        owner_department=department,
        owner_unit=owner_unit,
        due_at=now + due_in if due_in is not None else None,
        sla_breached_at=now if breached else None,
    )
    WorkOrder.objects.filter(pk=order.pk).update(created_at=now - age)
    order.refresh_from_db()
    return order


def manager_day(manager: Staff, *, size: int, day: dt.date | None = None) -> Work:
    """``size`` of everything on a manager's home: plan entries (and one done), follow-ups,
    visits, opportunities, name-list entries, work orders waiting, campaign targets; three
    targets; a computed scorecard; two prospects. ``size + 1`` gold customers of 1,000 CNY
    each, all but the last contacted today."""
    day = day or timezone.localdate()
    assert manager.org_unit is not None
    people = customers_for(manager, size + 1)
    for index, customer in enumerate(people[:size]):
        PlanEntryFactory(manager=manager, customer=customer, day=day, score=50 + index)
    PlanEntryFactory(manager=manager, customer=people[size], day=day, score=10, status="done")
    for customer in people[:size]:
        InteractionFactory(
            customer=customer,
            author=manager,
            follow_up_on=day - dt.timedelta(days=1),
            next_step="回访理财到期安排",
        )
        VisitFactory(customer=customer, manager=manager)
        Opportunity.objects.create(
            customer=customer,
            manager=manager,
            title="大额存单",
            follow_up_on=day,
            amount=Decimal("500000"),
        )
    name_list = NameList.objects.create(
        title="代发工资客户名单",
        purpose="营销理财",
        level=NameList.Level.BRANCH,
        issued_by=manager,
        org_unit=manager.org_unit,
        due_on=day + dt.timedelta(days=7),
    )
    for customer in people[:size]:
        NameListEntry.objects.create(
            name_list=name_list, customer=customer, manager=manager, org_unit=manager.org_unit
        )
    work_type = WorkOrderTypeFactory()
    for customer in people[:size]:
        work_order(
            work_type=work_type,
            raised_by=manager,
            customer=customer,
            department=None,
            status=WorkOrder.Status.INFO_REQUESTED,
        )
    campaign = Campaign.objects.create(
        name="春季理财节",
        starts_on=day - dt.timedelta(days=3),
        ends_on=day + dt.timedelta(days=30),
        owner=manager,
        status=Campaign.Status.LAUNCHED,
    )
    for customer in people[:size]:
        CampaignEntry.objects.create(campaign=campaign, customer=customer, manager=manager)
    month = period_containing(day, PeriodKind.MONTH)
    for metric, target in (
        (PlanTarget.Metric.NEW_CUSTOMERS, Decimal("10")),
        (PlanTarget.Metric.AUM_GROWTH, Decimal("2000")),
        (PlanTarget.Metric.SALES, Decimal("100000")),
    ):
        PlanTarget.objects.create(
            org_unit=manager.org_unit,
            manager=manager,
            metric=metric,
            period_start=month.start,
            period_end=month.end,
            target=target,
        )
    run = ScoreRun.objects.filter(
        period_kind=month.kind.value, period_start=month.start
    ).first() or ScoreRun.objects.create(
        period_kind=month.kind.value,
        period_start=month.start,
        period_end=month.end,
        finished_at=timezone.now(),
    )
    Score.objects.filter(run=run, staff=manager).delete()
    Score.objects.create(
        run=run, staff=manager, metric=OVERALL, value=Decimal("0.75"), percentile=Decimal("0.75")
    )
    Score.objects.create(
        run=run,
        staff=manager,
        metric="contact_coverage",
        value=Decimal("0.5"),
        percentile=Decimal("0.2"),
    )
    Score.objects.create(
        run=run,
        staff=manager,
        metric="sla_met",
        value=Decimal("0.9"),
        percentile=Decimal("0.6"),
    )
    for stage in (Stage.NEW, Stage.PROPOSAL):
        ProspectFactory(owner=manager, home_unit=manager.org_unit, stage=stage)
    return Work(customers=people, work_type=work_type)
