"""The home pages' figures, composed from the apps' selectors.

Nothing here decides what anyone may see: every figure comes from the selector of the
app that owns it, which starts from the visibility policy. This module picks which
blocks a member of staff gets (from their roles) and puts the apps' answers together.
Each home issues a constant number of queries whatever the size of the bank.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from rmdesk.contact import coverage as contact_coverage
from rmdesk.contact import selectors as contact
from rmdesk.contact.coverage import Coverage
from rmdesk.contact.models import Interaction, PlanEntry, Visit
from rmdesk.coordination import escalation, pools
from rmdesk.coordination import selectors as coordination
from rmdesk.coordination.models import WorkOrder
from rmdesk.customers import selectors as customers
from rmdesk.development import namelists, opportunities, prospects
from rmdesk.development.models import NameListEntry, Opportunity
from rmdesk.marketing import selectors as marketing
from rmdesk.marketing.models import CampaignEntry
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.roles import Role
from rmdesk.quality import selectors as quality
from rmdesk.quality.periods import Period, PeriodKind, period_containing

MANAGER, TEAM, DEPARTMENT, HEAD_OFFICE = "manager", "team", "department", "head_office"
HEAD_ROLES = frozenset({Role.TEAM_LEAD, Role.SUBBRANCH_HEAD, Role.BRANCH_HEAD})
HEAD_OFFICE_ROLES = frozenset({Role.HQ_ANALYST, Role.COMPLIANCE_AUDITOR})
# How far ahead the manager's home looks for visits.
VISIT_DAYS = 7
BLOCK_SIZE = 5


def homes_of(staff: Staff) -> list[str]:
    """Which blocks a member of staff's home shows, in order. Several roles, several blocks;
    anyone whose roles give no other block gets the account manager's (the default)."""
    roles = staff.role_codes
    kinds = []
    if Role.ACCOUNT_MANAGER in roles:
        kinds.append(MANAGER)
    if roles & HEAD_ROLES:
        kinds.append(TEAM)
    if Role.DEPARTMENT_OFFICER in roles and staff.department_id is not None:
        kinds.append(DEPARTMENT)
    if roles & HEAD_OFFICE_ROLES:
        kinds.append(HEAD_OFFICE)
    return kinds or [MANAGER]


def _period(day: dt.date) -> Period:
    return period_containing(day, PeriodKind.MONTH)


@dataclass
class ManagerHome:
    staff: Staff
    day: dt.date
    plan: list[PlanEntry]
    plan_counts: dict[str, int]
    follow_ups: list[Interaction]
    follow_ups_count: int
    visits: list[Visit]
    visits_count: int
    opportunities: list[Opportunity]
    opportunities_open: int
    opportunities_due: int
    name_list_entries: list[NameListEntry]
    name_list_open: int
    work_orders: list[WorkOrder]
    work_orders_waiting: int
    campaign_targets: list[CampaignEntry]
    campaign_counts: dict[str, int]
    progress: list[marketing.Progress]
    period: Period
    scorecard: quality.Headline


def manager_home(*, actor: Staff, staff: Staff, day: dt.date) -> ManagerHome:
    """What ``staff`` (the actor, or a manager ``quality.selectors.staff_get`` gave the
    actor) has to do on ``day``, as the actor may see it."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    plan, plan_counts = contact.plan_headline(
        actor=actor, manager_id=staff.pk, day=day, limit=BLOCK_SIZE
    )
    follow_ups, follow_ups_count = contact.follow_ups_headline(
        actor=actor, manager_id=staff.pk, day=day, limit=BLOCK_SIZE
    )
    visits, visits_count = contact.visits_headline(
        actor=actor,
        manager_id=staff.pk,
        start=start,
        end=start + dt.timedelta(days=VISIT_DAYS),
        limit=BLOCK_SIZE,
    )
    found, open_count, due_count = opportunities.opportunities_headline(
        actor=actor, manager_id=staff.pk, day=day, limit=BLOCK_SIZE
    )
    entries, entries_count = namelists.name_list_entries_open(
        actor=actor, manager_id=staff.pk, limit=BLOCK_SIZE
    )
    work, work_count = coordination.work_orders_waiting_on(
        actor=actor, staff_id=staff.pk, limit=BLOCK_SIZE
    )
    targets, target_counts = marketing.campaign_targets_headline(
        actor=actor, manager_id=staff.pk, day=day, limit=BLOCK_SIZE
    )
    period = _period(day)
    return ManagerHome(
        staff=staff,
        day=day,
        plan=plan,
        plan_counts=plan_counts,
        follow_ups=follow_ups,
        follow_ups_count=follow_ups_count,
        visits=visits,
        visits_count=visits_count,
        opportunities=found,
        opportunities_open=open_count,
        opportunities_due=due_count,
        name_list_entries=entries,
        name_list_open=entries_count,
        work_orders=work,
        work_orders_waiting=work_count,
        campaign_targets=targets,
        campaign_counts=target_counts,
        progress=marketing.plan_progress_for_manager(manager_id=staff.pk, day=day),
        period=period,
        scorecard=quality.scorecard_headline(staff=staff, period=period),
    )


@dataclass
class TeamHome:
    day: dt.date
    coverage: Coverage
    stages: dict[str, int]
    opportunity_totals: dict[str, Any]
    campaigns: list[dict[str, Any]]
    breaches: list[dict[str, Any]]
    pools: list[dict[str, Any]]
    period: Period
    run: Any
    board: list[quality.BoardRow]
    members: list[Staff]


def team_home(*, actor: Staff, day: dt.date) -> TeamHome:
    """The actor's subtree (a team lead's reports, a head's org unit) at a glance."""
    period = _period(day)
    page = quality.board(actor=actor, period=period)
    return TeamHome(
        day=day,
        coverage=contact_coverage.coverage_compute(actor=actor, as_of=day),
        stages=prospects.prospect_stage_counts(actor=actor),
        opportunity_totals=opportunities.opportunity_totals(actor=actor),
        campaigns=marketing.campaign_funnels(actor=actor),
        breaches=escalation.breach_report(actor=actor),
        pools=coordination.pool_usage(
            pools=pools.pools_visible_to(actor).order_by("org_unit__path", "kind", "id")[:20]
        ),
        period=period,
        run=page.run,
        board=page.rows,
        members=quality.team_members(actor=actor),
    )


