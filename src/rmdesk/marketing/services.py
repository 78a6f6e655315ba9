"""Writes for marketing. Every write is here, atomic and audited.

A sale is recorded only by ``sale_record``: it locks the customer and the product,
re-runs the suitability check on what it reads under the lock, and refuses a blocked
sale — so no path (page, API, import, command) can record one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import CharField, F, IntegerField, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.core.errors import ConflictError, DomainError
from rmdesk.core.retry import retried_transaction
from rmdesk.customers.models import Customer, Tier
from rmdesk.customers.selectors import customer_get
from rmdesk.marketing import selectors
from rmdesk.marketing import suitability as s
from rmdesk.marketing.models import (
    Assessment,
    Campaign,
    CampaignEntry,
    DualRecording,
    PlanTarget,
    Product,
    QualifiedInvestorEvidence,
    Questionnaire,
    Requirement,
    Sale,
    StaffQualification,
)
from rmdesk.marketing.permissions import (
    can_manage_products,
    can_run_campaigns,
    can_sell,
)
from rmdesk.org.models import OrgUnit, Staff

SHA256 = re.compile(r"^[0-9a-f]{64}$")
MONEY_MAX = Decimal("9999999999999999.99")


def _invalid(errors: list[dict[str, str]]) -> DomainError:
    return DomainError(_("Some fields are not valid."), code="invalid_fields", details=errors)


def _money(
    value: Any, *, field: str, errors: list[dict[str, str]], positive: bool = True
) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append({"field": field, "code": "BAD_AMOUNT", "reason": str(_("Enter an amount."))})
        return Decimal("0")
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        errors.append(
            {"field": field, "code": "BAD_AMOUNT", "reason": str(_("At most two decimal places."))}
        )
    elif (positive and amount <= 0) or amount < 0 or amount > MONEY_MAX:
        errors.append(
            {"field": field, "code": "BAD_AMOUNT", "reason": str(_("Enter a positive amount."))}
        )
    return amount


# --- the shelf -------------------------------------------------------------------------

PRODUCT_FIELDS = (
    "code",
    "name",
    "type",
    "issuer_type",
    "asset_class",
    "risk_level",
    "term_days",
    "yield_low",
    "yield_high",
    "min_amount",
    "increment",
    "currency",
    "sale_starts_at",
    "sale_ends_at",
    "quota",
    "target_tiers",
    "qualification_needed",
    "cooling_off_hours",
    "recording_retention_years",
    "status",
)


YIELD_MAX = Decimal("1000")


def _whole(
    value: Any, *, field: str, low: int, high: int | None, errors: list[dict[str, str]]
) -> int | None:
    """A whole number in [low, high] (None stays None)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append({"field": field, "code": "BAD_NUMBER", "reason": str(_("A whole number."))})
        return None
    if value < low or (high is not None and value > high):
        reason = (
            _("From %(low)s to %(high)s.") % {"low": low, "high": high}
            if high is not None
            else _("At least %(low)s.") % {"low": low}
        )
        errors.append({"field": field, "code": "OUT_OF_RANGE", "reason": str(reason)})
    return int(value)


