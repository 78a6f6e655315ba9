from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field


class ProductIn(Schema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    type: str
    issuer_type: str
    asset_class: str
    risk_level: int
    term_days: int | None = Field(default=None, ge=0)
    yield_low: Decimal | None = None
    yield_high: Decimal | None = None
    min_amount: Decimal = Decimal("0.01")
    increment: Decimal = Decimal("0.01")
    currency: str = "CNY"
    sale_starts_at: dt.datetime | None = None
    sale_ends_at: dt.datetime | None = None
    quota: Decimal | None = None
    target_tiers: list[str] = Field(default_factory=list)
    qualification_needed: str = ""
    cooling_off_hours: int = Field(default=0, ge=0, le=24 * 30)
    recording_retention_years: int | None = Field(default=None, ge=1, le=100)
    status: str = "draft"


class ProductPatch(Schema):
    name: str | None = Field(default=None, max_length=200)
    risk_level: int | None = None
    term_days: int | None = Field(default=None, ge=0)
    yield_low: Decimal | None = None
    yield_high: Decimal | None = None
    min_amount: Decimal | None = None
    increment: Decimal | None = None
    sale_starts_at: dt.datetime | None = None
    sale_ends_at: dt.datetime | None = None
    quota: Decimal | None = None
    target_tiers: list[str] | None = None
    qualification_needed: str | None = None
    cooling_off_hours: int | None = Field(default=None, ge=0, le=24 * 30)
    status: str | None = None


class ProductOut(Schema):
    id: int
    code: str
    name: str
    type: str
    issuer_type: str
    asset_class: str
    risk_level: int
    term_days: int | None
    yield_low: str | None
    yield_high: str | None
    min_amount: str
    increment: str
    currency: str
    sale_starts_at: dt.datetime | None
    sale_ends_at: dt.datetime | None
    quota: str | None
    quota_used: str
    target_tiers: list[str]
    qualification_needed: str
    cooling_off_hours: int
    status: str


class CheckIn(Schema):
    customer_id: int
    product_id: int
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    channel: str = "branch"
    currency: str | None = Field(default=None, max_length=3)
    risk_warning_signed: bool = False


class ItemOut(Schema):
    code: str
    message: str
    params: dict[str, Any] = Field(default_factory=dict)


class DecisionOut(Schema):
    allowed: bool
    overridable: bool
    rule_set_version: int
    reasons: list[ItemOut]
    requirements: list[ItemOut]
    cooling_off_ends_at: str | None


class RecordingSchema(Schema):
    file_name: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    zone: str = Field(max_length=100)
    consent: bool
    reviewer_id: int


class SaleIn(CheckIn):
    recording: RecordingSchema | None = None
    second_checker_id: int | None = None
    witness_name: str = Field(default="", max_length=100)
    disclosure_sha256: str = Field(default="", max_length=64)


class SaleOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    product_id: int
    product_code: str
    product_name: str
    amount: str
    currency: str
    channel: str
    staff_id: int
    signed_at: dt.datetime
    status: str
    cooling_off_ends_at: dt.datetime | None
    follow_up_due_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    rule_set_version: int
    suitability: dict[str, Any]
    recording: dict[str, Any] | None
    above_tolerance: bool


class AssessmentIn(Schema):
    answers: dict[str, str]
    channel: str
    customer_confirmed: bool


class AssessmentOut(Schema):
    id: int
    customer_id: int
    questionnaire_version: int
    score: int
    risk_level: int
    loss_unable: bool
    channel: str
    assessed_at: dt.datetime
    expires_on: dt.date


class EvidenceIn(Schema):
    basis: str
    amount: Decimal = Field(ge=0, max_digits=18, decimal_places=2)
    experience_years: int = Field(ge=0, le=100)
    document_ref: str = Field(max_length=200)
    evidenced_on: dt.date


class EvidenceOut(Schema):
    id: int
    customer_id: int
    basis: str
    evidenced_on: dt.date


class QualificationIn(Schema):
    staff_id: int
    kind: str
    licence_no: str = Field(max_length=64)
    valid_from: dt.date
    expires_on: dt.date


class QualificationOut(Schema):
    id: int
    staff_id: int
    kind: str
    valid_from: dt.date
    expires_on: dt.date


class RecommendationOut(Schema):
    product_id: int
    product_code: str
    product_name: str
    risk_level: int
    score: int
    rank: int
    reason: str
    reason_text: str


class CampaignIn(Schema):
    name: str = Field(max_length=200)
    rules: dict[str, Any] = Field(default_factory=dict)
    starts_on: dt.date
    ends_on: dt.date
    product_id: int | None = None
    talking_points: str = Field(default="", max_length=5000)
    materials: str = Field(default="", max_length=500)


class CampaignOut(Schema):
    id: int
    name: str
    rules: dict[str, Any]
    status: str
    product_id: int | None
    starts_on: dt.date
    ends_on: dt.date
    launched_at: dt.datetime | None
    funnel: dict[str, int] | None = None


class EntryOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    manager_id: int | None
    stage: str
    touches: int


class PlanIn(Schema):
    org_unit_id: int
    metric: str
    period_start: dt.date
    period_end: dt.date
    target: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    product_type: str = ""


class PlanOut(Schema):
    id: int
    org_unit_id: int
    manager_id: int | None
    parent_id: int | None
    metric: str
    product_type: str
    period_start: dt.date
    period_end: dt.date
    target: str
    achieved: str


class RequirementIn(Schema):
    customer_id: int
    topic: str = Field(max_length=100)
    description: str = Field(max_length=5000)
    amount: Decimal | None = Field(default=None, max_digits=18, decimal_places=2)


class RequirementOut(Schema):
    id: int
    customer_id: int
    topic: str
    description: str
    status: str
    answer: str


class RequirementGroupOut(Schema):
    topic: str
    requirements: int
    customers: int
    aum: str
    open: int


class AnswerIn(Schema):
    answer: str = Field(max_length=5000)
