"""The daily flow summary the signal rules read stays equal to the transactions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import connection

from rmdesk.conftest import Cast
from rmdesk.customers.models import Transaction
from rmdesk.development.flow import COLUMNS, SUMMARY
from rmdesk.development.models import DailyFlow, FlowDirty, Signal
from rmdesk.development.signals import found_on_q, runs_through, signals_compute
from rmdesk.development.tests.factories import holding, txn
from rmdesk.ingest.tests.helpers import counts, run_import

DAY = date(2026, 11, 20)


def ago(n: int) -> date:
    return DAY - timedelta(days=n)


def summary() -> set[tuple[Any, ...]]:
    return set(DailyFlow.objects.values_list("day", "customer_id", *COLUMNS))


def from_scratch(start: date) -> set[tuple[Any, ...]]:
    """The summary as one aggregate over all the transactions would give it."""
    with connection.cursor() as cursor:
        cursor.execute(
            SUMMARY + "WHERE t.booked_on >= %s GROUP BY t.booked_on, t.customer_id", [start]
        )
        rows = cursor.fetchall()
    fields = [DailyFlow._meta.get_field(name) for name in ("day", "customer_id", *COLUMNS)]
    return {
        tuple(
            field.to_python(value)  # type: ignore[no-untyped-call]
            for field, value in zip(fields, row, strict=True)
        )
        for row in rows
    }


def attrition(customer_id: int) -> list[dict[str, Any]]:
    return list(
        Signal.objects.filter(
            found_on_q(DAY, runs_through()), code="attrition", customer_id=customer_id
        ).values_list("evidence", flat=True)
    )


def test_transactions_booked_after_a_run_are_folded_in(cast: Cast) -> None:
    first = txn(cast.own, "transfer_out_other_bank", "-20000.00", ago(1))
    second = txn(cast.own, "transfer_out_other_bank", "-20000.00", ago(2))
    signals_compute(as_of=DAY, codes=["attrition"])
    assert attrition(cast.own.pk) == []
    # Booked later, on a day already in the summary: the next run adds it.
    third = txn(cast.own, "transfer_out_other_bank", "-10000.00", ago(1))
    signals_compute(as_of=DAY, codes=["attrition"])
    [evidence] = attrition(cast.own.pk)
    assert evidence["count"] == 3
    assert evidence["total"] == "50000.00"
    assert sorted(evidence["transactions"]) == [first.pk, second.pk, third.pk]
    assert summary() == from_scratch(ago(30))


def test_an_import_that_moves_or_changes_transactions_rebuilds_their_days(cast: Cast) -> None:
    own = cast.own.customer_no
    account = holding(cast.own, "demand_deposit", "300000.00").account_no
    header = "txn_ref,customer_no,account_no,booked_on,kind,amount,counterparty\n"
    rows = [
        f"T1,{own},{account},{ago(3):%Y%m%d},transfer_out_other_bank,-20000,\n",
        f"T2,{own},{account},{ago(4):%Y%m%d},transfer_out_other_bank,-20000,\n",
        f"T3,{own},{account},{ago(5):%Y%m%d},transfer_out_other_bank,-20000,\n",
        f"T4,{own},{account},{ago(5):%Y%m%d},spending,-10,\n",
    ]
    assert counts(run_import(cast.ops_officer, "transactions", header + "".join(rows)))[2] == 4
    signals_compute(as_of=DAY, codes=["attrition", "idle_deposit"])
    assert attrition(cast.own.pk)[0]["count"] == 3
    # A correction: T3 was a purchase, T1 belongs to a day outside the window, and T4
    # was booked 70 days ago.
    fixed = [
        rows[0].replace(f"{ago(3):%Y%m%d}", f"{ago(45):%Y%m%d}"),
        rows[1],
        rows[2].replace("transfer_out_other_bank", "product_purchase"),
        rows[3].replace(f"{ago(5):%Y%m%d}", f"{ago(70):%Y%m%d}"),
    ]
    run = run_import(cast.ops_officer, "transactions", header + "".join(fixed))
    assert counts(run)[3] == 3  # changed
    assert FlowDirty.objects.exists()
    signals_compute(as_of=DAY, codes=["attrition", "idle_deposit"])
    assert attrition(cast.own.pk) == []
    assert summary() == from_scratch(ago(60))
    assert not FlowDirty.objects.exists()
    # Day 3 lost its only transaction (T1 moved to day 45); day 5 keeps T3's purchase.
    days = DailyFlow.objects.filter(customer_id=cast.own.pk).values_list("day", flat=True)
    assert sorted(days) == [ago(45), ago(5), ago(4)]


def test_a_dry_run_import_marks_nothing(cast: Cast) -> None:
    account = holding(cast.own, "demand_deposit", "300000.00").account_no
    txn(cast.own, "spending", "-10.00", ago(1), txn_ref="D1", account_no=account)
    signals_compute(as_of=DAY, codes=["idle_deposit"])
    content = (
        "txn_ref,customer_no,account_no,booked_on,kind,amount,counterparty\n"
        f"D1,{cast.own.customer_no},{account},{ago(2):%Y%m%d},spending,-10,\n"
    )
    run = run_import(cast.ops_officer, "transactions", content, dry_run=True)
    assert counts(run)[3] == 1  # would change the row
    assert not FlowDirty.objects.exists()


def test_an_earlier_day_reads_the_summary_again_and_a_later_one_drops_old_days(
    cast: Cast,
) -> None:
    txn(cast.own, "transfer_out_other_bank", "-20000.00", ago(25))
    txn(cast.own, "transfer_out_other_bank", "-20000.00", ago(40))
    signals_compute(as_of=DAY, codes=["attrition"])
    assert {day for day, *_rest in summary()} == {ago(25)}
    # Booked since, on a day before the summary's window and on one inside it.
    txn(cast.own, "transfer_out_other_bank", "-30000.00", ago(40))
    txn(cast.own, "transfer_out_other_bank", "-30000.00", ago(25))
    signals_compute(as_of=ago(10), codes=["attrition"])
    assert {day for day, *_rest in summary()} == {ago(25), ago(40)}
    assert summary() == from_scratch(ago(40))
    signals_compute(as_of=DAY, codes=["attrition"])
    assert {day for day, *_rest in summary()} == {ago(25)}
    assert summary() == from_scratch(ago(30))
    assert Transaction.objects.count() == 4


def test_the_summary_keeps_only_the_days_its_rules_read(cast: Cast) -> None:
    """The salary rule reads its 90 days of salaries from the transactions, so the
    summary keeps the 60 days of the idle deposits and the settlement growth."""
    ids = [txn(cast.own, "salary", "8000.00", ago(d)).pk for d in (5, 35, 65)]
    txn(cast.own, "spending", "-10.00", ago(60))
    txn(cast.own, "spending", "-10.00", ago(59))
    signals_compute(as_of=DAY)
    assert {day for day, *_rest in summary()} == {ago(60), ago(59), ago(35), ago(5)}
    assert summary() == from_scratch(ago(60))
    [salary] = Signal.objects.filter(code="salary_no_wealth").values_list("evidence", flat=True)
    assert sorted(salary["transactions"]) == ids