@dataclass
class DepartmentHome:
    day: dt.date
    now: dt.datetime
    queue: coordination.Queue


def department_home(*, actor: Staff, day: dt.date) -> DepartmentHome:
    return DepartmentHome(
        day=day, now=timezone.now(), queue=coordination.department_queue(actor=actor)
    )


@dataclass
class BranchFigures:
    unit: OrgUnit
    customers: int = 0
    aum: Any = 0
    covered: int = 0
    to_cover: int = 0
    prospects_open: int = 0
    work_open: int = 0
    breached: int = 0

    @property
    def coverage(self) -> float:
        return self.covered / self.to_cover if self.to_cover else 1.0


@dataclass
class HeadOfficeHome:
    day: dt.date
    branches: list[BranchFigures]
    totals: dict[str, Any] = field(default_factory=dict)


def head_office_home(*, actor: Staff, day: dt.date) -> HeadOfficeHome:
    """Bank-wide figures by branch, over what the actor may see."""
    units = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.BRANCH).order_by("path")[:200])
    by_unit = customers.totals_by_unit(actor=actor, units=units)
    cover = {
        row.key: row for row in contact_coverage.coverage_compute(actor=actor, as_of=day).units
    }
    pipeline = prospects.open_prospects_by_unit(actor=actor, units=units)
    breaches = coordination.breaches_by_unit(actor=actor, units=units)
    rows = []
    for unit in units:
        covered = cover.get(unit.pk)
        rows.append(
            BranchFigures(
                unit=unit,
                customers=by_unit[unit.pk]["customers"],
                aum=by_unit[unit.pk]["aum"],
                covered=covered.within if covered else 0,
                to_cover=covered.total if covered else 0,
                prospects_open=pipeline[unit.pk],
                work_open=breaches[unit.pk]["open"],
                breached=breaches[unit.pk]["breached"],
            )
        )
    totals = {
        "customers": sum(row.customers for row in rows),
        "aum": sum((row.aum for row in rows), start=0),
        "covered": sum(row.covered for row in rows),
        "to_cover": sum(row.to_cover for row in rows),
        "prospects_open": sum(row.prospects_open for row in rows),
        "work_open": sum(row.work_open for row in rows),
        "breached": sum(row.breached for row in rows),
    }
    return HeadOfficeHome(day=day, branches=rows, totals=totals)


@dataclass
class Home:
    """Everything a member of staff's home shows: one part per block their roles give."""

    actor: Staff
    kinds: list[str]
    day: dt.date
    manager: ManagerHome | None = None
    team: TeamHome | None = None
    department: DepartmentHome | None = None
    head_office: HeadOfficeHome | None = None


def home_for(*, actor: Staff, day: dt.date | None = None) -> Home:
    """The actor's own home: the blocks of each of their roles."""
    day = day or timezone.localdate()
    kinds = homes_of(actor)
    home = Home(actor=actor, kinds=kinds, day=day)
    if MANAGER in kinds:
        home.manager = manager_home(
            actor=actor, staff=quality.staff_get(actor=actor, staff_id=actor.pk), day=day
        )
    if TEAM in kinds:
        home.team = team_home(actor=actor, day=day)
    if DEPARTMENT in kinds:
        home.department = department_home(actor=actor, day=day)
    if HEAD_OFFICE in kinds:
        home.head_office = head_office_home(actor=actor, day=day)
    return home


def staff_home(*, actor: Staff, staff_id: int, day: dt.date | None = None) -> Home:
    """A manager's home as the actor (their lead or head) sees it; a member of staff out of
    the actor's reach is Http404 (``org.policy.staff_q``)."""
    day = day or timezone.localdate()
    staff = quality.staff_get(actor=actor, staff_id=staff_id)
    return Home(
        actor=actor,
        kinds=[MANAGER],
        day=day,
        manager=manager_home(actor=actor, staff=staff, day=day),
    )
