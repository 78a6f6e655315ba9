"""The feeds: their columns, how a row is cleaned, and the checks made set-based.

A feed turns each data row into one staging row: its number, its key, whether it passed
the checks made on the row alone, and the cleaned values. Those per-row checks are the
rules of the page and the API (customer fields through ``customer_fields_clean``; cell
formats in ``parsing``), applied column by column through per-run caches, so a value
that recurs (a date, a kind, a unit, a customer number) is validated once. The checks
that compare rows with each other or with the database (a key twice in the file,
references to customers and accounts, identity numbers held by someone else) are SQL
over the staging table, in ``checks``; they are the same statements on every database.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import repeat
from types import SimpleNamespace
from typing import Any, ClassVar, cast

from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rmdesk.core.errors import DomainError
from rmdesk.customers.models import Customer, Holding, Transaction
from rmdesk.customers.services import InvalidFields, _derived, customer_fields_clean
from rmdesk.ingest.models import Feed
from rmdesk.ingest.parsing import (
    PLAIN_AMOUNT,
    Cell,
    CellError,
    code_text,
    flat_text,
    parse_amount,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_rate,
    parse_whole,
    text,
)
from rmdesk.ingest.rules import (
    KEY,
    Amount,
    Choice,
    Code,
    Currency,
    FreeText,
    IsoDate,
    Key,
    NotBefore,
    RequiredUnless,
    RowRule,
    Rule,
)
from rmdesk.marketing.models import Product
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.roles import Role

_KEY = re.compile(KEY)
# Distinct values a column's cache keeps before it starts again (bounds memory).
CACHE_SIZE = 50_000


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    code: str
    reason: str


@functools.cache
def key_rule(max_length: int) -> Key:
    return Key(max_length)


def key_of(raw: Cell, *, max_length: int) -> str:
    """A core-system key: NFKC, letters, digits and ``_ . - /``. Raises CellError."""
    return key_rule(max_length)(raw)


# Parsers whose canonical cells are returned as they are: the joined column matches
# ``(?:cell\n)*cell`` when every cell is such a canonical string (no cell matching the
# pattern holds a line break, so the segments are the cells).
def _joined(cell: str) -> re.Pattern[str]:
    return re.compile(f"(?:{cell}\n)*{cell}")


# The cell rules (rules.py): each is the Python check and the SQL of its column.
signed_amount = Amount()
nonnegative = Amount(nonnegative=True)
currency = Currency()
iso_date = IsoDate()

PLAIN_COLUMN: dict[Callable[[Cell], Any], re.Pattern[str]] = {
    signed_amount: _joined(PLAIN_AMOUNT.pattern),
    nonnegative: _joined(PLAIN_AMOUNT.pattern.removeprefix("-?")),
}


def choice(values: list[str]) -> Choice:
    return Choice(values)


def free_text(max_length: int) -> FreeText:
    """Names and descriptions: NFC, no control characters (the name rules)."""
    return FreeText(max_length)


@functools.cache  # one rule per length, so PLAIN_COLUMN stays small
def code(max_length: int) -> Code:
    rule = Code(max_length)
    # Printable ASCII without spaces is its own NFKC form and has nothing to trim.
    PLAIN_COLUMN[rule] = _joined(f"[!-~]{{1,{max_length}}}")
    return rule


_BLANK = object()


class _Cache(dict[Cell, Any]):
    """A column's answers by cell; a miss computes the answer with the column's parser.

    ``bad`` holds the cells whose answer is a refusal, so a whole column can be checked
    for refusals with one set operation.
    """

    def __init__(self, column: Column) -> None:
        super().__init__()
        self.column = column
        self.bad: set[Cell] = set()

    def __missing__(self, cell: Cell) -> Any:
        if len(self) >= CACHE_SIZE:
            self.clear()
            self.bad.clear()
        found = self[cell] = self.column._compute(cell)
        if found.__class__ is CellError:
            self.bad.add(cell)
        return found


class Column:
    """One column's parser, cached over the distinct cell values of a run.

    ``__call__`` returns the parsed value, None for a blank cell (or raises CellError
    REQUIRED when the column is required), or raises the parser's CellError. Parsers
    are pure functions of the cell, so a cached answer is the answer.
    """

    def __init__(
        self,
        name: str,
        parse: Callable[[Cell], Any],
        *,
        required: bool = False,
        cached: bool = True,
        default: Any = None,
    ) -> None:
        self.name = name
        self.parse = parse
        self.required = required
        self.cached = cached
        self.default = default  # what a blank cell stages as
        self.index = -1
        self.cache = _Cache(self)

    def _compute(self, cell: Cell) -> Any:
        if isinstance(cell, str) and cell and not cell[0].isspace():
            pass  # not blank: the common case, without the text() round trip
        elif text(cell).strip() == "":
            if self.required:
                return CellError(*self.errors()["BLANK"])
            return None
        try:
            return self.parse(cell)
        except CellError as exc:
            return exc

    def errors(self) -> dict[str, tuple[str, str]]:
        """Error key → (code, reason): a required cell left blank, and the rule's."""
        found = {"BLANK": ("REQUIRED", _("A value is required."))}
        if isinstance(self.parse, Rule):
            found |= self.parse.errors()
        return found

    def __call__(self, cells: list[Cell]) -> Any:
        cell = cells[self.index] if 0 <= self.index < len(cells) else None
        found = self.cache[cell] if self.cached else self._compute(cell)
        if isinstance(found, CellError):
            raise found
        return found

    def column(self, cells: list[Cell]) -> list[Any] | None:
        """The answers for a whole column of a chunk, or None if any cell is refused.

        A column whose cells a single regular expression over the joined column
        (``PLAIN_COLUMN``) shows to be already canonical is taken as it is — codes and
        amounts, mostly unique per row; otherwise a cached column answers with one
        C-level pass over its cache, and the others cell by cell.
        """
        plain = PLAIN_COLUMN.get(self.parse)
        if plain is not None and _all_match(plain, cells):
            return cells
        if self.cached:
            values = list(map(self.cache.__getitem__, cells))
            bad = self.cache.bad
            if bad and not bad.isdisjoint(cells):
                return None
            return values
        values = [self._compute(cell) for cell in cells]
        if any(value.__class__ is CellError for value in values):
            return None
        return values


