from __future__ import annotations

from decimal import Decimal
from typing import Literal

from ninja import Field, Schema


class LineOut(Schema):
    metric: str
    label: str
    unit: str
    value: Decimal
    numerator: Decimal | None
    denominator: Decimal | None
    percentile: Decimal
    team_median: Decimal | None
    trend: list[Decimal]
    behind: bool


class QualityOut(Schema):
    quality: str
    label: str
    figures: list[LineOut]


class ScorecardOut(Schema):
    staff_id: int
    staff: str
    period: str
    computed_at: str | None
    overall: Decimal | None
    qualities: list[QualityOut]


class BoardRowOut(Schema):
    staff_id: int
    staff: str
    org_unit: str
    overall: Decimal
    figures: dict[str, Decimal]
    behind: list[str]


class BoardOut(Schema):
    period: str
    computed_at: str | None
    sort: str
    org_unit: int | None
    offset: int
    limit: int
    has_more: bool
    rows: list[BoardRowOut]


class RunOut(Schema):
    id: int
    period: str
    staff_count: int
    score_count: int


class ComputeIn(Schema):
    period: str


class SharedCustomerOut(Schema):
    customer_id: int
    customer_no: str
    name: str
    lead_id: int
    assistant_id: int
    lead_share: Decimal
    own_share: Decimal
    set_by_dispute: bool
    open_dispute_id: int | None


class SharedPageOut(Schema):
    items: list[SharedCustomerOut]
    offset: int
    limit: int
    has_more: bool


class DisputeIn(Schema):
    customer_id: int
    reason: str = Field(max_length=2000)
    proposed_lead_share: Decimal | None = Field(default=None, max_digits=5, decimal_places=4)


class ResolveIn(Schema):
    outcome: Literal["uphold", "change"]
    lead_share: Decimal | None = Field(default=None, max_digits=5, decimal_places=4)
    note: str = Field(default="", max_length=2000)


class DisputeOut(Schema):
    id: int
    customer_id: int
    customer_no: str
    lead_id: int
    assistant_id: int
    raised_by_id: int
    reason: str
    status: str
    lead_share_before: Decimal
    proposed_lead_share: Decimal | None
    lead_share_after: Decimal | None
    work_order_id: int | None
    resolved_by_id: int | None
    resolved_at: str | None
    resolution: str
    created_at: str


class DisputePageOut(Schema):
    items: list[DisputeOut]
    offset: int
    limit: int
    has_more: bool
