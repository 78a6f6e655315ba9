from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import call_command

from rmdesk.conftest import Cast
from rmdesk.core.errors import DomainError
from rmdesk.customers.models import Customer, Holding
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.development import presenters
from rmdesk.development.models import Opportunity, Signal, SignalRule
from rmdesk.development.signals import (
    found_on_q,
    runs_through,
    seen_until_set,
    signal_list,
    signals_compute,
)
from rmdesk.development.tests.factories import holding, txn

DAY = date(2026, 11, 20)


def ago(n: int) -> date:
    return DAY - timedelta(days=n)


def found(code: str, customer: Customer | None = None) -> list[dict[str, Any]]:
    through = runs_through()
    rows = Signal.objects.filter(found_on_q(DAY, through), code=code)
    if customer is not None:
        rows = rows.filter(customer=customer)
    return [
        {"customer": s.customer_id, "subject": s.subject, "evidence": presenters.evidence_out(s)}
        for s in seen_until_set(list(rows.order_by("customer_id", "subject")), through)
    ]


def run(code: str) -> None:
    signals_compute(as_of=DAY, codes=[code])


def test_idle_deposit_threshold_and_evidence(cast: Cast) -> None:
    holding(cast.own, "demand_deposit", "150000.00")
    holding(cast.own, "demand_deposit", "50000.00")  # 200,000.00: at the threshold
    holding(cast.other, "demand_deposit", "199999.99")  # just below
    holding(cast.a2, "demand_deposit", "300000.00")
    txn(cast.a2, "spending", "-10.00", ago(59))  # an outflow inside the 60 days: not idle
    holding(cast.far, "demand_deposit", "300000.00")
    txn(cast.far, "spending", "-10.00", ago(60))  # on the boundary day: still idle
    holding(cast.pool, "demand_deposit", "300000.00", opened_on=ago(59))  # too new
    run("idle_deposit")
    assert found("idle_deposit") == [
        {
            "customer": cast.own.pk,
            "subject": "",
            "evidence": {
                "balance": "200000.00",
                "accounts": 2,
                "days": 60,
                "since": ago(60).isoformat(),
                "last_outflow_on": None,
            },
        },
        {
            "customer": cast.far.pk,
            "subject": "",
            "evidence": {
                "balance": "300000.00",
                "accounts": 1,
                "days": 60,
                "since": ago(60).isoformat(),
                "last_outflow_on": ago(60).isoformat(),
            },
        },
    ]


def test_maturity_within_30_days(cast: Cast) -> None:
    inside = holding(cast.own, "time_deposit", "100000.00", matures_on=DAY + timedelta(days=30))
    soon = holding(cast.own, "wealth", "5000.50", matures_on=DAY)
    holding(cast.other, "time_deposit", "100000.00", matures_on=DAY + timedelta(days=31))
    holding(cast.other, "time_deposit", "100000.00", matures_on=ago(1))
    holding(cast.a2, "loan", "100000.00", matures_on=DAY + timedelta(days=3))
    holding(cast.far, "time_deposit", "1.00", matures_on=DAY, status=Holding.Status.CLOSED)
    run("maturity")
    assert found("maturity") == [
        {
            "customer": cast.own.pk,
            "subject": "",
            "evidence": {
                "total": "105000.50",
                "holdings": [
                    {
                        "holding_id": soon.pk,
                        "product_type": "wealth",
                        "balance": "5000.50",
                        "matures_on": DAY.isoformat(),
                    },
                    {
                        "holding_id": inside.pk,
                        "product_type": "time_deposit",
                        "balance": "100000.00",
                        "matures_on": (DAY + timedelta(days=30)).isoformat(),
                    },
                ],
            },
        }
    ]


def test_salary_without_wealth(cast: Cast) -> None:
    ids = [txn(cast.own, "salary", "8000.00", ago(d)).pk for d in (5, 35, 65)]
    for d in (5, 35):  # two months only: below
        txn(cast.other, "salary", "8000.00", ago(d))
    for d in (5, 35, 65):  # has a fund: no signal
        txn(cast.a2, "salary", "8000.00", ago(d))
    holding(cast.a2, "fund", "1000.00")
    for d in (5, 35, 65):  # below the minimum salary
        txn(cast.far, "salary", "2999.99", ago(d))
    run("salary_no_wealth")
    assert found("salary_no_wealth") == [
        {
            "customer": cast.own.pk,
            "subject": "",
            "evidence": {"months": 3, "total": "24000.00", "transactions": ids},
        }
    ]