def _all_match(pattern: re.Pattern[str], cells: list[Cell]) -> bool:
    try:
        joined = "\n".join(cells)  # type: ignore[arg-type]
    except TypeError:  # an XLSX number or date cell: not a canonical string
        return False
    return pattern.fullmatch(joined) is not None


def keys_column(cells: list[Cell], *, max_length: int) -> list[Cell] | None:
    """A chunk's keys if every one is already canonical (``key_of``'s fast path), else None."""
    pattern = _KEY_COLUMNS.get(max_length)
    if pattern is None:
        pattern = _KEY_COLUMNS[max_length] = _joined(
            f"[0-9A-Za-z][0-9A-Za-z_.\\-/]{{0,{max_length - 1}}}"
        )
    return cells if _all_match(pattern, cells) else None


_KEY_COLUMNS: dict[int, re.Pattern[str]] = {}


class Lookup:
    """Codes resolved to primary keys, a query per chunk for the codes not seen yet."""

    def __init__(self, query: Callable[[set[str]], dict[str, int]]) -> None:
        self.query = query
        self.known: dict[str, int | None] = {}

    def prime(self, codes: set[str]) -> None:
        missing = codes - self.known.keys()
        if not missing:
            return
        if len(self.known) >= CACHE_SIZE:
            self.known.clear()
        found = self.query(missing)
        for value in missing:
            self.known[value] = found.get(value)

    def get(self, value: str) -> int | None:
        return self.known.get(value)


@dataclass(frozen=True)
class Check:
    """A set-based check: ``select`` yields (row_no, first) of the rows it refuses.

    ``first`` (a row number, or NULL) fills ``%(row)s`` in the reason. The select reads
    the staging table as ``s``; ``ok`` there means "not refused by an earlier step".
    """

    field: str
    code: str
    reason: str
    select: str
    # A pass that the checks of a step share: materialised once as ``ingest_scan``
    # before the first check naming it, which then selects from ``ingest_scan``.
    scan: str = ""


Chunk = list[tuple[int, list[Cell]]]  # (row number, cells in header order)


