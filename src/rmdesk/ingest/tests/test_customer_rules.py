"""The SQL reading of the customer rules (rules.py) against the Python rules themselves.

The customers feed's set-based path stages a row from SQL only where every cell is in
a form the SQL decides exactly; each condition must accept a value only where the
Python rule (python-stdnum, phonenumbers, Django's e-mail validator, the name and text
rules) accepts it and returns it unchanged. These tests hold them to that over many
generated valid and invalid values, then import generated files both ways.
"""

from __future__ import annotations

import random
import sys
import unicodedata
from datetime import date

import pytest
from django.db import connection
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from rmdesk.customers import identifiers
from rmdesk.customers.services import _clean_one
from rmdesk.ingest import rules
from rmdesk.ingest.tests.helpers import run_import

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the set-based path runs on PostgreSQL"
)


def sql_each(expression: str, values: list[str]) -> list[object]:
    """``expression`` over ``x`` for each value, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {expression.replace('%', '%%')} FROM unnest(%s::text[])"  # noqa: S608
            " WITH ORDINALITY AS v (x, n) ORDER BY n",
            [values],
        )
        return [row[0] for row in cursor.fetchall()]


def _plain_class() -> list[str]:
    return [
        chr(point)
        for point in range(sys.maxunicode + 1)
        if 0x21 <= point <= 0x7E or 0x4E00 <= point <= 0x9FFF
    ]


def test_plain_text_characters_are_left_alone_by_every_text_rule():
    chars = _plain_class()
    assert all(
        unicodedata.normalize("NFKC", ch) == ch
        and unicodedata.normalize("NFC", ch) == ch
        and unicodedata.combining(ch) == 0
        and ch.isprintable()
        and not ch.isspace()
        for ch in chars
    )
    # None is the second part of a canonical decomposition, so no two compose.
    seconds = set()
    for point in range(sys.maxunicode + 1):
        parts = unicodedata.decomposition(chr(point)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(chr(int(parts[1], 16)))
    assert not seconds & set(chars)


@pytest.mark.django_db
@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from([*"ab 王小明-·\u3000\t\u200b\u00c5\u00e9", "A\u030a", "ｘ", "  "]),
            max_size=8,
        ).map("".join),
        min_size=1,
        max_size=20,
    )
)
def test_plain_text_sql_accepts_only_what_the_rules_keep(values):
    found = sql_each(f"x ~ {rules.sql_regex(rules.PLAIN_TEXT)}", values)
    for value, plain in zip(values, found, strict=True):
        if plain:
            assert identifiers.person_name(value, max_length=100) == value
            assert _clean_one("individual", "address", value, today=date(2026, 11, 29)) == value


def _rid_bodies(count: int) -> list[str]:
    rng = random.Random(11643)
    return [f"{rng.randrange(10**17):017d}" for _ in range(count)]


@pytest.mark.django_db
def test_resident_id_check_character_agrees_with_stdnum():
    bodies = _rid_bodies(5000)
    found = sql_each(rules.sql_resident_id_check("x"), [body + "0" for body in bodies])
    assert found == [ric.calc_check_digit(body + "0") for body in bodies]


@pytest.mark.django_db
def test_uscc_check_character_agrees_with_stdnum():
    rng = random.Random(32100)
    bodies = ["".join(rng.choice(rules.USCC_ALPHABET) for _ in range(17)) for _ in range(5000)]
    found = sql_each(rules.sql_uscc_check("x"), [body + "0" for body in bodies])
    assert found == [uscc.calc_check_digit(body) for body in bodies]


def _accepts_mobile(value: str) -> bool:
    try:
        return identifiers.mobile(value) == value
    except identifiers.IdentifierError:
        return False


@pytest.mark.django_db
def test_mobile_sql_is_the_python_rule_on_every_prefix():
    # Every five-digit prefix of the shape (and some outside it), random tails.
    rng = random.Random(86)
    values = [
        f"1{second}{prefix:03d}{rng.randrange(10**6):06d}"
        for second in range(10)
        for prefix in range(1000)
        for _ in range(2)
    ]
    values += ["", "1380013800", "138001380000", "+8613800138000", "1380013800x", "２３"]
    found = sql_each(rules.sql_mobile("x"), values)
    assert found == [_accepts_mobile(value) for value in values]
    assert sum(map(bool, found)) > 5000


@pytest.mark.django_db
@settings(max_examples=100, deadline=None)
@given(st.lists(st.from_regex(rules.PLAIN_EMAIL, fullmatch=True), min_size=1, max_size=20))
def test_plain_email_is_kept_as_it_is(values):
    values = [value for value in values if len(value) <= rules.EMAIL_MAX]
    found = sql_each(f"x ~ {rules.sql_regex(rules.PLAIN_EMAIL)}", values)
    assert all(found)
    assert [identifiers.email(value) for value in values] == values


@pytest.mark.django_db
@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="aZ0._+-@.cn", max_size=16), min_size=1, max_size=30))
def test_plain_email_accepts_nothing_python_refuses(values):
    found = sql_each(f"x ~ {rules.sql_regex(rules.PLAIN_EMAIL)}", values)
    for value, plain in zip(values, found, strict=True):
        if plain:
            assert identifiers.email(value) == value


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "short key", "k" * 100, "钥匙"])
def test_lookup_digest_in_sql_is_the_python_one(key):
    values = ["11010519491231002X", "13800138000", "王", "a" * 300]
    with override_settings(RMDESK_LOOKUP_KEY=key):
        inner, outer = rules.lookup_pads(identifiers._lookup_key())
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT "
                + rules.sql_lookup_digest("id", "x", inner="%s", outer="%s")
                + " FROM unnest(%s::text[]) WITH ORDINALITY AS v (x, n) ORDER BY n",
                [outer, inner, values],  # in the order the expression names them
            )
            found = [row[0] for row in cursor.fetchall()]
        assert found == [identifiers.lookup_digest("id", value) for value in values]


# --- Generated files, imported both ways ------------------------------------------------


def _generated(seed: int, rows: int) -> str:
    """Customers whose identifiers are drawn valid and invalid alike."""
    rng = random.Random(seed)

    def resident() -> str:
        year = rng.choice([1899, 1900, 1949, 1990, 2024, 2099])
        month, day = rng.randrange(0, 14), rng.randrange(0, 32)
        body = f"{rng.randrange(10**6):06d}{year:04d}{month:02d}{day:02d}{rng.randrange(1000):03d}"
        check = ric.calc_check_digit(body + "0")
        return body + rng.choice([check, check, check, "0", "X"])

    def credit() -> str:
        body = "".join(rng.choice(rules.USCC_ALPHABET) for _ in range(17))
        return body + rng.choice([uscc.calc_check_digit(body), "0", "Y"])

    def mobile() -> str:
        return rng.choice(["", f"1{rng.randrange(3, 10)}{rng.randrange(10**9):09d}"])

    lines = [
        "customer_no,kind,name,home_unit,manager,id_type,id_number,mobile,email,gender,birth_date"
    ]
    for i in range(rows):
        corporate = rng.random() < 0.2
        id_type = rng.choice(["", "", "passport", "uscc", "resident_id"])
        number = credit() if corporate or id_type == "uscc" else resident()
        if id_type == "passport":
            number = rng.choice(["E12345678", "e1234", "E1"])
        lines.append(
            ",".join(
                [
                    f"G{i}",
                    "corporate" if corporate else "individual",
                    rng.choice(["王小明", "Acme Co", "阿卜杜·买买提", "x" * 101]),
                    rng.choice(["SA1", "SA1", "SA2", "NOWHERE"]),
                    rng.choice(["", "rm-own", "rm-other", "nobody"]),
                    id_type,
                    number,
                    mobile(),
                    rng.choice(["", "a@example.cn", "A.b@Example.CN", "bad@"]),
                    rng.choice(["", "", "male", "female"]),
                    rng.choice(["", "", number[6:14], "1990-01-01"]),
                ]
            )
        )
    return "\n".join(lines) + "\n"


def _outcome(content: str, *, set_based: bool) -> tuple[object, ...]:
    run = run_import(None, "customers", content, dry_run=True, set_based=set_based)
    refusals = list(run.errors.order_by("row", "id").values_list("row", "field", "code", "reason"))
    return (run.status, run.rows, run.new, run.rejected, refusals)


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_customers_agree_both_ways(cast, seed):
    content = _generated(seed, 600)
    by_rows = _outcome(content, set_based=False)
    by_sets = _outcome(content, set_based=True)
    assert by_sets == by_rows
    status, rows, new, rejected, _refusals = by_rows
    assert (status, rows) == ("done", 600)
    assert new > 10
    assert rejected > 100
