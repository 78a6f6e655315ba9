"""Customer export: who may export, what goes out, the limits, and the trail it leaves."""

from __future__ import annotations

import csv
import io
import threading
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from rmdesk.audit.models import AccessLog, AuditEvent
from rmdesk.audit.selectors import chain_breaks
from rmdesk.audit.services import access_record
from rmdesk.conftest import EXPECTED_VISIBLE, Cast
from rmdesk.core.errors import DomainError
from rmdesk.customers import export
from rmdesk.customers.export import (
    ExportFile,
    ExportQuotaExceeded,
    ExportTooLarge,
    customer_export,
    export_row_limit,
    spreadsheet_safe,
)
from rmdesk.customers.models import Customer
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.org.models import Staff
from rmdesk.org.roles import Role
from rmdesk.org.tests.factories import StaffFactory

MOBILE = "13812345678"
ID_NUMBER = "11010519491231002X"
EMAIL = "wang.xiaoming@example.com"
POOL_MOBILE = "13987654321"
ENGLISH_HEADER = [
    "Customer number",
    "Kind",
    "Name",
    "Identity document",
    "Identity number",
    "Mobile",
    "E-mail",
    "City",
    "District",
    "Tier",
    "AUM (CNY)",
    "Liabilities (CNY)",
    "Home org unit",
    "Lead manager",
    "Assisting manager",
]
INJECTION = '=HYPERLINK("http://x","y")'

DENIED = ["admin", "ops_officer"]
ALLOWED = sorted(set(EXPECTED_VISIBLE) - set(DENIED))
FORMATS = ["csv", "xlsx"]


def rows_of(exported: ExportFile) -> list[list[str]]:
    """The cells of an exported file, header first, as text."""
    if exported.filename.endswith(".csv"):
        return list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"), newline="")))
    workbook = load_workbook(io.BytesIO(exported.content), read_only=True)
    (sheet,) = workbook.worksheets
    return [
        ["" if value is None else value for value in row]
        for row in sheet.iter_rows(values_only=True)
    ]


def numbers_of(exported: ExportFile) -> set[str]:
    return {row[0] for row in rows_of(exported)[1:]}


def text_of(exported: ExportFile) -> str:
    """Everything the file holds, as text: the CSV itself, or every part of the XLSX zip."""
    if exported.filename.endswith(".csv"):
        return exported.content.decode("utf-8-sig")
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def fresh(staff: Staff) -> Staff:
    """The staff member as a request would load them: no cached roles or org unit."""
    return Staff.objects.get(pk=staff.pk)


def exports_logged() -> int:
    return AuditEvent.objects.filter(action=export.EXPORTED_ACTION).count()


@pytest.fixture
def personal(cast: Cast) -> Cast:
    """Give the cast's people real-looking identity numbers, mobiles and e-mails."""
    Customer.objects.filter(pk=cast.own.pk).update(
        id_type=Customer.IdType.RESIDENT_ID, id_number=ID_NUMBER, mobile=MOBILE, email=EMAIL
    )
    Customer.objects.filter(pk=cast.pool.pk).update(mobile=POOL_MOBILE)
    return cast


# --- Who may export ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("who", ALLOWED)
def test_an_export_holds_exactly_the_visible_customers(cast: Cast, who: str, fmt: str) -> None:
    """RELIABILITY.md B7, C5."""
    exported = customer_export(actor=fresh(cast.staff()[who]), fmt=fmt)
    expected = {cast.customers()[name].customer_no for name in EXPECTED_VISIBLE[who]}
    assert numbers_of(exported) == expected


@pytest.mark.parametrize("who", DENIED)
def test_roles_without_export_are_refused_and_nothing_is_logged(cast: Cast, who: str) -> None:
    """RELIABILITY.md C5."""
    with pytest.raises(PermissionDenied):
        customer_export(actor=fresh(cast.staff()[who]))
    assert not AccessLog.objects.exists()
    assert exports_logged() == 0


def test_an_inactive_member_of_staff_may_not_export(cast: Cast) -> None:
    Staff.objects.filter(pk=cast.manager.pk).update(is_active=False)
    with pytest.raises(PermissionDenied):
        customer_export(actor=fresh(cast.manager))


