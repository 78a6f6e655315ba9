from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from rmdesk.audit.models import AuditEvent
from rmdesk.conftest import EXPECTED_VISIBLE, Cast
from rmdesk.core.errors import DomainError
from rmdesk.customers.models import Customer
from rmdesk.marketing import services
from rmdesk.marketing import suitability as s
from rmdesk.marketing.models import (
    Assessment,
    DualRecording,
    Product,
    QualifiedInvestorEvidence,
    Sale,
)
from rmdesk.marketing.tests.conftest import Shelf
from rmdesk.marketing.tests.factories import (
    SaleSetup,
    assessment_make,
    recording_make,
    sale_setup,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
ANSWERS_C2 = {
    "age": "b",  # 4
    "finances": "b",  # 3
    "experience": "a",  # 1
    "purpose": "b",  # 3
    "return": "a",  # 1
    "preference": "a",  # 1
    "liquidity": "a",  # 1
    "loss": "b",  # 2  -> 16: C2
}


def assess(cast: Cast, **changes: Any) -> Assessment:
    """The manager's C2 questionnaire for their own customer at the branch, confirmed;
    ``changes`` replace any of the service's arguments."""
    arguments: dict[str, Any] = {
        "actor": cast.manager,
        "customer_id": cast.own.pk,
        "answers": ANSWERS_C2,
        "channel": "branch",
        "customer_confirmed": True,
    }
    return services.assessment_record(**(arguments | changes))


def branch_sale(cast: Cast, product: Product, **kw: Any) -> SaleSetup:
    """The manager selling ``product`` to their own customer at the branch, on video."""
    return sale_setup(
        seller=cast.manager,
        customer=cast.own,
        product=product,
        channel="branch",
        reviewer=cast.team_lead,
        **kw,
    )


def online_sale(cast: Cast, product: Product, **kw: Any) -> SaleSetup:
    """The manager selling ``product`` to their own customer online, disclosure read."""
    return sale_setup(seller=cast.manager, customer=cast.own, product=product, **kw)


# --- assessments -----------------------------------------------------------------------


def test_assessment_scores_bands_and_keeps_the_customer_in_step(cast: Cast) -> None:
    assessment = assess(cast)
    assert (assessment.score, assessment.risk_level) == (16, 2)
    cast.own.refresh_from_db()
    assert cast.own.risk_level == 2
    assert cast.own.risk_expires_on == s.anniversary(timezone.localdate())
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"marketing.assessment.recorded", "customers.customer.risk_updated"} <= actions


def test_cannot_bear_loss_is_c1_whatever_the_score(cast: Cast) -> None:
    answers = dict.fromkeys(ANSWERS_C2, "c") | {"age": "b", "loss": "a"}
    assessment = assess(cast, answers=answers, channel="online")
    assert assessment.risk_level == 1
    assert assessment.loss_unable


def test_assessment_on_29_february_expires_on_28_february(cast: Cast) -> None:
    with time_machine.travel(dt.datetime(2028, 2, 29, 10, 0, tzinfo=SHANGHAI), tick=False):
        a = assess(cast)
    assert a.expires_on == dt.date(2029, 2, 28)


def test_incomplete_unconfirmed_or_foreign_assessments_are_refused(cast: Cast) -> None:
    partial = {k: v for k, v in ANSWERS_C2.items() if k != "loss"}
    with pytest.raises(DomainError) as exc:
        assess(cast, answers=partial)
    assert [d["field"] for d in exc.value.details] == ["answers.loss"]
    with pytest.raises(DomainError) as exc:
        assess(cast, customer_confirmed=False)
    assert exc.value.code == "not_confirmed"
    with pytest.raises(Http404):
        assess(cast, customer_id=cast.other.pk)
    with pytest.raises(PermissionDenied):
        assess(cast, actor=cast.analyst)
    assert not Assessment.objects.exists()


def test_a_lower_assessment_flags_holdings_above_it_and_blocks_more(
    cast: Cast, shelf: Shelf
) -> None:
    setup = online_sale(cast, shelf.r4, level=4)
    sale = setup.record("1000")
    assess(cast)
    sale.refresh_from_db()
    assert sale.above_tolerance
    assert sale.status == Sale.Status.ACTIVE
    with pytest.raises(services.SaleBlocked):
        setup.record("1000")


# --- sales -----------------------------------------------------------------------------


def test_a_branch_sale_with_its_recording_is_recorded_with_its_snapshot(
    cast: Cast, shelf: Shelf
) -> None:
    sale = branch_sale(cast, shelf.r2, level=2).record("50000")
    assert sale.suitability["allowed"] is True
    assert sale.rule_set_version == 1
    assert "DUAL_RECORDING" in {r["code"] for r in sale.suitability["requirements"]}
    assert DualRecording.objects.get(sale=sale).sha256 == "a" * 64
    assert AuditEvent.objects.filter(action="marketing.sale.recorded").count() == 1


