from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from rmdesk.conftest import Cast
from rmdesk.customers.models import Customer, Holding
from rmdesk.marketing import selectors
from rmdesk.marketing import suitability as s
from rmdesk.marketing.models import (
    CustomerRecommendationProfile,
    Product,
    Recommendation,
    RecommendationProfile,
    RecommendationProfileItem,
)
from rmdesk.marketing.recommendations import recommendations_refresh
from rmdesk.marketing.tests.conftest import Shelf
from rmdesk.marketing.tests.factories import ProductFactory, assessment_make, evidence_make
from rmdesk.org.models import Staff
from rmdesk.tasks.registry import discover, get


def _recommended(customer: Customer) -> list[str]:
    return list(
        Recommendation.objects.filter(customer=customer)
        .order_by("rank")
        .values_list("product__code", flat=True)
    )


def test_recommendations_never_hold_a_product_the_customer_may_not_buy(
    cast: Cast, shelf: Shelf
) -> None:
    Customer.objects.update(aum=Decimal("2000000"))
    assessment_make(cast.own, level=2, channel="online")
    assessment_make(cast.other, level=5)
    evidence_make(cast.other, cast.manager)
    assessment_make(cast.a2, level=4)
    assessment_make(
        cast.far, level=5, assessed_at=timezone.now() - dt.timedelta(days=400)
    )  # expired
    result = recommendations_refresh()
    assert result["recommendations"] == Recommendation.objects.count() > 0
    # C2, online only: R2 from the WM subsidiary and the bond; never the bank's own
    # WM (needs a branch assessment first), the R4s, or the agency fund above C2.
    assert set(_recommended(cast.own)) == {"WM-R2", "GB-1"}
    assert set(_recommended(Customer.objects.get(pk=cast.other.pk))) >= {"PRIV-R3", "FUND-R4"}
    # No qualified-investor evidence: no private product.
    assert "PRIV-R3" not in _recommended(cast.a2)
    # Expired assessment: only what needs none.
    assert _recommended(cast.far) == ["GB-1"]
    # Every recommendation passes the engine at the product's minimum.
    staff = selectors.staff_facts(cast.manager)
    for item in Recommendation.objects.select_related("product", "customer"):
        facts = selectors.suitability_facts(
            customer=item.customer,
            product=item.product,
            staff=cast.manager,
            amount=max(item.product.min_amount, Decimal("10000")),
            currency="CNY",
            channel="online",
        )
        decision = s.suitability_check(s.Facts(**{**facts.__dict__, "staff": staff}))
        assert decision.allowed, (item.customer_id, item.product.code, decision.reason_codes)
        assert s.RISK_WARNING_SIGNATURE not in decision.requirement_codes


def test_ranking_prefers_liquidity_then_tier(cast: Cast, shelf: Shelf) -> None:
    Customer.objects.filter(pk=cast.own.pk).update(aum=Decimal("600000"), tier="gold")
    assessment_make(cast.own, level=5)
    Holding.objects.create(
        customer=cast.own,
        account_no="H-1",
        product_type=Holding.ProductType.TIME_DEPOSIT,
        balance=Decimal("500000"),
        balance_cny=Decimal("500000"),
        opened_on=timezone.localdate() - dt.timedelta(days=300),
        matures_on=timezone.localdate() + dt.timedelta(days=10),
    )
    ProductFactory(code="GOLD-ONLY", risk_level=5, target_tiers=["gold"])
    ProductFactory(code="DIAMOND-ONLY", risk_level=5, target_tiers=["diamond"])
    recommendations_refresh()
    ranked = list(Recommendation.objects.filter(customer=cast.own).order_by("rank"))
    codes = [r.product.code for r in ranked]
    assert "DIAMOND-ONLY" not in codes
    assert codes[0] == "GOLD-ONLY"
    assert ranked[0].reason == "liquidity"
    assert len(codes) == 5


def test_refresh_is_repeatable_and_has_a_task_and_a_command(cast: Cast, shelf: Shelf) -> None:
    Customer.objects.update(aum=Decimal("100000"))
    assessment_make(cast.own, level=3)
    first = recommendations_refresh()
    assert first["customers_written"] == Customer.objects.count()
    call_command("recommendations-refresh", stdout=open("/dev/null", "w"))  # noqa: SIM115
    discover()
    again = get("marketing.recommendations_refresh").function()
    # The same lists, and nothing rewritten for customers whose facts did not change.
    assert again == {**first, "customers_written": 0}
    assert Recommendation.objects.count() == first["recommendations"]


def test_a_rerun_rewrites_only_the_rankings_that_changed(cast: Cast, shelf: Shelf) -> None:
    Customer.objects.update(aum=Decimal("100000"))
    assessment_make(cast.own, level=3)
    assessment_make(cast.other, level=5)
    recommendations_refresh()

    def stored() -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
        return (
            set(RecommendationProfile.objects.values_list("key", "customers", "refreshed_at")),
            set(
                RecommendationProfileItem.objects.values_list(
                    "pk", "profile_id", "rank", "product_id", "score", "reason", "refreshed_at"
                )
            ),
        )

    before = stored()
    recommendations_refresh(now=timezone.now() + dt.timedelta(minutes=1))
    # Nothing changed: the very same rows, not rewritten with a later time.
    assert stored() == before

    # One customer reassessed: their old and new profiles are written, no other.
    old_key = CustomerRecommendationProfile.objects.get(customer=cast.other).profile_id
    assessment_make(cast.other, level=1)
    later = timezone.now() + dt.timedelta(minutes=2)
    recommendations_refresh(now=later)
    new_key = CustomerRecommendationProfile.objects.get(customer=cast.other).profile_id
    assert new_key != old_key
    profiles, items = stored()
    others = {item for item in before[1] if item[1] not in (old_key, new_key)}
    assert others
    assert others <= items
    assert {item[6] for item in items if item[1] == new_key} == {later}
    assert all(item[1] in (old_key, new_key) for item in items - before[1])
    assert {key for key, _, at in profiles if at == later} <= {old_key, new_key}


def test_suspended_or_full_products_are_not_recommended(cast: Cast, shelf: Shelf) -> None:
    Customer.objects.update(aum=Decimal("100000"))
    assessment_make(cast.own, level=5)
    Product.objects.filter(pk=shelf.r2.pk).update(status="suspended")
    Product.objects.exclude(pk=shelf.r2.pk).update(quota=Decimal("10"), quota_used=Decimal("10"))
    recommendations_refresh()
    assert _recommended(cast.own) == []


def test_recommendations_page_and_api(
    cast: Cast, shelf: Shelf, client_for: Callable[[Staff], Client]
) -> None:
    Customer.objects.update(aum=Decimal("100000"))
    assessment_make(cast.own, level=2)
    recommendations_refresh()
    items = client_for(cast.manager).get(f"/api/v1/customers/{cast.own.pk}/recommendations").json()
    assert items
    assert all(i["risk_level"] <= 2 for i in items)
    assert items[0]["reason_text"]
