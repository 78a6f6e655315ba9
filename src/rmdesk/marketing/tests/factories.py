from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from rmdesk.customers.models import Customer
from rmdesk.marketing import services
from rmdesk.marketing.models import (
    Assessment,
    Product,
    QualifiedInvestorEvidence,
    Questionnaire,
    RuleSet,
    Sale,
    StaffQualification,
)
from rmdesk.marketing.suitability import anniversary
from rmdesk.org.models import Staff


def seeded_defaults() -> Questionnaire:
    """The data migration's questionnaire and rule set, re-created if a transactional
    test (a live server) flushed them."""
    seed = importlib.import_module(
        "rmdesk.marketing.migrations.0002_default_questionnaire_and_rules"
    )
    if not RuleSet.objects.exists():
        RuleSet.objects.create(version=1, parameters=seed.PARAMETERS, active=True)
    questionnaire = Questionnaire.objects.filter(active=True).first()
    if questionnaire is None:
        questionnaire = Questionnaire.objects.create(
            version=1, title="个人客户风险承受能力评估问卷", definition=seed.DEFINITION, active=True
        )
    return questionnaire


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P{n:06d}")
    name = factory.Sequence(lambda n: f"稳健理财{n}号")
    type = Product.Type.WM_PUBLIC
    issuer_type = Product.Issuer.WM_SUBSIDIARY
    asset_class = Product.AssetClass.FIXED_INCOME
    risk_level = 2
    min_amount = Decimal("1.00")
    increment = Decimal("0.01")
    currency = "CNY"
    status = Product.Status.ON_SALE


def assessment_make(
    customer: Customer,
    *,
    level: int,
    channel: str = Assessment.Channel.BRANCH,
    assessed_at: dt.datetime | None = None,
    loss_unable: bool = False,
    staff: Staff | None = None,
) -> Assessment:
    """An assessment at ``level`` (bypassing the questionnaire), with the customer in step."""
    assessed_at = assessed_at or timezone.now()
    expires_on = anniversary(timezone.localdate(assessed_at))
    assessment = Assessment.objects.create(
        customer=customer,
        questionnaire=seeded_defaults(),
        answers={},
        score=0,
        risk_level=level,
        loss_unable=loss_unable,
        channel=channel,
        staff=staff,
        customer_confirmed_at=assessed_at,
        assessed_at=assessed_at,
        expires_on=expires_on,
    )
    Customer.objects.filter(pk=customer.pk).update(risk_level=level, risk_expires_on=expires_on)
    customer.refresh_from_db()
    return assessment


def qualification_make(staff: Staff, kind: str, **kw: Any) -> StaffQualification:
    today = timezone.localdate()
    return StaffQualification.objects.create(
        staff=staff,
        kind=kind,
        licence_no=kw.pop("licence_no", f"LIC-{staff.pk}-{kind}"),
        valid_from=kw.pop("valid_from", today - dt.timedelta(days=365)),
        expires_on=kw.pop("expires_on", today + dt.timedelta(days=365)),
    )


def evidence_make(customer: Customer, staff: Staff, **kw: Any) -> QualifiedInvestorEvidence:
    return QualifiedInvestorEvidence.objects.create(
        customer=customer,
        basis=kw.pop("basis", QualifiedInvestorEvidence.Basis.NET_FINANCIAL_ASSETS),
        amount=kw.pop("amount", Decimal("3500000")),
        experience_years=kw.pop("experience_years", 3),
        document_ref=kw.pop("document_ref", "DOC-1"),
        evidenced_on=kw.pop("evidenced_on", timezone.localdate()),
        recorded_by=staff,
    )


def recording_make(reviewer: Staff, **changes: Any) -> services.RecordingIn:
    """A complete dual recording with the customer's consent, reviewed by ``reviewer``;
    ``changes`` replace any of its fields."""
    recording = services.RecordingIn(
        file_name="rec-0001.mp4",
        sha256="a" * 64,
        zone="甲一支行理财专区",
        consent=True,
        reviewer_id=reviewer.pk,
    )
    return dataclasses.replace(recording, **changes)


@dataclass
class SaleSetup:
    """What a sale of one product by one seller to one customer needs; ``record`` sells."""

    seller: Staff
    customer: Customer
    product: Product
    channel: str
    recording: services.RecordingIn | None
    disclosure_sha256: str

    def record(self, amount: Decimal | str, **changes: Any) -> Sale:
        """``services.sale_record`` of ``amount`` with the set-up's arguments, ``changes``
        (any of the service's keyword arguments) winning."""
        arguments: dict[str, Any] = {
            "actor": self.seller,
            "customer_id": self.customer.pk,
            "product_id": self.product.pk,
            "amount": Decimal(amount),
            "channel": self.channel,
            "recording": self.recording,
            "disclosure_sha256": self.disclosure_sha256,
        }
        return services.sale_record(**(arguments | changes))


def sale_setup(
    *,
    seller: Staff,
    customer: Customer,
    product: Product,
    level: int | None = None,
    qualified: bool = False,
    channel: str = "online",
    reviewer: Staff | None = None,
) -> SaleSetup:
    """A sale ready to record: the customer assessed at ``level`` (when given) and, when
    ``qualified``, a qualified investor on the seller's evidence. Online, the customer
    has read the disclosure; at a branch, the sale is recorded on video and reviewed by
    ``reviewer`` (no recording without one)."""
    if level is not None:
        assessment_make(customer, level=level)
    if qualified:
        evidence_make(customer, seller)
    return SaleSetup(
        seller=seller,
        customer=customer,
        product=product,
        channel=channel,
        recording=recording_make(reviewer) if reviewer is not None else None,
        disclosure_sha256="c" * 64 if channel == "online" else "",
    )
