"""Refused rows: each kind with its exact row, field and code; the valid rest applies."""

from __future__ import annotations

from rmdesk.customers.models import Customer, Holding, Transaction
from rmdesk.ingest.services import Limits
from rmdesk.ingest.tests.helpers import counts, errors, run_import

CUSTOMERS = (
    "customer_no,kind,name,home_unit,manager,mobile,id_number\n"
    "R1,individual,王一,SA1,rm-own,13800138000,11010519491231002X\n"  # valid
    "R2,individual,王二,SA1,,,110105194912310021\n"  # bad check digit
    "R3,individual,王三,SA1,,12345,\n"  # bad mobile
    "R4,individual,王四,NOPE,,,\n"  # unknown unit
    "R5,alien,王五,SA1,,,\n"  # bad kind
    "R1,individual,王一,SA1,,,\n"  # duplicate key
    "R7,individual,王七,SA1,branch-head-a,,\n"  # not an account manager
    "R8,individual,王八,SA1,,,11010519491231002X\n"  # same identity as R1
    "R9,individual,,SA1,,,\n"  # no name
)


def test_customer_rows(cast):
    run = run_import(cast.ops_officer, "customers", CUSTOMERS)
    assert counts(run) == ("done", 9, 1, 0, 0, 8)
    assert errors(run) == [
        (3, "id_number", "BAD_CHECK_DIGIT"),
        (4, "mobile", "BAD_LENGTH"),
        (5, "home_unit", "UNKNOWN_UNIT"),
        (6, "kind", "BAD_CHOICE"),
        (7, "customer_no", "DUPLICATE_KEY"),
        (8, "manager", "UNKNOWN_MANAGER"),
        (9, "id_number", "DUPLICATE_IDENTITY"),
        (10, "name", "REQUIRED"),
    ]
    customer = Customer.objects.get(customer_no="R1")
    # The identity number fills birth date and gender, as on the page.
    assert customer.birth_date.isoformat() == "1949-12-31"
    assert customer.gender == "female"
    assert customer.id_digest
    assert not Customer.objects.filter(customer_no__in=["R2", "R3", "R4", "R5", "R8"]).exists()


def test_holding_rows(cast):
    own = cast.own.customer_no
    content = (
        "account_no,customer_no,product_type,balance,opened_on,currency,balance_cny\n"
        f'H1,{own},demand_deposit,"1,234.50",2024-01-01,,\n'
        "H2,NOBODY,demand_deposit,1,2024-01-01,,\n"
        f"H3,{own},demand_deposit,-5,2024-01-01,,\n"
        f"H4,{own},demand_deposit,5,2024-13-01,,\n"
        f"H5,{own},lottery,5,2024-01-01,,\n"
        f"H1,{own},demand_deposit,5,2024-01-01,,\n"
        f"H7,{own},fund,5,2024-01-01,USD,\n"
        f"H8,{own},fund,１，０００.５,20240101,USD,7000\n"
    )
    run = run_import(cast.ops_officer, "holdings", content)
    assert counts(run) == ("done", 8, 2, 0, 0, 6)
    assert errors(run) == [
        (3, "customer_no", "UNKNOWN_CUSTOMER"),
        (4, "balance", "NEGATIVE_AMOUNT"),
        (5, "opened_on", "BAD_DATE"),
        (6, "product_type", "BAD_CHOICE"),
        (7, "account_no", "DUPLICATE_KEY"),
        (8, "balance_cny", "REQUIRED"),
    ]
    assert str(Holding.objects.get(account_no="H8").balance) == "1000.50"


def test_transaction_rows(cast):
    own, other = cast.own.customer_no, cast.other.customer_no
    run_import(
        cast.ops_officer,
        "holdings",
        "account_no,customer_no,product_type,balance,opened_on\n"
        f"A-OWN,{own},demand_deposit,100,20240101\n",
    )
    content = (
        "txn_ref,customer_no,account_no,booked_on,kind,amount,counterparty\n"
        f'T1,{own},A-OWN,20261128,salary,"8,000.00",某某公司\n'
        f"T2,{own},A-OWN,46354,spending,-35.5,\n"
        f"T3,{own},NOPE,20261128,salary,1,\n"
        f"T4,{other},A-OWN,20261128,salary,1,\n"
        f"T5,{own},A-OWN,20261128,gift,1,\n"
        f"T6,{own},A-OWN,yesterday,salary,1,\n"
        f"T7,{own},A-OWN,20261128,salary,1.234,\n"
    )
    run = run_import(cast.ops_officer, "transactions", content)
    assert counts(run) == ("done", 7, 2, 0, 0, 5)
    assert errors(run) == [
        (4, "account_no", "UNKNOWN_ACCOUNT"),
        (5, "account_no", "ACCOUNT_OF_OTHER_CUSTOMER"),
        (6, "kind", "BAD_CHOICE"),
        (7, "booked_on", "BAD_DATE"),
        (8, "amount", "BAD_AMOUNT"),
    ]
    spending = Transaction.objects.get(txn_ref="T2")
    assert str(spending.amount) == "-35.50"
    assert spending.booked_on.isoformat() == "2026-11-28"


def test_extra_fields_are_refused(cast):
    content = "customer_no,kind,name,home_unit\nE1,individual,王一,SA1,surplus\n"
    run = run_import(cast.ops_officer, "customers", content)
    assert counts(run) == ("done", 1, 0, 0, 0, 1)
    assert errors(run) == [(2, "", "EXTRA_FIELDS")]


def test_too_many_refused_rows_applies_nothing(cast):
    content = (
        "customer_no,kind,name,home_unit\n"
        "G1,individual,王一,SA1\n"
        "B1,individual,王二,NOPE\n"
        "B2,individual,王三,NOPE\n"
    )
    run = run_import(
        cast.ops_officer,
        "customers",
        content,
        limits=Limits(max_bytes=10_000, max_rows=100, max_errors=1),
    )
    assert run.status == "rejected"
    assert run.error_code == "TOO_MANY_ERRORS"
    assert (run.rows, run.new, run.rejected) == (3, 0, 2)
    assert errors(run) == [(3, "home_unit", "UNKNOWN_UNIT"), (4, "home_unit", "UNKNOWN_UNIT")]
    assert not Customer.objects.filter(customer_no="G1").exists()


def test_limits_on_size_and_rows(cast):
    content = "customer_no,kind,name,home_unit\n" + "".join(
        f"L{i},individual,王{i},SA1\n" for i in range(10)
    )
    too_big = run_import(
        cast.ops_officer,
        "customers",
        content,
        limits=Limits(max_bytes=100, max_rows=100, max_errors=5),
    )
    assert (too_big.status, too_big.error_code) == ("rejected", "FILE_TOO_LARGE")
    too_long = run_import(
        cast.ops_officer,
        "customers",
        content,
        limits=Limits(max_bytes=10_000, max_rows=5, max_errors=5),
    )
    assert (too_long.status, too_long.error_code) == ("rejected", "TOO_MANY_ROWS")
    assert not Customer.objects.filter(customer_no__startswith="L").exists()
