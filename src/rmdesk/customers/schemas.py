from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Schema
from pydantic import ConfigDict, Field

from rmdesk.api.schemas import PageMeta
from rmdesk.org.schemas import OrgUnitRef, StaffRef


class CustomerOut(Schema):
    id: int
    customer_no: str
    kind: str
    display_name: str = Field(description="Masked for people unless revealed to the caller.")
    name_masked: bool
    tier: str
    tier_label: str
    aum: Decimal
    home_unit: OrgUnitRef
    primary_manager: StaffRef | None
    assisting_manager: StaffRef | None
    version: int


class CustomerPageOut(Schema):
    items: list[CustomerOut]
    page: PageMeta


class IdentityOut(Schema):
    id_type: str
    id_number: str
    gender: str
    birth_date: str
    nationality: str
    occupation: str
    employer: str
    marital_status: str


class ContactOut(Schema):
    mobile: str
    email: str
    province: str
    city: str
    district: str
    address: str
    marketing_consent: bool
    do_not_contact: bool


class CompanyOut(Schema):
    industry: str
    size: str
    registered_capital: Decimal | None
    legal_representative: str
    group: str
    group_role: str


class HoldingOut(Schema):
    id: int
    account_no: str = Field(description="Masked: first six and last four characters.")
    product_type: str
    product_code: str
    product_name: str
    currency: str
    balance: Decimal
    balance_cny: Decimal
    opened_on: date
    matures_on: date | None
    is_liability: bool


class HoldingGroupOut(Schema):
    product_type: str
    label: str
    count: int
    total_cny: Decimal
    is_liability: bool


class HoldingsSummaryOut(Schema):
    by_type: list[HoldingGroupOut]
    maturing: list[HoldingOut]


class RelatedOut(Schema):
    customer_id: int | None = Field(description="Null when the caller may not open that customer.")
    name: str
    kind: str
    role: str
    role_label: str
    detail: str


class RelationshipsOut(Schema):
    household: str
    household_members: list[RelatedOut]
    group: str
    group_members: list[RelatedOut]
    key_people: list[RelatedOut]
    key_roles: list[RelatedOut]
    referred_by: list[RelatedOut]
    referrals: list[RelatedOut]


class TierChangeOut(Schema):
    from_tier: str
    to_tier: str
    aum: Decimal
    changed_at: datetime


class AssignmentOut(Schema):
    manager: StaffRef
    role: str
    role_label: str
    started_at: datetime
    ended_at: datetime | None
    note: str


class Customer360Out(CustomerOut):
    identity: IdentityOut
    contact: ContactOut
    company: CompanyOut | None
    masked_fields: list[str]
    can_reveal: bool
    liabilities: Decimal
    tier_since: date | None
    risk_level: int | None
    risk_expires_on: date | None
    risk_expired: bool
    holdings: HoldingsSummaryOut
    relationships: RelationshipsOut
    tier_history: list[TierChangeOut]
    assignments: list[AssignmentOut]


class CustomerFields(Schema):
    """The fields staff may set. Owner, tier, AUM and risk are not among them."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, max_length=200)
    id_type: str | None = None
    id_number: str | None = Field(default=None, max_length=40)
    mobile: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    province: str | None = Field(default=None, max_length=100)
    city: str | None = Field(default=None, max_length=100)
    district: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=400)
    gender: str | None = None
    birth_date: date | None = None
    nationality: str | None = Field(default=None, max_length=10)
    occupation: str | None = Field(default=None, max_length=100)
    employer: str | None = Field(default=None, max_length=400)
    marital_status: str | None = None
    industry: str | None = Field(default=None, max_length=100)
    size: str | None = None
    registered_capital: Decimal | None = None
    legal_representative: str | None = Field(default=None, max_length=200)
    marketing_consent: bool | None = None
    do_not_contact: bool | None = None


class CustomerIn(CustomerFields):
    kind: str = Field(description="individual or corporate")
    display_name: str = Field(max_length=200)
    home_unit_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    manager_id: int | None = Field(default=None, ge=1, le=2**63 - 1)


class CustomerPatch(CustomerFields):
    version: int = Field(ge=1, description="The version you read; a stale one answers 409.")


class RevealIn(Schema):
    model_config = ConfigDict(extra="forbid")

    fields: list[str] = Field(min_length=1, max_length=10)
    reason: str = Field(max_length=255)


class RevealOut(Schema):
    values: dict[str, str]
    expires_at: datetime
