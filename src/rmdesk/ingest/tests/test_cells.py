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
