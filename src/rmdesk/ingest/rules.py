"""Cell rules, each declared once and read two ways: as Python and as SQL.

A rule (a code of at most n characters, one of a list of values, an amount, a date …)
is an object. Called on a cell, it returns the clean value or raises CellError — the
check of the row-by-row path (SQLite, XLSX files, the feeds without a set-based path).
Its ``sql_*`` methods give the same rule as SQL expressions over a staged text column,
for the set-based path on PostgreSQL, which validates a whole file in one statement.
Both readings take their patterns, limits, values and refusal messages from the same
object, so there is one rule to change; the agreement tests run the same files, faults
of every kind included, through both paths and compare every refusal.

The SQL is built in three layers, each a column of a subquery fenced with ``OFFSET 0``
(so PostgreSQL computes it once per row, not once per use):

1. ``sql_text(x)`` — the cell's text as the rule reads it (``x`` is a non-blank cell);
2. ``sql_parse(v)`` — the parsed value, NULL where it cannot be parsed;
3. ``sql_error(v, p)`` — an error key (see ``errors``) or NULL; ``sql_value(v, p)`` —
   the staged value.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from rmdesk.customers import identifiers
from rmdesk.ingest.parsing import (
    AMOUNT,
    DATE_COMPACT,
    DATE_DASHED,
    DATE_SERIAL,
    EXCEL_EPOCH,
    Cell,
    CellError,
    amount_errors,
    amount_text,
    code_text,
    date_reason,
    flat_text,
    parse_amount,
    parse_date,
)

KEY = r"[0-9A-Za-z][0-9A-Za-z_./-]*"
CURRENCY = r"[A-Za-z]{3}"


# --- SQL helpers ------------------------------------------------------------------------


def sql_string(value: str) -> str:
    """A PostgreSQL string literal of any text (escapes for everything not plain ASCII)."""
    out = []
    for ch in value:
        if " " <= ch <= "~" and ch not in "'\\%":
            out.append(ch)
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "E'" + "".join(out) + "'"


def sql_class(chars: Iterable[str]) -> str:
    """A regular-expression bracket of these characters (ranges where they run on).

    NUL is left out: no text value holds it (files with NUL are refused whole)."""
    points = sorted({ord(ch) for ch in chars} - {0})

    def escape(point: int) -> str:
        return f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08x}"

    parts = []
    start = previous = points[0]
    for point in [*points[1:], -1]:
        if point == previous + 1:
            previous = point
            continue
        parts.append(escape(start) if start == previous else f"{escape(start)}-{escape(previous)}")
        start = previous = point
    return "[" + "".join(parts) + "]"


def sql_regex(pattern: str) -> str:
    """A whole-string match of a Python pattern (written in the syntax both share)."""
    return sql_string(f"^(?:{pattern})$")


@functools.cache
def whitespace() -> str:
    """The characters Python's ``str.strip`` and ``str.isspace`` take for whitespace."""
    return "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace())


@functools.cache
def _category_class(categories: frozenset[str]) -> str:
    found = [
        chr(point)
        for point in range(sys.maxunicode + 1)
        if not 0xD800 <= point <= 0xDFFF and unicodedata.category(chr(point)) in categories
    ]
    return sql_class(found)


def sql_trim(x: str) -> str:
    return f"btrim({x}, {sql_string(whitespace())})"


def sql_blank(x: str) -> str:
    """True where the cell is blank: nothing but whitespace (``str.strip``)."""
    return f"({sql_trim(x)} = '')"


def sql_code_text(x: str) -> str:
    """``parsing.code_text``: NFKC, trimmed. Printable ASCII without spaces is as it is."""
    return f"CASE WHEN {x} ~ '^[!-~]*$' THEN {x} ELSE {sql_trim(f'normalize({x}, NFKC)')} END"


