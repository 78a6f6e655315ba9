"""The products feed: the shelf by the core system's code, by the product rules."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.core.errors import DomainError
from rmdesk.customers.models import Holding
from rmdesk.ingest.tests.helpers import counts, errors, run_import
from rmdesk.marketing.models import Product
from rmdesk.marketing.services import product_fields_clean
from rmdesk.marketing.tests.factories import ProductFactory

HEADER = (
    "code,name,type,issuer_type,asset_class,risk_level,status,term_days,yield_low,yield_high,"
    "min_amount,increment,currency,sale_starts_at,sale_ends_at,quota,target_tiers,"
    "qualification_needed,cooling_off_hours,recording_retention_years\n"
)
SHELF = HEADER + (
    "WM001,稳健理财1号,wm_public,wm_subsidiary,fixed_income,R2,on_sale,180,2.8,3.5,"
    '"10,000",1000,CNY,2026-12-01,2026-12-10 17:00,"50,000,000.00",gold;private,wealth,24,\n'
    "FD002,成长基金,FUND,third_party,equity,4,on_sale,,,,１０００,,,,,,,fund,,10\n"
    "TD003,三年定期,time_deposit,bank,cash,1,draft,1095,2.6,2.6,50,50,,,,,,,,\n"
)


def test_a_shelf_is_imported_with_every_field(cast):
    run = run_import(cast.ops_officer, "products", SHELF)
    assert counts(run) == ("done", 3, 3, 0, 0, 0), errors(run)
    wm = Product.objects.get(code="WM001")
    zone = timezone.get_current_timezone()
    assert (wm.name, wm.type, wm.risk_level, wm.term_days) == (
        "稳健理财1号",
        "wm_public",
        2,
        180,
    )
    assert (wm.yield_low, wm.yield_high, wm.min_amount, wm.increment, wm.quota) == (
        Decimal("2.8"),
        Decimal("3.5"),
        Decimal("10000"),
        Decimal("1000"),
        Decimal("50000000"),
    )
    assert wm.sale_starts_at == dt.datetime(2026, 12, 1, tzinfo=zone)
    assert wm.sale_ends_at == dt.datetime(2026, 12, 10, 17, 0, tzinfo=zone)
    assert (wm.target_tiers, wm.qualification_needed, wm.cooling_off_hours) == (
        ["gold", "private"],
        "wealth",
        24,
    )
    assert (wm.quota_used, wm.status) == (Decimal("0"), "on_sale")
    fund = Product.objects.get(code="FD002")
    # Blank columns take a new product's defaults; full-width digits are read as digits.
    assert (fund.type, fund.min_amount, fund.increment, fund.currency, fund.quota) == (
        "fund",
        Decimal("1000"),
        Decimal("0.01"),
        "CNY",
        None,
    )
    assert (fund.target_tiers, fund.cooling_off_hours, fund.recording_retention_years) == (
        [],
        0,
        10,
    )
    assert Product.objects.get(code="TD003").status == "draft"


def test_upsert_by_code_and_closing_only_by_status(cast):
    kept = ProductFactory(code="OLD9", status=Product.Status.ON_SALE)
    run_import(cast.ops_officer, "products", SHELF)
    update = HEADER + (
        # Same as before: unchanged.
        "TD003,三年定期,time_deposit,bank,cash,1,draft,1095,2.6,2.6,50,50,,,,,,,,\n"
        # Withdrawn by its status.
        "FD002,成长基金,fund,third_party,equity,4,closed,,,,1000,,,,,,,fund,,10\n"
        # New.
        "BD004,凭证式国债,government_bond,bank,fixed_income,R1,on_sale,1095,,,100,100,,,,,,,,\n"
    )
    run = run_import(cast.ops_officer, "products", update)
    assert counts(run) == ("done", 3, 1, 1, 1, 0), errors(run)
    assert dict(Product.objects.values_list("code", "status")) == {
        "WM001": "on_sale",  # absent from the file: left as it was
        "FD002": "closed",
        "TD003": "draft",
        "BD004": "on_sale",
        "OLD9": "on_sale",
    }
    kept.refresh_from_db()
    assert kept.status == "on_sale"
    again = run_import(cast.ops_officer, "products", update, force=True)
    assert counts(again) == ("done", 3, 0, 0, 3, 0)


FAULTS = [
    # (cells replacing the good row's, the refusals expected)
    ({"type": "savings"}, [("type", "BAD_CHOICE")]),
    ({"risk_level": "R9"}, [("risk_level", "BAD_CHOICE")]),
    ({"yield_low": "4", "yield_high": "3"}, [("yield_high", "BAD_RANGE")]),
    ({"yield_low": "3.12345"}, [("yield_low", "BAD_RATE")]),
    ({"min_amount": "0"}, [("min_amount", "BAD_AMOUNT")]),
    ({"currency": "RMB1"}, [("currency", "BAD_CURRENCY")]),
    ({"target_tiers": "gold;vip"}, [("target_tiers", "BAD_CHOICE")]),
    (
        {"sale_starts_at": "2026-12-10", "sale_ends_at": "2026-12-01"},
        [("sale_ends_at", "BAD_DATE_ORDER")],
    ),
    ({"cooling_off_hours": "1000"}, [("cooling_off_hours", "OUT_OF_RANGE")]),
    ({"recording_retention_years": "0"}, [("recording_retention_years", "OUT_OF_RANGE")]),
    ({"name": "名" * 201}, [("name", "TOO_LONG")]),
    (
        {"status": "gone", "issuer_type": "x"},
        [("issuer_type", "BAD_CHOICE"), ("status", "BAD_CHOICE")],
    ),
]
COLUMNS = HEADER.strip().split(",")
GOOD = dict(
    zip(
        COLUMNS,
        [
            "ZZ1",
            "好产品",
            "wm_public",
            "bank",
            "mixed",
            "3",
            "on_sale",
            "",
            "",
            "",
            "1",
            "1",
            "CNY",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        strict=True,
    )
)


def _line(cells: dict[str, str]) -> str:
    return ",".join(cells[name] for name in COLUMNS) + "\n"


def test_refusals_are_the_product_rules_of_the_page_and_the_api(cast):
    lines = [_line(GOOD | {"code": f"F{i}"} | cells) for i, (cells, _want) in enumerate(FAULTS)]
    run = run_import(cast.ops_officer, "products", HEADER + "".join(lines))
    assert counts(run)[:2] == ("done", len(FAULTS))
    assert (run.new, run.rejected) == (0, len(FAULTS))
    found = errors(run)
    for i, (cells, want) in enumerate(FAULTS):
        assert [(field, code) for row, field, code in found if row == i + 2] == want
        # The same refusal straight from the rules the page and the API call.
        data = {
            "code": f"F{i}",
            "name": (GOOD | cells)["name"],
            "type": (GOOD | cells)["type"],
            "issuer_type": (GOOD | cells)["issuer_type"],
            "asset_class": "mixed",
            "risk_level": 9 if cells.get("risk_level") else 3,
            "status": (GOOD | cells)["status"],
            "currency": (GOOD | cells)["currency"],
            "min_amount": (GOOD | cells)["min_amount"],
            "target_tiers": [t for t in (GOOD | cells)["target_tiers"].split(";") if t],
            "yield_low": (GOOD | cells)["yield_low"] or None,
            "yield_high": (GOOD | cells)["yield_high"] or None,
            "cooling_off_hours": int((GOOD | cells)["cooling_off_hours"] or 0),
            "recording_retention_years": (
                int(cells["recording_retention_years"])
                if "recording_retention_years" in cells
                else None
            ),
        }
        if "sale_starts_at" in cells:
            data["sale_starts_at"] = dt.datetime(2026, 12, 10, tzinfo=dt.UTC)
            data["sale_ends_at"] = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
        with pytest.raises(DomainError) as refused:
            product_fields_clean(data, current=None)
        assert [(d["field"], d["code"]) for d in refused.value.details] == want


def test_the_api_and_the_feed_refuse_alike(cast, client_for):
    from rmdesk.org.models import Department
    from rmdesk.org.roles import Role
    from rmdesk.org.tests.factories import DepartmentFactory, StaffFactory

    dept = DepartmentFactory(org_unit=cast.head_office, kind=Department.Kind.WEALTH_PRODUCT)
    officer = StaffFactory(
        org_unit=cast.head_office, roles=[Role.DEPARTMENT_OFFICER], department=dept
    )
    body = {
        "code": "API-1",
        "name": "接口产品",
        "type": "wm_public",
        "issuer_type": "bank",
        "asset_class": "mixed",
        "risk_level": 3,
        "status": "on_sale",
        "yield_low": "4",
        "yield_high": "3",
        "cooling_off_hours": 24,
    }
    response = client_for(officer).post(
        "/api/v1/products", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert [(d["field"], d["code"]) for d in response.json()["details"]] == [
        ("yield_high", "BAD_RANGE")
    ]
    line = _line(GOOD | {"code": "API-1", "yield_low": "4", "yield_high": "3"})
    assert errors(run_import(cast.ops_officer, "products", HEADER + line)) == [
        (2, "yield_high", "BAD_RANGE")
    ]


def test_quota_cannot_go_below_what_was_sold(cast):
    ProductFactory(code="Q1", quota=Decimal("1000"), quota_used=Decimal("800"))
    line = _line(GOOD | {"code": "Q1", "quota": "500"})
    run = run_import(cast.ops_officer, "products", HEADER + line)
    assert errors(run) == [(2, "quota", "QUOTA_BELOW_SOLD")]
    assert Product.objects.get(code="Q1").quota == Decimal("1000")


def test_holdings_name_products_that_exist(cast):
    ProductFactory(code="WM001")
    feed = (
        "account_no,customer_no,product_type,balance,opened_on,product_code\n"
        f"H1,{cast.own.customer_no},wealth,1000,2024-01-01,WM001\n"
        f"H2,{cast.own.customer_no},wealth,1000,2024-01-01,NOPE\n"
        f"H3,{cast.own.customer_no},demand_deposit,1000,2024-01-01,\n"
        f"H4,NOBODY,wealth,-1,2024-01-01,NOPE2\n"
    )
    run = run_import(cast.ops_officer, "holdings", feed)
    assert counts(run) == ("done", 4, 2, 0, 0, 2)
    assert errors(run) == [
        (3, "product_code", "UNKNOWN_PRODUCT"),
        (5, "balance", "NEGATIVE_AMOUNT"),
        (5, "customer_no", "UNKNOWN_CUSTOMER"),
        (5, "product_code", "UNKNOWN_PRODUCT"),
    ]
    assert sorted(Holding.objects.values_list("account_no", "product_code")) == [
        ("H1", "WM001"),
        ("H3", ""),
    ]


def test_command_dry_run_and_the_api_take_the_products_feed(cast, client_for, tmp_path, capsys):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    path = tmp_path / "products.csv"
    path.write_text(SHELF, encoding="utf-8")
    call_command("import", "products", str(path), "--dry-run", "--as", "ops")
    assert "new 3, changed 0, unchanged 0, rejected 0" in capsys.readouterr().out
    assert not Product.objects.exists()
    upload = SimpleUploadedFile("products.csv", SHELF.encode(), content_type="text/csv")
    body = client_for(cast.ops_officer).post("/api/v1/imports/products", {"file": upload}).json()
    assert (body["feed"], body["status"], body["new"]) == ("products", "done", 3)
    assert Product.objects.count() == 3
