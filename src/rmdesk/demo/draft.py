"""A customer while its batch is generated, and small helpers the generators share."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from statistics import NormalDist

from rmdesk.customers.models import Tier
from rmdesk.demo.places import City

# Standard normal quantiles: Z[getrandbits(12)] is a draw from N(0, 1), truncated at
# about ±3.5σ, five times cheaper than random.gauss. For amounts of transactions and
# holdings; AUM, whose tail matters, uses random.gauss.
Z: tuple[float, ...] = tuple(NormalDist().inv_cdf((i + 0.5) / 4096) for i in range(4096))


def share(total: int, start: int, stop: int, whole: int) -> int:
    """The part of ``total`` that items [start, stop) of ``whole`` get; parts add up exactly."""
    return total * stop // whole - total * start // whole


def cents_text(cents: int) -> str:
    """Cents as the decimal text the database parses (floats are exact to well past 10^13)."""
    return "%.2f" % (cents / 100)  # noqa: UP031  (the fastest spelling; this runs 10^7 times)


def weighted(pairs: Sequence[tuple[str, int]], size: int = 256) -> tuple[str, ...]:
    """A table of ``size`` entries in which each value appears in proportion to its weight:
    ``table[rng.getrandbits(8)]`` is a weighted pick."""
    total = sum(weight for _value, weight in pairs)
    table: list[str] = []
    cum = 0
    for value, weight in pairs:
        cum += weight
        while len(table) < round(size * cum / total):
            table.append(value)
    return tuple(table)


def pick(rng: random.Random, values: Sequence[str]) -> str:
    return values[int(rng.random() * len(values))]


class Draft:
    """One customer while its batch is generated (amounts in cents, days as ordinals)."""

    __slots__ = (
        "account",
        "address",
        "assisting",
        "aum",
        "birth",
        "capital",
        "city",
        "corporate",
        "demand",
        "district",
        "dormant",
        "email",
        "employer",
        "gender",
        "group_id",
        "group_role",
        "household",
        "id",
        "id_number",
        "id_type",
        "industry",
        "inflow",
        "legal_rep",
        "liabilities",
        "manager",
        "marital",
        "mobile",
        "months",
        "name",
        "nationality",
        "number",
        "occupation",
        "outflow",
        "payday",
        "products",
        "relatives",
        "risk_needed",
        "salary",
        "since",
        "size",
        "surname",
        "tier",
        "tier_since",
        "unit",
    )

    def __init__(self, cid: int, number: int, corporate: bool, unit: int, city: City) -> None:
        self.id = cid
        self.number = number  # 1-based position in the bank: the customer number
        self.corporate = corporate
        self.unit = unit  # index into the generator's units
        self.city = city
        self.district = 0  # index into city.districts
        self.household: int | None = None
        self.group_id: int | None = None
        self.group_role = ""
        self.relatives: tuple[str, ...] = ()
        self.gender = ""
        self.birth: date | None = None
        self.surname = -1
        self.name = ""
        self.nationality = "CN"
        self.id_type = ""
        self.id_number = ""
        self.mobile = ""
        self.email = ""
        self.address = ""
        self.occupation = ""
        self.employer = ""
        self.marital = ""
        self.industry = ""
        self.size = ""
        self.capital: str | None = None
        self.legal_rep = ""
        self.salary = 0  # a month
        self.months = 0  # months of salary paid into this bank in the last year
        self.payday = 10
        self.since = 0  # the day the customer came to the bank
        self.dormant = False
        self.inflow = False  # a large one-off inflow in the last months
        self.outflow = False  # money moving to the customer's accounts at another bank
        self.aum = 0
        self.liabilities = 0
        self.demand = 0  # on the current account
        self.account = ""  # the current account's number
        self.products: list[str] = []
        self.risk_needed = 0
        self.tier: str = Tier.MASS
        self.tier_since: int | None = None
        self.manager: int | None = None
        self.assisting: int | None = None

    def age(self, today: int) -> int:
        return 40 if self.birth is None else (today - self.birth.toordinal()) * 100 // 36525


class Ids:
    """The next primary key of each table, handed out in order."""

    def __init__(self, first: dict[str, int]) -> None:
        self._next = dict(first)

    def reset(self, first: dict[str, int]) -> None:
        self._next = dict(first)

    def take(self, table: str, count: int = 1) -> int:
        first = self._next[table]
        self._next[table] = first + count
        return first


class Days:
    """ISO text of day ordinals, remembered (a bank has only so many distinct days)."""

    def __init__(self) -> None:
        self._text: dict[int, str] = {}

    def __call__(self, ordinal: int) -> str:
        text = self._text.get(ordinal)
        if text is None:
            text = self._text[ordinal] = date.fromordinal(ordinal).isoformat()
        return text
