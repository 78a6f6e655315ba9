"""A year of each customer's transactions, for later issues to mine.

People: a salary or pension on the same day each month (some only for the last few
months: new payroll customers; a double one in December for some), spending at
merchants, transfers in and out (often with family), transfers to other banks,
product purchases and redemptions, quarterly interest on the current account. Some
customers get one large inflow in the last four months, and some move money in a run
of transfers to their own account at another bank in the last three months.
Companies: monthly payroll, customer receipts and supplier payments, and the same
one-off events. Every row books on the customer's current account.

This is the hottest code of the seed (ten million rows at bench scale): table
lookups instead of ``random.gauss`` and weighted choices.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING

from rmdesk.customers.models import Customer
from rmdesk.customers.models import Transaction as Txn
from rmdesk.demo import people
from rmdesk.demo.columns import Row
from rmdesk.demo.draft import Z, cents_text, weighted

if TYPE_CHECKING:
    from rmdesk.demo.draft import Draft

DAYS = 365  # the transactions cover the last year, today included

Booked = tuple[int, str, int, str]  # (day index, kind, signed cents, counterparty)

# Plain strings, not enum members: compared and written ten million times.
SALARY = str(Txn.Kind.SALARY.value)
SPENDING = str(Txn.Kind.SPENDING.value)
TRANSFER_IN = str(Txn.Kind.TRANSFER_IN.value)
TRANSFER_OUT = str(Txn.Kind.TRANSFER_OUT.value)
OTHER_BANK = str(Txn.Kind.TRANSFER_OUT_OTHER_BANK.value)
LARGE_INFLOW = str(Txn.Kind.LARGE_INFLOW.value)
INTEREST = str(Txn.Kind.INTEREST.value)
PURCHASE = str(Txn.Kind.PRODUCT_PURCHASE.value)
REDEMPTION = str(Txn.Kind.PRODUCT_REDEMPTION.value)

_INDIVIDUAL_KINDS = weighted(
    (
        (SPENDING, 62),
        (TRANSFER_OUT, 12),
        (TRANSFER_IN, 12),
        (OTHER_BANK, 5),
        (PURCHASE, 5),
        (REDEMPTION, 4),
    )
)
_CORPORATE_KINDS = weighted(
    (
        (TRANSFER_IN, 45),
        (TRANSFER_OUT, 38),
        (OTHER_BANK, 7),
        (PURCHASE, 5),
        (REDEMPTION, 5),
    )
)
# e^(σZ): lognormal factors for amounts.
_E1 = tuple(math.exp(z) for z in Z)
_E08 = tuple(math.exp(0.8 * z) for z in Z)
_SIZE_FACTOR: dict[str, float] = {
    Customer.Size.MICRO: 0.2,
    Customer.Size.SMALL: 0.8,
    Customer.Size.MEDIUM: 4.0,
    Customer.Size.LARGE: 25.0,
}
_MERCHANTS = tuple(people.MERCHANTS[i * len(people.MERCHANTS) // 256] for i in range(256))


class Flows:
    """Transactions of the year to ``today``; counterparties drawn from pools made once."""

    def __init__(self, *, today: date, seed: int) -> None:
        first = today.toordinal() - DAYS + 1
        days = [date.fromordinal(first + k) for k in range(DAYS)]
        self.day_text = [day.isoformat() for day in days]
        self.december = [day.month == 12 for day in days]
        self.paydays = {
            payday: [k for k, day in enumerate(days) if day.day == payday][-12:]
            for payday in range(1, 29)
        }
        self.quarter_days = [
            k for k, day in enumerate(days) if day.day == 21 and day.month % 3 == 0
        ]
        rng = random.Random(seed * 31 + 7)
        self.names = tuple(_a_name(rng) for _ in range(4096))
        industries = [word for _industry, word, _multiplier in people.INDUSTRIES]
        self.firms = tuple(
            f"{people.brand(rng)}{industries[int(rng.random() * len(industries))]}有限公司"
            for _ in range(4096)
        )
        self.banks = tuple(
            people.OTHER_BANKS[i * len(people.OTHER_BANKS) // 256] for i in range(256)
        )

    def counts(self, rng: random.Random, customers: Sequence[Draft], budget: int) -> list[int]:
        """How many transactions each customer booked, ``budget`` in all: salary months
        first (fewer if the budget is tiny), the rest in proportion to activity."""
        months = [person.months if person.salary else 0 for person in customers]
        excess = sum(months) - budget
        for i in range(len(months) - 1, -1, -1):
            if excess <= 0:
                break
            cut = min(months[i], excess)
            months[i] -= cut
            excess -= cut
        for person, m in zip(customers, months, strict=True):
            person.months = m
        weights = [
            0.0
            if person.dormant
            else 2.5
            if person.corporate
            else 0.5
            if person.occupation == "学生"
            else 0.7
            if person.occupation == "退休"
            else 1.0
            for person in customers
        ]
        counts = list(months)
        rest = budget - sum(months)
        if rest > 0:
            if not any(weights):
                weights = [1.0] * len(customers)
            for i in rng.choices(range(len(customers)), weights=weights, k=rest):
                counts[i] += 1
        return counts

    def rows(
        self, rng: random.Random, customers: Sequence[Draft], counts: Sequence[int], first_id: int
    ) -> Iterator[Row]:
        """Rows for ``customers``, numbered from ``first_id``, by customer and day."""
        next_id = first_id
        day_text = self.day_text
        for person, count in zip(customers, counts, strict=True):
            if not count:
                continue
            if person.corporate:
                booked = self._company(rng, person, count)
            else:
                booked = self._person(rng, person, count)
            # Newest first, and references in key order: the rows then arrive in the order
            # of the (customer, booked_on DESC) and txn_ref indexes, which makes building
            # those indexes after a bulk load a presorted, near-linear pass.
            booked.sort(reverse=True)
            account, cid = person.account, person.id
            for day, kind, cents, counterparty in booked:
                yield (
                    next_id,
                    f"TX{next_id:016d}",
                    cid,
                    account,
                    day_text[day],
                    kind,
                    cents_text(cents),
                    "CNY",
                    counterparty,
                )
                next_id += 1

    def _events(self, rng: random.Random, person: Draft, left: int, booked: list[Booked]) -> int:
        """A large inflow, a run of transfers to another bank, interest; returns what is left."""
        rand = rng.random
        if left and person.inflow:
            amount = max(5_000_000, int(person.aum * (0.3 + rand())), person.salary * 10)
            sources = people.LARGE_INFLOWS_CORPORATE if person.corporate else people.LARGE_INFLOWS
            source = sources[int(rand() * len(sources))]
            booked.append((DAYS - 1 - int(rand() * 120), LARGE_INFLOW, amount, source))
            left -= 1
        if left and person.outflow:
            runs = min(left, 1 + int(rand() * 3))
            bank = self.banks[rng.getrandbits(8)]
            to = f"{bank}（本单位账户）" if person.corporate else f"本人{bank}账户"
            for _ in range(runs):
                amount = max(2_000_000, int(person.aum * (0.1 + 0.3 * rand())))
                booked.append((DAYS - 1 - int(rand() * 90), OTHER_BANK, -amount, to))
            left -= runs
        if left >= 16 and person.demand >= 100_000:
            interest = max(1, int(person.demand * 0.0015 / 4))
            for day in self.quarter_days:
                booked.append((day, INTEREST, interest, "活期结息"))
            left -= len(self.quarter_days)
        return left

    def _person(self, rng: random.Random, person: Draft, count: int) -> list[Booked]:
        rand, bits = rng.random, rng.getrandbits
        booked: list[Booked] = []
        if person.months:
            bonus = rand() < 0.3
            december = self.december
            for day in self.paydays[person.payday][-person.months :]:
                amount = int(person.salary * (0.97 + 0.06 * rand()))
                if bonus and december[day]:
                    amount *= 2
                booked.append((day, SALARY, amount, person.employer))
        left = self._events(rng, person, count - len(booked), booked)
        wealth = 1.0 + math.log10(person.aum / 100 + 10) / 3
        names, relatives, products = self.names, person.relatives, person.products
        for _ in range(left):
            kind = _INDIVIDUAL_KINDS[bits(8)]
            day = int(rand() * DAYS)
            if kind == SPENDING:
                amount = -int(12_000 * wealth * _E1[bits(12)])
                counterparty = _MERCHANTS[bits(8)]
            elif kind in (TRANSFER_OUT, TRANSFER_IN):
                amount = int(200_000 * wealth * _E1[bits(12)])
                if kind == TRANSFER_OUT:
                    amount = -amount
                counterparty = (
                    relatives[int(rand() * len(relatives))]
                    if relatives and rand() < 0.5
                    else names[bits(12)]
                )
            elif kind == OTHER_BANK:
                amount = -int(500_000 * wealth * _E1[bits(12)])
                counterparty = f"{self.banks[bits(8)]} {names[bits(12)]}"
            else:  # buying or redeeming a product
                amount = int(2_000_000 * wealth * _E08[bits(12)])
                if kind == PURCHASE:
                    amount = -amount
                counterparty = (
                    products[int(rand() * len(products))] if products else "天天利现金管理"
                )
            booked.append((day, kind, amount, counterparty))
        return booked

    def _company(self, rng: random.Random, person: Draft, count: int) -> list[Booked]:
        rand, bits = rng.random, rng.getrandbits
        booked: list[Booked] = []
        scale = _SIZE_FACTOR.get(person.size, 1.0)
        if person.size != Customer.Size.MICRO and count >= 3:
            payroll = int(30_000_000 * scale * math.exp(0.5 * Z[bits(12)]))
            for day in self.paydays[10][-min(12, count // 3) :]:
                amount = -int(payroll * (0.95 + 0.1 * rand()))
                booked.append((day, TRANSFER_OUT, amount, "代发工资"))
        left = self._events(rng, person, count - len(booked), booked)
        city = person.city.short
        firms, products = self.firms, person.products
        for _ in range(left):
            kind = _CORPORATE_KINDS[bits(8)]
            amount = max(100, int(3_000_000 * scale * _E1[bits(12)]))
            if kind in (TRANSFER_IN, TRANSFER_OUT):
                counterparty = city + firms[bits(12)]
            elif kind == OTHER_BANK:
                counterparty = f"{self.banks[bits(8)]} {city}{firms[bits(12)]}"
            else:
                counterparty = products[int(rand() * len(products))] if products else "对公稳利90天"
            if kind != TRANSFER_IN and kind != REDEMPTION:
                amount = -amount
            booked.append((int(rand() * DAYS), kind, amount, counterparty))
        return booked


def _a_name(rng: random.Random) -> str:
    gender = "male" if rng.random() < 0.55 else "female"
    year = 1950 + int(rng.random() * 55)
    return people.SURNAMES[people.surname_pick(rng)] + people.given_name(rng, gender, year)