def _ymd(year: str, month: str, day: str) -> str:
    """The date of these digit strings, NULL where there is no such day (integer
    arithmetic: the calendar's month lengths, leap years by the Gregorian rule)."""
    y, m, d = (f"CAST({part} AS integer)" for part in (year, month, day))
    leap = f"({y} % 4 = 0 AND ({y} % 100 <> 0 OR {y} % 400 = 0))"
    last = (
        f"CASE WHEN {m} IN (4, 6, 9, 11) THEN 30 WHEN {m} <> 2 THEN 31"
        f" WHEN {leap} THEN 29 ELSE 28 END"
    )
    # Nested, not AND: PostgreSQL may evaluate an AND's operands in any order.
    return (
        f"CASE WHEN {y} >= 1 AND {m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND {last}"
        f" THEN make_date({y}, {m}, {d}) END"
    )


# --- Rules ------------------------------------------------------------------------------


class Rule:
    """One column's rule. Subclasses give the Python check and the SQL layers."""

    def __call__(self, cell: Cell) -> Any:
        raise NotImplementedError

    def errors(self) -> dict[str, tuple[str, str]]:
        """Error key → (code, reason), in the language of the run."""
        raise NotImplementedError

    def refuse(self, key: str) -> CellError:
        code, reason = self.errors()[key]
        return CellError(code, reason)

    def sql_text(self, x: str) -> str:
        return sql_code_text(x)

    def sql_parse(self, v: str) -> str:
        return v

    def sql_error(self, v: str, p: str) -> str:
        raise NotImplementedError

    def sql_value(self, v: str, p: str) -> str:
        return p


class Code(Rule):
    """A code: NFKC, trimmed, at most ``max_length`` characters."""

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length

    def errors(self) -> dict[str, tuple[str, str]]:
        return {"TOO_LONG": ("TOO_LONG", _("At most %(n)s characters.") % {"n": self.max_length})}

    def __call__(self, cell: Cell) -> str:
        value = code_text(cell)
        if len(value) > self.max_length:
            raise self.refuse("TOO_LONG")
        return value

    def sql_error(self, v: str, p: str) -> str:
        return f"CASE WHEN length({v}) > {self.max_length} THEN 'TOO_LONG' END"


class Key(Rule):
    """A core-system key: NFKC, letters, digits and ``_ . - /``, at most ``max_length``."""

    pattern = re.compile(KEY)

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length

    def errors(self) -> dict[str, tuple[str, str]]:
        return {
            "REQUIRED": ("REQUIRED", _("A value is required.")),
            "TOO_LONG": ("TOO_LONG", _("At most %(n)s characters.") % {"n": self.max_length}),
            "BAD_KEY": ("BAD_KEY", _("Letters, digits and _ . - / only.")),
        }

    def __call__(self, cell: Cell) -> str:
        if isinstance(cell, str) and len(cell) <= self.max_length and self.pattern.fullmatch(cell):
            return cell  # already canonical: NFKC and trimming change nothing
        value = code_text(cell)
        if not value:
            raise self.refuse("REQUIRED")
        if len(value) > self.max_length:
            raise self.refuse("TOO_LONG")
        if not self.pattern.fullmatch(value):
            raise self.refuse("BAD_KEY")
        return value

    def sql_error(self, v: str, p: str) -> str:
        return (
            f"CASE WHEN {v} = '' THEN 'REQUIRED' WHEN length({v}) > {self.max_length}"
            f" THEN 'TOO_LONG' WHEN {v} !~ {sql_regex(KEY)} THEN 'BAD_KEY' END"
        )


class Choice(Rule):
    """One of a list of (lower-case ASCII) values, in any case."""

    def __init__(self, values: Iterable[str]) -> None:
        self.values = tuple(values)
        self.allowed = frozenset(self.values)

    def errors(self) -> dict[str, tuple[str, str]]:
        return {"BAD_CHOICE": ("BAD_CHOICE", _("Not one of the allowed values."))}

    def __call__(self, cell: Cell) -> str:
        value = code_text(cell)
        lowered = value.lower()
        if not value.isascii() or lowered not in self.allowed:
            raise self.refuse("BAD_CHOICE")
        return lowered

    def sql_parse(self, v: str) -> str:
        values = ", ".join(sql_string(value) for value in self.values)
        ascii_only = "'^[\\u0001-\\u007f]*$'"
        return f"CASE WHEN {v} ~ {ascii_only} AND lower({v}) IN ({values}) THEN lower({v}) END"

    def sql_error(self, v: str, p: str) -> str:
        return f"CASE WHEN {p} IS NULL THEN 'BAD_CHOICE' END"


