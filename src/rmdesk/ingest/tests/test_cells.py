"""The fast paths of the cell parsers decide exactly as the full rules do."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rmdesk.ingest.feeds import key_of
from rmdesk.ingest.parsing import CellError, amount_text, code_text, parse_amount

amounts = st.one_of(
    st.from_regex(r"[+-]?[0-9０-９]{0,18}(\.[0-9]{0,3})?", fullmatch=True),
    st.from_regex(r"-?[0-9]{1,3}(,[0-9]{3}){0,5}(\.[0-9]{1,2})?", fullmatch=True),
    st.text(alphabet="0123456789-+., ", max_size=20),
)


def outcome(parse, value):
    try:
        return ("ok", parse(value))
    except CellError as exc:
        return ("refused", exc.code)


@given(amounts)
def test_amount_text_agrees_with_parse_amount(value):
    fast = outcome(amount_text, value)
    full = outcome(parse_amount, value)
    assert fast[0] == full[0]
    if fast[0] == "ok":
        assert Decimal(fast[1]) == full[1]
    else:
        assert fast[1] == full[1]


def slow_key(raw, max_length):
    value = code_text(raw)
    if not value:
        raise CellError("REQUIRED", "")
    if len(value) > max_length:
        raise CellError("TOO_LONG", "")
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z_.\-/]*", value):
        raise CellError("BAD_KEY", "")
    return value


@given(st.text(alphabet="AZaz09_.-/ ＡＺ０９\u3000", max_size=45))
def test_key_fast_path_agrees_with_the_full_rule(value):
    assert outcome(lambda v: key_of(v, max_length=40), value) == outcome(
        lambda v: slow_key(v, 40), value
    )


# --- the columnar path decides as the per-row path ------------------------------------

TXN_CELLS = {
    "txn_ref": ["T1", "T2", "T3", "T-4/a", "", " T5", "Ｔ6", "T 7", "T" * 41],
    "customer_no": ["C1", "C2", "", "C" * 33, "Ｃ3"],
    "account_no": ["A1", "A2", "", "A/3"],
    "booked_on": ["20261128", "2026-11-28", "46354", "2026-02-30", "", "soon"],
    "kind": ["salary", "SPENDING", "gift", ""],
    "amount": ["12.50", "-3", "1,234.50", "１２", "1.234", "", "-0", "007", "abc"],
    "currency": ["", "CNY", "usd", "US"],
    "counterparty": ["", "京东", "a\nb", "\x07"],
}
HOLDING_CELLS = {
    "account_no": ["A1", "A2", "A3", "", "Ａ4"],
    "customer_no": ["C1", "C2", ""],
    "product_type": ["demand_deposit", "loan", "bike"],
    "balance": ["100", "0", "-1", "-0", "1,000.00", ""],
    "opened_on": ["20240101", "2024-06-01", ""],
    "matures_on": ["", "20250101", "20240301"],
    "currency": ["", "CNY", "USD"],
    "balance_cny": ["", "7000", "-5"],
    "status": ["", "closed", "gone"],
    "product_code": ["", "WM1"],
}


def per_row(spec, chunk):
    """What _apply stages row by row, and whether any row was refused."""
    staged, refused = [], False
    for number, cells in chunk:
        errors = []
        if len(cells) > spec.width and any(c.strip() for c in cells[spec.width :]):
            errors.append(None)
        try:
            key = key_of(cells[spec.key_index], max_length=spec.key_length)
        except CellError:
            refused = True
            continue
        values = spec.clean(number, cells, errors)
        refused = refused or bool(errors)
        staged.append((number, key, not errors, *values))
    return staged, refused


def rows_of(cells_by_column):
    """Rows of any cells, or (half the examples) of valid cells only: the first two of
    each column's list are valid, so the columnar path is taken often enough."""
    columns = list(cells_by_column)

    def rows(valid: bool):
        return st.lists(
            st.tuples(
                *(st.sampled_from(cells_by_column[c][: 2 if valid else None]) for c in columns)
            ).map(list),
            min_size=1,
            max_size=12,
        )

    return columns, st.booleans().flatmap(rows)


def check_columnar(feed_class, header, rows):
    spec = feed_class()
    spec.bind(header)
    chunk = [(i + 2, row) for i, row in enumerate(rows)]
    fast = spec.clean_chunk(chunk)
    slow, refused = per_row(feed_class_bound(feed_class, header), chunk)
    if fast is not None:
        assert not refused
        assert fast == slow
    return fast


def feed_class_bound(feed_class, header):
    spec = feed_class()
    spec.bind(header)
    return spec


TXN_HEADER, TXN_ROWS = rows_of(TXN_CELLS)
HOLDING_HEADER, HOLDING_ROWS = rows_of(HOLDING_CELLS)


@given(TXN_ROWS)
def test_columnar_transactions_agree_with_the_per_row_path(rows):
    from rmdesk.ingest.feeds import TransactionsFeed

    check_columnar(TransactionsFeed, TXN_HEADER, rows)


@given(HOLDING_ROWS)
def test_columnar_holdings_agree_with_the_per_row_path(rows):
    from rmdesk.ingest.feeds import HoldingsFeed

    check_columnar(HoldingsFeed, HOLDING_HEADER, rows)


def test_columnar_path_takes_clean_chunks():
    from rmdesk.ingest.feeds import HoldingsFeed, TransactionsFeed

    good = [["T1", "C1", "A1", "20261128", "salary", "12.50", "", "京东"]]
    good.append(["T2", "C2", "A2", "2026-11-28", "spending", "-3", "CNY", ""])
    assert check_columnar(TransactionsFeed, TXN_HEADER, good) is not None
    bad = [*good, ["T3", "C1", "A1", "2026-02-30", "salary", "1", "", ""]]
    assert check_columnar(TransactionsFeed, TXN_HEADER, bad) is None
    holding = [["A1", "C1", "loan", "100", "20240101", "20250101", "USD", "7000", "", "WM1"]]
    assert check_columnar(HoldingsFeed, HOLDING_HEADER, holding) is not None
    order = [["A1", "C1", "loan", "100", "20240101", "20230101", "", "", "", ""]]
    assert check_columnar(HoldingsFeed, HOLDING_HEADER, order) is None
