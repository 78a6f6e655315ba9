"""Every accepted encoding and layout gives the same three customers."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from rmdesk.customers.models import Customer
from rmdesk.ingest.tests.helpers import counts, errors, run_import

HEADER = ["customer_no", "kind", "name", "home_unit", "manager", "mobile", "address"]
ROWS = [
    ["N001", "individual", "王小明", "SA1", "rm-own", "13800138000", "北京市朝阳区"],
    ["N002", "corporate", "北京华信科技有限公司", "SA2", "rm-a2", "", ""],
    ["N003", "individual", "欧阳娜娜", "SB1", "", "", "上海市"],
]


def text(delimiter: str = ",", newline: str = "\n") -> str:
    return "".join(delimiter.join(row) + newline for row in [HEADER, *ROWS])


def xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in ROWS:
        # Mobiles typed as numbers, as spreadsheets do.
        sheet.append([int(cell) if cell.isdigit() else (cell or None) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FILES = {
    "utf8": text().encode("utf-8"),
    "utf8_bom": b"\xef\xbb\xbf" + text().encode("utf-8"),
    "gb18030": text().encode("gb18030"),
    "gbk": text().encode("gbk"),
    "tab": text("\t").encode(),
    "pipe": text("|").encode(),
    "crlf": text(newline="\r\n").encode(),
    "xlsx": xlsx(),
}


@pytest.mark.parametrize("name", list(FILES))
def test_each_format_imports_the_same_customers(cast, name):
    run = run_import(cast.ops_officer, "customers", FILES[name], name=f"c.{name}")
    assert counts(run) == ("done", 3, 3, 0, 0, 0), errors(run)
    stored = dict(
        Customer.objects.filter(customer_no__startswith="N").values_list(
            "customer_no", "display_name"
        )
    )
    assert stored == {"N001": "王小明", "N002": "北京华信科技有限公司", "N003": "欧阳娜娜"}
    first = Customer.objects.get(customer_no="N001")
    assert first.mobile == "13800138000"
    assert first.mobile_digest
    assert "小明" in first.search_tokens.split()
    assert first.primary_manager == cast.manager
    assert first.home_unit == cast.sub_a1


def test_quoted_fields_with_newlines_and_delimiters(cast):
    content = (
        "customer_no,kind,name,home_unit,address\r\n"
        'Q1,individual,王小明,SA1,"北京市\r\n朝阳区, 建国路1号"\r\n'
        'Q2,individual,李四,SA1,"上海市\n浦东"\n'
        "Q3,individual,张三,NOPE,\n"
    )
    run = run_import(cast.ops_officer, "customers", content)
    assert counts(run) == ("done", 3, 2, 0, 0, 1)
    # Row numbers count records as a spreadsheet does, not physical lines.
    assert errors(run) == [(4, "home_unit", "UNKNOWN_UNIT")]
    assert Customer.objects.get(customer_no="Q1").address == "北京市 朝阳区, 建国路1号"


def test_xlsx_dates_and_amounts(cast):
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["account_no", "customer_no", "product_type", "balance", "opened_on", "matures_on"]
    )
    sheet.append(["X1", cast.own.customer_no, "time_deposit", 1234.5, datetime(2025, 1, 2), 46354])  # noqa: DTZ001 (XLSX cells are naive)
    out = io.BytesIO()
    book.save(out)
    run = run_import(cast.ops_officer, "holdings", out.getvalue(), name="h.xlsx")
    assert counts(run) == ("done", 1, 1, 0, 0, 0), errors(run)
    holding = cast.own.holdings.get()
    assert str(holding.balance) == "1234.50"
    assert holding.opened_on.isoformat() == "2025-01-02"
    assert holding.matures_on.isoformat() == "2026-11-28"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "EMPTY_FILE"),
        (b"\r\n\r\n", "EMPTY_FILE"),
        (b"customer_no,kind,name\n", "MISSING_COLUMN"),
        (b"customer_no,kind,name,home_unit,kind\n", "DUPLICATE_COLUMN"),
        (b"customer_no,kind,name,home_unit,colour\n", "UNKNOWN_COLUMN"),
        (b"customer_no,kind,name,home_unit\nA\x00,individual,x,SA1\n", "NUL_BYTE"),
        # Valid in neither UTF-8 nor GB18030: refused, never stored as mojibake.
        (b"customer_no,kind,name,home_unit\nA1,individual,\xff\xff,SA1\n", "BAD_ENCODING"),
        (b'customer_no,kind,name,home_unit\nA1,individual,"open,SA1\n', "MALFORMED_CSV"),
        (b"PK\x03\x04 not really a zip", "BAD_XLSX"),
    ],
)
def test_malformed_files_are_refused_whole(cast, content, code):
    run = run_import(cast.ops_officer, "customers", content)
    assert run.status == "rejected"
    assert run.error_code == code
    assert (run.new, run.changed, run.unchanged) == (0, 0, 0)
    assert not Customer.objects.filter(customer_no="A1").exists()


def test_missing_column_names_the_column(cast):
    run = run_import(cast.ops_officer, "holdings", "account_no,customer_no,balance,opened_on\n")
    assert run.error_code == "MISSING_COLUMN"
    assert errors(run) == [(1, "product_type", "MISSING_COLUMN")]
    assert "product_type" in run.error_summary


def test_header_only_is_nothing_to_do(cast):
    run = run_import(cast.ops_officer, "customers", "customer_no,kind,name,home_unit\r\n")
    assert counts(run) == ("done", 0, 0, 0, 0, 0)
