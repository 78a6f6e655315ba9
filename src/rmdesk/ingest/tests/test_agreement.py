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
from django.db import connection

from rmdesk.ingest import services, setbased
from rmdesk.ingest.feeds import key_rule
from rmdesk.ingest.parsing import CellError
from rmdesk.ingest.rules import Amount, Choice, Code, Currency, FreeText, IsoDate, Rule, sql_blank
from rmdesk.ingest.tests.helpers import run_import
from rmdesk.ingest.tests.test_parity import generate

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the set-based path runs on PostgreSQL"
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


def outcome(content: bytes, *, set_based: bool, **options: object) -> tuple[object, ...]:
    services.SET_BASED = set_based
    try:
        run = run_import(None, "transactions", content, **options)  # type: ignore[arg-type]
    finally:
        services.SET_BASED = True
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


def both(content: bytes, **options: object) -> tuple[object, ...]:
    by_rows = outcome(content, set_based=False, dry_run=True, **options)
    by_sets = outcome(content, set_based=True, dry_run=True, **options)
    assert by_sets == by_rows
    return by_rows


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
    for feed in ("products", "customers", "holdings"):
        assert run_import(None, feed, files[feed]).status == "done"
    both(files["transactions"].encode())


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