def _yield(value: Any, *, field: str, errors: list[dict[str, str]]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        rate = Decimal("NaN")
    if not rate.is_finite() or rate.as_tuple().exponent < -4 or abs(rate) >= YIELD_MAX:  # type: ignore[operator]
        errors.append(
            {
                "field": field,
                "code": "BAD_RATE",
                "reason": str(_("A rate in percent below 1000, at most four decimal places.")),
            }
        )
        return None
    return rate


def product_fields_clean(data: dict[str, Any], *, current: Product | None) -> dict[str, Any]:
    """Validate and normalise a product's fields: the one set of rules for the page, the
    API and the core system's products feed.

    ``current`` is the product being changed (its values fill what ``data`` leaves out,
    and what was sold bounds the quota). Raises DomainError("invalid_fields") whose
    details list every refused field with a stable code and a translated reason.
    """
    merged = {name: getattr(current, name) for name in PRODUCT_FIELDS} if current else {}
    merged.update({k: v for k, v in data.items() if k in PRODUCT_FIELDS})
    errors: list[dict[str, str]] = []
    bad_choice = str(_("Not one of the allowed values."))
    for name, choices in (
        ("type", Product.Type.values),
        ("issuer_type", Product.Issuer.values),
        ("asset_class", Product.AssetClass.values),
        ("status", Product.Status.values),
        ("qualification_needed", Product.Qualification.values),
    ):
        if merged.get(name, "") not in choices:
            errors.append({"field": name, "code": "BAD_CHOICE", "reason": bad_choice})
    code = str(merged.get("code") or "").strip()
    if not code or len(code) > 40:
        errors.append(
            {"field": "code", "code": "BAD_CODE", "reason": str(_("Enter the core system's code."))}
        )
    merged["code"] = code
    name = str(merged.get("name") or "").strip()
    if not name:
        errors.append({"field": "name", "code": "REQUIRED", "reason": str(_("Enter a name."))})
    elif len(name) > 200:
        errors.append(
            {"field": "name", "code": "TOO_LONG", "reason": str(_("At most 200 characters."))}
        )
    merged["name"] = name
    if merged.get("risk_level") not in (1, 2, 3, 4, 5):
        errors.append(
            {"field": "risk_level", "code": "BAD_CHOICE", "reason": str(_("Choose R1 to R5."))}
        )
    merged["term_days"] = _whole(
        merged.get("term_days"), field="term_days", low=0, high=None, errors=errors
    )
    merged["cooling_off_hours"] = (
        _whole(
            merged.get("cooling_off_hours"),
            field="cooling_off_hours",
            low=0,
            high=24 * 30,
            errors=errors,
        )
        or 0
    )
    merged["recording_retention_years"] = _whole(
        merged.get("recording_retention_years"),
        field="recording_retention_years",
        low=1,
        high=100,
        errors=errors,
    )
    for name in ("min_amount", "increment"):
        merged[name] = _money(merged.get(name, "0.01"), field=name, errors=errors)
    if merged.get("quota") not in (None, ""):
        merged["quota"] = _money(merged["quota"], field="quota", errors=errors)
        if current is not None and merged["quota"] < current.quota_used:
            errors.append(
                {
                    "field": "quota",
                    "code": "QUOTA_BELOW_SOLD",
                    "reason": str(_("The quota cannot go below what is sold.")),
                }
            )
    else:
        merged["quota"] = None
    tiers = merged.get("target_tiers") or []
    if not isinstance(tiers, list) or any(t not in Tier.values for t in tiers):
        errors.append({"field": "target_tiers", "code": "BAD_CHOICE", "reason": bad_choice})
    merged["target_tiers"] = tiers
    currency = str(merged.get("currency") or "CNY").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        errors.append(
            {
                "field": "currency",
                "code": "BAD_CURRENCY",
                "reason": str(_("A three-letter currency code.")),
            }
        )
    merged["currency"] = currency
    starts, ends = merged.get("sale_starts_at"), merged.get("sale_ends_at")
    if starts and ends and ends <= starts:
        errors.append(
            {
                "field": "sale_ends_at",
                "code": "BAD_DATE_ORDER",
                "reason": str(_("The window must close after it opens.")),
            }
        )
    low = merged["yield_low"] = _yield(merged.get("yield_low"), field="yield_low", errors=errors)
    high = merged["yield_high"] = _yield(
        merged.get("yield_high"), field="yield_high", errors=errors
    )
    if low is not None and high is not None and high < low:
        errors.append(
            {
                "field": "yield_high",
                "code": "BAD_RANGE",
                "reason": str(_("The range is upside down.")),
            }
        )
    if errors:
        raise _invalid(errors)
    return merged


@transaction.atomic
def product_create(*, actor: Staff, data: dict[str, Any]) -> Product:
    """Put a product on the shelf. Product officers only.

    Raises PermissionDenied, DomainError("invalid_fields"), ConflictError("duplicate_code").
    """
    if not can_manage_products(actor):
        raise PermissionDenied
    clean = product_fields_clean(data, current=None)
    if Product.objects.filter(code=clean["code"]).exists():
        raise ConflictError(
            _("A product with this code exists."),
            code="duplicate_code",
            details=[{"field": "code", "reason": str(_("Already on the shelf."))}],
        )
    product = Product.objects.create(**clean)
    audit_record(
        actor=actor,
        action="marketing.product.created",
        target=product,
        data={"code": product.code, "risk_level": product.risk_level, "status": product.status},
    )
    return product


@transaction.atomic
def product_update(*, actor: Staff, product_id: int, data: dict[str, Any]) -> Product:
    """Change a product; the code is the core system's key and does not change."""
    if not can_manage_products(actor):
        raise PermissionDenied
    product = selectors.product_get(actor=actor, product_id=product_id)
    product = Product.objects.select_for_update().get(pk=product.pk)
    data = {k: v for k, v in data.items() if k != "code"}
    clean = product_fields_clean(data, current=product)
    changed = sorted(k for k, v in clean.items() if getattr(product, k) != v)
    for name in changed:
        setattr(product, name, clean[name])
    if changed:
        product.save()
        audit_record(
            actor=actor,
            action="marketing.product.updated",
            target=product,
            data={"fields": changed, "status": product.status},
        )
    return product


@transaction.atomic
def staff_qualification_record(
    *,
    actor: Staff,
    staff_id: int,
    kind: str,
    licence_no: str,
    valid_from: dt.date,
    expires_on: dt.date,
) -> StaffQualification:
    """Record a sales licence of a member of staff. Product officers and administrators."""
    if not can_manage_products(actor):
        raise PermissionDenied
    errors: list[dict[str, str]] = []
    if kind not in Product.Qualification.values or not kind:
        errors.append({"field": "kind", "reason": str(_("Not one of the allowed values."))})
    if not licence_no.strip():
        errors.append({"field": "licence_no", "reason": str(_("Enter the licence number."))})
    if expires_on < valid_from:
        errors.append({"field": "expires_on", "reason": str(_("It expires before it starts."))})
    if errors:
        raise _invalid(errors)
    staff = Staff.objects.filter(pk=staff_id, is_active=True).first()
    if staff is None:
        raise Http404
    qualification = StaffQualification.objects.create(
        staff=staff,
        kind=kind,
        licence_no=licence_no.strip(),
        valid_from=valid_from,
        expires_on=expires_on,
    )
    audit_record(
        actor=actor,
        action="marketing.staff_qualification.recorded",
        target=qualification,
        data={"staff": staff.pk, "kind": kind, "expires_on": expires_on.isoformat()},
    )
    return qualification


# --- risk assessment -------------------------------------------------------------------


def questionnaire_active() -> Questionnaire:
    questionnaire = Questionnaire.objects.filter(active=True).first()
    if questionnaire is None:
        raise DomainError(_("No risk questionnaire is in use."), code="no_questionnaire")
    return questionnaire


def questionnaire_score(
    questionnaire: Questionnaire, answers: dict[str, str]
) -> tuple[int, int, bool]:
    """(score, level C1–C5, loss_unable) for complete answers; DomainError otherwise."""
    definition = questionnaire.definition
    errors: list[dict[str, str]] = []
    score = 0
    loss_unable = False
    for question in definition["questions"]:
        chosen = answers.get(question["code"])
        option = next((o for o in question["options"] if o["code"] == chosen), None)
        if option is None:
            errors.append(
                {"field": f"answers.{question['code']}", "reason": str(_("Choose an answer."))}
            )
            continue
        score += int(option["score"])
        loss_unable = loss_unable or bool(option.get("loss_unable"))
    unknown = set(answers) - {q["code"] for q in definition["questions"]}
    for code in sorted(unknown):
        errors.append({"field": f"answers.{code}", "reason": str(_("No such question."))})
    if errors:
        raise _invalid(errors)
    level = 1
    for band in definition["bands"]:
        if score >= int(band["min"]):
            level = int(band["level"])
    # The lowest category: a customer who cannot bear any loss is C1 whatever the score.
    if loss_unable:
        level = 1
    return score, level, loss_unable


@transaction.atomic
def assessment_record(
    *,
    actor: Staff,
    customer_id: int,
    answers: dict[str, str],
    channel: str,
    customer_confirmed: bool,
) -> Assessment:
    """Record the customer's own answers (S4) and keep the customer's risk fields in step.

    The customer answers and confirms; staff record. Valid one year to the anniversary
    (29 Feb → 28 Feb, S5). A lower level than before flags active sales above it.
    Raises Http404, PermissionDenied, DomainError("invalid_fields"/"not_confirmed").
    """
    customer = customer_get(actor=actor, customer_id=customer_id)
    if not can_sell(actor):
        raise PermissionDenied
    if channel not in Assessment.Channel.values:
        raise _invalid([{"field": "channel", "reason": str(_("Not one of the allowed values."))}])
    if not customer_confirmed:
        raise DomainError(
            _("The customer must confirm the answers are their own."),
            code="not_confirmed",
            details=[{"field": "customer_confirmed", "reason": str(_("Required."))}],
        )
    Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk").get()
    questionnaire = questionnaire_active()
    score, level, loss_unable = questionnaire_score(questionnaire, answers)
    now = timezone.now()
    expires_on = s.anniversary(timezone.localdate(now))
    assessment = Assessment.objects.create(
        customer=customer,
        questionnaire=questionnaire,
        answers=answers,
        score=score,
        risk_level=level,
        loss_unable=loss_unable,
        channel=channel,
        staff=actor,
        customer_confirmed_at=now,
        assessed_at=now,
        expires_on=expires_on,
    )
    Customer.objects.filter(pk=customer.pk).update(
        risk_level=level, risk_expires_on=expires_on, updated_at=now
    )
    # S5: holdings above the new level are flagged (and further purchases blocked).
    flagged = Sale.objects.filter(
        customer=customer, status=Sale.Status.ACTIVE, product__risk_level__gt=level
    ).update(above_tolerance=True)
    Sale.objects.filter(
        customer=customer, status=Sale.Status.ACTIVE, product__risk_level__lte=level
    ).update(above_tolerance=False)
    audit_record(
        actor=actor,
        action="marketing.assessment.recorded",
        target=assessment,
        data={
            "customer": customer.pk,
            "questionnaire": questionnaire.version,
            "score": score,
            "level": level,
            "channel": channel,
            "expires_on": expires_on.isoformat(),
            "flagged_sales": flagged,
        },
    )
    audit_record(
        actor=actor,
        action="customers.customer.risk_updated",
        target=customer,
        data={"risk_level": level, "risk_expires_on": expires_on.isoformat()},
    )
    return assessment


QUALIFYING_AMOUNTS: dict[str, Decimal] = {
    QualifiedInvestorEvidence.Basis.NET_FINANCIAL_ASSETS: Decimal("3000000"),
    QualifiedInvestorEvidence.Basis.FINANCIAL_ASSETS: Decimal("5000000"),
    QualifiedInvestorEvidence.Basis.INCOME: Decimal("400000"),
    QualifiedInvestorEvidence.Basis.COMPANY_NET_ASSETS: Decimal("10000000"),
    QualifiedInvestorEvidence.Basis.PROFESSIONAL: Decimal("0"),
}


@transaction.atomic
def evidence_record(
    *,
    actor: Staff,
    customer_id: int,
    basis: str,
    amount: Decimal,
    experience_years: int,
    document_ref: str,
    evidenced_on: dt.date,
) -> QualifiedInvestorEvidence:
    """Record qualified-investor evidence (S11); refuses evidence that does not qualify."""
    customer = customer_get(actor=actor, customer_id=customer_id)
    if not can_sell(actor):
        raise PermissionDenied
    errors: list[dict[str, str]] = []
    if basis not in QUALIFYING_AMOUNTS:
        errors.append({"field": "basis", "reason": str(_("Not one of the allowed values."))})
    else:
        company = basis == QualifiedInvestorEvidence.Basis.COMPANY_NET_ASSETS
        if company != (customer.kind == Customer.Kind.CORPORATE):
            errors.append({"field": "basis", "reason": str(_("Not for this kind of customer."))})
        if amount < QUALIFYING_AMOUNTS[basis]:
            errors.append(
                {
                    "field": "amount",
                    "reason": str(_("At least %(amount)s CNY."))
                    % {"amount": f"{QUALIFYING_AMOUNTS[basis]:,.0f}"},
                }
            )
        if (
            not company
            and experience_years < selectors.rules_current().qualified_min_experience_years
        ):
            errors.append({"field": "experience_years", "reason": str(_("At least two years."))})
    if not document_ref.strip():
        errors.append({"field": "document_ref", "reason": str(_("Enter the document reference."))})
    if evidenced_on > timezone.localdate():
        errors.append({"field": "evidenced_on", "reason": str(_("Not in the future."))})
    if errors:
        raise _invalid(errors)
    evidence = QualifiedInvestorEvidence.objects.create(
        customer=customer,
        basis=basis,
        amount=amount,
        experience_years=experience_years,
        document_ref=document_ref.strip(),
        evidenced_on=evidenced_on,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="marketing.investor_evidence.recorded",
        target=evidence,
        data={"customer": customer.pk, "basis": basis, "evidenced_on": evidenced_on.isoformat()},
    )
    return evidence


# --- the check and the sale ------------------------------------------------------------


def suitability_evaluate(
    *,
    actor: Staff,
    customer_id: int,
    product_id: int,
    amount: Decimal,
    channel: str,
    currency: str | None = None,
    risk_warning_signed: bool = False,
) -> s.Decision:
    """Run the check for a visible customer, as the actor would sell. Writes nothing."""
    customer = customer_get(actor=actor, customer_id=customer_id)
    product = selectors.product_get(actor=actor, product_id=product_id)
    if channel not in Sale.Channel.values:
        raise _invalid([{"field": "channel", "reason": str(_("Not one of the allowed values."))}])
    facts = selectors.suitability_facts(
        customer=customer,
        product=product,
        staff=actor,
        amount=amount,
        currency=currency or product.currency,
        channel=channel,
        risk_warning_signed=risk_warning_signed,
    )
    return s.suitability_check(facts)


@dataclass(frozen=True)
class RecordingIn:
    file_name: str
    sha256: str
    zone: str
    consent: bool
    reviewer_id: int


class SaleBlocked(DomainError):
    status = 422


@retried_transaction()
def sale_record(
    *,
    actor: Staff,
    customer_id: int,
    product_id: int,
    amount: Decimal,
    channel: str,
    currency: str | None = None,
    recording: RecordingIn | None = None,
    risk_warning_signed: bool = False,
    second_checker_id: int | None = None,
    witness_name: str = "",
    disclosure_sha256: str = "",
) -> Sale:
    """Record a subscription — the only way a Sale is written.

    Locks the customer, then the product (a fixed order, so two sales cannot deadlock),
    re-reads every fact under the locks and re-runs the check; a blocked decision
    raises SaleBlocked("sale_blocked") with the reasons and nothing is written. Then
    each requirement must be met: the dual-recording reference with consent (S7), the
    signed risk warning (S3), a second checker for elderly customers (S12), the
    disclosure shown online (S8). Takes the amount out of the product's quota.
    """
    customer = customer_get(actor=actor, customer_id=customer_id)
    if not can_sell(actor):
        raise PermissionDenied
    if channel not in Sale.Channel.values:
        raise _invalid([{"field": "channel", "reason": str(_("Not one of the allowed values."))}])
    errors: list[dict[str, str]] = []
    amount = _money(amount, field="amount", errors=errors)
    if errors:
        raise _invalid(errors)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    try:
        product = Product.objects.select_for_update().get(pk=product_id)
    except Product.DoesNotExist as exc:
        raise Http404 from exc
    now = timezone.now()
    facts = selectors.suitability_facts(
        customer=customer,
        product=product,
        staff=actor,
        amount=amount,
        currency=currency or product.currency,
        channel=channel,
        now=now,
        risk_warning_signed=risk_warning_signed,
    )
    decision = s.suitability_check(facts)
    if not decision.allowed:
        raise SaleBlocked(
            _("This sale is not allowed: %(reasons)s")
            % {"reasons": " ".join(item.message for item in decision.reasons)},
            code="sale_blocked",
            details=decision.as_json(),
        )
    needs = decision.requirement_codes
    missing: list[dict[str, str]] = []
    if s.DUAL_RECORDING in needs:
        missing.extend(_recording_problems(recording, actor=actor))
    if s.ELDERLY_STEPS in needs:
        checker = (
            Staff.objects.filter(pk=second_checker_id, is_active=True).first()
            if second_checker_id
            else None
        )
        if checker is None or checker.pk == actor.pk:
            missing.append(
                {
                    "field": "second_checker_id",
                    "reason": str(
                        _("An elderly customer's sale is checked by a second member of staff.")
                    ),
                }
            )
    if s.RISK_WARNING_SIGNATURE in needs and not risk_warning_signed:
        missing.append(
            {
                "field": "risk_warning_signed",
                "reason": str(_("The signed risk warning is required.")),
            }
        )
    if s.ONLINE_DISCLOSURE in needs and not SHA256.match(disclosure_sha256):
        missing.append(
            {
                "field": "disclosure_sha256",
                "reason": str(_("Record the SHA-256 of the disclosure the customer confirmed.")),
            }
        )
    if missing:
        raise DomainError(
            _("The sale needs more before it can be recorded."),
            code="requirements_missing",
            details=missing,
        )
    sale = Sale.objects.create(
        customer=customer,
        product=product,
        amount=amount,
        currency=product.currency,
        channel=channel,
        staff=actor,
        second_checker_id=second_checker_id if s.ELDERLY_STEPS in needs else None,
        witness_name=witness_name.strip()[:100],
        signed_at=now,
        suitability=decision.as_json(),
        rule_set_version=decision.rule_set_version,
        risk_warning_signed_at=now if s.RISK_WARNING_SIGNATURE in needs else None,
        disclosure_sha256=disclosure_sha256 if s.ONLINE_DISCLOSURE in needs else "",
        cooling_off_ends_at=decision.cooling_off_ends_at,
        follow_up_due_at=follow_up_due(now, needs, decision.cooling_off_ends_at),
    )
    if s.DUAL_RECORDING in needs and recording is not None:
        years = product.recording_retention_years or facts.rules.recording_retention_years
        DualRecording.objects.create(
            sale=sale,
            file_name=recording.file_name.strip(),
            sha256=recording.sha256,
            zone=recording.zone.strip(),
            consent=True,
            reviewer_id=recording.reviewer_id,
            retain_until=s.anniversary(timezone.localdate(now), years=years),
        )
    if product.quota is not None:
        Product.objects.filter(pk=product.pk).update(quota_used=F("quota_used") + amount)
    CampaignEntry.objects.filter(
        customer=customer,
        campaign__status=Campaign.Status.LAUNCHED,
        campaign__product=product,
        converted_sale__isnull=True,
    ).update(stage=CampaignEntry.Stage.CONVERTED, converted_sale=sale)
    audit_record(
        actor=actor,
        action="marketing.sale.recorded",
        target=sale,
        data={
            "customer": customer.pk,
            "product": product.code,
            "amount": str(amount),
            "channel": channel,
            "rule_set": decision.rule_set_version,
            "requirements": sorted(needs),
        },
    )
    return sale


# An elderly customer's follow-up call comes the day after the sale (S12) at the
# earliest, and never inside a cooling-off period (S9: the call comes after it).
ELDERLY_FOLLOW_UP_AFTER = dt.timedelta(days=1)


def follow_up_due(
    signed_at: dt.datetime, needs: Iterable[str], cooling_off_ends_at: dt.datetime | None
) -> dt.datetime | None:
    """When the sale's follow-up call is owed, or None when it needs none: elderly
    customers (S12) and sales with a cooling-off period (S9) get one."""
    needs = set(needs)
    if s.ELDERLY_STEPS not in needs and cooling_off_ends_at is None:
        return None
    due = signed_at + ELDERLY_FOLLOW_UP_AFTER if s.ELDERLY_STEPS in needs else signed_at
    return max(due, cooling_off_ends_at) if cooling_off_ends_at is not None else due


def _recording_problems(recording: RecordingIn | None, *, actor: Staff) -> list[dict[str, str]]:
    if recording is None:
        return [
            {
                "field": "recording",
                "reason": str(_("A branch sale needs its dual-recording reference.")),
            }
        ]
    problems = []
    if not recording.consent:
        problems.append(
            {"field": "recording.consent", "reason": str(_("No consent to recording, no sale."))}
        )
    if not recording.file_name.strip():
        problems.append({"field": "recording.file_name", "reason": str(_("Enter the file name."))})
    if not SHA256.match(recording.sha256):
        problems.append(
            {"field": "recording.sha256", "reason": str(_("64 lower-case hexadecimal digits."))}
        )
    if not recording.zone.strip():
        problems.append({"field": "recording.zone", "reason": str(_("Enter the sales zone."))})
    if (
        not Staff.objects.filter(pk=recording.reviewer_id, is_active=True)
        .exclude(pk=actor.pk)
        .exists()
    ):
        problems.append(
            {
                "field": "recording.reviewer_id",
                "reason": str(_("Another member of staff reviews the recording.")),
            }
        )
    return problems


@transaction.atomic
def sale_cancel(*, actor: Staff, sale_id: int) -> Sale:
    """Cancel a sale within its cooling-off period, with a full refund (S9).

    Raises Http404, PermissionDenied, DomainError("not_cancellable").
    """
    found = selectors.sale_get(actor=actor, sale_id=sale_id)
    if not can_sell(actor):
        raise PermissionDenied
    sale = Sale.objects.select_for_update().get(pk=found.pk)
    now = timezone.now()
    if (
        sale.status != Sale.Status.ACTIVE
        or sale.cooling_off_ends_at is None
        or now >= sale.cooling_off_ends_at
    ):
        raise DomainError(
            _("Only a sale still in its cooling-off period can be cancelled."),
            code="not_cancellable",
        )
    product = Product.objects.select_for_update().get(pk=sale.product_id)
    # Cancelling the purchase that met the minimum must not leave top-ups below it.
    rules = selectors.rules_current()
    minimum = max(
        product.min_amount,
        rules.regulatory_minimum(
            issuer=product.issuer_type, product_type=product.type, asset_class=product.asset_class
        ),
    )
    left = (
        Sale.objects.filter(
            customer_id=sale.customer_id, product=product, status=Sale.Status.ACTIVE
        )
        .exclude(pk=sale.pk)
        .aggregate(total=Coalesce(Sum("amount"), Decimal("0")))["total"]
    )
    if 0 < left < minimum:
        raise DomainError(
            _("Cancel the later top-ups of this product first: what stays must meet the minimum."),
            code="cancel_top_ups_first",
        )
    sale.status = Sale.Status.CANCELLED
    sale.cancelled_at = now
    sale.save(update_fields=["status", "cancelled_at", "updated_at"])
    if product.quota is not None:
        Product.objects.filter(pk=product.pk).update(quota_used=F("quota_used") - sale.amount)
    audit_record(
        actor=actor,
        action="marketing.sale.cancelled",
        target=sale,
        data={"amount": str(sale.amount), "refund": "full"},
    )
    return sale


# --- campaigns -------------------------------------------------------------------------

SEGMENT_KEYS = {
    "tiers",
    "aum_min",
    "aum_max",
    "holding_types",
    "risk_levels",
    "org_unit_id",
    "kinds",
    "signals",
    "signal_days",
}


def _segment_clean(rules: dict[str, Any]) -> dict[str, Any]:
    errors: list[dict[str, str]] = []
    for key in sorted(set(rules) - SEGMENT_KEYS):
        errors.append({"field": f"rules.{key}", "reason": str(_("Not a segment rule."))})
    if any(t not in Tier.values for t in rules.get("tiers") or []):
        errors.append({"field": "rules.tiers", "reason": str(_("Not one of the allowed values."))})
    if any(r not in (1, 2, 3, 4, 5) for r in rules.get("risk_levels") or []):
        errors.append({"field": "rules.risk_levels", "reason": str(_("Choose C1 to C5."))})
    for key in ("aum_min", "aum_max"):
        if rules.get(key) not in (None, ""):
            _money(rules[key], field=f"rules.{key}", errors=errors, positive=False)
    if rules.get("org_unit_id") and not OrgUnit.objects.filter(pk=rules["org_unit_id"]).exists():
        errors.append({"field": "rules.org_unit_id", "reason": str(_("No such org unit."))})
    from rmdesk.development.models import SignalCode

    signals = rules.get("signals") or []
    if not isinstance(signals, list) or any(code not in SignalCode.values for code in signals):
        errors.append(
            {"field": "rules.signals", "reason": str(_("Not one of the allowed values."))}
        )
    days = rules.get("signal_days")
    if days not in (None, "") and (
        isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 366
    ):
        errors.append(
            {"field": "rules.signal_days", "reason": str(_("A number of days from 1 to 366."))}
        )
    if days not in (None, "") and not signals:
        errors.append(
            {"field": "rules.signal_days", "reason": str(_("Choose the signals it looks for."))}
        )
    if errors:
        raise _invalid(errors)
    return {k: v for k, v in rules.items() if v not in (None, "", [])}


def _campaign_fields_check(
    name: str, starts_on: dt.date, ends_on: dt.date, product_id: int | None
) -> None:
    errors: list[dict[str, str]] = []
    if not name.strip():
        errors.append({"field": "name", "reason": str(_("Enter a name."))})
    if ends_on < starts_on:
        errors.append({"field": "ends_on", "reason": str(_("It ends before it starts."))})
    if product_id is not None and not Product.objects.filter(pk=product_id).exists():
        errors.append({"field": "product_id", "reason": str(_("No such product."))})
    if errors:
        raise _invalid(errors)


@transaction.atomic
def campaign_create(
    *,
    actor: Staff,
    name: str,
    rules: dict[str, Any],
    starts_on: dt.date,
    ends_on: dt.date,
    product_id: int | None = None,
    talking_points: str = "",
    materials: str = "",
) -> Campaign:
    if not can_run_campaigns(actor):
        raise PermissionDenied
    _campaign_fields_check(name, starts_on, ends_on, product_id)
    campaign = Campaign.objects.create(
        name=name.strip(),
        rules=_segment_clean(rules),
        product_id=product_id,
        talking_points=talking_points,
        materials=materials,
        starts_on=starts_on,
        ends_on=ends_on,
        owner=actor,
    )
    audit_record(
        actor=actor,
        action="marketing.campaign.created",
        target=campaign,
        data={"rules": campaign.rules},
    )
    return campaign


@transaction.atomic
def campaign_update(
    *,
    actor: Staff,
    campaign_id: int,
    name: str,
    rules: dict[str, Any],
    starts_on: dt.date,
    ends_on: dt.date,
    product_id: int | None = None,
    talking_points: str = "",
    materials: str = "",
) -> Campaign:
    """Change a draft campaign: its name, segment rules, product, dates and talking points.
    A launched campaign's target list is frozen, so it no longer changes.

    Raises Http404, PermissionDenied, DomainError("already_launched"/"invalid").
    """
    found = selectors.campaign_get(actor=actor, campaign_id=campaign_id)
    if not can_run_campaigns(actor):
        raise PermissionDenied
    campaign = Campaign.objects.select_for_update().get(pk=found.pk)
    if campaign.status != Campaign.Status.DRAFT:
        raise DomainError(
            _("A launched campaign's targets are frozen; it can no longer be changed."),
            code="already_launched",
        )
    _campaign_fields_check(name, starts_on, ends_on, product_id)
    cleaned = _segment_clean(rules)
    before = {"rules": campaign.rules, "product": campaign.product_id, "name": campaign.name}
    campaign.name = name.strip()
    campaign.rules = cleaned
    campaign.product_id = product_id
    campaign.starts_on = starts_on
    campaign.ends_on = ends_on
    campaign.talking_points = talking_points
    campaign.materials = materials
    campaign.save()
    audit_record(
        actor=actor,
        action="marketing.campaign.changed",
        target=campaign,
        data={
            "before": before,
            "after": {"rules": cleaned, "product": product_id, "name": campaign.name},
        },
    )
    return campaign


@transaction.atomic
def campaign_launch(*, actor: Staff, campaign_id: int) -> Campaign:
    """Freeze the target list: the segment evaluated once, bank-wide, in one INSERT … SELECT.

    Customers without marketing consent or asking not to be contacted are never
    targets; each entry goes to the customer's lead manager. Where the campaign sells a
    product, customers whose assessment puts them below it are left out (S2/S3: the
    bank must not push a product to a customer who may not or should not buy it).
    """
    found = selectors.campaign_get(actor=actor, campaign_id=campaign_id)
    if not can_run_campaigns(actor):
        raise PermissionDenied
    campaign = Campaign.objects.select_for_update().get(pk=found.pk)
    if campaign.status != Campaign.Status.DRAFT:
        raise DomainError(_("The campaign is already launched."), code="already_launched")
    customers = selectors.segment_customers(rules=campaign.rules)
    if (
        campaign.product is not None
        and campaign.product.type in selectors.rules_current().assessed_types
    ):
        customers = customers.filter(
            risk_level__gte=campaign.product.risk_level,
            risk_expires_on__gte=timezone.localdate(),
        )
    rows = customers.annotate(
        m_campaign=Value(campaign.pk, output_field=IntegerField()),
        m_stage=Value(CampaignEntry.Stage.TARGETED, output_field=CharField()),
        m_touches=Value(0, output_field=IntegerField()),
    ).values_list("m_campaign", "pk", "primary_manager_id", "m_stage", "m_touches")
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CampaignEntry._meta.db_table} "  # noqa: S608 - our own table name
            f"(campaign_id, customer_id, manager_id, stage, touches) {sql}",
            params,
        )
        targeted = cursor.rowcount
    campaign.status = Campaign.Status.LAUNCHED
    campaign.launched_at = timezone.now()
    campaign.save(update_fields=["status", "launched_at", "updated_at"])
    audit_record(
        actor=actor,
        action="marketing.campaign.launched",
        target=campaign,
        data={"targets": targeted},
    )
    return campaign