class Currency(Rule):
    """A three-letter currency code, in capitals."""

    pattern = re.compile(CURRENCY)

    def errors(self) -> dict[str, tuple[str, str]]:
        return {
            "BAD_CURRENCY": (
                "BAD_CURRENCY",
                _("A three-letter currency code such as CNY."),
            )
        }

    def __call__(self, cell: Cell) -> str:
        value = code_text(cell)
        if not self.pattern.fullmatch(value):
            raise self.refuse("BAD_CURRENCY")
        return value.upper()

    def sql_error(self, v: str, p: str) -> str:
        return f"CASE WHEN {v} !~ {sql_regex(CURRENCY)} THEN 'BAD_CURRENCY' END"

    def sql_value(self, v: str, p: str) -> str:
        return f"upper({v})"


class Amount(Rule):
    """An amount: ``1234.5``, ``1,234.50``, full-width digits; at most two decimals.

    ``nonnegative`` refuses amounts below zero. The value is the amount's text for the
    database (a plain amount as it is).
    """

    def __init__(self, *, nonnegative: bool = False) -> None:
        self.nonnegative = nonnegative

    def errors(self) -> dict[str, tuple[str, str]]:
        found = amount_errors()
        if self.nonnegative:
            found["NEGATIVE"] = ("NEGATIVE_AMOUNT", _("The amount cannot be negative."))
        return found

    def __call__(self, cell: Cell) -> str:
        amount = amount_text(cell)  # refusals: parsing.amount_errors(), as errors() says
        if self.nonnegative and amount.startswith("-") and parse_amount(amount) < 0:
            raise self.refuse("NEGATIVE")
        return amount

    def sql_text(self, x: str) -> str:
        return f"replace({sql_code_text(x)}, ' ', '')"

    def sql_parse(self, v: str) -> str:
        return (
            f"CASE WHEN {v} ~ {sql_regex(AMOUNT)} THEN CAST(replace({v}, ',', '') AS numeric) END"
        )

    def sql_error(self, v: str, p: str) -> str:
        negative = f" WHEN {p} < 0 THEN 'NEGATIVE'" if self.nonnegative else ""
        return (
            f"CASE WHEN {p} IS NULL OR abs({p}) >= 1e16 THEN 'BAD_AMOUNT'"
            f" WHEN {p} <> round({p}, 2) THEN 'PLACES'{negative} END"
        )

    def sql_value(self, v: str, p: str) -> str:
        return f"round({p}, 2)"


class IsoDate(Rule):
    """A date: ``2026-11-28`` (or with / or .), ``20261128``, an Excel serial, an XLSX date."""

    def errors(self) -> dict[str, tuple[str, str]]:
        return {"BAD_DATE": ("BAD_DATE", date_reason())}

    def __call__(self, cell: Cell) -> str:
        return parse_date(cell).isoformat()

    def sql_parse(self, v: str) -> str:
        # The patterns decide the form; the parts are then cut at fixed places (compact)
        # or at the separators (dashed), cheaper than capturing them again.
        epoch = EXCEL_EPOCH.isoformat()
        compact = _ymd(f"substr({v}, 1, 4)", f"substr({v}, 5, 2)", f"substr({v}, 7, 2)")
        dashed = f"translate({v}, '/.', '--')"
        dashed = _ymd(*(f"split_part({dashed}, '-', {i})" for i in (1, 2, 3)))
        return (
            f"CASE WHEN {v} ~ {sql_regex(DATE_SERIAL)}"
            f" THEN date '{epoch}' + CAST({v} AS integer)"
            f" WHEN {v} ~ {sql_regex(DATE_COMPACT)} THEN {compact}"
            f" WHEN {v} ~ {sql_regex(DATE_DASHED)} THEN {dashed} END"
        )

    def sql_error(self, v: str, p: str) -> str:
        return f"CASE WHEN {p} IS NULL THEN 'BAD_DATE' END"


def _name_reason(sample: str, max_length: int) -> str:
    """The name rules' own refusal message for a sample that breaks one of them."""
    try:
        identifiers.person_name(sample, max_length=max_length)
    except identifiers.IdentifierError as exc:
        return str(exc.message)
    raise AssertionError(sample)  # pragma: no cover (every sample is refused)


