"""The suitability engine (DOMAIN.md §1): one pure function over frozen facts.

``suitability_check(facts)`` reads no database and no clock: everything it decides on —
the customer, the product, the staff member, the amount, the channel, the time and the
rule set's parameters — is in ``facts``. The rule table is data (``Rules``, built from
the active ``RuleSet``'s parameters); the function walks it in one order and collects
every reason, so a blocked check says everything that is wrong at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

# Reasons (DOMAIN.md decision codes, stable) and two of rmdesk's own.
NO_RISK_ASSESSMENT = "NO_RISK_ASSESSMENT"
ASSESSMENT_EXPIRED = "ASSESSMENT_EXPIRED"
RISK_MISMATCH = "RISK_MISMATCH"
NOT_QUALIFIED_INVESTOR = "NOT_QUALIFIED_INVESTOR"
BELOW_MINIMUM = "BELOW_MINIMUM"
AMOUNT_NOT_IN_INCREMENTS = "AMOUNT_NOT_IN_INCREMENTS"
FIRST_PURCHASE_NEEDS_BRANCH_ASSESSMENT = "FIRST_PURCHASE_NEEDS_BRANCH_ASSESSMENT"
STAFF_NOT_QUALIFIED = "STAFF_NOT_QUALIFIED"
PRODUCT_NOT_ON_SALE = "PRODUCT_NOT_ON_SALE"
QUOTA_EXHAUSTED = "QUOTA_EXHAUSTED"
CURRENCY_MISMATCH = "CURRENCY_MISMATCH"

# Requirements.
DUAL_RECORDING = "DUAL_RECORDING"
COOLING_OFF = "COOLING_OFF"
ELDERLY_STEPS = "ELDERLY_STEPS"
RISK_WARNING_SIGNATURE = "RISK_WARNING_SIGNATURE"
FACE_TO_FACE_FIRST_PURCHASE = "FACE_TO_FACE_FIRST_PURCHASE"
QUALIFIED_INVESTOR_CONFIRMATION = "QUALIFIED_INVESTOR_CONFIRMATION"
ONLINE_DISCLOSURE = "ONLINE_DISCLOSURE"

WM_TYPES = frozenset({"wm_public", "wm_private"})

# The rule set in force when a bank has configured none (DOMAIN.md §1 defaults). The
# data migration seeds RuleSet v1 with exactly this.
DEFAULT_PARAMETERS: dict[str, Any] = {
    "elderly_age": 65,
    "private_cooling_off_hours": 24,
    "qualified_evidence_valid_days": 365,
    "qualified_min_experience_years": 2,
    # Product types whose sale needs a valid assessment and obeys the R×C matrix (S2).
    "assessed_types": [
        "wm_public",
        "wm_private",
        "fund",
        "structured_deposit",
        "insurance",
    ],
    # Types sold as agent where an ordinary investor may insist above their level (S3).
    "override_types": ["fund"],
    # Types needing qualified investors, a 300k+ minimum and a cooling-off (S9–S11).
    "private_types": ["wm_private"],
    # Types whose branch sale to an individual is recorded (S7); government bonds and
    # physical metals are exempt, and deposits, loans and cards are not investment sales.
    "recording_types": [
        "wm_public",
        "wm_private",
        "fund",
        "insurance",
        "structured_deposit",
    ],
    "recording_channels": ["branch"],
    # S10: (issuer, offering, asset class) → minimum in CNY; "*" matches anything. The
    # first matching row wins; the product's own minimum applies when higher.
    "minimums": [
        ["bank", "public", "*", "10000"],
        ["wm_subsidiary", "public", "*", "1"],
        ["*", "private", "fixed_income", "300000"],
        ["*", "private", "cash", "300000"],
        ["*", "private", "mixed", "400000"],
        ["*", "private", "equity", "1000000"],
        ["*", "private", "commodity", "1000000"],
        ["*", "private", "*", "1000000"],
    ],
    # S13: default recording retention when the product sets none (the longest).
    "recording_retention_years": 20,
    "time_zone": "Asia/Shanghai",
}


@dataclass(frozen=True)
class Rules:
    version: int
    elderly_age: int
    private_cooling_off_hours: int
    qualified_evidence_valid_days: int
    qualified_min_experience_years: int
    assessed_types: frozenset[str]
    override_types: frozenset[str]
    private_types: frozenset[str]
    recording_types: frozenset[str]
    recording_channels: frozenset[str]
    minimums: tuple[tuple[str, str, str, Decimal], ...]
    recording_retention_years: int
    time_zone: str

    @classmethod
    def from_parameters(cls, *, version: int, parameters: dict[str, Any]) -> Rules:
        p = {**DEFAULT_PARAMETERS, **parameters}
        return cls(
            version=version,
            elderly_age=int(p["elderly_age"]),
            private_cooling_off_hours=int(p["private_cooling_off_hours"]),
            qualified_evidence_valid_days=int(p["qualified_evidence_valid_days"]),
            qualified_min_experience_years=int(p["qualified_min_experience_years"]),
            assessed_types=frozenset(p["assessed_types"]),
            override_types=frozenset(p["override_types"]),
            private_types=frozenset(p["private_types"]),
            recording_types=frozenset(p["recording_types"]),
            recording_channels=frozenset(p["recording_channels"]),
            minimums=tuple(
                (str(issuer), str(offering), str(asset), Decimal(str(amount)))
                for issuer, offering, asset, amount in p["minimums"]
            ),
            recording_retention_years=int(p["recording_retention_years"]),
            time_zone=str(p["time_zone"]),
        )

    def offering(self, product_type: str) -> str:
        return "private" if product_type in self.private_types else "public"

    def regulatory_minimum(self, *, issuer: str, product_type: str, asset_class: str) -> Decimal:
        """S10's minimum for an issuer × offering × asset class (0 where none applies)."""
        if product_type not in WM_TYPES:
            return Decimal("0")
        offering = self.offering(product_type)
        for row_issuer, row_offering, row_asset, amount in self.minimums:
            if (
                row_issuer in ("*", issuer)
                and row_offering in ("*", offering)
                and row_asset in ("*", asset_class)
            ):
                return amount
        return Decimal("0")