@transaction.atomic
def campaign_touch(*, actor: Staff, entry_id: int) -> CampaignEntry:
    """Record a contact with a target. Refused if the customer withdrew consent since."""
    from rmdesk.org.policy import customer_q

    try:
        entry = (
            CampaignEntry.objects.select_for_update()
            .filter(customer_q(actor, prefix="customer__"))
            .select_related("customer", "campaign")
            .get(pk=entry_id)
        )
    except CampaignEntry.DoesNotExist as exc:
        raise Http404 from exc
    if not can_sell(actor):
        raise PermissionDenied
    if entry.campaign.status != Campaign.Status.LAUNCHED:
        raise DomainError(_("The campaign is not running."), code="campaign_not_running")
    if entry.customer.do_not_contact or not entry.customer.marketing_consent:
        raise DomainError(
            _("The customer does not agree to marketing contact."), code="no_marketing_consent"
        )
    entry.touches += 1
    entry.last_touched_at = timezone.now()
    if entry.stage == CampaignEntry.Stage.TARGETED:
        entry.stage = CampaignEntry.Stage.TOUCHED
    entry.save()
    audit_record(
        actor=actor,
        action="marketing.campaign.touched",
        target=entry,
        data={"touches": entry.touches},
    )
    return entry


# --- plans and requirements ------------------------------------------------------------


