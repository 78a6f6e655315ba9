"""What /api/v1/home returns: the figures of the home pages, block by block."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Schema

from rmdesk.contact.schemas import CustomerRef
from rmdesk.org.schemas import StaffRef


class HomeReasonOut(Schema):
    code: str
    label: str
    detail: str


class PlanItemOut(Schema):
    id: int
    customer: CustomerRef
    score: int
    reasons: list[HomeReasonOut]


class HomePlanOut(Schema):
    open: int
    done: int
    dismissed: int
    items: list[PlanItemOut]


class FollowUpOut(Schema):
    id: int
    customer: CustomerRef
    follow_up_on: date | None
    next_step: str


class FollowUpsOut(Schema):
    count: int
    items: list[FollowUpOut]


class HomeVisitOut(Schema):
    id: int
    customer: CustomerRef
    planned_start: datetime
    purpose: str


class VisitsOut(Schema):
    count: int
    items: list[HomeVisitOut]


class HomeOpportunityOut(Schema):
    id: int
    customer: CustomerRef
    title: str
    follow_up_on: date
    amount: Decimal | None


class OpportunitiesOut(Schema):
    count: int
    due: int
    items: list[HomeOpportunityOut]


class HomeNameListEntryOut(Schema):
    id: int
    name_list_id: int
    name_list: str
    due_on: date | None
    customer_id: int | None
    prospect_id: int | None
    name: str


class NameListEntriesOut(Schema):
    count: int
    items: list[HomeNameListEntryOut]


class HomeWorkOrderOut(Schema):
    id: int
    title: str
    status: str
    status_label: str
    type: str
    customer: CustomerRef | None
    created_at: datetime
    due_at: datetime | None
    sla_state: str
    sla_label: str


class WorkOrdersOut(Schema):
    count: int
    items: list[HomeWorkOrderOut]


class CampaignTargetOut(Schema):
    id: int
    campaign_id: int
    campaign: str
    customer: CustomerRef
    stage: str
    stage_label: str
    touches: int


class CampaignTargetsOut(Schema):
    open: int
    targeted: int
    touched: int
    converted: int
    items: list[CampaignTargetOut]


class ProgressOut(Schema):
    id: int
    metric: str
    metric_label: str
    period_start: date
    period_end: date
    target: Decimal
    achieved: Decimal
    share: float


class ScorecardHeadlineOut(Schema):
    period: str
    computed: bool
    overall: Decimal | None
    behind: int
    figures: int


class ManagerHomeOut(Schema):
    staff: StaffRef
    day: date
    plan: HomePlanOut
    follow_ups: FollowUpsOut
    visits: VisitsOut
    opportunities: OpportunitiesOut
    name_list_entries: NameListEntriesOut
    work_orders: WorkOrdersOut
    campaign_targets: CampaignTargetsOut
    plan_progress: list[ProgressOut]
    scorecard: ScorecardHeadlineOut


class HomeCoverageRowOut(Schema):
    id: int
    label: str
    total: int
    within: int
    share: float


class HomeCoverageOut(Schema):
    total: int
    within: int
    share: float
    managers: list[HomeCoverageRowOut]


class StageCountOut(Schema):
    stage: str
    label: str
    count: int


class PipelineOut(Schema):
    stages: list[StageCountOut]
    opportunities_open: int
    opportunities_amount: Decimal


class CampaignFunnelOut(Schema):
    campaign_id: int
    name: str
    targeted: int
    touched: int
    converted: int


class DepartmentSlaOut(Schema):
    department_id: int | None
    department: str
    open: int
    overdue: int
    breached: int
    breach_rate: float


class SlaOut(Schema):
    open: int
    overdue: int
    breached: int
    departments: list[DepartmentSlaOut]


class PoolUsageOut(Schema):
    id: int
    label: str
    limit: Decimal
    used: Decimal
    allocated: Decimal
    share: float


class HomeBoardRowOut(Schema):
    staff: StaffRef
    overall: Decimal
    behind: int


class HomeBoardOut(Schema):
    period: str
    computed: bool
    rows: list[HomeBoardRowOut]


class MemberOut(Schema):
    staff: StaffRef
    coverage: float | None
    overall: Decimal | None


class TeamHomeOut(Schema):
    day: date
    coverage: HomeCoverageOut
    pipeline: PipelineOut
    campaigns: list[CampaignFunnelOut]
    sla: SlaOut
    pools: list[PoolUsageOut]
    scorecards: HomeBoardOut
    members: list[MemberOut]


class AgeBucketOut(Schema):
    label: str
    breached: int
    due_soon: int
    on_time: int


class DepartmentHomeOut(Schema):
    total: int
    breached: int
    due_soon: int
    on_time: int
    ages: list[AgeBucketOut]
    items: list[HomeWorkOrderOut]


class BranchOut(Schema):
    id: int
    name: str
    customers: int
    aum: Decimal
    coverage: float
    prospects_open: int
    work_open: int
    breached: int


class BankOut(Schema):
    customers: int
    aum: Decimal
    coverage: float
    prospects_open: int
    work_open: int
    breached: int


class HeadOfficeHomeOut(Schema):
    branches: list[BranchOut]
    bank: BankOut


class HomeOut(Schema):
    staff: StaffRef
    day: date
    homes: list[str]
    manager: ManagerHomeOut | None
    team: TeamHomeOut | None
    department: DepartmentHomeOut | None
    head_office: HeadOfficeHomeOut | None