def test_row_limits_per_role_are_capped_by_the_setting(cast: Cast, settings: Any) -> None:
    limits = {who: export_row_limit(fresh(staff)) for who, staff in cast.staff().items()}
    assert limits["manager"] == 2_000
    # The team lead is also an account manager: the larger limit applies.
    assert limits["team_lead"] == 5_000
    for who in ("subbranch_head", "branch_head", "analyst", "auditor"):
        assert limits[who] == 5_000
    assert limits["admin"] is None
    assert limits["ops_officer"] is None

    settings.RMDESK_EXPORT_MAX_ROWS = 1_000
    assert export_row_limit(fresh(cast.manager)) == 1_000
    assert export_row_limit(fresh(cast.analyst)) == 1_000


# --- What goes out ------------------------------------------------------------------


def test_a_search_narrows_the_export_and_never_widens_it(cast: Cast) -> None:
    """RELIABILITY.md B7."""
    branch_head = fresh(cast.branch_head)
    assert numbers_of(customer_export(actor=branch_head, q="王小明")) == {cast.own.customer_no}
    # 钱七 is in branch B: invisible to branch A's head, whatever they search for.
    assert numbers_of(customer_export(actor=branch_head, q="钱七")) == set()
    assert numbers_of(customer_export(actor=fresh(cast.analyst), q="钱七")) == {
        cast.far.customer_no
    }


def test_rows_come_in_list_order(cast: Cast) -> None:
    rows = rows_of(customer_export(actor=fresh(cast.analyst)))[1:]
    expected = list(
        Customer.objects.order_by("display_name", "id").values_list("customer_no", flat=True)
    )
    assert [row[0] for row in rows] == expected


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("who", ["manager", "branch_head", "analyst", "auditor"])
def test_personal_fields_are_always_masked(personal: Cast, who: str, fmt: str) -> None:
    # Even for the customer's own manager, who sees them in full on screen.
    """RELIABILITY.md C2."""
    exported = customer_export(actor=fresh(personal.staff()[who]), fmt=fmt)
    everything = text_of(exported)
    for secret in ("王小明", MOBILE, ID_NUMBER, EMAIL, "欧阳娜娜", POOL_MOBILE):
        assert secret not in everything
    cells = {cell for row in rows_of(exported) for cell in row}
    assert {"王*明", "138****5678", "110***********002X", "w************@example.com"} <= cells
    # A company's name is not personal data.
    assert "北京华信科技有限公司" in cells


def test_csv_is_utf8_with_bom_and_crlf_and_a_translated_header(cast: Cast) -> None:
    Customer.objects.filter(pk=cast.own.pk).update(
        aum=Decimal("1234567.8"), city="北京", district="朝阳区"
    )
    with (
        time_machine.travel(datetime(2026, 11, 29, 6, 32, tzinfo=UTC), tick=False),
        translation.override("en"),
    ):
        exported = customer_export(actor=fresh(cast.manager), q="王小明")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    assert exported.content_type == "text/csv; charset=utf-8"
    # 14:32 in Shanghai.
    assert exported.filename == "customers-20261129-1432.csv"
    text = exported.content.decode("utf-8-sig")
    assert text.count("\r\n") == 2
    assert "\n" not in text.replace("\r\n", "")
    header, row = rows_of(exported)
    assert header == ENGLISH_HEADER
    assert row == [
        cast.own.customer_no,
        "Individual",
        "王*明",
        "Resident identity card",
        "110***********1233",
        "138****8001",
        "w************@example.cn",
        "北京",
        "朝阳区",
        "Mass",
        "1234567.80",
        "0.00",
        "甲一支行",
        str(cast.manager),
        "",
    ]

    with translation.override("zh-hans"):
        chinese = rows_of(customer_export(actor=fresh(cast.manager)))[0]
    assert chinese[:3] == ["客户号", "客户类型", "客户名称"]


