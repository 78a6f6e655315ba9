"""Whatever the inputs and the path (service or API), no recorded sale breaks a rule.

Each example builds a customer's situation and a product, then tries to sell through
the service or through ``POST /api/v1/sales``. Every sale that got recorded is then
checked against an oracle written from DOMAIN.md §1 directly, not through the engine.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rmdesk.conftest import Cast
from rmdesk.core.errors import DomainError
from rmdesk.customers.models import Customer
from rmdesk.marketing import services
from rmdesk.marketing.models import (
    Assessment,
    DualRecording,
    QualifiedInvestorEvidence,
    Sale,
    StaffQualification,
)
from rmdesk.marketing.tests.factories import ProductFactory, assessment_make, evidence_make
from rmdesk.org.models import Staff

TYPES = ["wm_public", "wm_private", "fund", "insurance", "government_bond", "time_deposit"]
MINIMUM = {
    "fixed_income": Decimal("300000"),
    "mixed": Decimal("400000"),
    "equity": Decimal("1000000"),
}


def _oracle(sale: Sale) -> list[str]:
    """What is wrong with a recorded sale, judged from the database as it stood."""
    problems = []
    product, customer = sale.product, Customer.objects.get(pk=sale.customer_id)
    today = timezone.localdate(sale.signed_at)
    latest = (
        Assessment.objects.filter(customer=customer, assessed_at__lte=sale.signed_at)
        .order_by("-assessed_at", "-id")
        .first()
    )
    assessed_types = {"wm_public", "wm_private", "fund", "structured_deposit", "insurance"}
    if product.status != "on_sale":
        problems.append("not on sale")
    if product.type in assessed_types:
        if latest is None or latest.expires_on < today:
            problems.append("no valid assessment")
        elif product.risk_level > latest.risk_level:
            agency = product.type == "fund" and product.issuer_type == "third_party"
            lowest = latest.risk_level == 1 or latest.loss_unable
            if not (agency and not lowest and sale.risk_warning_signed_at is not None):
                problems.append("risk mismatch")
    if product.type == "wm_private":
        if not QualifiedInvestorEvidence.objects.filter(
            customer=customer, evidenced_on__gte=today - dt.timedelta(days=365)
        ).exists():
            problems.append("not qualified")
        if (
            sale.cooling_off_ends_at is None
            or sale.cooling_off_ends_at < sale.signed_at + dt.timedelta(hours=24)
        ):
            problems.append("no cooling-off")
    # S10: the minimum applies to what the customer puts into the product: the first
    # purchase reaches it on its own; later ones add to a holding that already does.
    minimum = product.min_amount
    if product.type == "wm_private":
        minimum = max(minimum, MINIMUM[product.asset_class])
    elif product.type == "wm_public" and product.issuer_type == "bank":
        minimum = max(minimum, Decimal("10000"))
    earlier = Sale.objects.filter(
        customer=customer, product=product, status="active", pk__lt=sale.pk
    )
    held_before = sum((s.amount for s in earlier), Decimal("0"))
    if held_before < minimum and sale.amount < minimum:
        problems.append("below minimum")
    if product.quota is not None and product.quota_used > product.quota:
        problems.append("quota oversold")
    recorded = product.type in {
        "wm_public",
        "wm_private",
        "fund",
        "insurance",
        "structured_deposit",
    }
    if sale.channel == "branch" and recorded and customer.kind == "individual":
        rec = DualRecording.objects.filter(sale=sale).first()
        if rec is None or not rec.consent:
            problems.append("no dual recording")
    if (
        product.qualification_needed
        and not StaffQualification.objects.filter(
            staff_id=sale.staff_id,
            kind=product.qualification_needed,
            valid_from__lte=today,
            expires_on__gte=today,
        ).exists()
    ):
        problems.append("staff not qualified")
    return problems


scenario = st.fixed_dictionaries(
    {
        "type": st.sampled_from(TYPES),
        "issuer": st.sampled_from(["bank", "wm_subsidiary", "third_party"]),
        "asset": st.sampled_from(sorted(MINIMUM)),
        "risk": st.integers(1, 5),
        "status": st.sampled_from(["on_sale", "on_sale", "on_sale", "suspended"]),
        "min_amount": st.sampled_from([Decimal("1"), Decimal("1000"), Decimal("50000")]),
        "quota": st.sampled_from([None, Decimal("500000"), Decimal("2000000")]),
        "qualification": st.sampled_from(["", "", "fund", "insurance"]),
        "level": st.one_of(st.none(), st.integers(1, 5)),
        "loss_unable": st.booleans(),
        "assessed_days_ago": st.sampled_from([0, 100, 364, 365, 366, 800]),
        "assessment_channel": st.sampled_from(["branch", "online"]),
        "evidence_days_ago": st.one_of(st.none(), st.sampled_from([0, 365, 366])),
        "licence_days_left": st.one_of(st.none(), st.sampled_from([-1, 0, 30])),
        "amounts": st.lists(
            st.sampled_from(
                [
                    Decimal(v)
                    for v in (
                        "0.01",
                        "100",
                        "9999.99",
                        "10000",
                        "150000",
                        "299999.99",
                        "300000",
                        "400000",
                        "1000000",
                        "1500000",
                    )
                ]
            ),
            min_size=1,
            max_size=3,
        ),
        "channel": st.sampled_from(["branch", "online", "terminal"]),
        "signed": st.booleans(),
        "with_recording": st.booleans(),
        "consent": st.booleans(),
        "via_api": st.booleans(),
    }
)


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=scenario)
def test_no_recorded_sale_ever_breaks_a_rule(
    cast: Cast, client_for: Callable[[Staff], Client], case: dict[str, object]
) -> None:
    """RELIABILITY.md D7."""
    api = client_for(cast.manager)
    with transaction.atomic():
        _run(cast, api, case)
        transaction.set_rollback(True)


def _run(cast: Cast, api: Client, case: dict) -> None:  # type: ignore[type-arg]
    now = timezone.now()
    product = ProductFactory(
        type=case["type"],
        issuer_type=case["issuer"],
        asset_class=case["asset"],
        risk_level=case["risk"],
        status=case["status"],
        min_amount=case["min_amount"],
        quota=case["quota"],
        qualification_needed=case["qualification"],
    )
    customer = cast.own
    if case["level"] is not None:
        assessment_make(
            customer,
            level=case["level"],
            loss_unable=case["loss_unable"],
            channel=case["assessment_channel"],
            assessed_at=now - dt.timedelta(days=case["assessed_days_ago"]),
        )
    if case["evidence_days_ago"] is not None:
        evidence_make(
            customer,
            cast.manager,
            evidenced_on=timezone.localdate() - dt.timedelta(days=case["evidence_days_ago"]),
        )
    if case["licence_days_left"] is not None and case["qualification"]:
        StaffQualification.objects.create(
            staff=cast.manager,
            kind=case["qualification"],
            licence_no="L",
            valid_from=timezone.localdate() - dt.timedelta(days=100),
            expires_on=timezone.localdate() + dt.timedelta(days=case["licence_days_left"]),
        )
    recording = {
        "file_name": "r.mp4",
        "sha256": "a" * 64,
        "zone": "专区",
        "consent": case["consent"],
        "reviewer_id": cast.team_lead.pk,
    }
    for amount in case["amounts"]:
        if case["via_api"]:
            body = {
                "customer_id": customer.pk,
                "product_id": product.pk,
                "amount": str(amount),
                "channel": case["channel"],
                "risk_warning_signed": case["signed"],
                "disclosure_sha256": "b" * 64,
                "second_checker_id": cast.team_lead.pk,
                "recording": recording if case["with_recording"] else None,
            }
            response = api.post("/api/v1/sales", json.dumps(body), content_type="application/json")
            assert response.status_code in {201, 400, 422}, response.content
        else:
            with contextlib.suppress(DomainError, PermissionDenied):
                services.sale_record(
                    actor=cast.manager,
                    customer_id=customer.pk,
                    product_id=product.pk,
                    amount=amount,
                    channel=str(case["channel"]),
                    recording=services.RecordingIn(**recording) if case["with_recording"] else None,
                    risk_warning_signed=bool(case["signed"]),
                    second_checker_id=cast.team_lead.pk,
                    disclosure_sha256="b" * 64,
                )
    product.refresh_from_db()
    for sale in Sale.objects.filter(product=product).select_related("product"):
        assert _oracle(sale) == [], (case, sale.amount)
