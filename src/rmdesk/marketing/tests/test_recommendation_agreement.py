"""The whole-bank recommendations and the per-customer engine are one set of rules.

A small but varied bank — every kind of product, issuer, risk level, minimum, target
tier, sales window and quota state on the shelf; customers never assessed, assessed at
a branch or online, expired, reassessed lower, out of step with their cached level;
evidence current, stale, too little experience; earlier purchases of the bank's own WM
active or cancelled — is ranked set-based with no top-N cut, and every customer ×
product pair is then put to ``suitability_check`` at the product's minimum. The two
must agree exactly: a product is recommended if and only if the engine lets the
customer buy it at its minimum without the S3 override, the customer's AUM reaches
that minimum, and the product targets the customer's tier (if it names tiers).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from rmdesk.conftest import Cast
from rmdesk.customers.models import Customer, Holding, Tier
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.marketing import selectors
from rmdesk.marketing import suitability as s
from rmdesk.marketing.models import Product, QualifiedInvestorEvidence, Recommendation, Sale
from rmdesk.marketing.recommendations import RECOMMENDABLE, TOP_N, recommendations_refresh
from rmdesk.marketing.tests.factories import ProductFactory, assessment_make, evidence_make

T = Product.Type
I = Product.Issuer  # noqa: E741 - a table's column
A = Product.AssetClass


def _shelf(now: dt.datetime) -> list[Product]:
    products = []
    # (type, issuer, asset class, risk, minimum, target tiers)
    for n, (ptype, issuer, asset, risk, minimum, tiers) in enumerate(
        [
            *[(T.WM_PUBLIC, I.WM_SUBSIDIARY, A.FIXED_INCOME, r, "1", []) for r in range(1, 6)],
            (T.WM_PUBLIC, I.BANK, A.FIXED_INCOME, 2, "1", []),  # S10 makes it 10,000
            (T.WM_PUBLIC, I.BANK, A.MIXED, 3, "20000", ["gold", "diamond"]),
            (T.WM_PRIVATE, I.WM_SUBSIDIARY, A.FIXED_INCOME, 3, "1", []),
            (T.WM_PRIVATE, I.WM_SUBSIDIARY, A.MIXED, 4, "1", ["diamond", "private"]),
            (T.WM_PRIVATE, I.BANK, A.EQUITY, 5, "1", []),
            (T.FUND, I.THIRD_PARTY, A.MIXED, 3, "1000", []),
            (T.FUND, I.THIRD_PARTY, A.EQUITY, 5, "1000", []),
            (T.FUND, I.BANK, A.EQUITY, 4, "1000", []),
            (T.INSURANCE, I.THIRD_PARTY, A.PROTECTION, 2, "5000", []),
            (T.STRUCTURED_DEPOSIT, I.BANK, A.FIXED_INCOME, 1, "50000", []),
            (T.STRUCTURED_DEPOSIT, I.BANK, A.COMMODITY, 2, "50000", ["private"]),
            (T.TIME_DEPOSIT, I.BANK, A.CASH, 1, "50", []),
            (T.GOVERNMENT_BOND, I.BANK, A.FIXED_INCOME, 1, "100", []),
            (T.PHYSICAL_METAL, I.BANK, A.COMMODITY, 3, "500", ["silver", "gold"]),
            (T.LOAN, I.BANK, A.CREDIT, 1, "1", []),
        ]
    ):
        products.append(
            ProductFactory(
                code=f"AG-{n:02d}",
                type=ptype,
                issuer_type=issuer,
                asset_class=asset,
                risk_level=risk,
                min_amount=Decimal(minimum),
                increment=Decimal("1"),
                target_tiers=tiers,
            )
        )
    # Off the shelf one way or another, each of an otherwise recommendable kind.
    day = dt.timedelta(days=1)
    for code, fields in {
        "AG-SUSPENDED": {"status": Product.Status.SUSPENDED},
        "AG-DRAFT": {"status": Product.Status.DRAFT},
        "AG-ENDED": {"sale_starts_at": now - 9 * day, "sale_ends_at": now - day},
        "AG-LATER": {"sale_starts_at": now + day},
        "AG-WINDOW": {"sale_starts_at": now - day, "sale_ends_at": now + day},
        "AG-FULL": {"quota": Decimal("100000"), "quota_used": Decimal("100000")},
        "AG-NEARLY": {"quota": Decimal("100000"), "quota_used": Decimal("99999.50")},
        "AG-ROOM": {"quota": Decimal("100000"), "quota_used": Decimal("50000")},
    }.items():
        products.append(ProductFactory(code=code, risk_level=1, **fields))
    return products


def _bank(cast: Cast, now: dt.datetime) -> list[Customer]:
    rng = random.Random(20261129)
    today = timezone.localdate(now)
    bank_wm = ProductFactory(code="AG-OWN", issuer_type=I.BANK, min_amount=Decimal("10000"))
    customers = []
    for n in range(60):
        customer = CustomerFactory(
            kind=Customer.Kind.CORPORATE if n % 7 == 3 else Customer.Kind.INDIVIDUAL,
            home_unit=cast.sub_a1,
        )
        Customer.objects.filter(pk=customer.pk).update(
            aum=Decimal(
                rng.choice(
                    ["0", "60", "4000", "9999", "20000", "60000", "350000", "450000", "2000000"]
                )
            ),
            tier=rng.choice(list(Tier.values)),
        )
        scenario = n % 8
        level = rng.randint(1, 5)
        if scenario == 1:
            assessment_make(customer, level=level)
        elif scenario == 2:
            assessment_make(customer, level=level, channel="online")
        elif scenario == 3:  # expired
            assessment_make(customer, level=level, assessed_at=now - dt.timedelta(days=400))
        elif scenario == 4:  # an older branch one, a newer lower one online: the newer decides
            assessment_make(customer, level=5, assessed_at=now - dt.timedelta(days=200))
            assessment_make(customer, level=level, channel="online")
        elif scenario == 5:  # a newer expired one hides an older current one? Never: newest
            assessment_make(customer, level=5, channel="online", assessed_at=now)
            assessment_make(customer, level=2, assessed_at=now - dt.timedelta(days=500))
        elif scenario == 6:  # the cached level says C5 but nobody ever assessed them
            Customer.objects.filter(pk=customer.pk).update(
                risk_level=5, risk_expires_on=today + dt.timedelta(days=100)
            )
        elif scenario == 7:  # a C1 / cannot-bear-loss customer
            assessment_make(customer, level=1, loss_unable=True)
        evidence = n % 6
        if evidence == 1:
            evidence_make(customer, cast.manager)
        elif evidence == 2:
            evidence_make(customer, cast.manager, evidenced_on=today - dt.timedelta(days=400))
        elif evidence == 3:
            evidence_make(customer, cast.manager, experience_years=1)
        elif evidence == 4:
            evidence_make(
                customer,
                cast.manager,
                basis=QualifiedInvestorEvidence.Basis.COMPANY_NET_ASSETS,
                experience_years=0,
            )
        elif evidence == 5:
            evidence_make(
                customer, cast.manager, basis=QualifiedInvestorEvidence.Basis.PROFESSIONAL
            )
        if n % 5 in (1, 2):
            Sale.objects.create(
                customer=customer,
                product=bank_wm,
                amount=Decimal("10000"),
                channel="branch",
                staff=cast.manager,
                signed_at=now - dt.timedelta(days=30),
                suitability={},
                rule_set_version=1,
                status=Sale.Status.ACTIVE if n % 5 == 1 else Sale.Status.CANCELLED,
                cancelled_at=None if n % 5 == 1 else now - dt.timedelta(days=29),
            )
        if n % 4 == 0:
            Holding.objects.create(
                customer=customer,
                account_no=f"AG-H-{n}",
                product_type=rng.choice(list(Holding.ProductType.values)),
                balance=Decimal("80000"),
                balance_cny=Decimal("80000"),
                opened_on=today - dt.timedelta(days=300),
                matures_on=today + dt.timedelta(days=rng.choice([5, 90])),
            )
        customers.append(Customer.objects.get(pk=customer.pk))
    return customers


def _ranked(customer: Customer) -> list[int]:
    return list(
        Recommendation.objects.filter(customer=customer)
        .order_by("rank")
        .values_list("product_id", flat=True)
    )


def test_set_based_recommendations_agree_with_the_engine(cast: Cast) -> None:
    now = timezone.now()
    products = _shelf(now)
    customers = _bank(cast, now)
    rules = selectors.rules_current()
    staff = s.StaffFacts(
        staff_id=cast.manager.pk,
        qualifications=tuple(
            (kind, now.date() - dt.timedelta(days=10), now.date() + dt.timedelta(days=10))
            for kind in ("fund", "insurance", "wealth")
        ),
    )
    today = timezone.localdate(now)

    recommendations_refresh(now=now, top_n=len(products) + 1)
    full = {customer.pk: _ranked(customer) for customer in customers}
    agreed = disagreed = eligible = 0
    mismatches = []
    for customer in customers:
        facts = selectors.customer_facts(customer=customer, product=None, today=today)
        for product in products:
            minimum = max(
                product.min_amount,
                rules.regulatory_minimum(
                    issuer=product.issuer_type,
                    product_type=product.type,
                    asset_class=product.asset_class,
                ),
            )
            decision = s.suitability_check(
                s.Facts(
                    customer=facts,
                    product=selectors.product_facts(product),
                    staff=staff,
                    amount=minimum,
                    currency=product.currency,
                    channel="branch",
                    now=now,
                    rules=rules,
                )
            )
            above = (
                product.type in rules.assessed_types
                and facts.risk_level is not None
                and product.risk_level > facts.risk_level
            )
            expected = (
                product.type in RECOMMENDABLE
                and decision.allowed
                and not above
                and customer.aum >= minimum
                and (not product.target_tiers or customer.tier in product.target_tiers)
            )
            got = product.pk in full[customer.pk]
            eligible += expected
            if got == expected:
                agreed += 1
            else:
                disagreed += 1
                mismatches.append((customer.pk, product.code, expected, decision.reason_codes))
    assert mismatches == []
    # Not vacuous: many pairs each way, and every customer scenario represented.
    assert 100 < eligible < agreed - 100
    assert sum(1 for ranked in full.values() if ranked) > 20
    assert sum(1 for ranked in full.values() if not ranked) > 3

    # The stored top five are the head of the full ranking, ranked 1..n.
    recommendations_refresh(now=now)
    for customer in customers:
        assert _ranked(customer) == full[customer.pk][:TOP_N]
        ranks = list(
            Recommendation.objects.filter(customer=customer)
            .order_by("rank")
            .values_list("rank", flat=True)
        )
        assert ranks == list(range(1, len(ranks) + 1))