def test_xlsx_holds_the_same_rows_as_the_csv(personal: Cast) -> None:
    analyst = fresh(personal.analyst)
    Customer.objects.filter(pk=personal.other.pk).update(
        assisting_manager=personal.manager, liabilities=Decimal("50000")
    )
    with translation.override("en"):
        as_csv = customer_export(actor=analyst, fmt="csv")
        as_xlsx = customer_export(actor=analyst, fmt="xlsx")
    assert as_xlsx.filename.endswith(".xlsx")
    assert as_xlsx.content_type == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = load_workbook(io.BytesIO(as_xlsx.content), read_only=True)
    assert workbook.sheetnames == ["Customers"]
    assert rows_of(as_xlsx) == rows_of(as_csv)
    assert len(rows_of(as_xlsx)) == 1 + len(EXPECTED_VISIBLE["analyst"])


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "＝1+1", INJECTION],
)
def test_formula_triggers_are_quoted(text: str) -> None:
    """RELIABILITY.md C5."""
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["", "a=b", "王小明", "13812345678", "'=already"])
def test_plain_text_is_left_alone(text: str) -> None:
    assert spreadsheet_safe(text) == text


@pytest.mark.parametrize("fmt", FORMATS)
def test_formula_injection_comes_out_as_text(cast: Cast, fmt: str) -> None:
    """RELIABILITY.md C5."""
    CustomerFactory(
        display_name=INJECTION,
        kind=Customer.Kind.CORPORATE,
        home_unit=cast.sub_a1,
        primary_manager=cast.manager,
    )
    # A person's name is masked first; what is left must still not be a formula.
    CustomerFactory(display_name="=1+2", home_unit=cast.sub_a1, primary_manager=cast.manager)
    Customer.objects.filter(pk=cast.own.pk).update(city="+86", district="@cmd", email="-x@a.cn")
    exported = customer_export(actor=fresh(cast.manager), fmt=fmt)
    cells = {cell for row in rows_of(exported) for cell in row}
    assert "'" + INJECTION in cells
    assert {"'=***", "'+86", "'@cmd", "'-*@a.cn"} <= cells
    assert not {cell for cell in cells if cell.startswith(export.FORMULA_TRIGGERS)}
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(exported.content)).active
        # Text cells only (shared or inline strings), never a formula ("f").
        assert {cell.data_type for row in sheet.iter_rows() for cell in row} <= {"s", "inlineStr"}
        assert "<f>" not in text_of(exported)


def test_control_characters_do_not_break_the_workbook(cast: Cast) -> None:
    # Services refuse such names now; older rows and imports may still hold them.
    Customer.objects.filter(pk=cast.company.pk).update(display_name="响铃\x07公司")
    names = {row[2] for row in rows_of(customer_export(actor=fresh(cast.manager), fmt="xlsx"))}
    assert "响铃公司" in names


def test_an_unknown_format_is_refused(cast: Cast) -> None:
    with pytest.raises(DomainError) as refused:
        customer_export(actor=fresh(cast.manager), fmt="pdf")
    assert refused.value.code == "export_format"
    assert exports_logged() == 0


def test_nothing_to_export_gives_a_header_only_file(cast: Cast) -> None:
    newcomer = StaffFactory(org_unit=cast.sub_a1)
    exported = customer_export(actor=fresh(newcomer))
    assert len(rows_of(exported)) == 1
    assert not AccessLog.objects.exists()
    assert AuditEvent.objects.get(action=export.EXPORTED_ACTION).data["rows"] == 0


# --- Limits -------------------------------------------------------------------------


def test_a_selection_over_the_limit_is_refused_whole(cast: Cast, settings: Any) -> None:
    settings.RMDESK_EXPORT_MAX_ROWS = 3
    with pytest.raises(ExportTooLarge) as refused:
        customer_export(actor=fresh(cast.analyst))
    error = refused.value
    assert isinstance(error, DomainError)
    assert (error.status, error.code) == (422, "export_too_large")
    assert error.details == {"limit": 3, "rows": 4}
    assert not AccessLog.objects.exists()
    assert exports_logged() == 0
    # Narrowed to fit, the same export goes through.
    assert numbers_of(customer_export(actor=fresh(cast.analyst), q="王小明")) == {
        cast.own.customer_no
    }


def test_a_selection_at_the_limit_goes_through(cast: Cast, settings: Any) -> None:
    settings.RMDESK_EXPORT_MAX_ROWS = len(EXPECTED_VISIBLE["analyst"])
    assert len(numbers_of(customer_export(actor=fresh(cast.analyst)))) == 6


