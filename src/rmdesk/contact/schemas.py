from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field

from rmdesk.api.schemas import PageMeta
from rmdesk.org.schemas import StaffRef


class CustomerRef(Schema):
    id: int
    customer_no: str
    name: str = Field(description="Masked for people.")
    kind: str


class NeedOut(Schema):
    code: str
    label: str


class KeyPersonRef(Schema):
    id: int
    role: str


class InteractionIn(Schema):
    customer_id: int = Field(gt=0)
    channel: str = Field(max_length=16)
    occurred_at: datetime
    summary: str = Field(min_length=1, max_length=4000)
    confidentiality: str = Field(default="normal", max_length=12)
    needs: list[str] = Field(default_factory=list, max_length=20)
    key_person_id: int | None = Field(default=None, gt=0)
    next_step: str = Field(default="", max_length=500)
    follow_up_on: date | None = None


class InteractionOut(Schema):
    id: int
    customer: CustomerRef
    author: StaffRef
    channel: str
    channel_label: str
    occurred_at: datetime
    key_person: KeyPersonRef | None
    summary: str
    confidentiality: str
    needs: list[NeedOut]
    next_step: str
    follow_up_on: date | None
    follow_up_done_at: datetime | None


class InteractionPageOut(Schema):
    items: list[InteractionOut]
    page: PageMeta


class ReasonOut(Schema):
    code: str
    label: str
    detail: str
    evidence: dict[str, Any]


class PlanEntryOut(Schema):
    id: int
    day: date
    manager_id: int
    customer: CustomerRef
    score: int
    reasons: list[ReasonOut]
    status: str
    outcome: str
    note: str
    carried_from: date | None


class PlanGenerateIn(Schema):
    day: date | None = None
    manager_id: int | None = Field(default=None, gt=0)


class PlanGenerateOut(Schema):
    day: date
    manager_id: int
    entries: int


class DismissIn(Schema):
    outcome: str = Field(max_length=20)
    note: str = Field(default="", max_length=500)


class VisitIn(Schema):
    customer_id: int = Field(gt=0)
    planned_start: datetime
    planned_end: datetime
    purpose: str = Field(min_length=1, max_length=300)
    location: str = Field(default="", max_length=200)


class CheckInIn(Schema):
    lat: Decimal | None = Field(default=None, ge=-90, le=90)
    lng: Decimal | None = Field(default=None, ge=-180, le=180)
    accuracy_m: int | None = Field(default=None, ge=0, le=100_000)


class VisitOut(Schema):
    id: int
    customer: CustomerRef
    manager: StaffRef
    planned_start: datetime
    planned_end: datetime
    purpose: str
    location: str
    status: str
    status_label: str
    checked_in_at: datetime | None
    check_in_lat: Decimal | None
    check_in_lng: Decimal | None
    check_in_accuracy_m: int | None


class DepartmentRef(Schema):
    id: int
    name: str


class HistoryOut(Schema):
    at: datetime
    actor: StaffRef
    from_status: str
    to_status: str
    note: str


class ServiceRequestIn(Schema):
    customer_id: int = Field(gt=0)
    kind: str = Field(max_length=24)
    description: str = Field(min_length=1, max_length=4000)
    department_id: int | None = Field(default=None, gt=0)
    assignee_id: int | None = Field(default=None, gt=0)
    due_on: date | None = None


class ServiceRequestPatch(Schema):
    status: str | None = Field(default=None, max_length=12)
    note: str = Field(default="", max_length=500)
    department_id: int | None = Field(default=None, gt=0)
    assignee_id: int | None = Field(default=None, gt=0)


class ServiceRequestOut(Schema):
    id: int
    customer: CustomerRef
    kind: str
    kind_label: str
    description: str
    status: str
    status_label: str
    department: DepartmentRef | None
    assignee: StaffRef | None
    due_on: date | None
    raised_by: StaffRef
    created_at: datetime
    closed_at: datetime | None
    work_order_id: int | None = None
    history: list[HistoryOut]


class ServiceRequestPageOut(Schema):
    items: list[ServiceRequestOut]
    page: PageMeta


class CalendarFeedIn(Schema):
    label: str = Field(default="", max_length=100)


class CalendarFeedOut(Schema):
    id: int
    label: str
    token_hint: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class CalendarFeedIssuedOut(CalendarFeedOut):
    url: str = Field(description="The secret link; shown once, keep it private.")


class CoverageRowOut(Schema):
    kind: str
    id: int
    label: str
    total: int
    within: int
    overdue: int
    never: int
    share: float


class CoverageOut(Schema):
    as_of: date
    bank: CoverageRowOut
    managers: list[CoverageRowOut]
    teams: list[CoverageRowOut]
    units: list[CoverageRowOut]