class FreeText(Rule):
    """Names and descriptions: the name rules (``identifiers.person_name``) on the text
    with line breaks made spaces: NFC, trimmed, no invisible or control characters,
    runs of spaces made one, at most ``max_length`` characters."""

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length

    def errors(self) -> dict[str, tuple[str, str]]:
        n = self.max_length
        return {
            "INVISIBLE": ("BAD_CHARSET", _name_reason("a\u200bb", n)),
            "CONTROL": ("BAD_CHARSET", _name_reason("a\u0001b", n)),
            "REQUIRED": ("REQUIRED", _name_reason(" ", n)),
            "TOO_LONG": ("TOO_LONG", _name_reason("x" * (n + 1), n)),
        }

    def __call__(self, cell: Cell) -> str:
        try:
            return identifiers.person_name(flat_text(cell), max_length=self.max_length)
        except identifiers.IdentifierError as exc:
            raise CellError(exc.code, str(exc.message)) from exc

    def sql_text(self, x: str) -> str:
        flat = f"regexp_replace({x}, '\\r\\n|\\r|\\n', ' ', 'g')"
        return sql_trim(f"normalize({flat}, NFC)")

    def sql_parse(self, v: str) -> str:
        return f"regexp_replace({v}, {sql_string(sql_class(whitespace()))} || '+', ' ', 'g')"

    def sql_error(self, v: str, p: str) -> str:
        invisible = sql_string(sql_class(identifiers._INVISIBLE))
        control = sql_string(_category_class(identifiers._REFUSED_CATEGORIES - {"Cs"}))
        return (
            f"CASE WHEN {v} ~ {invisible} THEN 'INVISIBLE' WHEN {v} ~ {control} THEN 'CONTROL'"
            f" WHEN {p} = '' THEN 'REQUIRED' WHEN length({p}) > {self.max_length}"
            " THEN 'TOO_LONG' END"
        )


# --- Rules across the cells of a row ----------------------------------------------------


class RowRule:
    """A rule across the cells of one row, read after each cell passed its own rule.

    It reads the cells' cleaned values (None where a cell is blank or refused), refuses
    the row on ``field`` after every refusal of its cells, and may give ``field`` a
    value where its cell is blank. Read two ways, like the cell rules: ``refuses`` and
    ``fill`` in Python (the row-by-row path), ``sql_refuses`` and ``sql_fill`` over the
    cleaned columns (the set-based path), from the same fields, values and message.
    """

    field: str
    code: str

    def __init__(self, reason: Any) -> None:
        self.reason = reason  # a lazy translation: the language of the run

    def errors(self) -> tuple[str, str]:
        return (self.code, str(self.reason))

    def refuses(self, values: Mapping[str, Any], refused: Collection[str]) -> bool:
        """Whether the row is refused; ``refused`` names the cells refused on their own."""
        raise NotImplementedError

    def fill(self, values: Mapping[str, Any]) -> Any:
        """The staged value of ``field`` (its own where it has one)."""
        return values[self.field]

    def sql_refuses(self, value: Callable[[str], str], refused: Callable[[str], str]) -> str:
        """A boolean (NULL counts as false): ``value(name)`` is the SQL of a cell's
        cleaned value, NULL where blank or refused; ``refused(name)`` is true where the
        cell is refused on its own."""
        raise NotImplementedError

    def sql_fill(self, value: Callable[[str], str]) -> str:
        return value(self.field)