def test_the_role_limit_applies_below_the_cap(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(export.EXPORT_ROW_LIMITS, Role.ACCOUNT_MANAGER, 1)
    with pytest.raises(ExportTooLarge):
        customer_export(actor=fresh(cast.manager))  # two customers, limit one
    # The team lead sees the same two, under the team lead's limit.
    assert len(numbers_of(customer_export(actor=fresh(cast.team_lead)))) == 2


def test_a_full_export_of_5000_rows_and_a_refusal_at_5001(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    """RELIABILITY.md C5."""
    analyst = fresh(cast.analyst)
    missing = 5_000 - Customer.objects.count()
    Customer.objects.bulk_create(
        Customer(
            customer_no=f"B{n:09d}",
            kind=Customer.Kind.INDIVIDUAL,
            display_name=f"张三{n}",
            home_unit=cast.sub_a2 if n % 2 else cast.sub_b1,
            primary_manager=cast.a2_manager if n % 2 else cast.far_manager,
            assisting_manager=cast.other_manager if n % 3 == 0 else None,
            mobile=MOBILE,
        )
        for n in range(missing)
    )
    # SQLite's 999-parameter limit splits the access-log insert into ~90 statements;
    # one query per row would be 5,000.
    with django_assert_max_num_queries(120):
        exported = customer_export(actor=analyst, fmt="csv")
    assert len(rows_of(exported)) == 5_001
    assert AccessLog.objects.filter(action=AccessLog.Action.EXPORT).count() == 5_000
    assert chain_breaks(AccessLog) == []

    CustomerFactory(home_unit=cast.sub_b1)
    with pytest.raises(ExportTooLarge) as refused:
        customer_export(actor=analyst, fmt="xlsx")
    assert refused.value.details == {"limit": 5_000, "rows": 5_001}


def test_the_daily_quota(cast: Cast, settings: Any) -> None:
    """RELIABILITY.md C5."""
    settings.RMDESK_EXPORTS_PER_DAY = 2
    manager = fresh(cast.manager)
    customer_export(actor=manager)
    customer_export(actor=manager, fmt="xlsx")
    with pytest.raises(ExportQuotaExceeded) as refused:
        customer_export(actor=manager)
    error = refused.value
    assert (error.status, error.code, error.details) == (429, "export_quota", {"limit": 2})
    assert exports_logged() == 2
    # Someone else's quota is their own.
    customer_export(actor=fresh(cast.other_manager))


def test_the_quota_day_is_the_banks_calendar_day(cast: Cast, settings: Any) -> None:
    settings.RMDESK_EXPORTS_PER_DAY = 1
    # 23:50 in Shanghai, 15:50 UTC.
    with time_machine.travel(datetime(2026, 11, 29, 15, 50, tzinfo=UTC), tick=False):
        customer_export(actor=fresh(cast.manager))
    with (
        time_machine.travel(datetime(2026, 11, 29, 15, 59, tzinfo=UTC), tick=False),
        pytest.raises(ExportQuotaExceeded),
    ):
        customer_export(actor=fresh(cast.manager))
    # 00:01 the next day in Shanghai, though still the 29th in UTC.
    with time_machine.travel(datetime(2026, 11, 29, 16, 1, tzinfo=UTC), tick=False):
        customer_export(actor=fresh(cast.manager))


def test_refused_exports_do_not_use_the_quota(cast: Cast, settings: Any) -> None:
    settings.RMDESK_EXPORTS_PER_DAY = 1
    settings.RMDESK_EXPORT_MAX_ROWS = 1
    for _ in range(3):
        with pytest.raises(ExportTooLarge):
            customer_export(actor=fresh(cast.manager))
    customer_export(actor=fresh(cast.manager), q="王小明")


# --- The trail ------------------------------------------------------------------------


def test_each_exported_customer_is_logged_and_the_chain_holds(cast: Cast) -> None:
    """RELIABILITY.md C3."""
    branch_head = fresh(cast.branch_head)
    request = RequestFactory().get(
        "/customers/export/", REMOTE_ADDR="10.1.2.3", HTTP_X_REQUEST_ID="req-42"
    )
    # Entries before and after, in the same chain, must link up with the export's.
    access_record(
        actor=branch_head,
        action=AccessLog.Action.VIEW,
        channel="web",
        target=cast.own,
        customer_id=cast.own.pk,
        request=None,
    )
    exported = customer_export(actor=branch_head, fmt="xlsx", request=request)
    access_record(
        actor=branch_head,
        action=AccessLog.Action.VIEW,
        channel="web",
        target=cast.other,
        customer_id=cast.other.pk,
        request=None,
    )
    customer_export(actor=fresh(cast.far_manager))

    entries = AccessLog.objects.filter(actor=branch_head, action=AccessLog.Action.EXPORT)
    exported_ids = set(
        Customer.objects.filter(customer_no__in=numbers_of(exported)).values_list("pk", flat=True)
    )
    assert sorted(entry.customer_id for entry in entries) == sorted(exported_ids)
    assert len(exported_ids) == len(EXPECTED_VISIBLE["branch_head"])
    for entry in entries:
        assert (entry.channel, entry.fields) == ("export", "display_name,id_number,mobile,email")
        assert (entry.target_type, entry.target_id) == (
            "customers.customer",
            str(entry.customer_id),
        )
        assert (entry.ip_address, entry.request_id) == ("10.1.2.3", "req-42")
        assert (entry.actor_username, entry.actor_org_unit) == ("branch-head-a", "BRA")
    assert chain_breaks(AccessLog) == []
    assert chain_breaks(AuditEvent) == []

    event = AuditEvent.objects.filter(action=export.EXPORTED_ACTION, actor=branch_head).get()
    assert event.data == {"rows": 5, "format": "xlsx", "q_given": False}
    assert (event.target_type, event.target_id) == ("org.staff", str(branch_head.pk))
    assert event.request_id == "req-42"


def test_the_audit_trail_holds_no_personal_data(personal: Cast) -> None:
    # Searching by a mobile: the search text itself must not be kept.
    """RELIABILITY.md C3."""
    customer_export(actor=fresh(personal.manager), q=MOBILE)
    customer_export(actor=fresh(personal.analyst), q="王小明")
    events = AuditEvent.objects.filter(action=export.EXPORTED_ACTION)
    assert [event.data["q_given"] for event in events] == [True, True]
    stored = " ".join(
        str(values)
        for model in (AuditEvent, AccessLog)
        for values in model.objects.values_list()  # every column of every row
    )
    for secret in (MOBILE, ID_NUMBER, EMAIL, "王小明"):
        assert secret not in stored


def test_a_failure_while_logging_leaves_no_trace(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RELIABILITY.md C3, E5."""

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(export, "audit_record", broken)
    with pytest.raises(RuntimeError):
        customer_export(actor=fresh(cast.analyst))
    assert not AccessLog.objects.exists()
    assert chain_breaks(AccessLog) == []


def test_queries_do_not_grow_with_the_rows(cast: Cast, django_assert_max_num_queries: Any) -> None:
    """RELIABILITY.md G3."""

    def queries(who: Staff) -> int:
        with CaptureQueriesContext(connection) as captured:
            customer_export(actor=fresh(who), fmt="xlsx")
        return len(captured)

    few = queries(cast.branch_head)
    for n in range(40):
        CustomerFactory(
            home_unit=cast.sub_a2 if n % 2 else cast.sub_a1,
            primary_manager=cast.a2_manager if n % 2 else cast.other_manager,
            assisting_manager=cast.manager if n % 3 == 0 else None,
        )
    assert queries(cast.branch_head) == few
    with django_assert_max_num_queries(15):
        customer_export(actor=fresh(cast.branch_head))


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent writers (SQLite serialises them)"
)
@pytest.mark.django_db(transaction=True)
def test_two_exports_at_once_cannot_both_take_the_last_one(cast: Cast, settings: Any) -> None:
    """RELIABILITY.md C5, E1."""
    settings.RMDESK_EXPORTS_PER_DAY = 1
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        try:
            start.wait()
            customer_export(actor=fresh(cast.manager))
            outcomes.append("exported")
        except ExportQuotaExceeded:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["exported", "refused"]
    assert exports_logged() == 1
    assert chain_breaks(AccessLog) == []