def test_large_inflow(cast: Cast) -> None:
    hit = txn(cast.own, "large_inflow", "500000.00", ago(6))
    txn(cast.own, "large_inflow", "900000.00", ago(7))  # outside the 7 days
    txn(cast.other, "transfer_in", "499999.99", ago(1))
    txn(cast.a2, "salary", "900000.00", ago(1))  # a salary is not a one-off inflow
    run("large_inflow")
    assert found("large_inflow") == [
        {
            "customer": cast.own.pk,
            "subject": "",
            "evidence": {
                "total": "500000.00",
                "transactions": [
                    {"id": hit.pk, "amount": "500000.00", "booked_on": ago(6).isoformat()}
                ],
            },
        }
    ]


def test_attrition(cast: Cast) -> None:
    ids = [
        txn(cast.own, "transfer_out_other_bank", amount, ago(d)).pk
        for amount, d in (("-20000.00", 1), ("-20000.00", 10), ("-10000.00", 29))
    ]
    for amount, d in (("-30000.00", 1), ("-30000.00", 2)):  # two only
        txn(cast.other, "transfer_out_other_bank", amount, ago(d))
    for amount, d in (("-20000.00", 1), ("-20000.00", 2), ("-9999.99", 3)):  # total below
        txn(cast.a2, "transfer_out_other_bank", amount, ago(d))
    run("attrition")
    assert found("attrition") == [
        {
            "customer": cast.own.pk,
            "subject": "",
            "evidence": {"count": 3, "total": "50000.00", "transactions": ids},
        }
    ]


def test_birthday_within_a_week(cast: Cast) -> None:
    hit = CustomerFactory(display_name="寿星", home_unit=cast.sub_a1, birth_date=date(1970, 11, 27))
    CustomerFactory(display_name="早了", home_unit=cast.sub_a1, birth_date=date(1970, 11, 28))
    CustomerFactory(display_name="过了", home_unit=cast.sub_a1, birth_date=date(1970, 11, 19))
    run("birthday")
    assert found("birthday") == [
        {"customer": hit.pk, "subject": "", "evidence": {"month_day": "11-27"}}
    ]


def _company(cast: Cast, name: str) -> Customer:
    return CustomerFactory(
        display_name=name,
        kind=Customer.Kind.CORPORATE,
        home_unit=cast.sub_a1,
        primary_manager=cast.manager,
    )


def test_settlement_growth(cast: Cast) -> None:
    growing = _company(cast, "增长公司")
    txn(growing, "transfer_in", "1000000.00", ago(10))  # recent: 1,300,000
    txn(growing, "transfer_out", "-300000.00", ago(29))
    txn(growing, "transfer_in", "1000000.00", ago(30))  # previous: 1,000,000 (30% growth)
    flat = _company(cast, "持平公司")
    txn(flat, "transfer_in", "1299999.99", ago(1))
    txn(flat, "transfer_in", "1000000.00", ago(45))
    run("settlement_growth")
    assert found("settlement_growth") == [
        {
            "customer": growing.pk,
            "subject": "",
            "evidence": {"recent": "1300000.00", "previous": "1000000.00"},
        }
    ]


def test_payroll_potential(cast: Cast) -> None:
    SignalRule.objects.create(code="payroll_potential", params={"count": 3})
    hit = _company(cast, "发薪公司")
    for name in ("张三", "李四", "王五"):
        txn(hit, "transfer_out", "-5000.00", ago(3), counterparty=name)
    below = _company(cast, "少量公司")
    for name in ("张三", "李四", "甲乙有限公司"):
        txn(below, "transfer_out", "-5000.00", ago(3), counterparty=name)
    run("payroll_potential")
    assert found("payroll_potential") == [
        {
            "customer": hit.pk,
            "subject": "",
            "evidence": {"people": 3, "transfers": 3, "total": "15000.00"},
        }
    ]