@transaction.atomic
def plan_target_create(
    *,
    actor: Staff,
    org_unit_id: int,
    metric: str,
    period_start: dt.date,
    period_end: dt.date,
    target: Decimal,
    product_type: str = "",
) -> PlanTarget:
    """A branch (or sub-branch) target, cascaded to its managers in equal shares by AUM
    held (a manager with a bigger book gets a bigger share). Heads of the unit only."""
    from rmdesk.org.roles import Role

    unit = OrgUnit.objects.filter(pk=org_unit_id).first()
    if unit is None:
        raise Http404
    if not (
        actor.has_role(Role.BRANCH_HEAD, Role.SUBBRANCH_HEAD)
        and actor.org_unit is not None
        and unit.path.startswith(actor.org_unit.path)
    ):
        raise PermissionDenied
    errors: list[dict[str, str]] = []
    if metric not in PlanTarget.Metric.values:
        errors.append({"field": "metric", "reason": str(_("Not one of the allowed values."))})
    if period_end < period_start:
        errors.append({"field": "period_end", "reason": str(_("It ends before it starts."))})
    target = _money(target, field="target", errors=errors)
    if errors:
        raise _invalid(errors)
    from django.db.models import Count, Sum
    from django.db.models.functions import Coalesce

    subtree = OrgUnit.objects.filter(path__startswith=unit.path).values("pk")
    book = Customer.objects.filter(home_unit__in=subtree)
    parent = PlanTarget.objects.create(
        org_unit=unit,
        metric=metric,
        product_type=product_type,
        period_start=period_start,
        period_end=period_end,
        target=target,
        baseline=book.aggregate(total=Coalesce(Sum("aum"), Decimal("0")))["total"],
    )
    managers = list(
        book.filter(primary_manager__isnull=False)
        .values("primary_manager_id")
        .annotate(aum=Coalesce(Sum("aum"), Decimal("0")), n=Count("id"))
        .order_by("primary_manager_id")
    )
    total_weight = sum((row["aum"] or Decimal(row["n"])) for row in managers)
    children = []
    for row in managers:
        weight = row["aum"] or Decimal(row["n"])
        share = (target * weight / total_weight).quantize(Decimal("0.01")) if total_weight else 0
        if share > 0:
            children.append(
                PlanTarget(
                    org_unit=unit,
                    manager_id=row["primary_manager_id"],
                    parent=parent,
                    metric=metric,
                    product_type=product_type,
                    period_start=period_start,
                    period_end=period_end,
                    target=share,
                    baseline=row["aum"],
                )
            )
    PlanTarget.objects.bulk_create(children)
    audit_record(
        actor=actor,
        action="marketing.plan.created",
        target=parent,
        data={"metric": metric, "target": str(target), "managers": len(children)},
    )
    return parent


