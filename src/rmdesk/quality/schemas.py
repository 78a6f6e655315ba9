from __future__ import annotations

from decimal import Decimal

from ninja import Schema


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
    rows: list[BoardRowOut]


class RunOut(Schema):
    id: int
    period: str
    staff_count: int
    score_count: int


class ComputeIn(Schema):
    period: str