class FeedSpec:
    """What a feed file holds and how its rows map onto one model.

    ``stage`` lists the staging table's columns after ``row_no``, ``k`` (the key) and
    ``ok``: (name, SQL type). ``update_fields`` are compared to decide changed/unchanged
    and overwritten on a change; the other model columns are set on insert only (derived
    data such as AUM and tier is never touched by an import). One instance serves one run.
    """

    feed: ClassVar[Feed]
    model: ClassVar[type[models.Model]]
    key: ClassVar[str]
    key_length: ClassVar[int] = 40
    required: ClassVar[tuple[str, ...]]
    optional: ClassVar[tuple[str, ...]]
    update_fields: ClassVar[tuple[str, ...]]
    versioned: ClassVar[bool] = False
    stage: ClassVar[tuple[tuple[str, str], ...]]
    # Cleaned set-based on PostgreSQL (setbased.py): every column a Rule, and every
    # staged column a parser's value (or its default) under the same name.
    set_based: ClassVar[bool] = False

    def __init__(self) -> None:
        self.width = 0
        self.key_index = -1

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    def bind(self, header: list[str]) -> None:
        """Learn where each column is in this file's header (already checked)."""
        self.width = len(header)
        self.key_index = header.index(self.key)
        for column in self.parsers():
            column.index = header.index(column.name) if column.name in header else -1

    def parsers(self) -> list[Column]:
        return []

    def prepare(self, chunk: Chunk) -> None:
        """Resolve the references a chunk names (one query per kind for new codes)."""

    def clean(self, number: int, cells: list[Cell], errors: list[RowError]) -> tuple[Any, ...]:
        """The staging values (after row_no, k, ok) of a row; appends its refusals."""
        raise NotImplementedError

    def clean_chunk(self, chunk: Chunk) -> list[tuple[Any, ...]] | None:
        """The staging rows (row_no, k, ok, values…) of a chunk none of whose rows is
        refused, column by column; None sends the chunk down the per-row path.

        The columnar path answers a column with one pass of C-level operations (the
        column cache, a regular expression over the joined cells), and decides exactly
        as the per-row path because it runs the same parsers: any cell refused, any row
        not of the header's width, any key or amount not already canonical, and the
        chunk goes row by row, which finds and reports the refusals.
        """
        if not chunk:
            return []
        rows = [cells for _number, cells in chunk]
        if set(map(len, rows)) != {self.width}:
            return None
        columns = list(zip(*rows, strict=True))
        keys = keys_column(list(columns[self.key_index]), max_length=self.key_length)
        if keys is None:
            return None
        parsed: list[list[Any]] = []
        for column in self.parsers():
            cells = list(columns[column.index]) if column.index >= 0 else [None] * len(rows)
            values = column.column(cells)
            if values is None:
                return None
            parsed.append(values)
        staged = self.combine(parsed)
        if staged is None:
            return None
        numbers = [number for number, _cells in chunk]
        return list(zip(numbers, keys, repeat(True), *staged, strict=False))

    def combine(self, parsed: list[list[Any]]) -> list[list[Any]] | None:
        """The staging columns from the parsers' columns (the row rules that span
        cells, applied to whole columns), or None where a row would be refused.
        Feeds without a columnar path return None."""
        return None

    def row_rules(self) -> list[RowRule]:
        """The rules across the cells of a row (rules.py), in the order they refuse."""
        return []

    def checks(self) -> list[list[Check]]:
        """Set-based checks in steps; the rows a step refuses are not ``ok`` in the next."""
        return [[duplicate_key_check(self)]]

    def merge_columns(self) -> dict[str, str]:
        """Target column → SQL expression over ``s`` (and the joins of ``merge_from``)."""
        raise NotImplementedError

    merge_from: ClassVar[str] = "ingest_stage s"
    # The order new rows are inserted in (SQL over ``merge_from``), or none. In the
    # order of the foreign key and the index that leads with it, each index page and
    # each referenced row is visited once in a run rather than once per row at random,
    # for the insert and for the foreign-key checks at commit; the rows of one
    # customer also end up next to each other in the table, where their pages read them.
    merge_order: ClassVar[str] = ""


def duplicate_key_check(spec: FeedSpec) -> Check:
    return Check(
        spec.key,
        "DUPLICATE_KEY",
        _("The same key is on row %(row)s."),
        "SELECT s.row_no, d.first FROM ingest_stage s JOIN ("
        " SELECT k, min(row_no) AS first FROM ingest_stage GROUP BY k HAVING count(*) > 1"
        ") d ON d.k = s.k WHERE s.row_no > d.first",
    )


def _values(
    parsers: list[Column], cells: list[Cell], number: int, errors: list[RowError]
) -> list[Any]:
    """Each column's value for one row (None where refused, the refusal in ``errors``).

    The hot loop of an import: a cache hit is one dict lookup per cell.
    """
    out: list[Any] = []
    width = len(cells)
    for column in parsers:
        index = column.index
        cell = cells[index] if 0 <= index < width else None
        found = column.cache[cell] if column.cached else column._compute(cell)
        if found.__class__ is CellError:
            errors.append(RowError(number, column.name, found.code, found.reason))
            found = None
        out.append(found)
    return out


CUSTOMER_TEXT = (
    "province",
    "city",
    "district",
    "address",
    "nationality",
    "occupation",
    "employer",
    "industry",
    "legal_representative",
    "id_number",
    "mobile",
    "email",
)
CUSTOMER_CHOICES: dict[str, type[models.TextChoices]] = {
    "id_type": Customer.IdType,
    "gender": Customer.Gender,
    "marital_status": Customer.Marital,
    "size": Customer.Size,
}
# What a field holds when its column is absent or blank: the file is the core system's
# full record of the fields this feed carries, so a blank clears the field.
CUSTOMER_DEFAULTS: dict[str, Any] = {
    **{name: "" for name in (*CUSTOMER_TEXT, *CUSTOMER_CHOICES)},
    "nationality": "CN",
    "birth_date": None,
    "registered_capital": None,
    "marketing_consent": False,
    "do_not_contact": False,
}
CUSTOMER_TYPES = {
    "birth_date": "date",
    "registered_capital": "numeric(18,2)",
    "marketing_consent": "boolean",
    "do_not_contact": "boolean",
}
# customer_fields_clean names a field as the model does; the file calls it by its column.
MODEL_TO_COLUMN = {"display_name": "name"}
CUSTOMER_FIELDS = tuple(CUSTOMER_DEFAULTS)