DEFAULT_RULES = Rules.from_parameters(version=0, parameters={})


@dataclass(frozen=True)
class CustomerFacts:
    customer_id: int
    is_individual: bool
    birth_date: dt.date | None
    risk_level: int | None  # from the latest assessment, None if never assessed
    risk_expires_on: dt.date | None
    loss_unable: bool = False
    has_branch_assessment: bool = False
    # S11 evidence: the latest qualifying evidence's date and experience; professional.
    qualified_evidenced_on: dt.date | None = None
    professional: bool = False
    # Earlier active purchases: of bank-issued WM (S6 first purchase) and of this product
    # (a top-up of a product already held to its minimum is not a first subscription).
    has_bank_wm_purchase: bool = False
    held_in_product: Decimal = Decimal("0")


@dataclass(frozen=True)
class ProductFacts:
    product_id: int
    code: str
    type: str
    issuer_type: str
    asset_class: str
    risk_level: int
    min_amount: Decimal
    increment: Decimal
    currency: str
    status: str
    sale_starts_at: dt.datetime | None
    sale_ends_at: dt.datetime | None
    quota: Decimal | None
    quota_used: Decimal
    qualification_needed: str
    cooling_off_hours: int


@dataclass(frozen=True)
class StaffFacts:
    staff_id: int
    # (qualification kind, valid from, expires on)
    qualifications: tuple[tuple[str, dt.date, dt.date], ...] = ()


@dataclass(frozen=True)
class Facts:
    customer: CustomerFacts
    product: ProductFacts
    staff: StaffFacts
    amount: Decimal
    currency: str
    channel: str  # branch / online / terminal
    now: dt.datetime
    rules: Rules = DEFAULT_RULES
    # S3: the customer signed the special risk warning to buy above their level.
    risk_warning_signed: bool = False


