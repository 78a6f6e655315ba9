"""A night reads again only the customers whose rows changed, and shows them what a
ranking worked out for each customer alone shows; everyone else is left as stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rmdesk.conftest import Cast
from rmdesk.customers.models import Customer, Holding
from rmdesk.marketing.models import (
    Assessment,
    CustomerRecommendationProfile,
    QualifiedInvestorEvidence,
    Recommendation,
    RecommendationChange,
    RecommendationFacts,
    RecommendationProfile,
    RecommendationProfileItem,
    Sale,
)
from rmdesk.marketing.recommendations import LIQUIDITY_DAYS, recommendations_refresh
from rmdesk.marketing.tests.factories import assessment_make, evidence_make
from rmdesk.marketing.tests.test_recommendation_profiles import (
    _reference,
    _shown,
    _varied_bank,
)

Stored = dict[int, list[tuple[int, int, int, str]]]


def _stored() -> Stored:
    """Every customer's list as the view shows it."""
    lists: Stored = {}
    for row in Recommendation.objects.order_by("customer_id", "rank"):
        lists.setdefault(row.customer_id, []).append(
            (row.product_id, row.score, row.rank, row.reason)
        )
    return lists


def _facts_reads(queries: CaptureQueriesContext) -> list[str]:
    table = RecommendationFacts._meta.db_table
    return [q["sql"] for q in queries.captured_queries if f"INSERT INTO {table}" in q["sql"]]


def _changed_only(before: Stored, after: Stored) -> set[int]:
    return {pk for pk in before.keys() | after.keys() if before.get(pk) != after.get(pk)}


def test_a_rerun_with_no_change_reads_and_writes_nothing(cast: Cast) -> None:
    now = timezone.now()
    _varied_bank(cast, now)
    recommendations_refresh(now=now)
    assert not RecommendationChange.objects.exists()
    facts = list(RecommendationFacts.objects.order_by("pk").values())
    profiles = list(RecommendationProfile.objects.order_by("pk").values())
    items = list(RecommendationProfileItem.objects.order_by("pk").values())
    customers = list(CustomerRecommendationProfile.objects.order_by("pk").values())
    with CaptureQueriesContext(connection) as queries:
        again = recommendations_refresh(now=now + dt.timedelta(minutes=5))
    assert again["customers_written"] == 0
    assert not _facts_reads(queries)
    # Not a row rewritten: every refreshed_at as it was.
    assert list(RecommendationFacts.objects.order_by("pk").values()) == facts
    assert list(RecommendationProfile.objects.order_by("pk").values()) == profiles
    assert list(RecommendationProfileItem.objects.order_by("pk").values()) == items
    assert list(CustomerRecommendationProfile.objects.order_by("pk").values()) == customers


def test_a_holding_change_updates_exactly_that_customer(cast: Cast) -> None:
    now = timezone.now()
    customers = _varied_bank(cast, now)
    recommendations_refresh(now=now)
    before = _stored()
    # Money maturing within the window, enough for every minimum: liquidity first.
    customer = next(c for c in customers if before.get(c.pk) and c.aum >= Decimal("10000"))
    Holding.objects.create(
        customer=customer,
        account_no="RC-H-1",
        product_type=Holding.ProductType.TIME_DEPOSIT,
        balance=Decimal("5000000"),
        balance_cny=Decimal("5000000"),
        opened_on=timezone.localdate(now) - dt.timedelta(days=300),
        matures_on=timezone.localdate(now) + dt.timedelta(days=10),
    )
    assert set(RecommendationChange.objects.values_list("customer_id", flat=True)) == {customer.pk}
    with CaptureQueriesContext(connection) as queries:
        result = recommendations_refresh(now=now)
    assert result["customers_written"] == 1
    assert len(_facts_reads(queries)) == 1
    assert RecommendationFacts.objects.count() == Customer.objects.count()
    after = _stored()
    assert _changed_only(before, after) == {customer.pk}
    assert _shown(cast, customer) == _reference(customer, now)
    assert any(item.reason == "liquidity" for item in _shown(cast, customer))
    assert not RecommendationChange.objects.exists()


def test_an_assessment_updates_exactly_that_customer(cast: Cast) -> None:
    now = timezone.now()
    customers = _varied_bank(cast, now)
    recommendations_refresh(now=now)
    before = _stored()
    customer = next(
        c
        for c in customers
        if not Assessment.objects.filter(customer=c).exists() and c.aum >= Decimal("10000")
    )
    assessment_make(customer, level=4)
    result = recommendations_refresh(now=now)
    assert result["customers_written"] == 1
    assert _changed_only(before, _stored()) == {customer.pk}
    assert _shown(cast, customer) == _reference(customer, now)


def test_changes_behind_the_orms_back_are_seen(cast: Cast) -> None:
    """A queryset update, a delete, evidence and a purchase: each customer read again."""
    now = timezone.now()
    customers = _varied_bank(cast, now)
    recommendations_refresh(now=now)
    closed = Holding.objects.filter(status="active", customer__in=customers).order_by("pk").first()
    assert closed is not None
    Holding.objects.filter(pk=closed.pk).update(status="closed")
    lowered = Assessment.objects.filter(customer__in=customers).order_by("pk").first()
    assert lowered is not None
    Assessment.objects.filter(pk=lowered.pk).delete()
    qualified = next(
        c for c in customers if not QualifiedInvestorEvidence.objects.filter(customer=c).exists()
    )
    evidence_make(qualified, cast.manager, basis="company_net_assets")
    sale = Sale.objects.filter(customer__in=customers, status="active").order_by("pk").first()
    moved = {closed.customer_id, lowered.customer_id, qualified.pk}
    if sale is not None:
        Sale.objects.filter(pk=sale.pk).update(status=Sale.Status.CANCELLED, cancelled_at=now)
        moved.add(sale.customer_id)
    tiered = next(c for c in customers if c.pk not in moved)
    Customer.objects.filter(pk=tiered.pk).update(tier="private", aum=Decimal("9000000"))
    moved.add(tiered.pk)
    assert set(RecommendationChange.objects.values_list("customer_id", flat=True)) == moved
    with CaptureQueriesContext(connection) as queries:
        recommendations_refresh(now=now)
    assert len(_facts_reads(queries)) == 1
    for customer in Customer.objects.filter(pk__in=[c.pk for c in customers]):
        assert _shown(cast, customer) == _reference(customer, now), customer.pk


def test_the_days_passing_move_money_into_the_window_and_assessments_out(cast: Cast) -> None:
    now = timezone.now()
    customers = _varied_bank(cast, now)
    today = timezone.localdate(now)
    customer = next(c for c in customers if c.aum >= Decimal("10000"))
    Holding.objects.create(
        customer=customer,
        account_no="RC-H-2",
        product_type=Holding.ProductType.TIME_DEPOSIT,
        balance=Decimal("5000000"),
        balance_cny=Decimal("5000000"),
        opened_on=today - dt.timedelta(days=300),
        matures_on=today + dt.timedelta(days=LIQUIDITY_DAYS + 3),
    )
    recommendations_refresh(now=now)
    assert all(item.reason != "liquidity" for item in _shown(cast, customer))
    # Days later, nothing written meanwhile: the deposit now matures within the window,
    # and assessments and evidence have aged; each list is the one of that day.
    for days in (3, 40, 400):
        later = now + dt.timedelta(days=days)
        recommendations_refresh(now=later)
        for other in Customer.objects.filter(pk__in=[c.pk for c in customers]):
            assert _shown(cast, other) == _reference(other, later), (days, other.pk)
        if days == 3:
            assert any(item.reason == "liquidity" for item in _shown(cast, customer))
