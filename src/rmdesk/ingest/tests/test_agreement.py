"""The set-based path and the row-by-row path give the same answer on the same file.

On PostgreSQL a transactions file is cleaned in SQL (setbased.py) from the same rule
declarations (rules.py) the row-by-row path calls in Python. Each file here — faults
of every kind the other tests use, and more — is imported both ways (as a dry run, so
both see the same database) and the counts and every refusal (row, field, code and
reason) must be identical. The rules' SQL is also checked cell by cell against their
Python on a list of awkward cells.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from rmdesk.customers.models import Holding
from rmdesk.ingest import services, setbased
from rmdesk.ingest.feeds import key_rule
from rmdesk.ingest.parsing import CellError
from rmdesk.ingest.rules import Amount, Choice, Code, Currency, FreeText, IsoDate, Rule, sql_blank
from rmdesk.ingest.tests.helpers import run_import
from rmdesk.ingest.tests.test_parity import generate

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the set-based path runs on PostgreSQL"
)

HOLDING_COLUMNS = (
    "account_no",
    "customer__customer_no",
    "product_type",
    "product_code",
    "product_name",
    "currency",
    "balance",
    "balance_cny",
    "opened_on",
    "matures_on",
    "status",
)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

CUSTOMERS = "customer_no,kind,name,home_unit\n" + "".join(
    f"Q{i},individual,王{i},SA1\n" for i in range(1, 5)
)
HOLDINGS = "account_no,customer_no,product_type,balance,opened_on\n" + "".join(
    f"QA{i},Q{i},demand_deposit,100,20240101\n" for i in range(1, 5)
)
HEADER = "txn_ref,customer_no,account_no,booked_on,kind,amount,currency,counterparty"
ROWS = [
    "R1,Q1,QA1,2026-11-28,salary,1000.00,CNY,工资代发",
    "R2,Q1,QA1,20261128,spending,-35.5,,京东商城",
    "R3,Q2,QA2,46354,interest,0.01,cny,",
    'R4,Q2,QA2,2026/1/2,transfer_in,"1,234.50",USD,某某科技有限公司',
    "R5,Q3,QA3,2026.02.30,salary,1,CNY,x",  # no such day
    "R6,Q3,QA3,2026-13-01,salary,1,CNY,x",
    "R7,Q3,QA3,20260230,salary,1,CNY,x",
    "R8,Q3,QA3,0000-01-01,salary,1,CNY,x",
    "R9,Q3,QA3,2026-1-1x,salary,1,CNY,x",
    "R10,Q3,QA3,123456,salary,1,CNY,x",
    "R11,Q3,QA3,99999,salary,1,CNY,x",
    "R12,Q3,QA3,20261128,salary,1.234,CNY,x",  # three decimals
    "R13,Q3,QA3,20261128,salary,1.230,CNY,x",  # equal to 1.23
    'R14,Q3,QA3,20261128,salary,"1,2,3",CNY,x',
    "R15,Q3,QA3,20261128,salary,abc,CNY,x",
    "R16,Q3,QA3,20261128,salary,10000000000000000,CNY,x",
    "R17,Q3,QA3,20261128,salary,9999999999999999.99,CNY,x",
    "R18,Q3,QA3,20261128,salary,+5,CNY,x",
    "R19,Q3,QA3,20261128,salary,-0,CNY,x",
    "R20,Q3,QA3,20261128,salary,1 000.5,CNY,x",
    "R21,Q3,QA3,20261128,gift,1,CNY,x",  # unknown kind
    "R22,Q3,QA3,20261128,SALARY,1,CNY,x",
    "R23,Q3,QA3,20261128,salary,1,CN,x",
    "R24,Q3,QA3,20261128,salary,1,ＵＳＤ,x",
    "R25,NOBODY,QA3,20261128,salary,1,CNY,x",  # unknown customer
    "R26,Q3,NOACCOUNT,20261128,salary,1,CNY,x",  # unknown account
    "R27,Q3,QA4,20261128,salary,1,CNY,x",  # another customer's account
    "R1,Q1,QA1,20261128,salary,1,CNY,x",  # key twice
    "R28,Q3,QA3,20261128,salary,1,CNY,x,surplus",  # extra field
    "R29,Q3,QA3,20261128,salary,1,CNY,x,,  ",  # extra cells, blank
    "R30,Q3,QA3",  # short row
    ",Q3,QA3,20261128,salary,1,CNY,x",  # no key
    "R 31,Q3,QA3,20261128,salary,1,CNY,x",  # bad key
    "R" + "9" * 40 + ",Q3,QA3,20261128,salary,1,CNY,x",  # key too long
    "Ｒ３２,Q3,QA3,20261128,salary,1,CNY,x",  # full-width key
    "R33,Q" + "3" * 40 + ",QA3,20261128,salary,1,CNY,x",  # customer number too long
    "R34, Q3 ,QA3,20261128,salary,1,CNY,x",
    "R35,Q3,QA3,２０２６１１２８,salary,１２３.４５,CNY,x",
    'R36,Q3,QA3,20261128,salary,1,CNY,"多行\n地址"',
    "R37,Q3,QA3,20261128,salary,1,CNY,a\u200bb",  # invisible character
    "R38,Q3,QA3,20261128,salary,1,CNY,a\u0007b",  # control character
    "R39,Q3,QA3,20261128,salary,1,CNY," + "长" * 201,  # too long
    "R40,Q3,QA3,20261128,salary,1,CNY,  two   spaces\u3000here  ",
    "R41,Q3,QA3,,salary,,CNY,x",  # required cells blank
    "R42,,,20261128,salary,1,CNY,x",
    ",,,,,,,",  # blank line of separators
    "   ",  # whitespace only
    "R43,Q3,QA3,20261128,salary,1,CNY,\u3000",
    "R44,Q3,QA3,20261128,salary,1,CNY,ＡＢＣ１",
    "R45,Q4,QA4,20261128,interest,-0.00,CNY,",
]


def transactions(
    rows: list[str], *, delimiter: str = ",", newline: str = "\n", blank: bool = True
) -> str:
    lines = [HEADER, *rows[:10], *([""] if blank else []), *rows[10:]]
    if delimiter != ",":
        lines = [line.replace(",", delimiter) for line in lines]
    return newline.join(lines) + newline


# Rows without a comma inside a quoted cell: they read the same with any separator.
PLAIN = [row for row in ROWS if '"' not in row]
# Rows of the header's width, no quotes: a file of them (and no blank line) is copied to
# the server as it is; the others are read record by record first.
REGULAR = [row for row in PLAIN if row.count(",") == HEADER.count(",")]

FILES: dict[str, bytes] = {
    "utf8": transactions(ROWS).encode(),
    "bom_crlf": b"\xef\xbb\xbf" + transactions(ROWS, newline="\r\n").encode(),
    "gbk": transactions([row for row in ROWS if "\u200b" not in row]).encode("gbk"),
    "gb18030": transactions(ROWS).encode("gb18030"),
    "tab": transactions(PLAIN, delimiter="\t").encode(),
    "pipe": transactions(PLAIN, delimiter="|").encode(),
    "full_width": transactions([row.translate(FULL_WIDTH) for row in PLAIN]).encode(),
    "regular": transactions(REGULAR, blank=False).encode(),
    "regular_bom_crlf": b"\xef\xbb\xbf"
    + transactions(REGULAR, blank=False, newline="\r\n").encode(),
    "regular_gbk_tab": transactions(
        [row for row in REGULAR if "\u200b" not in row], blank=False, delimiter="\t"
    ).encode("gbk"),
}
DIRECT = {"regular", "regular_bom_crlf", "regular_gbk_tab"}


def outcome(
    content: bytes, *, set_based: bool, feed: str = "transactions", **options: object
) -> tuple[object, ...]:
    run = run_import(None, feed, content, set_based=set_based, **options)  # type: ignore[arg-type]
    refusals = list(run.errors.order_by("row", "id").values_list("row", "field", "code", "reason"))
    return (
        run.status,
        run.error_code,
        run.rows,
        run.new,
        run.changed,
        run.unchanged,
        run.rejected,
        refusals,
    )


def both(content: bytes, *, feed: str = "transactions", **options: object) -> tuple[object, ...]:
    by_rows = outcome(content, set_based=False, feed=feed, dry_run=True, **options)
    by_sets = outcome(content, set_based=True, feed=feed, dry_run=True, **options)
    assert by_sets == by_rows
    return by_rows


HOLDINGS_HEADER = (
    "account_no,customer_no,product_type,balance,opened_on,"
    "product_code,product_name,currency,balance_cny,matures_on,status"
)
HOLDING_ROWS = [
    "H1,Q1,demand_deposit,100,20240101,,,,,,",
    'H2,Q1,time_deposit,"1,000.50",2024-01-01,,定期,USD,7000,2025-01-01,active',
    "H3,Q2,wealth,100,20240101,,,USD,,,",  # balance in CNY required
    "H4,Q2,wealth,100,20240101,,,EURO,,,",  # a bad currency reads as CNY
    "H5,Q2,fund,100,20240301,,,,,20240201,",  # matures before it opens
    "H6,Q2,fund,100,20240301,,,usd,,20240201,",  # both rules
    "H7,Q2,fund,-5,20240301,,,,,,",  # negative balance
    "H8,Q2,fund,100,20240301,,,USD,-1,,",  # a refused balance in CNY is not also missing
    "H9,Q2,fund,100,2024-02-30,,,,,20240101,",  # no such opening day: nothing to compare
    "H10,Q3,loan,100,20240101,,,cny,,,",
    "H11,Q3,bond,100,20240101,NOPRODUCT,,,,,",  # unknown product
    "H12,NOBODY,bond,100,20240101,,,,,,",  # unknown customer
    "H1,Q1,demand_deposit,5,20240101,,,,,,",  # key twice
    "H13,Q3,gift,100,20240101,,,,,,",  # unknown product type
    "H14,Q3,bond,100,20240101,,,,,,closed",
    "H15,Q3,bond,100,20240101,,,,,,frozen",
    'H16,Q3,bond,100,20240101,,"多行\n名称",,,,',
    "H17,Q3,bond,,,,,,,,",  # required cells blank
    "H18,Q3,bond,100,20240101,,,USD,,20230101,,surplus",  # extra field, both rules
    "H19,Q4,structured_deposit,１００,２０２４０１０１,,,,,,",
    "H20,Q4,bond,100,20240101,,a\u200bb,,,,",
    ",Q4,bond,100,20240101,,,,,,",  # no key
    "H21,Q4,bond,100,20240101,,,USD,0,20240101,",
    "H22,Q4,bond,100,20240101,,,,,20240101,ACTIVE",
    "H23,Q4,bond,100,46354,,,,,46353,",  # Excel serials, in the wrong order
    "QA1,Q1,demand_deposit,200,20240101,,,,,,",  # stored: changed
    "QA2,Q2,demand_deposit,100,20240101,,,,,,",  # stored: unchanged
    "QA3,Q4,demand_deposit,100,20240101,,,,,,",  # moved to another customer
    "H24,Q4,bond,100,20240101,,,,99999999.99,,",
    "H25,Q4,bond,100,20240101,,,GBP,1.234,,",  # three decimals
    "H26,Q4,bond,100",  # short row
]
HOLDING_FILES: dict[str, bytes] = {
    "utf8": (
        "\n".join([HOLDINGS_HEADER, *HOLDING_ROWS[:8], "", *HOLDING_ROWS[8:]]) + "\n"
    ).encode(),
    "gbk_crlf": (
        "\r\n".join([HOLDINGS_HEADER, *(r for r in HOLDING_ROWS if "\u200b" not in r)]) + "\r\n"
    ).encode("gbk"),
    "regular": (
        "\n".join(
            [
                HOLDINGS_HEADER,
                *(
                    row
                    for row in HOLDING_ROWS
                    if '"' not in row and row.count(",") == HOLDINGS_HEADER.count(",")
                ),
            ]
        )
        + "\n"
    ).encode(),
}


@pytest.fixture
def holders(cast):
    for feed, content in (("customers", CUSTOMERS), ("holdings", HOLDINGS)):
        run = run_import(None, feed, content)
        assert (run.status, run.rejected) == ("done", 0), list(run.errors.values())
    return cast


@pytest.mark.parametrize("name", list(FILES))
def test_both_paths_agree_on_every_fault(holders, name, monkeypatch):
    direct = setbased.Loader.direct
    taken: list[bool] = []

    def spy(loader: setbased.Loader, *args: object, **kwargs: object) -> bool:
        taken.append(direct(loader, *args, **kwargs))  # type: ignore[arg-type]
        return taken[-1]

    monkeypatch.setattr(setbased.Loader, "direct", spy)
    status, _code, rows, new, _changed, _unchanged, rejected, refusals = both(FILES[name])
    # Regular files are copied as they are; the others fall back to record by record.
    assert taken == [name in DIRECT]
    assert status == "done"
    assert new > 0
    assert rejected > 0
    assert rows == new + rejected
    codes = {code for _row, _field, code, _reason in refusals}
    assert {"BAD_DATE", "BAD_AMOUNT", "DUPLICATE_KEY", "UNKNOWN_CUSTOMER"} <= codes


def test_both_paths_agree_on_changed_and_unchanged_rows(holders):
    first = run_import(None, "transactions", FILES["utf8"])
    assert first.status == "done"
    assert first.new > 0
    again = transactions([row.replace("工资代发", "奖金") for row in ROWS]).encode()
    _status, _code, _rows, new, changed, unchanged, _rejected, _refusals = both(again)
    assert (new, changed) == (0, 1)
    assert unchanged > 0


def test_both_paths_agree_on_too_many_errors(holders, monkeypatch):
    # Reading stops on the block where refusals pass the limit: the counts say where.
    monkeypatch.setattr(services, "CHUNK", 7)
    limits = services.Limits(max_bytes=1 << 20, max_rows=1000, max_errors=3)
    result = both(FILES["utf8"], limits=limits)
    assert result[:3] == ("rejected", "TOO_MANY_ERRORS", 14)
    too_long = services.Limits(max_bytes=1 << 20, max_rows=10, max_errors=1000)
    assert both(FILES["utf8"], limits=too_long)[:2] == ("rejected", "TOO_MANY_ROWS")


def test_both_paths_agree_on_generated_files(holders):
    # The parity test's generated files, with their customers and holdings.
    files = generate(3)
    for feed in ("products", "customers"):
        assert run_import(None, feed, files[feed]).status == "done"
    both(files["holdings"].encode(), feed="holdings")
    assert run_import(None, "holdings", files["holdings"]).status == "done"
    both(files["transactions"].encode())


@pytest.mark.parametrize("name", list(HOLDING_FILES))
def test_both_paths_agree_on_every_fault_of_a_holdings_file(holders, name, monkeypatch):
    direct = setbased.Loader.direct
    taken: list[bool] = []

    def spy(loader: setbased.Loader, *args: object, **kwargs: object) -> bool:
        taken.append(direct(loader, *args, **kwargs))  # type: ignore[arg-type]
        return taken[-1]

    monkeypatch.setattr(setbased.Loader, "direct", spy)
    status, _code, rows, new, changed, unchanged, rejected, refusals = both(
        HOLDING_FILES[name], feed="holdings"
    )
    assert taken == [name == "regular"]
    assert status == "done"
    # H1 H2 H10 H14 H16 H19 H21 H22 H24 are new (H2 and H16 are quoted: not regular);
    # QA1 is re-valued, QA3 moved, QA2 as stored.
    assert (new, changed, unchanged) == (7 if name == "regular" else 9, 2, 1)
    assert rows == new + changed + unchanged + rejected
    codes = {(field, code) for _row, field, code, _reason in refusals}
    assert {
        ("balance_cny", "REQUIRED"),
        ("matures_on", "BAD_DATE_ORDER"),
        ("product_code", "UNKNOWN_PRODUCT"),
        ("customer_no", "UNKNOWN_CUSTOMER"),
    } <= codes


def test_both_paths_stage_the_same_holdings(holders):
    # Applied (not a dry run), each way in turn on the same stored rows: the second
    # finds nothing to change, and both leave the holdings and the figures alike.
    content = HOLDING_FILES["regular"]
    first = run_import(None, "holdings", content, set_based=True, force=True)
    stored = sorted(Holding.objects.values_list(*HOLDING_COLUMNS))
    second = run_import(None, "holdings", content, set_based=False, force=True)
    assert first.new > 0
    assert (second.new, second.changed) == (0, 0)
    assert sorted(Holding.objects.values_list(*HOLDING_COLUMNS)) == stored
    third = run_import(None, "holdings", content, set_based=True, force=True)
    assert (third.new, third.changed, third.rejected) == (0, 0, first.rejected)


@pytest.mark.parametrize("feed", ["transactions", "holdings"])
def test_both_paths_read_every_row_of_a_long_file_with_quotes(holders, feed):
    # Read record by record from where the reader stopped, not from where the scan
    # for quote characters did (the file is many times the reader's buffer).
    count = 3000
    if feed == "transactions":
        lines = [HEADER] + [
            f'L{i},Q1,QA1,20261128,salary,"{i:,}.50",CNY,x' for i in range(1000, 1000 + count)
        ]
    else:
        lines = [HOLDINGS_HEADER] + [
            f'L{i},Q1,bond,"{i:,}.50",20240101,,,,,,' for i in range(1000, 1000 + count)
        ]
    content = ("\n".join(lines) + "\n").encode()
    assert len(content) > 100_000
    status, _code, rows, new, *_rest = both(content, feed=feed)
    assert (status, rows, new) == ("done", count, count)


@pytest.mark.parametrize(
    ("setting", "argument", "expected"),
    [(True, None, True), (False, None, False), (True, False, False), (False, True, True)],
)
def test_the_setting_and_the_argument_choose_the_path(
    holders, settings, monkeypatch, setting, argument, expected
):
    # The argument wins; without it RMDESK_INGEST_SET_BASED decides.
    loaded: list[bool] = []
    load = setbased.Loader.load

    def spy(loader: setbased.Loader, *args: object, **kwargs: object) -> None:
        loaded.append(True)
        load(loader, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(setbased.Loader, "load", spy)
    settings.RMDESK_INGEST_SET_BASED = setting
    options = {} if argument is None else {"set_based": argument}
    run = run_import(None, "transactions", FILES["regular"], dry_run=True, **options)
    assert run.status == "done"
    assert bool(loaded) is expected


def test_malformed_csv_is_refused_alike(holders):
    content = transactions([*ROWS[:3], 'R9,Q1,QA1,20261128,salary,1,CNY,"open']).encode()
    assert both(content)[:2] == ("rejected", "MALFORMED_CSV")


CELLS = [
    "abc",
    " abc ",
    "ＡＢＣ",
    "a b",
    "\u3000x\u3000",
    "x\u00a0y",
    "İ",
    "ß",
    "ıdr",
    "K",
    "ﬀ",
    "２０２６-１１-２８",
    "٢٠٢٦١١٢٨",
    "2026-02-29",
    "2024-02-29",
    "1900-02-29",
    "0",
    "60",
    "00000",
    "2026/1/2",
    "2026.12.31",
    "2026-1-32",
    "12345678",
    "1,234",
    "12,34",
    "1,234,567.891",
    "-1,234.5",
    "+0.10",
    "1e5",
    "NaN",
    ".5",
    "5.",
    "０.５",
    "-",
    "a\u200bb",
    "a\u2028b",
    "a\u0085b",
    "a\tb",
    "line\r\nbreak",
    "\u00e9",
    "e\u0301",
    "x" * 41,
    "salary",
    "Salary",
    "usd",
    "USDX",
    "A-1/2_3.4",
    "-A1",
    "𠮷" * 3,
]
RULES: dict[str, Rule] = {
    "code": Code(4),
    "key": key_rule(40),
    "choice": Choice(["salary", "interest"]),
    "currency": Currency(),
    "amount": Amount(),
    "nonnegative": Amount(nonnegative=True),
    "date": IsoDate(),
    "text": FreeText(5),
}


def _python(rule: Rule, cell: str) -> tuple[str, str | None]:
    if not cell.strip():
        return ("", None)
    try:
        return ("", str(rule(cell)))
    except CellError as exc:
        return (exc.code, exc.reason)


def _sql(rule: Rule, cell: str) -> tuple[str, str | None]:
    from rmdesk.ingest.rules import sql_string

    x = sql_string(cell)
    t = rule.sql_text(x)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {sql_blank(x)}, {rule.sql_error('t', 'p')}, "
            f"CAST({rule.sql_value('t', 'p')} AS text) FROM (SELECT t, {rule.sql_parse('t')} AS p"
            f" FROM (SELECT {t} AS t) a) b"
        )
        blank, key, value = cursor.fetchone()
    if blank:
        return ("", None)
    if key is not None:
        return rule.errors()[key]
    return ("", value)


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(RULES))
def test_each_rule_reads_the_same_in_sql_and_in_python(name):
    rule = RULES[name]
    for cell in CELLS:
        python, sql = _python(rule, cell), _sql(rule, cell)
        if name in ("amount", "nonnegative") and not python[0] and not sql[0]:
            # The same amount: Python keeps a plain amount's text, SQL its number.
            python = ("", str(round(float(python[1] or 0), 2)))
            sql = ("", str(round(float(sql[1] or 0), 2)))
        assert sql == python, (name, cell)


# --- Customers ------------------------------------------------------------------------
#
# On PostgreSQL a customers CSV is staged from SQL where every cell is in a form the SQL
# reading of the customer rules decides exactly (customers_sql.py), and cleaned by the
# Python rules otherwise. The same file both ways: the same counts, refusals and rows.


def _rid(body: str) -> str:
    from stdnum.cn import ric

    return body + ric.calc_check_digit(body + "0")


def _uscc(body: str) -> str:
    from stdnum.cn import uscc

    return body + uscc.calc_check_digit(body)


RID_M = _rid("11010519491231001")  # a man born 1949-12-31
RID_F = _rid("44030119900101002")  # a woman born 1990-01-01
RID_FUTURE = _rid("11010520991231001")
RID_OLD = _rid("11010518991231001")
RID_FEB30 = _rid("11010519900230001")
USCC_A = _uscc("91110000100000000")
USCC_N = _uscc("N1110000MA0000000")
RID_EXISTING = _rid("31010119800101003")
BAD_CHECK = RID_M[:17] + ("0" if RID_M[17] != "0" else "1")
USCC_BAD_CHECK = USCC_A[:17] + ("X" if USCC_A[17] != "X" else "Y")
CUSTOMER_HEADER = (
    "customer_no,kind,name,home_unit,manager,id_type,id_number,mobile,email,province,city,"
    "district,address,nationality,occupation,employer,industry,legal_representative,gender,"
    "birth_date,marital_status,size,registered_capital,marketing_consent,do_not_contact"
)


def customer_row(number: str, kind: str = "individual", **cells: str) -> str:
    values = {name: "" for name in CUSTOMER_HEADER.split(",")}
    values |= {"customer_no": number, "kind": kind, "name": "王小明", "home_unit": "SA1"}
    values |= cells
    return ",".join(values.values())


# Rows SQL decides (labelled F…), rows it leaves to Python, valid or not (P…).
CUSTOMER_ROWS = [
    customer_row("F1", manager="rm-own", id_number=RID_M, mobile="13800138000"),
    customer_row("F2", id_number=RID_F, gender="female", birth_date="1990-01-01"),
    customer_row("F3", id_type="passport", id_number="E12345678", birth_date="20000229"),
    customer_row("F4", "corporate", name="北京华信科技有限公司", id_number=USCC_A, size="small"),
    customer_row("F5", "corporate", name="Acme Trading Co Ltd", id_type="uscc", id_number=USCC_N),
    customer_row(
        "F6",
        email="Wang.Xiao-ming+1@mail.example.cn",
        province="北京市",
        city="北京市",
        district="朝阳区",
        address="建国路 88 号 SOHO 3-1201",
        nationality="HK",
        occupation="engineer",
        employer="某某科技",
        industry="IT",
        marital_status="married",
        registered_capital="0.5",
        marketing_consent="Y",
        do_not_contact="是",
    ),
    customer_row("F7", "corporate", name="甲公司", id_number=USCC_BAD_CHECK),
    customer_row("F8", mobile="17400000000"),
    customer_row("F9", mobile="16200000000", marketing_consent="No", do_not_contact="TRUE"),
    # Valid, in forms the SQL leaves to Python.
    customer_row("P1", id_number=RID_M[:17].translate(FULL_WIDTH) + RID_M[17]),
    customer_row("P2", id_number=RID_F.lower(), mobile="+86 138-0013-8000"),
    customer_row("P3", "Individual", name="阿卜杜·买买提", email="a@EXAMPLE.com"),
    customer_row("P4", name="  王  小明 ", address="北京市\u3000朝阳区", birth_date="1990/1/2"),
    customer_row("P5", gender="Male", marital_status="SINGLE", registered_capital="1,000.00"),
    customer_row("P6", marketing_consent="yEs", nationality="us", city="Ｂｅｉｊｉｎｇ"),
    # Refused.
    customer_row("P7", id_number=BAD_CHECK),
    customer_row("P8", id_number=RID_FUTURE),
    customer_row("P9", id_number=RID_OLD),
    customer_row("P10", id_number=RID_FEB30),
    customer_row("P11", id_number="110105491231001"),  # 15 digits
    customer_row("P12", id_number=RID_M + "1"),
    customer_row("P13", id_number=RID_M, birth_date="1949-12-30", gender="female"),
    customer_row("P14", id_number=USCC_A),  # a credit code for a person
    customer_row("P15", "corporate", name="乙公司", id_type="passport", id_number="E1234567"),
    customer_row("P16", "corporate", name="丙公司", id_number=USCC_A[:17] + "I"),
    customer_row("P17", mobile="14000000000"),  # not a mobile segment
    customer_row("P18", mobile="1380013800"),
    customer_row("P19", mobile="12345678901"),
    customer_row("P20", email="not-an-address"),
    customer_row("P21", email="a@b"),
    customer_row("P22", home_unit="NOWHERE"),
    customer_row("P23", manager="nobody"),
    customer_row("P24", manager="sub-head"),  # not an account manager
    customer_row("P25", name="a\u200bb"),
    customer_row("P26", name="x" * 101),
    customer_row("P27", "corporate", name="x" * 200, id_number=USCC_N),
    customer_row("P28", "corporate", name="x" * 201, id_number=USCC_N),
    customer_row("P29", province="x" * 33),
    customer_row("P30", address="a\u0007b"),
    customer_row("P31", gender="other", marital_status="complicated", size="huge"),
    customer_row("P32", birth_date="1899-12-31"),
    customer_row("P33", birth_date="2999-01-01"),
    customer_row("P34", birth_date="2026-02-30"),
    customer_row("P35", registered_capital="-1"),
    customer_row("P36", registered_capital="1.234"),
    customer_row("P37", marketing_consent="maybe"),
    customer_row("P38", nationality="CHN"),
    customer_row("P39", "person"),
    customer_row("P40", name=""),
    customer_row("P41", home_unit=""),
    customer_row("P42", id_type="driving_licence", id_number="E12345678"),
    customer_row("P43", id_type="passport", id_number="E1"),
    customer_row("F1", id_number=RID_F),  # key twice
    customer_row("P44", id_number=RID_M),  # an identity number on an earlier row
    customer_row("P45", id_number=RID_EXISTING),  # another customer's
    customer_row("P46") + ",surplus",
    "P47,individual,王",
    customer_row(""),
    customer_row("P 48"),
    customer_row("Ｐ４９"),
    customer_row("P50", id_number=" " + RID_F),
    customer_row("P51", manager="rm-own ", home_unit=" SA1"),
]


def customers_file(rows: list[str], *, newline: str = "\n", blank: bool = True) -> str:
    lines = [CUSTOMER_HEADER, *rows[:5], *([""] if blank else []), *rows[5:]]
    return newline.join(lines) + newline


def customer_outcome(content: bytes, *, set_based: bool, **options: object) -> tuple[object, ...]:
    run = run_import(None, "customers", content, dry_run=True, set_based=set_based, **options)  # type: ignore[arg-type]
    refusals = list(run.errors.order_by("row", "id").values_list("row", "field", "code", "reason"))
    counts = (run.status, run.error_code, run.rows, run.new, run.changed, run.unchanged)
    return (*counts, run.rejected, refusals)


def customers_both(content: bytes, **options: object) -> tuple[object, ...]:
    by_rows = customer_outcome(content, set_based=False, **options)
    by_sets = customer_outcome(content, set_based=True, **options)
    assert by_sets == by_rows
    return by_rows


@pytest.fixture
def existing(cast):
    run = run_import(
        None,
        "customers",
        f"customer_no,kind,name,home_unit,id_number\nE1,individual,李,SA1,{RID_EXISTING}\n",
    )
    assert (run.status, run.new) == ("done", 1)
    return cast


CUSTOMER_FILES: dict[str, bytes] = {
    "utf8": customers_file(CUSTOMER_ROWS).encode(),
    "bom_crlf": b"\xef\xbb\xbf" + customers_file(CUSTOMER_ROWS, newline="\r\n").encode(),
    "gb18030": customers_file(CUSTOMER_ROWS).encode("gb18030"),
    "regular": customers_file(
        [row for row in CUSTOMER_ROWS if row.count(",") == CUSTOMER_HEADER.count(",")],
        blank=False,
    ).encode(),
}


@pytest.mark.parametrize("name", list(CUSTOMER_FILES))
def test_customers_both_paths_agree_on_every_fault(existing, name):
    status, _code, rows, new, _changed, _unchanged, rejected, refusals = customers_both(
        CUSTOMER_FILES[name]
    )
    assert status == "done"
    assert rows == new + rejected
    codes = {code for _row, _field, code, _reason in refusals}
    if name == "regular":  # rows of the header's width only
        codes.add("EXTRA_FIELDS")
    assert {
        "BAD_CHECK_DIGIT",
        "BAD_BIRTH_DATE",
        "LEGACY_15_DIGIT",
        "BAD_LENGTH",
        "BIRTH_DATE_MISMATCH",
        "GENDER_MISMATCH",
        "BAD_ID_TYPE",
        "BAD_CHARSET",
        "NOT_A_MOBILE",
        "BAD_EMAIL",
        "UNKNOWN_UNIT",
        "UNKNOWN_MANAGER",
        "TOO_LONG",
        "BAD_CHOICE",
        "NEGATIVE_AMOUNT",
        "BAD_VALUE",
        "BAD_COUNTRY",
        "REQUIRED",
        "DUPLICATE_KEY",
        "DUPLICATE_IDENTITY",
        "EXTRA_FIELDS",
        "BAD_KEY",
    } <= codes
    assert rejected == len({row for row, _field, _code, _reason in refusals})


def test_customers_fast_rows_skip_the_python_rules(existing, monkeypatch):
    from rmdesk.ingest.feeds import CustomersFeed

    clean = CustomersFeed.clean
    by_python: list[int] = []

    def spy(feed: CustomersFeed, number: int, *args: object) -> object:
        by_python.append(number)
        return clean(feed, number, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(CustomersFeed, "clean", spy)
    rows = [row for row in CUSTOMER_ROWS if row.startswith("F") and row.count(",") == 24]
    content = customers_file(rows[:-1], blank=False).encode()  # not the key twice
    run = run_import(None, "customers", content, dry_run=True)
    assert (run.status, run.rejected) == ("done", 1)  # F7, its check character
    assert by_python == [8]  # F7 alone (row 8) went through Python


def test_customers_both_paths_agree_on_changed_and_unchanged_rows(existing):
    first = run_import(None, "customers", CUSTOMER_FILES["utf8"])
    assert first.status == "done"
    again = customers_file([row.replace("王小明", "王晓明") for row in CUSTOMER_ROWS]).encode()
    _status, _code, _rows, new, changed, unchanged, _rejected, _refusals = customers_both(again)
    assert new == 0
    assert changed > 0
    assert unchanged > 0


def test_customers_both_paths_agree_on_too_many_errors(existing, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 7)
    limits = services.Limits(max_bytes=1 << 20, max_rows=1000, max_errors=3)
    result = customers_both(CUSTOMER_FILES["utf8"], limits=limits)
    assert result[:2] == ("rejected", "TOO_MANY_ERRORS")
    too_long = services.Limits(max_bytes=1 << 20, max_rows=10, max_errors=1000)
    assert customers_both(CUSTOMER_FILES["utf8"], limits=too_long)[:2] == (
        "rejected",
        "TOO_MANY_ROWS",
    )


def test_customers_both_paths_store_the_same_rows(existing):
    from rmdesk.customers.models import Customer

    names = [
        "customer_no",
        "kind",
        "display_name",
        "home_unit__code",
        "primary_manager__username",
        "id_type",
        "id_number",
        "mobile",
        "email",
        "province",
        "city",
        "district",
        "address",
        "nationality",
        "occupation",
        "employer",
        "industry",
        "legal_representative",
        "gender",
        "birth_date",
        "marital_status",
        "size",
        "registered_capital",
        "marketing_consent",
        "do_not_contact",
        "id_digest",
        "mobile_digest",
        "search_tokens",
    ]
    stored = []
    for set_based in (False, True):
        point = transaction.savepoint()
        run = run_import(None, "customers", CUSTOMER_FILES["utf8"], force=True, set_based=set_based)
        assert run.status == "done"
        stored.append(list(Customer.objects.order_by("customer_no").values_list(*names)))
        transaction.savepoint_rollback(point)
    assert stored[0] == stored[1]
    assert {"F1", "F4", "F5", "F6", "F9", "P3", "P4", "P6", "P49"} <= {row[0] for row in stored[0]}