def test_counterparty_who_is_not_a_customer(cast: Cast) -> None:
    buyer = _company(cast, "采购公司")
    for _ in range(5):
        txn(buyer, "transfer_in", "100000.00", ago(10), counterparty="上游供应商公司")
    for _ in range(4):  # four only
        txn(buyer, "transfer_in", "200000.00", ago(10), counterparty="偶尔公司")
    for _ in range(5):  # already a customer
        txn(buyer, "transfer_out", "-200000.00", ago(10), counterparty="北京华信科技有限公司")
    for _ in range(5):  # below the volume
        txn(buyer, "transfer_in", "99999.99", ago(10), counterparty="小额公司")
    run("counterparty")
    assert found("counterparty") == [
        {
            "customer": buyer.pk,
            "subject": "上游供应商公司",
            "evidence": {
                "counterparty": "上游供应商公司",
                "transactions": 5,
                "volume": "500000.00",
            },
        }
    ]


def test_rerun_is_idempotent_and_keeps_signals_with_opportunities(cast: Cast) -> None:
    holding(cast.own, "demand_deposit", "300000.00")
    holding(cast.other, "demand_deposit", "300000.00")
    call_command("signals", "--date", DAY.isoformat())
    first = set(Signal.objects.values_list("id", "customer_id", "code"))
    kept = Signal.objects.get(customer=cast.own)
    Opportunity.objects.create(
        customer=cast.own,
        signal=kept,
        signal_code=kept.code,
        manager=cast.manager,
        title="x",
        follow_up_on=DAY,
    )
    signals_compute(as_of=DAY)
    assert Signal.objects.filter(pk=kept.pk).exists()
    assert {(c, k) for _i, c, k in first} == set(Signal.objects.values_list("customer_id", "code"))
    assert Signal.objects.count() == len(first)


def test_disabled_rule_and_bad_thresholds(cast: Cast) -> None:
    holding(cast.own, "demand_deposit", "300000.00")
    SignalRule.objects.create(code="idle_deposit", enabled=False)
    assert "idle_deposit" not in signals_compute(as_of=DAY).counts
    SignalRule.objects.filter(code="idle_deposit").update(enabled=True, params={"days": "x"})
    with pytest.raises(DomainError) as error:
        signals_compute(as_of=DAY)
    assert error.value.code == "bad_signal_rule"


def test_signals_follow_customer_visibility(cast: Cast) -> None:
    holding(cast.own, "demand_deposit", "300000.00")
    holding(cast.far, "demand_deposit", "300000.00")
    run("idle_deposit")
    rows, _more = signal_list(actor=cast.manager)
    assert [s.customer_id for s in rows] == [cast.own.pk]
    rows, _more = signal_list(actor=cast.analyst)
    assert {s.customer_id for s in rows} == {cast.own.pk, cast.far.pk}
    assert signal_list(actor=cast.admin)[0] == []


def _person(name: str, **fields: Any) -> Customer:
    fields.setdefault("birth_date", date(1980, 1, 1))
    return CustomerFactory(display_name=name, **fields)


def every_signal() -> dict[tuple[str, int, str], dict[str, Any]]:
    through = runs_through()
    return {
        (s.code, s.customer_id, s.subject): presenters.evidence_out(s)
        for s in seen_until_set(list(Signal.objects.filter(found_on_q(DAY, through))), through)
    }


