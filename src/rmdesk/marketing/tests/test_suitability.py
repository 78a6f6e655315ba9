"""The engine, pure: every DOMAIN.md §1 rule at its boundary. No database."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from rmdesk.marketing import suitability as s

UTC = dt.UTC
# 10:00 in Shanghai on 1 March 2027.
NOW = dt.datetime(2027, 3, 1, 2, 0, tzinfo=UTC)
TODAY = dt.date(2027, 3, 1)


def customer(**kw: Any) -> s.CustomerFacts:
    base = s.CustomerFacts(
        customer_id=1,
        is_individual=True,
        birth_date=dt.date(1980, 6, 1),
        risk_level=3,
        risk_expires_on=dt.date(2027, 12, 31),
        has_branch_assessment=True,
        has_bank_wm_purchase=True,
    )
    return replace(base, **kw)


def product(**kw: Any) -> s.ProductFacts:
    base = s.ProductFacts(
        product_id=1,
        code="P1",
        type="wm_public",
        issuer_type="wm_subsidiary",
        asset_class="fixed_income",
        risk_level=2,
        min_amount=Decimal("1"),
        increment=Decimal("0.01"),
        currency="CNY",
        status="on_sale",
        sale_starts_at=None,
        sale_ends_at=None,
        quota=None,
        quota_used=Decimal("0"),
        qualification_needed="",
        cooling_off_hours=0,
    )
    return replace(base, **kw)


def check(
    *,
    c: s.CustomerFacts | None = None,
    p: s.ProductFacts | None = None,
    amount: str = "50000",
    channel: str = "online",
    staff: s.StaffFacts | None = None,
    now: dt.datetime = NOW,
    signed: bool = False,
) -> s.Decision:
    return s.suitability_check(
        s.Facts(
            customer=c or customer(),
            product=p or product(),
            staff=staff or s.StaffFacts(staff_id=1),
            amount=Decimal(amount),
            currency="CNY",
            channel=channel,
            now=now,
            rules=s.Rules.from_parameters(version=7, parameters={}),
            risk_warning_signed=signed,
        )
    )


# --- S1/S2: the full R×C matrix for wealth-management products ------------------------


@pytest.mark.parametrize("r", range(1, 6))
@pytest.mark.parametrize("c", range(1, 6))
def test_wm_matrix_sells_only_at_or_below_the_customers_level(r: int, c: int) -> None:
    decision = check(c=customer(risk_level=c), p=product(risk_level=r))
    assert decision.allowed is (r <= c)
    assert (s.RISK_MISMATCH in decision.reason_codes) is (r > c)
    assert not decision.overridable
    # No signature can lift a WM mismatch (S2: no override by any path).
    assert check(c=customer(risk_level=c), p=product(risk_level=r), signed=True).allowed is (r <= c)


@pytest.mark.parametrize("r", range(1, 6))
@pytest.mark.parametrize("c", range(1, 6))
def test_agency_fund_matrix_with_the_s3_override(r: int, c: int) -> None:
    fund = product(type="fund", issuer_type="third_party", risk_level=r)
    plain = check(c=customer(risk_level=c), p=fund)
    signed = check(c=customer(risk_level=c), p=fund, signed=True)
    if r <= c:
        assert plain.allowed
        assert signed.allowed
        assert s.RISK_WARNING_SIGNATURE not in signed.requirement_codes
    elif c == 1:
        # The lowest category never buys above their level, signature or not.
        assert not plain.allowed
        assert not signed.allowed
        assert not plain.overridable
    else:
        assert not plain.allowed
        assert plain.overridable
        assert signed.allowed
        assert s.RISK_WARNING_SIGNATURE in signed.requirement_codes


def test_loss_unable_is_the_lowest_category_even_at_c3() -> None:
    fund = product(type="fund", issuer_type="third_party", risk_level=4)
    decision = check(c=customer(risk_level=3, loss_unable=True), p=fund, signed=True)
    assert not decision.allowed
    assert not decision.overridable
    assert s.RISK_MISMATCH in decision.reason_codes


def test_bank_issued_fund_has_no_override() -> None:
    fund = product(type="fund", issuer_type="bank", risk_level=4)
    assert not check(c=customer(risk_level=3), p=fund, signed=True).allowed


def test_professional_investors_are_not_limited_for_agency_funds_only() -> None:
    pro = customer(risk_level=2, professional=True)
    assert check(c=pro, p=product(type="fund", issuer_type="third_party", risk_level=5)).allowed
    assert not check(c=pro, p=product(risk_level=5)).allowed


def test_c3_buys_r3_not_r4() -> None:
    assert check(c=customer(risk_level=3), p=product(risk_level=3)).allowed
    decision = check(c=customer(risk_level=3), p=product(risk_level=4))
    assert decision.reason_codes == {s.RISK_MISMATCH}
    assert "R4" in decision.reasons[0].message
    assert "C3" in decision.reasons[0].message


# --- S4/S5: assessment present and valid -----------------------------------------------


def test_missing_assessment_blocks_products_that_need_one_only() -> None:
    c = customer(risk_level=None, risk_expires_on=None)
    assert check(c=c).reason_codes == {s.NO_RISK_ASSESSMENT}
    assert check(c=c, p=product(type="time_deposit", issuer_type="bank")).allowed
    assert check(c=c, p=product(type="government_bond", issuer_type="bank")).allowed


def test_assessment_valid_through_its_expiry_day_and_not_after() -> None:
    assert check(c=customer(risk_expires_on=TODAY)).allowed
    decision = check(c=customer(risk_expires_on=TODAY - dt.timedelta(days=1)))
    assert decision.reason_codes == {s.ASSESSMENT_EXPIRED}


def test_expiry_day_is_judged_in_the_banks_time_zone() -> None:
    # 23:30 UTC on 1 March is 07:30 on 2 March in Shanghai: expired.
    late = dt.datetime(2027, 3, 1, 23, 30, tzinfo=UTC)
    assert not check(c=customer(risk_expires_on=TODAY), now=late).allowed


@pytest.mark.parametrize(
    ("assessed", "expires"),
    [
        (dt.date(2024, 2, 29), dt.date(2025, 2, 28)),
        (dt.date(2023, 2, 28), dt.date(2024, 2, 28)),
        (dt.date(2023, 3, 1), dt.date(2024, 3, 1)),
        (dt.date(2026, 12, 31), dt.date(2027, 12, 31)),
    ],
)
def test_anniversary_with_29_february(assessed: dt.date, expires: dt.date) -> None:
    assert s.anniversary(assessed) == expires


# --- S6: first purchase of bank-issued WM ----------------------------------------------


def test_first_bank_wm_purchase_needs_a_branch_assessment() -> None:
    bank_wm = product(issuer_type="bank", min_amount=Decimal("10000"))
    first_online = customer(has_bank_wm_purchase=False, has_branch_assessment=False)
    decision = check(c=first_online, p=bank_wm)
    assert decision.reason_codes == {s.FIRST_PURCHASE_NEEDS_BRANCH_ASSESSMENT}
    assert s.FACE_TO_FACE_FIRST_PURCHASE in decision.requirement_codes
    assert check(c=replace(first_online, has_branch_assessment=True), p=bank_wm).allowed
    # A WM subsidiary's product may follow an online first assessment.
    assert check(c=first_online, p=product(issuer_type="wm_subsidiary")).allowed
    # Later purchases do not need it again.
    assert check(c=replace(first_online, has_bank_wm_purchase=True), p=bank_wm).allowed


# --- S7: dual recording ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ptype", "channel", "individual", "required"),
    [
        ("wm_public", "branch", True, True),
        ("wm_private", "branch", True, True),
        ("fund", "branch", True, True),
        ("insurance", "branch", True, True),
        ("wm_public", "online", True, False),
        ("wm_public", "terminal", True, False),
        ("government_bond", "branch", True, False),
        ("physical_metal", "branch", True, False),
        ("wm_public", "branch", False, False),
    ],
)
def test_dual_recording(ptype: str, channel: str, individual: bool, required: bool) -> None:
    decision = check(
        c=customer(is_individual=individual, qualified_evidenced_on=TODAY),
        p=product(type=ptype, issuer_type="third_party" if ptype == "fund" else "wm_subsidiary"),
        channel=channel,
        amount="1000000",
    )
    assert (s.DUAL_RECORDING in decision.requirement_codes) is required


def test_recording_is_not_triggered_by_age_or_mismatch() -> None:
    old = customer(birth_date=dt.date(1950, 1, 1), risk_level=2)
    fund = product(type="fund", issuer_type="third_party", risk_level=4)
    assert (
        s.DUAL_RECORDING
        not in check(c=old, p=fund, channel="online", signed=True).requirement_codes
    )


# --- S9: cooling-off -------------------------------------------------------------------


def test_private_wm_has_at_least_24_hours_of_cooling_off() -> None:
    private = product(type="wm_private", min_amount=Decimal("300000"))
    c = customer(qualified_evidenced_on=TODAY)
    decision = check(c=c, p=private, amount="300000")
    assert decision.allowed
    assert decision.cooling_off_ends_at == NOW + dt.timedelta(hours=24)
    longer = check(c=c, p=replace(private, cooling_off_hours=48), amount="300000")
    assert longer.cooling_off_ends_at == NOW + dt.timedelta(hours=48)
    public = check(c=c, p=product())
    assert public.cooling_off_ends_at is None
    assert s.COOLING_OFF not in public.requirement_codes


# --- S10/S11: minimums and qualified investors -----------------------------------------


@pytest.mark.parametrize(
    ("asset_class", "minimum"),
    [
        ("fixed_income", "300000"),
        ("mixed", "400000"),
        ("equity", "1000000"),
        ("commodity", "1000000"),
    ],
)
def test_private_minimums_at_the_cent(asset_class: str, minimum: str) -> None:
    private = product(type="wm_private", asset_class=asset_class, risk_level=2)
    c = customer(qualified_evidenced_on=TODAY)
    below = str(Decimal(minimum) - Decimal("0.01"))
    assert check(c=c, p=private, amount=below).reason_codes == {s.BELOW_MINIMUM}
    assert check(c=c, p=private, amount=minimum).allowed


def test_bank_public_wm_minimum_is_10000_and_a_subsidiarys_is_1() -> None:
    bank = product(issuer_type="bank")
    assert check(p=bank, amount="9999.99").reason_codes == {s.BELOW_MINIMUM}
    assert check(p=bank, amount="10000").allowed
    assert check(p=product(issuer_type="wm_subsidiary"), amount="1").allowed
    assert check(p=product(issuer_type="wm_subsidiary"), amount="0.99").reason_codes == {
        s.BELOW_MINIMUM
    }


def test_a_products_own_minimum_applies_when_higher() -> None:
    p = product(issuer_type="bank", min_amount=Decimal("50000"))
    assert check(p=p, amount="49999.99").reason_codes == {s.BELOW_MINIMUM}
    assert check(p=p, amount="50000").allowed


def test_amounts_above_the_minimum_go_in_increments() -> None:
    p = product(issuer_type="bank", increment=Decimal("1000"))
    assert check(p=p, amount="11000").allowed
    assert check(p=p, amount="11500").reason_codes == {s.AMOUNT_NOT_IN_INCREMENTS}


def test_splitting_below_the_minimum_is_refused_but_a_top_up_is_not() -> None:
    private = product(type="wm_private", min_amount=Decimal("300000"), increment=Decimal("10000"))
    c = customer(qualified_evidenced_on=TODAY)
    # Two halves of 300,000: the first half is refused, so the second can never follow.
    assert check(c=c, p=private, amount="150000").reason_codes == {s.BELOW_MINIMUM}
    # A customer already holding the minimum adds in increments.
    holder = replace(c, held_in_product=Decimal("300000"))
    assert check(c=holder, p=private, amount="10000").allowed
    # Holding less than the minimum (say an earlier piece was cancelled) is no top-up.
    partial = replace(c, held_in_product=Decimal("150000"))
    assert not check(c=partial, p=private, amount="150000").allowed


def test_private_products_need_current_qualified_investor_evidence() -> None:
    private = product(type="wm_private", min_amount=Decimal("300000"))
    assert check(c=customer(), p=private, amount="300000").reason_codes == {
        s.NOT_QUALIFIED_INVESTOR
    }
    fresh = customer(qualified_evidenced_on=TODAY - dt.timedelta(days=365))
    stale = customer(qualified_evidenced_on=TODAY - dt.timedelta(days=366))
    assert check(c=fresh, p=private, amount="300000").allowed
    assert not check(c=stale, p=private, amount="300000").allowed


# --- S12: elderly customers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth_date", "elderly"),
    [
        (dt.date(1962, 3, 2), False),  # 64 until tomorrow
        (dt.date(1962, 3, 1), True),  # 65 today
        (dt.date(1940, 1, 1), True),
        (dt.date(1962, 2, 28), True),
    ],
)
def test_elderly_steps_from_65(birth_date: dt.date, elderly: bool) -> None:
    decision = check(c=customer(birth_date=birth_date))
    assert decision.allowed
    assert (s.ELDERLY_STEPS in decision.requirement_codes) is elderly


def test_29_february_birthday_turns_a_year_older_on_1_march() -> None:
    assert (
        s.age_on(dt.date(1962, 2, 29) if False else dt.date(1960, 2, 29), dt.date(2025, 2, 28))
        == 64
    )
    assert s.age_on(dt.date(1960, 2, 29), dt.date(2025, 3, 1)) == 65


def test_elderly_age_is_a_setting() -> None:
    rules = s.Rules.from_parameters(version=2, parameters={"elderly_age": 60})
    facts = s.Facts(
        customer=customer(birth_date=dt.date(1966, 1, 1)),
        product=product(),
        staff=s.StaffFacts(staff_id=1),
        amount=Decimal("100"),
        currency="CNY",
        channel="online",
        now=NOW,
        rules=rules,
    )
    assert s.ELDERLY_STEPS in s.suitability_check(facts).requirement_codes


# --- staff, product status, window, quota ----------------------------------------------


def test_staff_qualification_valid_through_its_expiry_day() -> None:
    fund = product(type="fund", issuer_type="third_party", qualification_needed="fund")
    current = s.StaffFacts(staff_id=1, qualifications=(("fund", dt.date(2020, 1, 1), TODAY),))
    expired = s.StaffFacts(
        staff_id=1, qualifications=(("fund", dt.date(2020, 1, 1), TODAY - dt.timedelta(days=1)),)
    )
    wrong_kind = s.StaffFacts(
        staff_id=1, qualifications=(("insurance", dt.date(2020, 1, 1), TODAY),)
    )
    assert check(p=fund, staff=current).allowed
    assert check(p=fund, staff=expired).reason_codes == {s.STAFF_NOT_QUALIFIED}
    assert check(p=fund, staff=wrong_kind).reason_codes == {s.STAFF_NOT_QUALIFIED}
    not_yet = s.StaffFacts(
        staff_id=1,
        qualifications=(("fund", TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=9)),),
    )
    assert not check(p=fund, staff=not_yet).allowed


@pytest.mark.parametrize("status", ["draft", "suspended", "closed"])
def test_only_products_on_sale_sell(status: str) -> None:
    assert check(p=product(status=status)).reason_codes == {s.PRODUCT_NOT_ON_SALE}


def test_sales_window_opens_inclusive_and_closes_exclusive() -> None:
    p = product(sale_starts_at=NOW, sale_ends_at=NOW + dt.timedelta(days=1))
    assert check(p=p).allowed
    assert not check(p=p, now=NOW - dt.timedelta(seconds=1)).allowed
    assert check(p=p, now=NOW + dt.timedelta(days=1) - dt.timedelta(seconds=1)).allowed
    assert not check(p=p, now=NOW + dt.timedelta(days=1)).allowed


def test_quota_to_the_cent() -> None:
    p = product(quota=Decimal("100000"), quota_used=Decimal("50000"))
    assert check(p=p, amount="50000").allowed
    assert check(p=p, amount="50000.01").reason_codes == {s.QUOTA_EXHAUSTED}


def test_every_reason_is_reported_at_once() -> None:
    decision = check(
        c=customer(risk_level=1),
        p=product(type="wm_private", status="suspended", risk_level=4),
        amount="100",
    )
    assert decision.reason_codes == {
        s.PRODUCT_NOT_ON_SALE,
        s.RISK_MISMATCH,
        s.NOT_QUALIFIED_INVESTOR,
        s.BELOW_MINIMUM,
    }
    assert decision.rule_set_version == 7
    assert decision.as_json()["allowed"] is False


def test_messages_are_translated() -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        decision = check(c=customer(risk_level=1), p=product(risk_level=4))
    assert decision.reasons[0].code == s.RISK_MISMATCH
    assert "风险" in decision.reasons[0].message