class RequiredUnless(RowRule):
    """``field`` is required unless ``other`` is ``equals`` (``other`` blank reads as
    ``equals``: it is its default); where it is blank and not required, it is ``copy``'s
    value. A balance in CNY: required unless the currency is CNY, then the balance."""

    code = "REQUIRED"

    def __init__(self, field: str, *, other: str, equals: str, copy: str, reason: Any) -> None:
        super().__init__(reason)
        self.field, self.other, self.equals, self.copy = field, other, equals, copy

    def refuses(self, values: Mapping[str, Any], refused: Collection[str]) -> bool:
        return (
            self.field not in refused
            and values[self.field] is None
            and (values[self.other] or self.equals) != self.equals
        )

    def fill(self, values: Mapping[str, Any]) -> Any:
        own = values[self.field]
        if own is None and (values[self.other] or self.equals) == self.equals:
            return values[self.copy]
        return own

    def sql_refuses(self, value: Callable[[str], str], refused: Callable[[str], str]) -> str:
        equals = sql_string(self.equals)
        return (
            f"(NOT {refused(self.field)} AND {value(self.field)} IS NULL"
            f" AND COALESCE({value(self.other)}, {equals}) <> {equals})"
        )

    def sql_fill(self, value: Callable[[str], str]) -> str:
        equals = sql_string(self.equals)
        return (
            f"COALESCE({value(self.field)}, CASE WHEN COALESCE({value(self.other)}, {equals})"
            f" = {equals} THEN {value(self.copy)} END)"
        )


class NotBefore(RowRule):
    """The date ``field`` is not before the date ``other`` (either blank: nothing to
    compare). A holding's maturity: not before it opens."""

    code = "BAD_DATE_ORDER"

    def __init__(self, field: str, *, other: str, reason: Any) -> None:
        super().__init__(reason)
        self.field, self.other = field, other

    def refuses(self, values: Mapping[str, Any], refused: Collection[str]) -> bool:
        later, earlier = values[self.field], values[self.other]
        # ISO dates (IsoDate's values): their text sorts as the dates do.
        return bool(later and earlier and later < earlier)

    def sql_refuses(self, value: Callable[[str], str], refused: Callable[[str], str]) -> str:
        return f"({value(self.field)} < {value(self.other)})"


# --- Customer identifiers (the customers feed's set-based path) -------------------------
#
# These read the customer rules (``customers.identifiers``, python-stdnum, phonenumbers)
# as SQL for the cells already in their canonical form, where the SQL can be exact: a
# row whose every cell passes is staged from SQL; any other row is cleaned by the
# Python rules themselves (``customers_sql``), which give its refusals. So each SQL
# condition here must accept a cell only where the Python rule accepts it and returns
# the cell as it is; ``test_customer_rules.py`` holds them to that over generated
# valid and invalid values.

# Text that NFC, NFKC, ``str.strip``, the control-character checks and the collapsing of
# space runs all leave as it is: printable ASCII and the CJK Unified Ideographs, single
# spaces between words. No character of the class has a decomposition, combines with
# another, or is whitespace but the space (the tests check every one).
PLAIN_TEXT_CHARS = "!-~\u4e00-\u9fff"
PLAIN_TEXT = f"[{PLAIN_TEXT_CHARS}]+(?: [{PLAIN_TEXT_CHARS}]+)*"
# A code NFKC and trimming leave as it is: printable ASCII without spaces.
PLAIN_CODE = "[!-~]+"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_CHARS = "0-9A-HJ-NPQRTUWXY"  # the alphabet as a bracket's ranges
OTHER_ID = "[A-Z0-9]{5,20}"
# A subset of what Django's EmailValidator accepts (dot-atom local part of letters,
# digits, ``_ + -``; host names of lower-case letters, digits and inner hyphens; a
# lower-case alphabetic top-level domain): ``identifiers.email`` returns these as they are.
_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
PLAIN_EMAIL = f"[A-Za-z0-9_+-]+(?:[.][A-Za-z0-9_+-]+)*@(?:{_LABEL}[.])+[a-z]{{2,63}}"
EMAIL_MAX = 320
# GB 11643: the weight of each of the 17 digits is 2^(17-i) mod 11.
RESIDENT_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
# GB 32100: the weight of each of the 17 characters is 3^i mod 31.
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def sql_shape(x: str, chars: str, length: int, *, last: str = "") -> str:
    """True where ``x`` is ``length`` characters of the bracket ``chars`` (the last may
    also be ``last``): a length and a regular expression without counted repetition,
    which PostgreSQL matches several times faster than ``[…]{n}``."""
    tail = f"[{last}]?" if last else ""
    return f"(length({x}) = {length} AND {x} ~ {sql_regex(f'[{chars}]+{tail}')})"