def _units(codes: set[str]) -> dict[str, int]:
    return dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "pk"))


def _managers(usernames: set[str]) -> dict[str, int]:
    return dict(
        Staff.objects.filter(
            username__in=usernames, is_active=True, roles__role=Role.ACCOUNT_MANAGER
        ).values_list("username", "pk")
    )


def _free(cell: Cell) -> str:
    """``flat_text``, without its round trips for a text cell on one line (most are)."""
    if cell.__class__ is str and "\n" not in cell and "\r" not in cell:  # type: ignore[operator]
        return cell  # type: ignore[return-value]
    return flat_text(cell)


def _db_date(value: Any) -> Any:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else value


class CustomersFeed(FeedSpec):
    feed: ClassVar[Feed] = Feed.CUSTOMERS
    model: ClassVar[type[models.Model]] = Customer
    key: ClassVar[str] = "customer_no"
    key_length: ClassVar[int] = 32
    required: ClassVar[tuple[str, ...]] = ("customer_no", "kind", "name", "home_unit")
    optional: ClassVar[tuple[str, ...]] = (
        "manager",
        "id_type",
        *CUSTOMER_TEXT,
        "gender",
        "birth_date",
        "marital_status",
        "size",
        "registered_capital",
        "marketing_consent",
        "do_not_contact",
    )
    update_fields: ClassVar[tuple[str, ...]] = (
        "kind",
        "display_name",
        "home_unit_id",
        "primary_manager_id",
        *CUSTOMER_DEFAULTS,
        "id_digest",
        "mobile_digest",
        "search_tokens",
    )
    versioned: ClassVar[bool] = True
    stage: ClassVar[tuple[tuple[str, str], ...]] = (
        ("kind", "text"),
        ("display_name", "text"),
        ("home_unit_id", "integer"),
        ("primary_manager_id", "integer"),
        *((name, CUSTOMER_TYPES.get(name, "text")) for name in CUSTOMER_FIELDS),
        ("id_digest", "text"),
        ("mobile_digest", "text"),
        ("search_tokens", "text"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.kind = Column("kind", choice(Customer.Kind.values), required=True)
        self.unit = Column("home_unit", code(32), required=True)
        self.manager = Column("manager", code(150))
        self.dates = Column("birth_date", parse_date)
        self.capital = Column("registered_capital", nonnegative, cached=False)
        self.flags = [Column(name, parse_bool) for name in ("marketing_consent", "do_not_contact")]
        self.units = Lookup(_units)
        self.managers = Lookup(_managers)
        # Birth dates are bounded by the day the run started, read once (not per row).
        self.today = timezone.localdate()
        self.present: list[tuple[str, int]] = []

    def parsers(self) -> list[Column]:
        return [self.kind, self.unit, self.manager, self.dates, self.capital, *self.flags]

    def bind(self, header: list[str]) -> None:
        super().bind(header)
        self.name_index = header.index("name")
        self.present = [
            (column, header.index(column))
            for column in (*CUSTOMER_TEXT, *CUSTOMER_CHOICES)
            if column in header
        ]

    def prepare(self, chunk: Chunk) -> None:
        def codes(column: Column) -> set[str]:
            found: set[str] = set()
            for _number, cells in chunk:
                try:
                    value = column(cells)
                except CellError:
                    continue
                if value:
                    found.add(value)
            return found

        self.units.prime(codes(self.unit))
        self.managers.prime(codes(self.manager))

    def clean(self, number: int, cells: list[Cell], errors: list[RowError]) -> tuple[Any, ...]:
        before = len(errors)

        def refuse(column: str, code: str, reason: str) -> None:
            errors.append(RowError(number, column, code, reason))

        def get(column: Column) -> Any:
            try:
                return column(cells)
            except CellError as exc:
                refuse(column.name, exc.code, exc.reason)
                return None

        kind = get(self.kind)
        width = len(cells)
        name = cells[self.name_index] if self.name_index < width else None
        data: dict[str, Any] = {"display_name": _free(name)}
        for column, index in self.present:
            cell = cells[index] if index < width else None
            raw = cell if cell.__class__ is str else text(cell)
            if not raw.strip():  # type: ignore[union-attr]
                continue
            if column in CUSTOMER_CHOICES:
                value = code_text(cell).lower()
                if value not in CUSTOMER_CHOICES[column].values:
                    refuse(column, "BAD_CHOICE", _("Not one of the allowed values."))
                    continue
                data[column] = value
            else:
                data[column] = _free(cell)
        birth_date = get(self.dates)
        capital = get(self.capital)
        if birth_date is not None:
            data["birth_date"] = birth_date
        if capital is not None:
            data["registered_capital"] = capital
        for flag in self.flags:
            value = get(flag)
            if value is not None:
                data[flag.name] = value
        unit_code = get(self.unit)
        unit = self.units.get(unit_code) if unit_code else None
        if unit_code and unit is None:
            refuse("home_unit", "UNKNOWN_UNIT", _("No org unit has this code."))
        manager_name = get(self.manager)
        manager = self.managers.get(manager_name) if manager_name else None
        if manager_name and manager is None:
            refuse("manager", "UNKNOWN_MANAGER", _("No active account manager has this username."))
        clean: dict[str, Any] = {}
        if kind:
            try:
                clean = customer_fields_clean(kind=kind, data=data, today=self.today)
            except InvalidFields as exc:
                for detail in exc.details:
                    column = MODEL_TO_COLUMN.get(detail["field"], detail["field"])
                    refuse(column, detail["code"], detail["reason"])
        if len(errors) > before:
            return ()
        values = CUSTOMER_DEFAULTS | clean
        values["birth_date"] = _db_date(values["birth_date"])
        derived = SimpleNamespace(
            id_number=values["id_number"],
            mobile=values["mobile"],
            display_name=values["display_name"],
        )
        _derived(cast(Customer, derived))
        return (
            kind,
            values["display_name"],
            unit,
            manager,
            *map(values.__getitem__, CUSTOMER_FIELDS),
            derived.id_digest,
            derived.mobile_digest,
            derived.search_tokens,
        )

    def checks(self) -> list[list[Check]]:
        return [
            [
                duplicate_key_check(self),
                Check(
                    "manager",
                    "MANAGER_IS_ASSISTING",
                    _("This manager assists the customer already; transfer in rmdesk instead."),
                    "SELECT s.row_no, NULL FROM ingest_stage s JOIN customers_customer c"
                    " ON c.customer_no = s.k AND c.assisting_manager_id = s.primary_manager_id"
                    " WHERE s.ok",
                ),
            ],
            [
                Check(
                    "id_number",
                    "DUPLICATE_IDENTITY",
                    _("Another customer in this file has this identity number."),
                    "SELECT s.row_no, NULL FROM ingest_stage s WHERE s.ok AND s.id_digest <> ''"
                    " AND EXISTS (SELECT 1 FROM ingest_stage e WHERE e.ok"
                    " AND e.id_digest = s.id_digest AND e.row_no < s.row_no)",
                ),
                Check(
                    "id_number",
                    "DUPLICATE_IDENTITY",
                    _("A customer with this identity number already exists."),
                    "SELECT s.row_no, NULL FROM ingest_stage s JOIN customers_customer c"
                    " ON c.id_digest = s.id_digest AND c.customer_no <> s.k"
                    " WHERE s.ok AND s.id_digest <> ''",
                ),
            ],
        ]

    def merge_columns(self) -> dict[str, str]:
        columns = {"customer_no": "s.k"}
        columns |= {name: f"s.{name}" for name, _type in self.stage}
        return columns


class HoldingsFeed(FeedSpec):
    feed: ClassVar[Feed] = Feed.HOLDINGS
    set_based: ClassVar[bool] = True
    model: ClassVar[type[models.Model]] = Holding
    key: ClassVar[str] = "account_no"
    required: ClassVar[tuple[str, ...]] = (
        "account_no",
        "customer_no",
        "product_type",
        "balance",
        "opened_on",
    )
    optional: ClassVar[tuple[str, ...]] = (
        "product_code",
        "product_name",
        "currency",
        "balance_cny",
        "matures_on",
        "status",
    )
    update_fields: ClassVar[tuple[str, ...]] = (
        "customer_id",
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
    stage: ClassVar[tuple[tuple[str, str], ...]] = (
        ("customer_no", "text"),
        ("product_type", "text"),
        ("product_code", "text"),
        ("product_name", "text"),
        ("currency", "text"),
        ("balance", "numeric(18,2)"),
        ("balance_cny", "numeric(18,2)"),
        ("opened_on", "date"),
        ("matures_on", "date"),
        ("status", "text"),
    )
    merge_from: ClassVar[str] = (
        "ingest_stage s JOIN customers_customer c ON c.customer_no = s.customer_no"
    )
    # customers_holding_customer (customer_id, product_type) and the foreign key.
    merge_order: ClassVar[str] = "c.id, s.product_type"

    def __init__(self) -> None:
        super().__init__()
        self.row_parsers = [
            Column("customer_no", code(32), required=True),
            Column("product_type", choice(Holding.ProductType.values), required=True),
            Column("currency", currency, default="CNY"),
            Column("balance", nonnegative, required=True, cached=False),
            Column("balance_cny", nonnegative, cached=False),
            Column("opened_on", iso_date, required=True),
            Column("matures_on", iso_date),
            Column("status", choice(Holding.Status.values), default=Holding.Status.ACTIVE.value),
            Column("product_code", code(40), default=""),
            Column("product_name", free_text(200), default=""),
        ]
        self.names = [column.name for column in self.row_parsers]
        self.defaults = {column.name: column.default for column in self.row_parsers}
        self.rules: list[RowRule] = [
            RequiredUnless(
                "balance_cny",
                other="currency",
                equals="CNY",
                copy="balance",
                reason=gettext_lazy(
                    "The balance in CNY is required for a foreign-currency holding."
                ),
            ),
            NotBefore(
                "matures_on",
                other="opened_on",
                reason=gettext_lazy("A holding cannot mature before it opens."),
            ),
        ]

    def parsers(self) -> list[Column]:
        return self.row_parsers

    def row_rules(self) -> list[RowRule]:
        return self.rules

    def clean(self, number: int, cells: list[Cell], errors: list[RowError]) -> tuple[Any, ...]:
        before = len(errors)
        row = dict(zip(self.names, _values(self.row_parsers, cells, number, errors), strict=True))
        refused = {error.field for error in errors[before:]}
        for rule in self.rules:
            if rule.refuses(row, refused):
                code, reason = rule.errors()
                errors.append(RowError(number, rule.field, code, reason))
        # References are checked set-based even on a refused row (all its faults listed).
        if len(errors) > before:
            return (row["customer_no"], None, row["product_code"] or "")
        for rule in self.rules:
            row[rule.field] = rule.fill(row)
        return tuple(
            self.defaults[name] if row[name] is None else row[name] for name, _type in self.stage
        )

    def combine(self, parsed: list[list[Any]]) -> list[list[Any]] | None:
        columns = dict(zip(self.names, parsed, strict=True))
        rows = [dict(zip(self.names, values, strict=True)) for values in zip(*parsed, strict=True)]
        for rule in self.rules:
            if any(rule.refuses(row, ()) for row in rows):
                return None  # the per-row path reports the refusal
        for rule in self.rules:
            columns[rule.field] = [rule.fill(row) for row in rows]
        return [
            columns[name]
            if self.defaults[name] is None
            else [self.defaults[name] if value is None else value for value in columns[name]]
            for name, _type in self.stage
        ]

    def checks(self) -> list[list[Check]]:
        return [[duplicate_key_check(self), unknown_customer_check(), unknown_product_check()]]

    def merge_columns(self) -> dict[str, str]:
        columns = {"account_no": "s.k", "customer_id": "c.id"}
        columns |= {name: f"s.{name}" for name, _type in self.stage if name != "customer_no"}
        return columns


def unknown_customer_check() -> Check:
    return Check(
        "customer_no",
        "UNKNOWN_CUSTOMER",
        _("No customer has this number."),
        "SELECT s.row_no, NULL FROM ingest_stage s WHERE s.customer_no <> '' AND NOT EXISTS"
        " (SELECT 1 FROM customers_customer c WHERE c.customer_no = s.customer_no)",
    )


def unknown_product_check() -> Check:
    return Check(
        "product_code",
        "UNKNOWN_PRODUCT",
        _("No product has this code (import the products feed first)."),
        "SELECT s.row_no, NULL FROM ingest_stage s WHERE s.product_code <> '' AND NOT EXISTS"
        " (SELECT 1 FROM marketing_product p WHERE p.code = s.product_code)",
    )


# The rows of a transactions file the reference checks refuse, in one pass: the same
# conditions as duplicate_key_check, unknown_customer_check, and the account checks.
TRANSACTION_SCAN = (
    "SELECT row_no, first, twice, no_customer, no_account, other_customer FROM ("
    " SELECT s.row_no, d.first, COALESCE(s.row_no > d.first, FALSE) AS twice,"
    " (s.customer_no <> '' AND c.id IS NULL) AS no_customer,"
    " (s.account_no <> '' AND h.id IS NULL) AS no_account,"
    " COALESCE(h.customer_id <> c.id, FALSE) AS other_customer"
    " FROM ingest_stage s"
    " LEFT JOIN (SELECT k, min(row_no) AS first FROM ingest_stage GROUP BY k"
    " HAVING count(*) > 1) d ON d.k = s.k"
    " LEFT JOIN customers_customer c ON c.customer_no = s.customer_no"
    " LEFT JOIN customers_holding h ON h.account_no = s.account_no"
    ") x WHERE twice OR no_customer OR no_account OR other_customer"
)


class TransactionsFeed(FeedSpec):
    feed: ClassVar[Feed] = Feed.TRANSACTIONS
    set_based: ClassVar[bool] = True
    model: ClassVar[type[models.Model]] = Transaction
    key: ClassVar[str] = "txn_ref"
    required: ClassVar[tuple[str, ...]] = (
        "txn_ref",
        "customer_no",
        "account_no",
        "booked_on",
        "kind",
        "amount",
    )
    optional: ClassVar[tuple[str, ...]] = ("currency", "counterparty")
    update_fields: ClassVar[tuple[str, ...]] = (
        "customer_id",
        "account_no",
        "booked_on",
        "kind",
        "amount",
        "currency",
        "counterparty",
    )
    stage: ClassVar[tuple[tuple[str, str], ...]] = (
        ("customer_no", "text"),
        ("account_no", "text"),
        ("booked_on", "date"),
        ("kind", "text"),
        ("amount", "numeric(18,2)"),
        ("currency", "text"),
        ("counterparty", "text"),
    )
    merge_from: ClassVar[str] = (
        "ingest_stage s JOIN customers_customer c ON c.customer_no = s.customer_no"
    )
    # customers_txn_customer_date (customer_id, booked_on DESC) and the foreign key.
    merge_order: ClassVar[str] = "c.id, s.booked_on DESC"

    def __init__(self) -> None:
        super().__init__()
        self.row_parsers = [
            Column("customer_no", code(32), required=True),
            Column("account_no", code(40), required=True),
            Column("booked_on", iso_date, required=True),
            Column("kind", choice(Transaction.Kind.values), required=True),
            # Signed: inflows positive, outflows negative.
            Column("amount", signed_amount, required=True, cached=False),
            Column("currency", currency, default="CNY"),
            Column("counterparty", free_text(200), default=""),
        ]

    def parsers(self) -> list[Column]:
        return self.row_parsers

    def clean(self, number: int, cells: list[Cell], errors: list[RowError]) -> tuple[Any, ...]:
        before = len(errors)
        values = _values(self.row_parsers, cells, number, errors)
        if len(errors) > before:
            return (values[0], values[1])
        return tuple(
            column.default if value is None else value
            for column, value in zip(self.row_parsers, values, strict=True)
        )

    def combine(self, parsed: list[list[Any]]) -> list[list[Any]] | None:
        return [
            values
            if column.default is None
            else [column.default if value is None else value for value in values]
            for column, values in zip(self.row_parsers, parsed, strict=True)
        ]

    def checks(self) -> list[list[Check]]:
        # One pass over the staging table finds every row a reference check refuses
        # (a key twice, an unknown customer or account, another customer's account);
        # each check then reads its rows from that pass's (small) result.
        return [
            [
                Check(
                    self.key,
                    "DUPLICATE_KEY",
                    _("The same key is on row %(row)s."),
                    "SELECT row_no, first FROM ingest_scan WHERE twice",
                    scan=TRANSACTION_SCAN,
                ),
                Check(
                    "customer_no",
                    "UNKNOWN_CUSTOMER",
                    _("No customer has this number."),
                    "SELECT row_no, NULL FROM ingest_scan WHERE no_customer",
                    scan=TRANSACTION_SCAN,
                ),
                Check(
                    "account_no",
                    "UNKNOWN_ACCOUNT",
                    _("No holding has this account number."),
                    "SELECT row_no, NULL FROM ingest_scan WHERE no_account",
                    scan=TRANSACTION_SCAN,
                ),
                Check(
                    "account_no",
                    "ACCOUNT_OF_OTHER_CUSTOMER",
                    _("This account belongs to another customer."),
                    "SELECT row_no, NULL FROM ingest_scan WHERE other_customer",
                    scan=TRANSACTION_SCAN,
                ),
            ]
        ]

    def merge_columns(self) -> dict[str, str]:
        columns = {"txn_ref": "s.k", "customer_id": "c.id"}
        columns |= {name: f"s.{name}" for name, _type in self.stage if name != "customer_no"}
        return columns


def _risk_level(cell: Cell) -> int | str:
    """``R3`` or ``3`` as 3; anything else as written, for the product rules to refuse."""
    value = code_text(cell).upper()
    digits = value.removeprefix("R")
    return int(digits) if digits.isdigit() and len(digits) < 4 else value


_TIER_SPLIT = re.compile(r"[;；、\s]+")


def _tiers(cell: Cell) -> list[str]:
    """Tiers separated by ``;`` (or spaces, ``、``), as written, for the product rules."""
    return [part.lower() for part in _TIER_SPLIT.split(code_text(cell)) if part]


def _lowered(cell: Cell) -> str:
    return code_text(cell).lower()


# A product column left blank (or absent): the model's default, as a new product has.
PRODUCT_BLANK: dict[str, Any] = {
    "term_days": None,
    "yield_low": None,
    "yield_high": None,
    "min_amount": Decimal("0.01"),
    "increment": Decimal("0.01"),
    "currency": "CNY",
    "sale_starts_at": None,
    "sale_ends_at": None,
    "quota": None,
    "target_tiers": [],
    "qualification_needed": "",
    "cooling_off_hours": 0,
    "recording_retention_years": None,
}


class ProductsFeed(FeedSpec):
    """The product shelf, keyed by the core system's product code.

    Every row goes through ``marketing.services.product_fields_clean``, the rules of the
    product page and the API; the cell parsers only read the file's formats. A product is
    withdrawn or closed by its ``status`` column, never by being absent from a file.
    """

    feed: ClassVar[Feed] = Feed.PRODUCTS
    model: ClassVar[type[models.Model]] = Product
    key: ClassVar[str] = "code"
    required: ClassVar[tuple[str, ...]] = (
        "code",
        "name",
        "type",
        "issuer_type",
        "asset_class",
        "risk_level",
        "status",
    )
    optional: ClassVar[tuple[str, ...]] = tuple(PRODUCT_BLANK)
    update_fields: ClassVar[tuple[str, ...]] = (
        "name",
        "type",
        "issuer_type",
        "asset_class",
        "risk_level",
        *PRODUCT_BLANK,
        "status",
    )
    stage: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "text"),
        ("type", "text"),
        ("issuer_type", "text"),
        ("asset_class", "text"),
        ("risk_level", "integer"),
        ("term_days", "integer"),
        ("yield_low", "numeric(7,4)"),
        ("yield_high", "numeric(7,4)"),
        ("min_amount", "numeric(18,2)"),
        ("increment", "numeric(18,2)"),
        ("currency", "text"),
        ("sale_starts_at", "timestamptz"),
        ("sale_ends_at", "timestamptz"),
        ("quota", "numeric(18,2)"),
        ("target_tiers", "jsonb"),
        ("qualification_needed", "text"),
        ("cooling_off_hours", "integer"),
        ("recording_retention_years", "integer"),
        ("status", "text"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.row_parsers = [
            Column("name", free_text(10_000), required=True),
            Column("type", _lowered, required=True),
            Column("issuer_type", _lowered, required=True),
            Column("asset_class", _lowered, required=True),
            Column("risk_level", _risk_level, required=True),
            Column("status", _lowered, required=True),
            Column("term_days", parse_whole),
            Column("yield_low", parse_rate),
            Column("yield_high", parse_rate),
            Column("min_amount", parse_amount),
            Column("increment", parse_amount),
            Column("currency", code_text),
            Column("sale_starts_at", parse_datetime),
            Column("sale_ends_at", parse_datetime),
            Column("quota", parse_amount),
            Column("target_tiers", _tiers, cached=False),
            Column("qualification_needed", _lowered),
            Column("cooling_off_hours", parse_whole),
            Column("recording_retention_years", parse_whole),
        ]
        self.current: dict[str, Product] = {}

    def parsers(self) -> list[Column]:
        return self.row_parsers

    def prepare(self, chunk: Chunk) -> None:
        # The products the chunk changes, locked: what was sold bounds the new quota,
        # and a sale waits for the import rather than overselling a lowered quota.
        codes = set()
        for _number, cells in chunk:
            try:
                codes.add(key_of(cells[self.key_index], max_length=self.key_length))
            except (CellError, IndexError):
                continue
        self.current = {
            product.code: product
            for product in Product.objects.select_for_update().filter(code__in=codes)
        }

    def clean(self, number: int, cells: list[Cell], errors: list[RowError]) -> tuple[Any, ...]:
        from rmdesk.marketing.services import product_fields_clean

        before = len(errors)
        values = _values(self.row_parsers, cells, number, errors)
        if len(errors) > before:
            return ()
        data: dict[str, Any] = {"code": text(cells[self.key_index])}
        for column, value in zip(self.row_parsers, values, strict=True):
            data[column.name] = PRODUCT_BLANK.get(column.name) if value is None else value
        code = key_of(cells[self.key_index], max_length=self.key_length)
        data["code"] = code
        try:
            clean = product_fields_clean(data, current=self.current.get(code))
        except DomainError as exc:
            details = exc.details if isinstance(exc.details, list) else []
            for detail in details:
                errors.append(
                    RowError(
                        number,
                        str(detail.get("field", "")),
                        str(detail.get("code", "INVALID")),
                        str(detail.get("reason", "")),
                    )
                )
            return ()
        ops = connection.ops
        return tuple(
            json.dumps(clean[name])
            if name == "target_tiers"
            else ops.adapt_datetimefield_value(clean[name])
            if name in ("sale_starts_at", "sale_ends_at")
            else clean[name]
            for name, _type in self.stage
        )

    def merge_columns(self) -> dict[str, str]:
        columns = {"code": "s.k"}
        columns |= {name: f"s.{name}" for name, _type in self.stage}
        return columns


FEEDS: dict[str, type[FeedSpec]] = {
    Feed.CUSTOMERS: CustomersFeed,
    Feed.HOLDINGS: HoldingsFeed,
    Feed.TRANSACTIONS: TransactionsFeed,
    Feed.PRODUCTS: ProductsFeed,
}