def test_a_blocked_sale_writes_nothing(cast: Cast, shelf: Shelf) -> None:
    """RELIABILITY.md E5."""
    setup = branch_sale(cast, shelf.r4, level=2)
    with pytest.raises(services.SaleBlocked) as exc:
        setup.record("50000")
    assert exc.value.code == "sale_blocked"
    assert [r["code"] for r in exc.value.details["reasons"]] == ["RISK_MISMATCH"]
    assert not Sale.objects.exists()
    assert not DualRecording.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent": False}, "recording.consent"),
        ({"sha256": "xyz"}, "recording.sha256"),
        ({"zone": ""}, "recording.zone"),
    ],
)
def test_a_branch_sale_needs_a_complete_recording_with_consent(
    cast: Cast, shelf: Shelf, change: dict[str, object], field: str
) -> None:
    setup = branch_sale(cast, shelf.r2, level=2)
    with pytest.raises(DomainError) as exc:
        setup.record("50000", recording=recording_make(cast.team_lead, **change))
    assert field in {d["field"] for d in exc.value.details}
    with pytest.raises(DomainError):
        setup.record("50000", recording=None)
    assert not Sale.objects.exists()


def test_a_seller_cannot_review_their_own_recording(cast: Cast, shelf: Shelf) -> None:
    """RELIABILITY.md D7."""
    setup = branch_sale(cast, shelf.r2, level=2)
    with pytest.raises(DomainError):
        setup.record("100", recording=recording_make(cast.manager))


def test_government_bonds_at_a_branch_need_no_recording(cast: Cast, shelf: Shelf) -> None:
    sale = branch_sale(cast, shelf.bond).record("100", recording=None)
    assert not DualRecording.objects.filter(sale=sale).exists()


def test_s3_override_needs_the_signature_and_never_for_c1(cast: Cast, shelf: Shelf) -> None:
    """RELIABILITY.md D7."""
    setup = online_sale(cast, shelf.fund, level=2)
    with pytest.raises(services.SaleBlocked):
        setup.record("1000")
    sale = setup.record("1000", risk_warning_signed=True)
    assert sale.risk_warning_signed_at is not None
    assessment_make(cast.own, level=1)
    with pytest.raises(services.SaleBlocked):
        setup.record("1000", risk_warning_signed=True)


def test_only_licensed_staff_sell_funds(cast: Cast, shelf: Shelf) -> None:
    Customer.objects.filter(pk=cast.own.pk).update(assisting_manager=cast.team_lead)
    setup = online_sale(cast, shelf.fund, level=5)
    with pytest.raises(services.SaleBlocked) as exc:
        setup.record("1000", actor=cast.team_lead)
    assert [r["code"] for r in exc.value.details["reasons"]] == ["STAFF_NOT_QUALIFIED"]


def test_expired_licence_stops_sales_the_day_after(cast: Cast, shelf: Shelf) -> None:
    from rmdesk.marketing.models import StaffQualification

    setup = online_sale(cast, shelf.fund, level=5)
    StaffQualification.objects.filter(staff=cast.manager).update(expires_on=timezone.localdate())
    setup.record("1000")
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=1)),
        pytest.raises(services.SaleBlocked),
    ):
        setup.record("1000")


def test_elderly_customers_need_a_second_checker(cast: Cast, shelf: Shelf) -> None:
    """RELIABILITY.md D7."""
    today = timezone.localdate()
    Customer.objects.filter(pk=cast.own.pk).update(birth_date=today.replace(year=today.year - 65))
    cast.own.refresh_from_db()
    setup = online_sale(cast, shelf.r2, level=2)
    with pytest.raises(DomainError) as exc:
        setup.record("100")
    assert exc.value.code == "requirements_missing"
    sale = setup.record("100", second_checker_id=cast.team_lead.pk, witness_name="王大明")
    assert sale.second_checker_id == cast.team_lead.pk


def test_private_sale_quota_cooling_off_and_cancellation(cast: Cast, shelf: Shelf) -> None:
    setup = branch_sale(cast, shelf.private, level=3, qualified=True)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        sale = setup.record("300000")
    assert sale.cooling_off_ends_at == start + dt.timedelta(hours=24)
    shelf.private.refresh_from_db()
    assert shelf.private.quota_used == Decimal("300000")
    # The last minute of the cooling-off period still cancels…
    with time_machine.travel(start + dt.timedelta(hours=23, minutes=59), tick=False):
        services.sale_cancel(actor=cast.manager, sale_id=sale.pk)
    sale.refresh_from_db()
    assert sale.status == Sale.Status.CANCELLED
    shelf.private.refresh_from_db()
    assert shelf.private.quota_used == 0
    # …its end does not.
    with time_machine.travel(start, tick=False):
        again = setup.record("300000")
    with (
        time_machine.travel(start + dt.timedelta(hours=24), tick=False),
        pytest.raises(DomainError) as exc,
    ):
        services.sale_cancel(actor=cast.manager, sale_id=again.pk)
    assert exc.value.code == "not_cancellable"