def sql_resident_id_check(x: str) -> str:
    """The check character of the resident ID ``x`` (18 characters, 17 ASCII digits
    first): ``(1 - Σ dᵢ·wᵢ) mod 11``, X for 10."""
    total = " + ".join(
        f"(ascii(substr({x}, {i + 1}, 1)) - 48) * {w}" for i, w in enumerate(RESIDENT_ID_WEIGHTS)
    )
    return f"substr('10X98765432', ({total}) % 11 + 1, 1)"


def sql_uscc_check(x: str) -> str:
    """The check character of the credit code ``x`` (18 characters of the alphabet):
    ``-Σ vᵢ·wᵢ mod 31`` in the alphabet, vᵢ a character's place in it."""
    total = " + ".join(
        f"(strpos('{USCC_ALPHABET}', substr({x}, {i + 1}, 1)) - 1) * {w}"
        for i, w in enumerate(USCC_WEIGHTS)
    )
    return f"substr('{USCC_ALPHABET}', (31 - ({total}) % 31) % 31 + 1, 1)"


def _phone_pattern(pattern: str) -> str:
    # phonenumbers' patterns: ``\d``, groups, brackets, counts; ASCII digits only here.
    return pattern.replace("\\d", "[0-9]")


@functools.cache
def mobile_patterns() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What ``phonenumbers.number_type`` needs of an 11-digit number of the mobile
    shape for the type MOBILE or FIXED_LINE_OR_MOBILE, read from its metadata for CN:
    (the patterns it must match, the patterns it must not). It must match the general
    description; the types number_type tries before the mobile one (premium rate, toll
    free, shared cost, personal, VoIP, pager, UAN, voicemail) must not claim it; then
    the mobile pattern must match (fixed line or not, either type is a mobile).
    A description whose possible lengths leave out 11 never matches and is left out."""
    import phonenumbers

    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    assert metadata is not None  # noqa: S101 (phonenumbers ships CN)

    general: Any = metadata.general_desc

    def applies(desc: Any) -> bool:
        if desc is None or not desc.national_number_pattern:
            return False
        lengths = desc.possible_length or general.possible_length
        return 11 in lengths and -1 not in lengths

    before = (
        "premium_rate",
        "toll_free",
        "shared_cost",
        "personal_number",
        "voip",
        "pager",
        "uan",
        "voicemail",
    )
    must: tuple[Any, ...] = (general, metadata.mobile)
    if metadata.same_mobile_and_fixed_line_pattern or not all(map(applies, must)):
        # pragma: no cover (the metadata changed shape: the SQL would not be exact)
        raise AssertionError("phonenumbers' CN metadata has no 11-digit mobiles")
    return (
        tuple(_phone_pattern(desc.national_number_pattern) for desc in must),
        tuple(
            _phone_pattern(getattr(metadata, name).national_number_pattern)
            for name in before
            if applies(getattr(metadata, name))
        ),
    )


def sql_mobile(x: str) -> str:
    """True where ``x`` is a mobile that ``identifiers.mobile`` accepts as it is."""
    must, must_not = mobile_patterns()
    tests = [f"left({x}, 2) ~ '^1[3-9]$' AND {sql_shape(x, '0-9', 11)}"]
    tests += [f"{x} ~ {sql_regex(pattern)}" for pattern in must]
    tests += [f"{x} !~ {sql_regex(pattern)}" for pattern in must_not]
    # Nested: the shape first (PostgreSQL may evaluate an AND's operands in any order).
    return f"CASE WHEN {tests[0]} THEN {' AND '.join(tests[1:])} ELSE FALSE END"


def lookup_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA256's inner and outer padded keys (RFC 2104), for ``sql_lookup_digest``."""
    import hashlib

    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def sql_lookup_digest(kind: str, x: str, *, inner: str, outer: str) -> str:
    """``identifiers.lookup_digest(kind, x)`` in SQL: HMAC-SHA256 of ``kind:x`` from the
    padded keys ``inner`` and ``outer`` (bytea expressions), in hex."""
    assert re.fullmatch(r"[a-z][a-z0-9_]*", kind)  # noqa: S101 (a constant of the caller)
    message = f"convert_to('{kind}:' || {x}, 'UTF8')"
    return f"encode(sha256({outer} || sha256({inner} || {message})), 'hex')"
