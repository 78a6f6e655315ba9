"""What a customer's page shows equals a ranking worked out for that customer alone.

The nightly refresh ranks the shelf once per distinct profile and names each customer's
profile; the 360 and the API read one customer's list through it. Here every customer
of a varied bank is ranked again in Python, one at a time, straight from their own
rows — latest assessment, evidence, purchases of the bank's own WM, holdings, AUM, tier
— with the scores and reasons the refresh gives, and the read path must show exactly
that: the same products, scores, ranks and reasons, in the same order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Sum
from django.utils import timezone

from rmdesk.conftest import Cast
from rmdesk.customers.models import Customer, Holding
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.marketing import selectors
from rmdesk.marketing.models import (
    Assessment,
    CustomerRecommendationProfile,
    Product,
    QualifiedInvestorEvidence,
    Recommendation,
    RecommendationProfile,
    Sale,
)
from rmdesk.marketing.recommendations import (
    HOLDING_TYPE,
    LIQUIDITY_DAYS,
    RECOMMENDABLE,
    TOP_N,
    recommendations_refresh,
)
from rmdesk.marketing.suitability import WM_TYPES
from rmdesk.marketing.tests.factories import assessment_make
from rmdesk.marketing.tests.test_recommendation_agreement import _bank, _shelf


@dataclass(frozen=True)
class Shown:
    product_id: int
    score: int
    rank: int
    reason: str


def _reference(customer: Customer, now: dt.datetime, top_n: int = TOP_N) -> list[Shown]:
    """One customer's best products, from their own rows only."""
    rules = selectors.rules_current()
    today = now.astimezone(ZoneInfo(rules.time_zone)).date()
    latest = Assessment.objects.filter(customer=customer).order_by("-assessed_at", "-id").first()
    risk = latest.risk_level if latest else 0
    valid = latest is not None and latest.expires_on >= today
    at_branch = Assessment.objects.filter(customer=customer, channel="branch").exists()
    owns_bank_wm = Sale.objects.filter(
        customer=customer,
        status=Sale.Status.ACTIVE,
        product__issuer_type=Product.Issuer.BANK,
        product__type__in=WM_TYPES,
    ).exists()
    branch_ok = latest is None or at_branch or owns_bank_wm
    qualified = any(
        e.basis == QualifiedInvestorEvidence.Basis.COMPANY_NET_ASSETS
        or e.experience_years >= rules.qualified_min_experience_years
        for e in QualifiedInvestorEvidence.objects.filter(
            customer=customer,
            evidenced_on__gte=today - dt.timedelta(days=rules.qualified_evidence_valid_days),
        )
    )
    active = Holding.objects.filter(customer=customer, status="active")
    held = set(active.values_list("product_type", flat=True))
    maturing = active.filter(
        matures_on__gte=today, matures_on__lte=today + dt.timedelta(days=LIQUIDITY_DAYS)
    ).aggregate(total=Sum("balance_cny"))["total"]
    candidates = []
    for product in Product.objects.filter(type__in=RECOMMENDABLE):
        on_sale = (
            product.status == Product.Status.ON_SALE
            and (product.sale_starts_at is None or product.sale_starts_at <= now)
            and (product.sale_ends_at is None or now < product.sale_ends_at)
        )
        minimum = max(
            product.min_amount,
            rules.regulatory_minimum(
                issuer=product.issuer_type,
                product_type=product.type,
                asset_class=product.asset_class,
            ),
        )
        if not on_sale or (
            product.quota is not None and product.quota - product.quota_used < minimum
        ):
            continue
        assessed = product.type in rules.assessed_types
        if (
            customer.aum < minimum
            or (product.target_tiers and customer.tier not in product.target_tiers)
            or (assessed and not (risk > 0 and valid and product.risk_level <= risk))
            or (product.type in rules.private_types and not qualified)
            or (
                product.type in WM_TYPES
                and product.issuer_type == Product.Issuer.BANK
                and not branch_ok
            )
        ):
            continue
        liquid = maturing is not None and maturing >= minimum
        familiar = HOLDING_TYPE[product.type] in held
        score = (
            (40 - 10 * (risk - product.risk_level) if assessed else 15)
            + (25 if liquid else 0)
            + (15 if product.target_tiers else 0)
            + (10 if familiar else 0)
        )
        if liquid:
            reason = "liquidity"
        elif product.target_tiers:
            reason = "tier"
        elif assessed and risk == product.risk_level:
            reason = "risk_match"
        elif familiar:
            reason = "familiar"
        else:
            reason = "fit"
        candidates.append((-score, product.pk, reason))
    candidates.sort()
    return [
        Shown(product_id=pk, score=-negative, rank=n, reason=reason)
        for n, (negative, pk, reason) in enumerate(candidates[:top_n], start=1)
    ]