def test_quota_is_never_oversold(cast: Cast, shelf: Shelf) -> None:
    setup = branch_sale(cast, shelf.private, level=3, qualified=True)
    setup.record("900000")
    with pytest.raises(services.SaleBlocked) as exc:
        setup.record("110000")
    assert [r["code"] for r in exc.value.details["reasons"]] == ["QUOTA_EXHAUSTED"]
    # A top-up that fits is fine (the customer holds the minimum already).
    setup.record("100000")
    shelf.private.refresh_from_db()
    assert shelf.private.quota_used == shelf.private.quota


def test_splitting_a_private_purchase_is_refused(cast: Cast, shelf: Shelf) -> None:
    setup = branch_sale(cast, shelf.private, level=3, qualified=True)
    for _ in range(2):
        with pytest.raises(services.SaleBlocked) as exc:
            setup.record("150000")
        assert [r["code"] for r in exc.value.details["reasons"]] == ["BELOW_MINIMUM"]


@pytest.mark.parametrize("who", sorted(EXPECTED_VISIBLE))
def test_sales_only_for_visible_customers_by_front_line_staff(
    cast: Cast, shelf: Shelf, who: str
) -> None:
    """RELIABILITY.md B6."""
    actor = cast.staff()[who]
    for name, customer in cast.customers().items():
        try:
            services.sale_record(
                actor=actor,
                customer_id=customer.pk,
                product_id=shelf.bond.pk,
                amount=Decimal("100"),
                channel="online",
            )
        except Http404:
            assert name not in EXPECTED_VISIBLE[who]
        except PermissionDenied:
            assert who in {"analyst", "auditor"}
        else:
            assert name in EXPECTED_VISIBLE[who]
            assert who not in {"analyst", "auditor"}


# --- the shelf -------------------------------------------------------------------------


def test_only_product_officers_keep_the_shelf(cast: Cast, shelf: Shelf) -> None:
    data = {
        "code": "NEW-1",
        "name": "新产品",
        "type": "wm_public",
        "issuer_type": "bank",
        "asset_class": "fixed_income",
        "risk_level": 2,
        "min_amount": "10000",
        "increment": "1000",
        "status": "on_sale",
    }
    with pytest.raises(PermissionDenied):
        services.product_create(actor=cast.manager, data=data)
    product = services.product_create(actor=shelf.officer, data=data)
    assert product.min_amount == Decimal("10000")
    with pytest.raises(DomainError) as exc:
        services.product_create(actor=shelf.officer, data=data)
    assert exc.value.code == "duplicate_code"
    with pytest.raises(DomainError) as exc:
        services.product_create(
            actor=shelf.officer, data=data | {"code": "NEW-2", "risk_level": 6, "type": "x"}
        )
    assert {d["field"] for d in exc.value.details} == {"risk_level", "type"}
    updated = services.product_update(
        actor=shelf.officer, product_id=product.pk, data={"status": "suspended", "code": "HACK"}
    )
    assert (updated.status, updated.code) == ("suspended", "NEW-1")


def test_quota_cannot_be_cut_below_what_is_sold(cast: Cast, shelf: Shelf) -> None:
    Product.objects.filter(pk=shelf.private.pk).update(quota_used=Decimal("600000"))
    with pytest.raises(DomainError):
        services.product_update(
            actor=shelf.officer, product_id=shelf.private.pk, data={"quota": "500000"}
        )


def test_qualified_investor_evidence_is_checked(cast: Cast) -> None:
    def record(amount: str, experience_years: int) -> None:
        services.evidence_record(
            actor=cast.manager,
            customer_id=cast.own.pk,
            basis="net_financial_assets",
            amount=Decimal(amount),
            experience_years=experience_years,
            document_ref="X",
            evidenced_on=timezone.localdate(),
        )

    with pytest.raises(DomainError) as exc:
        record("2999999.99", experience_years=1)
    assert {d["field"] for d in exc.value.details} == {"amount", "experience_years"}
    record("3000000", experience_years=2)
    assert QualifiedInvestorEvidence.objects.filter(customer=cast.own).count() == 1


def test_the_base_purchase_cannot_be_cancelled_under_its_top_ups(cast: Cast, shelf: Shelf) -> None:
    setup = branch_sale(cast, shelf.private, level=3, qualified=True)
    base = setup.record("300000")
    top_up = setup.record("10000")
    with pytest.raises(DomainError) as exc:
        services.sale_cancel(actor=cast.manager, sale_id=base.pk)
    assert exc.value.code == "cancel_top_ups_first"
    services.sale_cancel(actor=cast.manager, sale_id=top_up.pk)
    services.sale_cancel(actor=cast.manager, sale_id=base.pk)