@transaction.atomic
def requirement_record(
    *, actor: Staff, customer_id: int, topic: str, description: str, amount: Decimal | None = None
) -> Requirement:
    customer = customer_get(actor=actor, customer_id=customer_id)
    if not can_sell(actor):
        raise PermissionDenied
    errors: list[dict[str, str]] = []
    if not topic.strip():
        errors.append({"field": "topic", "reason": str(_("Enter a topic."))})
    if not description.strip():
        errors.append({"field": "description", "reason": str(_("Describe the need."))})
    if amount is not None:
        amount = _money(amount, field="amount", errors=errors)
    if errors:
        raise _invalid(errors)
    from rmdesk.coordination.services import work_order_raise_quietly

    work_order = work_order_raise_quietly(
        actor=actor,
        type_code="customer_requirement",
        title=topic.strip()[:200],
        customer_id=customer.pk,
        amount=amount,
        fields={"need": description.strip()[:1000]},
        text=description.strip(),
    )
    requirement = Requirement.objects.create(
        customer=customer,
        raised_by=actor,
        topic=topic.strip().lower()[:100],
        description=description.strip(),
        amount=amount,
        work_order=work_order,
    )
    audit_record(
        actor=actor,
        action="marketing.requirement.recorded",
        target=requirement,
        data={"topic": requirement.topic, "work_order": work_order.pk if work_order else None},
    )
    return requirement


@transaction.atomic
def requirement_answer(*, actor: Staff, requirement_id: int, answer: str) -> Requirement:
    """The product department answers; the manager who raised it is notified."""
    if not can_manage_products(actor):
        raise PermissionDenied
    requirement = Requirement.objects.select_for_update().filter(pk=requirement_id).first()
    if requirement is None:
        raise Http404
    if not answer.strip():
        raise _invalid([{"field": "answer", "reason": str(_("Enter the answer."))}])
    requirement.answer = answer.strip()
    requirement.answered_by = actor
    requirement.answered_at = timezone.now()
    requirement.status = Requirement.Status.ANSWERED
    requirement.save()
    from rmdesk.notify.services import notify

    notify(
        [requirement.raised_by],
        kind="marketing.requirement_answered",
        title=_("The product department answered a customer requirement"),
        body=requirement.answer[:500],
        url=f"/marketing/requirements/#r{requirement.pk}",
        target=requirement,
        dedupe_key=f"marketing.requirement.{requirement.pk}.answered",
    )
    audit_record(actor=actor, action="marketing.requirement.answered", target=requirement, data={})
    return requirement