def test_every_rule_at_once_then_a_rerun_writes_only_what_changed(cast: Cast) -> None:
    """A small bank where every rule fires, computed in one run of them all. The same
    test runs on SQLite and on PostgreSQL, so both compute exactly these signals."""
    SignalRule.objects.create(code="payroll_potential", params={"count": 3})
    unit = {"home_unit": cast.sub_a1}
    idle = _person("闲置", **unit)
    holding(idle, "demand_deposit", "250000.00")
    txn(idle, "spending", "-10.00", ago(60))
    maturing = _person("到期", **unit)
    deposit = holding(maturing, "time_deposit", "80000.00", matures_on=DAY + timedelta(days=3))
    paid = _person("代发", **unit)
    salaries = [txn(paid, "salary", "9000.00", ago(d)).pk for d in (3, 33, 63)]
    inflow = _person("大额", **unit)
    big = txn(inflow, "large_inflow", "600000.00", ago(2))
    leaving = _person("流失", **unit)
    transfers = [txn(leaving, "transfer_out_other_bank", "-20000.00", ago(d)).pk for d in (1, 2, 3)]
    born = _person("生日", birth_date=date(1988, 11, 23), **unit)
    growing = _company(cast, "增长公司")
    txn(growing, "transfer_in", "1500000.00", ago(10))  # not a large inflow: 10 days ago
    txn(growing, "transfer_in", "1000000.00", ago(40))
    payer = _company(cast, "发薪公司")
    for name in ("张三", "李四", "王五"):
        txn(payer, "transfer_out", "-5000.00", ago(3), counterparty=name)
    buyer = _company(cast, "采购公司")
    for _ in range(5):
        txn(buyer, "transfer_in", "100000.00", ago(10), counterparty="上游供应商公司")

    run = signals_compute(as_of=DAY)

    assert every_signal() == {
        ("idle_deposit", idle.pk, ""): {
            "balance": "250000.00",
            "accounts": 1,
            "days": 60,
            "since": ago(60).isoformat(),
            "last_outflow_on": ago(60).isoformat(),
        },
        ("maturity", maturing.pk, ""): {
            "total": "80000.00",
            "holdings": [
                {
                    "holding_id": deposit.pk,
                    "product_type": "time_deposit",
                    "balance": "80000.00",
                    "matures_on": (DAY + timedelta(days=3)).isoformat(),
                }
            ],
        },
        ("salary_no_wealth", paid.pk, ""): {
            "months": 3,
            "total": "27000.00",
            "transactions": salaries,
        },
        ("large_inflow", inflow.pk, ""): {
            "total": "600000.00",
            "transactions": [
                {"id": big.pk, "amount": "600000.00", "booked_on": ago(2).isoformat()}
            ],
        },
        ("attrition", leaving.pk, ""): {
            "count": 3,
            "total": "60000.00",
            "transactions": transfers,
        },
        ("birthday", born.pk, ""): {"month_day": "11-23"},
        ("settlement_growth", growing.pk, ""): {
            "recent": "1500000.00",
            "previous": "1000000.00",
        },
        ("payroll_potential", payer.pk, ""): {
            "people": 3,
            "transfers": 3,
            "total": "15000.00",
        },
        ("counterparty", buyer.pk, "上游供应商公司"): {
            "counterparty": "上游供应商公司",
            "transactions": 5,
            "volume": "500000.00",
        },
    }
    assert run.counts == dict.fromkeys(run.counts, 1)
    assert len(run.counts) == 9
    for signal in seen_until_set(list(Signal.objects.all()), runs_through()):
        assert presenters.signal_reason(signal)
        assert "None" not in presenters.signal_reason(signal)  # every signal reads in plain words

    # A rerun with the same data writes nothing; one after changes writes just them.
    ids = dict(Signal.objects.values_list("code", "id"))
    signals_compute(as_of=DAY)
    assert dict(Signal.objects.values_list("code", "id")) == ids
    kept = Signal.objects.get(code="idle_deposit")
    Opportunity.objects.create(
        customer=idle,
        signal=kept,
        signal_code=kept.code,
        manager=cast.manager,
        title="x",
        follow_up_on=DAY,
    )
    txn(idle, "spending", "-10.00", ago(1))  # no longer idle, but an opportunity holds it
    holding(paid, "fund", "1000.00")  # now holds a wealth product
    Holding.objects.filter(pk=deposit.pk).update(balance_cny="90000.00")
    txn(leaving, "transfer_out_other_bank", "-5000.00", ago(4))
    signals_compute(as_of=DAY)
    after = dict(Signal.objects.values_list("code", "id"))
    assert "salary_no_wealth" not in after
    assert after == {code: pk for code, pk in ids.items() if code != "salary_no_wealth"}
    evidence = every_signal()
    assert evidence[("maturity", maturing.pk, "")]["total"] == "90000.00"
    assert evidence[("attrition", leaving.pk, "")]["count"] == 4
    assert evidence[("idle_deposit", idle.pk, "")]["balance"] == "250000.00"