def _shown(cast: Cast, customer: Customer) -> list[Shown]:
    """What the customer's page and the API read, through the selector."""
    return [
        Shown(product_id=r.product_id, score=r.score, rank=r.rank, reason=r.reason)
        for r in selectors.recommendation_list(actor=cast.branch_head, customer_id=customer.pk)
    ]


def _varied_bank(cast: Cast, now: dt.datetime) -> list[Customer]:
    _shelf(now)
    customers = _bank(cast, now)
    today = timezone.localdate(now)
    # Held kinds and maturing money beyond the agreement bank's: several holdings each,
    # some maturing inside the window, some after it, some closed.
    kinds = [k for k in Holding.ProductType.values if k in set(HOLDING_TYPE.values())]
    for n, customer in enumerate(customers[::3]):
        for m in range(n % 3 + 1):
            Holding.objects.create(
                customer=customer,
                account_no=f"PR-H-{customer.pk}-{m}",
                product_type=kinds[(n + m) % len(kinds)],
                balance=Decimal(5000 * (n + 1)),
                balance_cny=Decimal(5000 * (n + 1)),
                opened_on=today - dt.timedelta(days=200),
                matures_on=today + dt.timedelta(days=(20, 59, 61, 300)[(n + m) % 4]),
                status="closed" if (n + m) % 5 == 4 else "active",
            )
    return [Customer.objects.get(pk=c.pk) for c in customers]


def test_every_customer_is_shown_their_own_ranking(cast: Cast) -> None:
    now = timezone.now()
    customers = _varied_bank(cast, now)
    recommendations_refresh(now=now)
    expected = {c.pk: _reference(c, now) for c in customers}
    shown = {c.pk: _shown(cast, c) for c in customers}
    assert shown == expected
    # Not vacuous: most customers have something, with every reason somewhere.
    assert sum(1 for ranked in shown.values() if ranked) > 40
    reasons = {item.reason for ranked in shown.values() for item in ranked}
    assert reasons == {"liquidity", "tier", "risk_match", "familiar", "fit"}
    # The model reads the same rows the selector does.
    for customer in customers:
        rows = Recommendation.objects.filter(customer=customer).order_by("rank")
        assert [r.product_id for r in rows] == [s.product_id for s in shown[customer.pk]]


def test_a_rerun_writes_only_the_customers_whose_profile_changed(cast: Cast) -> None:
    now = timezone.now()
    customers = _varied_bank(cast, now)
    first = recommendations_refresh(now=now)
    assert first["customers_written"] == Customer.objects.count()
    # Every customer counted in exactly one profile, and some profiles shared.
    assert first["profiles"] == RecommendationProfile.objects.count() < Customer.objects.count()
    assert RecommendationProfile.objects.aggregate(n=Sum("customers"))["n"] == (
        Customer.objects.count()
    )
    again = recommendations_refresh(now=now)
    assert again["customers_written"] == 0
    assert again["recommendations"] == first["recommendations"]
    assert again["recommendations"] == Recommendation.objects.count()

    # One customer assessed, one deleted (the ORM takes their row with them), one new,
    # and a row left by a customer removed behind the ORM's back: three rows written.
    changed = next(c for c in customers if not Assessment.objects.filter(customer=c).exists())
    assessment_make(changed, level=3)
    gone = customers[-1]
    Holding.objects.filter(customer=gone).delete()
    Sale.objects.filter(customer=gone).delete()
    Assessment.objects.filter(customer=gone).delete()
    QualifiedInvestorEvidence.objects.filter(customer=gone).delete()
    Customer.objects.filter(pk=gone.pk).delete()
    assert not CustomerRecommendationProfile.objects.filter(customer_id=gone.pk).exists()
    stray = CustomerRecommendationProfile.objects.create(
        customer_id=gone.pk + 10_000, profile_id=RecommendationProfile.objects.first().pk
    )
    new = CustomerFactory(home_unit=cast.sub_a1)
    Customer.objects.filter(pk=new.pk).update(aum=Decimal("60000"))
    later = recommendations_refresh(now=now)
    assert later["customers_written"] == 3
    for customer in [*customers[:-1], new]:
        customer = Customer.objects.get(pk=customer.pk)
        assert _shown(cast, customer) == _reference(customer, now), customer.pk
    assert not Recommendation.objects.filter(customer_id=gone.pk).exists()
    assert not CustomerRecommendationProfile.objects.filter(pk=stray.pk).exists()
    assert CustomerRecommendationProfile.objects.count() == Customer.objects.count()