@dataclass(frozen=True)
class Item:
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[Item, ...]
    requirements: tuple[Item, ...]
    rule_set_version: int
    # Whether a risk mismatch could be lifted by the S3 warning and signature.
    overridable: bool = False
    cooling_off_ends_at: dt.datetime | None = None

    @property
    def reason_codes(self) -> frozenset[str]:
        return frozenset(item.code for item in self.reasons)

    @property
    def requirement_codes(self) -> frozenset[str]:
        return frozenset(item.code for item in self.requirements)

    def as_json(self) -> dict[str, Any]:
        def items(values: tuple[Item, ...]) -> list[dict[str, Any]]:
            return [{"code": i.code, "message": i.message, "params": i.params} for i in values]

        return {
            "allowed": self.allowed,
            "overridable": self.overridable,
            "rule_set_version": self.rule_set_version,
            "reasons": items(self.reasons),
            "requirements": items(self.requirements),
            "cooling_off_ends_at": (
                self.cooling_off_ends_at.isoformat() if self.cooling_off_ends_at else None
            ),
        }


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Whole years of age on ``day`` (a 29 February birthday counts from 1 March)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def anniversary(day: dt.date, *, years: int = 1) -> dt.date:
    """The same calendar day ``years`` later; 29 February falls back to 28 February (S5)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _fmt(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def suitability_check(facts: Facts) -> Decision:
    """Decide whether ``facts.customer`` may buy ``facts.amount`` of ``facts.product`` now.

    Pure: no I/O. Reasons block; requirements must be met when the sale is recorded.
    """
    rules, customer, product, now = facts.rules, facts.customer, facts.product, facts.now
    today = now.astimezone(ZoneInfo(rules.time_zone)).date()
    reasons: list[Item] = []
    requirements: list[Item] = []
    overridable = False
    cooling_off_ends_at: dt.datetime | None = None
    is_wm = product.type in WM_TYPES
    is_private = product.type in rules.private_types

    # The product itself: status, sales window, quota, currency.
    in_window = (product.sale_starts_at is None or product.sale_starts_at <= now) and (
        product.sale_ends_at is None or now < product.sale_ends_at
    )
    if product.status != "on_sale" or not in_window:
        reasons.append(Item(PRODUCT_NOT_ON_SALE, _("The product is not on sale at this time.")))
    if product.quota is not None and product.quota_used + facts.amount > product.quota:
        left = max(product.quota - product.quota_used, Decimal("0"))
        reasons.append(
            Item(
                QUOTA_EXHAUSTED,
                _("The product's quota has %(left)s left.") % {"left": _fmt(left)},
                {"left": str(left)},
            )
        )
    if facts.currency != product.currency:
        reasons.append(
            Item(
                CURRENCY_MISMATCH,
                _("The product is sold in %(currency)s.") % {"currency": product.currency},
            )
        )

    # S4/S5: a valid assessment for products that need one; S2/S3: the R×C matrix.
    if product.type in rules.assessed_types:
        if customer.risk_level is None:
            reasons.append(
                Item(
                    NO_RISK_ASSESSMENT,
                    _("The customer has no risk assessment; assess them first."),
                )
            )
        elif customer.risk_expires_on is None or customer.risk_expires_on < today:
            reasons.append(
                Item(
                    ASSESSMENT_EXPIRED,
                    _("The customer's risk assessment expired on %(day)s; reassess them first.")
                    % {"day": customer.risk_expires_on},
                )
            )
        else:
            agency = product.type in rules.override_types and product.issuer_type == "third_party"
            above = product.risk_level > customer.risk_level
            if above and not (agency and customer.professional):
                lowest = customer.risk_level == 1 or customer.loss_unable
                params = {"product": product.risk_level, "customer": customer.risk_level}
                if agency and not lowest:
                    overridable = True
                    requirements.append(
                        Item(
                            RISK_WARNING_SIGNATURE,
                            _(
                                "R%(product)d is above the customer's C%(customer)d: the "
                                "customer may buy only after a special written risk warning "
                                "and their signed confirmation."
                            )
                            % params,
                            params,
                        )
                    )
                if not (overridable and facts.risk_warning_signed):
                    if lowest and agency:
                        message = _(
                            "R%(product)d is above the customer's C%(customer)d, and a customer "
                            "of the lowest category cannot buy above their level."
                        )
                    elif overridable:
                        message = _(
                            "R%(product)d is above the customer's C%(customer)d: show the risk "
                            "warning and record the customer's signature to go on."
                        )
                    else:
                        message = _(
                            "R%(product)d is above the customer's risk tolerance "
                            "C%(customer)d; it cannot be sold to them."
                        )
                    reasons.append(Item(RISK_MISMATCH, message % params, params))

    # S6: the first purchase of a bank-issued WM product follows a branch assessment.
    if is_wm and product.issuer_type == "bank" and not customer.has_bank_wm_purchase:
        requirements.append(
            Item(
                FACE_TO_FACE_FIRST_PURCHASE,
                _("First purchase of the bank's own wealth-management product."),
            )
        )
        if customer.risk_level is not None and not customer.has_branch_assessment:
            reasons.append(
                Item(
                    FIRST_PURCHASE_NEEDS_BRANCH_ASSESSMENT,
                    _(
                        "The first purchase of the bank's own wealth-management products needs "
                        "a risk assessment done face to face at a branch."
                    ),
                )
            )

    # S10/S11: qualified investors and minimums. A purchase split into pieces is refused
    # because every first piece must reach the minimum on its own.
    if is_private:
        valid_evidence = customer.qualified_evidenced_on is not None and (
            customer.qualified_evidenced_on
            >= today - dt.timedelta(days=rules.qualified_evidence_valid_days)
        )
        if not valid_evidence:
            reasons.append(
                Item(
                    NOT_QUALIFIED_INVESTOR,
                    _(
                        "Private products are sold only to qualified investors with current "
                        "evidence (assets or income, and two years' experience)."
                    ),
                )
            )
        else:
            requirements.append(
                Item(
                    QUALIFIED_INVESTOR_CONFIRMATION,
                    _("The customer confirms they are a qualified investor."),
                )
            )
    minimum = max(
        product.min_amount,
        rules.regulatory_minimum(
            issuer=product.issuer_type, product_type=product.type, asset_class=product.asset_class
        ),
    )
    top_up = customer.held_in_product >= minimum > 0
    if facts.amount <= 0 or (not top_up and facts.amount < minimum):
        reasons.append(
            Item(
                BELOW_MINIMUM,
                _("The minimum for this product is %(minimum)s %(currency)s.")
                % {"minimum": _fmt(minimum), "currency": product.currency},
                {"minimum": str(minimum)},
            )
        )
    elif product.increment > 0:
        base = Decimal("0") if top_up else minimum
        if (facts.amount - base) % product.increment != 0:
            reasons.append(
                Item(
                    AMOUNT_NOT_IN_INCREMENTS,
                    _("Above the minimum, amounts go in steps of %(increment)s.")
                    % {"increment": _fmt(product.increment)},
                    {"increment": str(product.increment)},
                )
            )

    # Staff: the qualification the product needs, current today.
    if product.qualification_needed and not any(
        kind == product.qualification_needed and valid_from <= today <= expires_on
        for kind, valid_from, expires_on in facts.staff.qualifications
    ):
        reasons.append(
            Item(
                STAFF_NOT_QUALIFIED,
                _("You need a current %(qualification)s to sell this product.")
                % {"qualification": QUALIFICATION_LABELS().get(product.qualification_needed, "")},
            )
        )

    # S7: dual recording of branch sales to individuals.
    if (
        customer.is_individual
        and facts.channel in rules.recording_channels
        and product.type in rules.recording_types
    ):
        requirements.append(
            Item(
                DUAL_RECORDING,
                _(
                    "Sell in the sales zone with audio and video recording, with the "
                    "customer's consent."
                ),
            )
        )
    # S8: online sales keep what was shown and when it was confirmed.
    if facts.channel == "online" and product.type in rules.assessed_types:
        requirements.append(
            Item(ONLINE_DISCLOSURE, _("Record the risk disclosure shown and its confirmation."))
        )

    # S9: cooling-off.
    hours = product.cooling_off_hours
    if is_private:
        hours = max(hours, rules.private_cooling_off_hours)
    if hours > 0:
        cooling_off_ends_at = now + dt.timedelta(hours=hours)
        requirements.append(
            Item(
                COOLING_OFF,
                _("Cooling-off until %(until)s: the customer may cancel for a full refund.")
                % {
                    "until": cooling_off_ends_at.astimezone(ZoneInfo(rules.time_zone)).strftime(
                        "%Y-%m-%d %H:%M"
                    )
                },
                {"until": cooling_off_ends_at.isoformat(), "hours": hours},
            )
        )

    # S12: elderly customers.
    if (
        customer.birth_date is not None
        and product.type in rules.assessed_types
        and age_on(customer.birth_date, today) >= rules.elderly_age
    ):
        requirements.append(
            Item(
                ELDERLY_STEPS,
                _(
                    "Customer aged %(age)d or over: a second member of staff checks the sale, "
                    "a relative may witness it, and a follow-up call is made."
                )
                % {"age": rules.elderly_age},
                {"elderly_age": rules.elderly_age},
            )
        )

    return Decision(
        allowed=not reasons,
        reasons=tuple(reasons),
        requirements=tuple(requirements),
        rule_set_version=rules.version,
        overridable=overridable,
        cooling_off_ends_at=cooling_off_ends_at,
    )


def QUALIFICATION_LABELS() -> dict[str, str]:  # noqa: N802 - a table, read lazily for i18n
    return {
        "fund": _("fund sales licence"),
        "insurance": _("insurance agency licence"),
        "wealth": _("wealth-management sales qualification"),
    }
