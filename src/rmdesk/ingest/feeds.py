"""The three feeds: their columns, and how a chunk of rows becomes model instances.

Each feed turns a chunk of rows (already keyed, de-duplicated) into unsaved model
instances, one per valid row, and a list of row errors. References (org units,
managers, customers, accounts) are resolved with one query per kind per chunk.
Customer fields go through ``customer_fields_clean``, the rules of the page and the API.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from django.db import models
from django.utils.translation import gettext as _

from rmdesk.customers import identifiers
from rmdesk.customers.models import Customer, Holding, Transaction
from rmdesk.customers.services import InvalidFields, _derived, customer_fields_clean
from rmdesk.ingest.models import Feed
from rmdesk.ingest.parsing import (
    Cell,
    CellError,
    code_text,
    flat_text,
    parse_amount,
    parse_bool,
    parse_date,
    text,
)
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.roles import Role

T = TypeVar("T")

_KEY = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.\-/]*")
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    code: str
    reason: str


class RowReader:
    """One data row: typed access to its cells, collecting what is refused."""

    def __init__(self, number: int, values: dict[str, Cell], errors: list[RowError]) -> None:
        self.number = number
        self.values = values
        self._errors = errors
        self.ok = True

    def refuse(self, column: str, code: str, reason: str) -> None:
        self.ok = False
        self._errors.append(RowError(self.number, column, code, reason))

    def blank(self, column: str) -> bool:
        return text(self.values.get(column)).strip() == ""

    def get(self, column: str, parse: Callable[[Cell], T], *, required: bool = False) -> T | None:
        if self.blank(column):
            if required:
                self.refuse(column, "REQUIRED", _("A value is required."))
            return None
        try:
            return parse(self.values[column])
        except CellError as exc:
            self.refuse(column, exc.code, exc.reason)
        except identifiers.IdentifierError as exc:
            self.refuse(column, exc.code, str(exc.message))
        return None


def key_of(raw: Cell, *, max_length: int) -> str:
    """A core-system key: NFKC, letters, digits and ``_ . - /``. Raises CellError."""
    value = code_text(raw)
    if not value:
        raise CellError("REQUIRED", _("A value is required."))
    if len(value) > max_length:
        raise CellError("TOO_LONG", _("At most %(n)s characters.") % {"n": max_length})
    if not _KEY.fullmatch(value):
        raise CellError("BAD_KEY", _("Letters, digits and _ . - / only."))
    return value


def choice(values: Iterable[str]) -> Callable[[Cell], str]:
    allowed = frozenset(values)

    def parse(cell: Cell) -> str:
        value = code_text(cell).lower()
        if value not in allowed:
            raise CellError("BAD_CHOICE", _("Not one of the allowed values."))
        return value

    return parse


def currency(cell: Cell) -> str:
    value = code_text(cell).upper()
    if not _CURRENCY.fullmatch(value):
        raise CellError("BAD_CURRENCY", _("A three-letter currency code such as CNY."))
    return value


def free_text(max_length: int) -> Callable[[Cell], str]:
    """Names and descriptions: NFC, no control characters (the name rules)."""

    def parse(cell: Cell) -> str:
        return identifiers.person_name(flat_text(cell), max_length=max_length)

    return parse


def code(max_length: int) -> Callable[[Cell], str]:
    def parse(cell: Cell) -> str:
        value = code_text(cell)
        if len(value) > max_length:
            raise CellError("TOO_LONG", _("At most %(n)s characters.") % {"n": max_length})
        return value

    return parse


def nonnegative(cell: Cell) -> Decimal:
    amount = parse_amount(cell)
    if amount < 0:
        raise CellError("NEGATIVE_AMOUNT", _("The amount cannot be negative."))
    return amount


Chunk = list[tuple[int, str, dict[str, Cell]]]  # (row number, key, cells by column)


@dataclass
class FeedSpec:
    """What a feed file holds and how its rows map onto one model.

    ``update_fields`` are compared to decide changed/unchanged and overwritten on a
    change; every other column is set on insert only (derived data such as AUM and
    tier is never touched by an import). One instance serves one run.
    """

    feed: ClassVar[Feed]
    model: ClassVar[type[models.Model]]
    key: ClassVar[str]
    required: ClassVar[tuple[str, ...]]
    optional: ClassVar[tuple[str, ...]]
    update_fields: ClassVar[tuple[str, ...]]
    versioned: ClassVar[bool] = False
    # Customers whose derived data (AUM, tier) must be refreshed after the run.
    touched_customers: set[int] = field(default_factory=set)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    key_length: ClassVar[int] = 40

    def clean(self, chunk: Chunk, errors: list[RowError]) -> list[models.Model]:
        raise NotImplementedError


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
# customer_fields_clean names a field as the model does; the file calls it by its column.
MODEL_TO_COLUMN = {"display_name": "name"}


@dataclass
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
    # Identity digest → customer number, across the whole file.
    identities: dict[str, str] = field(default_factory=dict)

    def clean(self, chunk: Chunk, errors: list[RowError]) -> list[models.Model]:
        units = dict(
            OrgUnit.objects.filter(
                code__in={code_text(cells.get("home_unit")) for _, _, cells in chunk}
            ).values_list("code", "pk")
        )
        wanted = {code_text(cells.get("manager")) for _, _, cells in chunk} - {""}
        managers = dict(
            Staff.objects.filter(
                username__in=wanted, is_active=True, roles__role=Role.ACCOUNT_MANAGER
            ).values_list("username", "pk")
        )
        keys = [key for _, key, _ in chunk]
        assisting = dict(
            Customer.objects.filter(
                customer_no__in=keys, assisting_manager__isnull=False
            ).values_list("customer_no", "assisting_manager_id")
        )
        built: list[tuple[int, Customer]] = []
        for number, key, cells in chunk:
            row = RowReader(number, cells, errors)
            kind = row.get("kind", choice(Customer.Kind.values), required=True)
            data: dict[str, Any] = {"display_name": flat_text(cells.get("name"))}
            for column in CUSTOMER_TEXT:
                if column in cells and not row.blank(column):
                    data[column] = flat_text(cells[column])
            for column, choices in CUSTOMER_CHOICES.items():
                if column in cells and not row.blank(column):
                    data[column] = code_text(cells[column]).lower()
                    if data[column] not in choices.values:
                        del data[column]
                        row.refuse(column, "BAD_CHOICE", _("Not one of the allowed values."))
            parsed: dict[str, Any] = {
                "birth_date": row.get("birth_date", parse_date),
                "registered_capital": row.get("registered_capital", nonnegative),
                "marketing_consent": row.get("marketing_consent", parse_bool),
                "do_not_contact": row.get("do_not_contact", parse_bool),
            }
            data |= {name: value for name, value in parsed.items() if value is not None}
            unit_code = row.get("home_unit", code(32), required=True)
            if unit_code and unit_code not in units:
                row.refuse("home_unit", "UNKNOWN_UNIT", _("No org unit has this code."))
            manager = row.get("manager", code(150))
            if manager and manager not in managers:
                row.refuse(
                    "manager", "UNKNOWN_MANAGER", _("No active account manager has this username.")
                )
            elif manager and assisting.get(key) == managers[manager]:
                row.refuse(
                    "manager",
                    "MANAGER_IS_ASSISTING",
                    _("This manager assists the customer already; transfer in rmdesk instead."),
                )
            clean: dict[str, Any] = {}
            if kind:
                try:
                    clean = customer_fields_clean(kind=kind, data=data)
                except InvalidFields as exc:
                    for detail in exc.details:
                        column = MODEL_TO_COLUMN.get(detail["field"], detail["field"])
                        row.refuse(column, detail["code"], detail["reason"])
            if not row.ok or kind is None or unit_code is None:
                continue
            customer = Customer(
                customer_no=key,
                kind=kind,
                home_unit_id=units[unit_code],
                primary_manager_id=managers[manager] if manager else None,
                **(CUSTOMER_DEFAULTS | clean),
            )
            _derived(customer)
            if customer.id_digest:
                holder = self.identities.setdefault(customer.id_digest, key)
                if holder != key:
                    row.refuse(
                        "id_number",
                        "DUPLICATE_IDENTITY",
                        _("Another customer in this file has this identity number."),
                    )
                    continue
            built.append((number, customer))
        # Identity numbers already held by other customers in rmdesk.
        holders = dict(
            Customer.objects.filter(
                id_digest__in=[c.id_digest for _, c in built if c.id_digest]
            ).values_list("id_digest", "customer_no")
        )
        valid: list[models.Model] = []
        for number, customer in built:
            holder_no = holders.get(customer.id_digest)
            if holder_no is not None and holder_no != customer.customer_no:
                errors.append(
                    RowError(
                        number,
                        "id_number",
                        "DUPLICATE_IDENTITY",
                        _("A customer with this identity number already exists."),
                    )
                )
                continue
            valid.append(customer)
        return valid


@dataclass
class HoldingsFeed(FeedSpec):
    feed: ClassVar[Feed] = Feed.HOLDINGS
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

    def clean(self, chunk: Chunk, errors: list[RowError]) -> list[models.Model]:
        customers = dict(
            Customer.objects.filter(
                customer_no__in={code_text(cells.get("customer_no")) for _, _, cells in chunk}
            ).values_list("customer_no", "pk")
        )
        # The holders of accounts that may move to another customer: refreshed too.
        self.touched_customers.update(
            Holding.objects.filter(account_no__in=[key for _, key, _ in chunk]).values_list(
                "customer_id", flat=True
            )
        )
        valid: list[models.Model] = []
        for number, key, cells in chunk:
            row = RowReader(number, cells, errors)
            customer_no = row.get("customer_no", code(32), required=True)
            if customer_no and customer_no not in customers:
                row.refuse("customer_no", "UNKNOWN_CUSTOMER", _("No customer has this number."))
            product_type = row.get(
                "product_type", choice(Holding.ProductType.values), required=True
            )
            money = row.get("currency", currency) or "CNY"
            balance = row.get("balance", nonnegative, required=True)
            balance_cny = row.get("balance_cny", nonnegative)
            if balance_cny is None and row.blank("balance_cny"):
                if money == "CNY":
                    balance_cny = balance
                else:
                    row.refuse(
                        "balance_cny",
                        "REQUIRED",
                        _("The balance in CNY is required for a foreign-currency holding."),
                    )
            opened_on = row.get("opened_on", parse_date, required=True)
            matures_on: date | None = row.get("matures_on", parse_date)
            if opened_on and matures_on and matures_on < opened_on:
                row.refuse(
                    "matures_on", "BAD_DATE_ORDER", _("A holding cannot mature before it opens.")
                )
            status = row.get("status", choice(Holding.Status.values)) or Holding.Status.ACTIVE
            product_code = row.get("product_code", code(40)) or ""
            product_name = row.get("product_name", free_text(200)) or ""
            if (
                not row.ok
                or customer_no is None
                or product_type is None
                or balance is None
                or balance_cny is None
                or opened_on is None
            ):
                continue
            holding = Holding(
                account_no=key,
                customer_id=customers[customer_no],
                product_type=product_type,
                product_code=product_code,
                product_name=product_name,
                currency=money,
                balance=balance,
                balance_cny=balance_cny,
                opened_on=opened_on,
                matures_on=matures_on,
                status=status,
            )
            self.touched_customers.add(holding.customer_id)
            valid.append(holding)
        return valid


@dataclass
class TransactionsFeed(FeedSpec):
    feed: ClassVar[Feed] = Feed.TRANSACTIONS
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

    def clean(self, chunk: Chunk, errors: list[RowError]) -> list[models.Model]:
        customers = dict(
            Customer.objects.filter(
                customer_no__in={code_text(cells.get("customer_no")) for _, _, cells in chunk}
            ).values_list("customer_no", "pk")
        )
        accounts = dict(
            Holding.objects.filter(
                account_no__in={code_text(cells.get("account_no")) for _, _, cells in chunk}
            ).values_list("account_no", "customer_id")
        )
        valid: list[models.Model] = []
        for number, key, cells in chunk:
            row = RowReader(number, cells, errors)
            customer_no = row.get("customer_no", code(32), required=True)
            customer_id = customers.get(customer_no or "")
            if customer_no and customer_id is None:
                row.refuse("customer_no", "UNKNOWN_CUSTOMER", _("No customer has this number."))
            account_no = row.get("account_no", code(40), required=True)
            if account_no and account_no not in accounts:
                row.refuse(
                    "account_no", "UNKNOWN_ACCOUNT", _("No holding has this account number.")
                )
            elif account_no and customer_id and accounts[account_no] != customer_id:
                row.refuse(
                    "account_no",
                    "ACCOUNT_OF_OTHER_CUSTOMER",
                    _("This account belongs to another customer."),
                )
            booked_on = row.get("booked_on", parse_date, required=True)
            kind = row.get("kind", choice(Transaction.Kind.values), required=True)
            # Signed: inflows positive, outflows negative.
            amount = row.get("amount", parse_amount, required=True)
            money = row.get("currency", currency) or "CNY"
            counterparty = row.get("counterparty", free_text(200)) or ""
            if (
                not row.ok
                or customer_id is None
                or account_no is None
                or booked_on is None
                or kind is None
                or amount is None
            ):
                continue
            valid.append(
                Transaction(
                    txn_ref=key,
                    customer_id=customer_id,
                    account_no=account_no,
                    booked_on=booked_on,
                    kind=kind,
                    amount=amount,
                    currency=money,
                    counterparty=counterparty,
                )
            )
        return valid


FEEDS: dict[str, type[FeedSpec]] = {
    Feed.CUSTOMERS: CustomersFeed,
    Feed.HOLDINGS: HoldingsFeed,
    Feed.TRANSACTIONS: TransactionsFeed,
}
