"""What customers hold: a current account each, then deposits, products, loans and cards.

The number of holdings is exact per batch (the scale's total), spread over customers
by wealth; what each holds follows its kind and AUM band. The AUM is split over the
asset holdings in whole cents, so AUM equals the sum of the active asset holdings
exactly; liabilities are the sum of the loans and cards. Term products mature
somewhere in their term — about one in ten of the yearly ones this month — and a few
holdings are closed (matured or paid off, some only last month).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rmdesk.customers.models import Customer
from rmdesk.customers.models import Holding as H
from rmdesk.demo import identity
from rmdesk.demo.columns import Row
from rmdesk.demo.draft import Days, Ids, Z, cents_text, weighted
from rmdesk.demo.products import BY_CODE, Product, shelf_for

if TYPE_CHECKING:
    from rmdesk.demo.draft import Draft

FX_TO_CNY = {"USD": 7.10, "HKD": 0.91}

_CLOSED = "closed"
# Besides the current account, by AUM band (< 10k, < 50k, < 500k CNY, more).
_INDIVIDUAL_MIX = tuple(
    weighted(band)
    for band in (
        ((H.ProductType.CREDIT_CARD, 45), (H.ProductType.LOAN, 18), (_CLOSED, 22),
         (H.ProductType.FUND, 10), (H.ProductType.WEALTH, 5)),
        ((H.ProductType.TIME_DEPOSIT, 30), (H.ProductType.FUND, 15), (H.ProductType.WEALTH, 12),
         (H.ProductType.CREDIT_CARD, 18), (H.ProductType.LOAN, 10),
         (H.ProductType.PRECIOUS_METAL, 3), (_CLOSED, 12)),
        ((H.ProductType.TIME_DEPOSIT, 25), (H.ProductType.WEALTH, 20),
         (H.ProductType.STRUCTURED_DEPOSIT, 8), (H.ProductType.FUND, 12),
         (H.ProductType.INSURANCE, 8), (H.ProductType.CREDIT_CARD, 10),
         (H.ProductType.LOAN, 8), (H.ProductType.BOND, 3), (H.ProductType.PRECIOUS_METAL, 3),
         (_CLOSED, 5)),
        ((H.ProductType.WEALTH, 25), (H.ProductType.TIME_DEPOSIT, 15),
         (H.ProductType.STRUCTURED_DEPOSIT, 12), (H.ProductType.FUND, 12),
         (H.ProductType.INSURANCE, 10), (H.ProductType.BOND, 8),
         (H.ProductType.PRECIOUS_METAL, 5), (H.ProductType.LOAN, 6),
         (H.ProductType.CREDIT_CARD, 5), (_CLOSED, 2)),
    )
)  # fmt: skip
_CORPORATE_MIX = weighted(
    ((H.ProductType.TIME_DEPOSIT, 25), (H.ProductType.STRUCTURED_DEPOSIT, 12),
     (H.ProductType.WEALTH, 15), (H.ProductType.LOAN, 30), (H.ProductType.BOND, 5),
     (_CLOSED, 13))
)  # fmt: skip
# How much of the AUM each asset type tends to take (times a random factor).
_SPLIT_WEIGHT: dict[str, float] = {
    H.ProductType.DEMAND_DEPOSIT: 1.0,
    H.ProductType.TIME_DEPOSIT: 1.6,
    H.ProductType.STRUCTURED_DEPOSIT: 1.6,
    H.ProductType.WEALTH: 2.0,
    H.ProductType.FUND: 0.8,
    H.ProductType.INSURANCE: 0.8,
    H.ProductType.BOND: 1.0,
    H.ProductType.PRECIOUS_METAL: 0.4,
}
# When an amount is below every minimum of a type, the customer holds this instead.
_FALLBACK: dict[str, str] = {
    H.ProductType.STRUCTURED_DEPOSIT: H.ProductType.TIME_DEPOSIT,
    H.ProductType.TIME_DEPOSIT: H.ProductType.FUND,
    H.ProductType.INSURANCE: H.ProductType.FUND,
    H.ProductType.PRECIOUS_METAL: H.ProductType.FUND,
    H.ProductType.BOND: H.ProductType.FUND,
    H.ProductType.WEALTH: H.ProductType.FUND,
}
# Products whose sale needs a risk assessment at or above the product's level.
RISKY_TYPES = frozenset(
    {
        H.ProductType.STRUCTURED_DEPOSIT,
        H.ProductType.WEALTH,
        H.ProductType.FUND,
        H.ProductType.INSURANCE,
        H.ProductType.BOND,
        H.ProductType.PRECIOUS_METAL,
    }
)
SIZE_FACTOR: dict[str, float] = {
    Customer.Size.MICRO: 0.2,
    Customer.Size.SMALL: 0.8,
    Customer.Size.MEDIUM: 4.0,
    Customer.Size.LARGE: 25.0,
}
_OWED_MEDIAN = {  # CNY
    "CC-STD": 3_000,
    "CC-PLT": 12_000,
    "LN-MTG": 800_000,
    "LN-CON": 60_000,
    "LN-BIZ": 500_000,
    "LN-WC": 2_000_000,
    "LN-FA": 5_000_000,
}
_E07 = tuple(math.exp(0.7 * z) for z in Z)
_ACTIVE = str(H.Status.ACTIVE.value)
_CLOSED_STATUS = str(H.Status.CLOSED.value)


class Holdings:
    def __init__(self, *, today: int, ids: Ids, days: Days, now: str) -> None:
        self.today = today
        self.ids = ids
        self.days = days
        self.now = now
        self.shelves = {
            (kind, corporate): shelf_for(kind, corporate=corporate)
            for kind in H.ProductType.values
            for corporate in (False, True)
        }
        self.demand_personal = self.shelves[H.ProductType.DEMAND_DEPOSIT, False][0]
        self.demand_corporate = self.shelves[H.ProductType.DEMAND_DEPOSIT, True][0]

    def write(
        self, rng: random.Random, customers: Sequence[Draft], extras: int, out: list[Row]
    ) -> None:
        """A current account each, and ``extras`` more holdings spread by wealth."""
        weights = [
            0.2
            if person.dormant
            else (3.0 if person.corporate else 1.0) + 0.3 * math.log10(person.aum / 100 + 1)
            for person in customers
        ]
        counts = [0] * len(customers)
        for i in rng.choices(range(len(customers)), weights=weights, k=extras):
            counts[i] += 1
        for person, count in zip(customers, counts, strict=True):
            self._customer(rng, person, count, out)

    def _customer(self, rng: random.Random, person: Draft, count: int, out: list[Row]) -> None:
        rand, bits = rng.random, rng.getrandbits
        if person.corporate:
            kinds = [_CORPORATE_MIX[bits(8)] for _ in range(count)]
        else:
            aum = person.aum
            band = 0 if aum < 1_000_000 else 1 if aum < 5_000_000 else 2 if aum < 50_000_000 else 3
            mix = _INDIVIDUAL_MIX[band]
            kinds = [mix[bits(8)] for _ in range(count)]
        # Split the AUM in whole cents; the remainder stays on the current account.
        assets = [H.ProductType.DEMAND_DEPOSIT, *(k for k in kinds if k in _SPLIT_WEIGHT)]
        split = [_SPLIT_WEIGHT[k] * (0.3 + rand()) for k in assets]
        total = sum(split)
        amounts = [int(person.aum * w / total) for w in split]
        amounts[0] += person.aum - sum(amounts)
        person.demand = amounts[0]
        next_amount = iter(amounts[1:])
        rows: list[Row] = []
        now, days = self.now, self.days
        for kind in kinds:
            serial = self.ids.take("holding")
            if kind == _CLOSED:
                rows.append(self._closed(rng, person, serial))
                continue
            currency = "CNY"
            if kind in _SPLIT_WEIGHT:
                amount = balance = next(next_amount)
                product = self._product(rng, kind, amount, person.corporate)
                if product.type in RISKY_TYPES:
                    person.risk_needed = max(person.risk_needed, product.risk)
                person.products.append(product.name)
                if product.type == H.ProductType.TIME_DEPOSIT and amount >= 5_000_000:
                    roll = rand()
                    if roll < 0.05:  # a foreign-currency deposit
                        currency = "USD" if roll < 0.04 else "HKD"
                        balance = round(amount / FX_TO_CNY[currency])
            else:  # a loan or a card
                product = self._liability(rng, person, kind)
                amount = balance = self._owed(rng, person, product)
                person.liabilities += amount
            opened, matures = self._dates(rng, person, product)
            if product.type == H.ProductType.CREDIT_CARD:
                account = identity.luhn_complete(f"62258{serial % 10**10:010d}")
            else:
                account = f"{product.account_prefix}{serial:016d}"
            rows.append(
                (serial, now, now, person.id, account, product.type, product.code, product.name,
                 currency, cents_text(balance), cents_text(amount), days(opened),
                 None if matures is None else days(matures), _ACTIVE)
            )  # fmt: skip
        serial = self.ids.take("holding")
        if person.corporate:
            product = self.demand_corporate
            person.account = f"11{serial:016d}"
        else:
            product = self.demand_personal
            person.account = identity.luhn_complete(f"621700{serial % 10**12:012d}")
        text = cents_text(person.demand)
        rows.append(
            (serial, now, now, person.id, person.account, product.type, product.code,
             product.name, "CNY", text, text, days(person.since), None, _ACTIVE)
        )  # fmt: skip
        # In the order of the (customer, product_type) index; keys follow the rows.
        rows.sort(key=lambda row: row[5])
        first = min(row[0] for row in rows)
        out.extend((first + i, *row[1:]) for i, row in enumerate(rows))

    def _closed(self, rng: random.Random, person: Draft, serial: int) -> Row:
        """A deposit or product that matured in the last two years (a fifth of them lately)."""
        rand = rng.random
        roll = rand()
        kind = (
            H.ProductType.TIME_DEPOSIT
            if roll < 0.6
            else H.ProductType.WEALTH
            if roll < 0.9
            else H.ProductType.STRUCTURED_DEPOSIT
        )
        product = self._product(rng, kind, 10**12, person.corporate)
        term = product.term_days or 365
        matures = self.today - 1 - int(rand() * (60 if rand() < 0.2 else 720))
        person.since = min(person.since, matures - term)
        now = self.now
        return (
            serial, now, now, person.id, f"{product.account_prefix}{serial:016d}", product.type,
            product.code, product.name, "CNY", "0.00", "0.00", self.days(matures - term),
            self.days(matures), _CLOSED_STATUS,
        )  # fmt: skip

    def _product(self, rng: random.Random, kind: str, amount: int, corporate: bool) -> Product:
        """A product of ``kind`` whose minimum ``amount`` (cents) meets, else a fallback's."""
        while True:
            shelf = self.shelves[kind, corporate]
            fits = 0
            while fits < len(shelf) and shelf[fits].minimum * 100 <= amount:
                fits += 1  # the shelf is sorted by minimum
            if fits:
                return shelf[int(rng.random() * fits)]
            if kind not in _FALLBACK:
                return shelf[0]
            kind = _FALLBACK[kind]

    def _liability(self, rng: random.Random, person: Draft, kind: str) -> Product:
        if kind == H.ProductType.CREDIT_CARD:
            return BY_CODE["CC-PLT" if person.aum >= 50_000_000 else "CC-STD"]
        if person.corporate:
            return BY_CODE["LN-WC" if rng.random() < 0.7 else "LN-FA"]
        age = person.age(self.today)
        if 25 <= age <= 60 and rng.random() < 0.5:
            return BY_CODE["LN-MTG"]
        if person.occupation in ("个体工商户", "企业主") and rng.random() < 0.6:
            return BY_CODE["LN-BIZ"]
        return BY_CODE["LN-CON"]

    def _owed(self, rng: random.Random, person: Draft, product: Product) -> int:
        """The outstanding balance of a loan or card."""
        if product.type == H.ProductType.CREDIT_CARD and rng.random() < 0.2:
            return 0  # paid off this month
        median = _OWED_MEDIAN[product.code] * SIZE_FACTOR.get(person.size, 1.0)
        return int(median * _E07[rng.getrandbits(12)]) * 100

    def _dates(self, rng: random.Random, person: Draft, product: Product) -> tuple[int, int | None]:
        """(opened, matures); the customer's arrival moves earlier if need be."""
        today = self.today
        rand = rng.random
        matures: int | None
        if product.code == "LN-MTG":
            opened = today - int(rand() * min(10 * 365, today - person.since))
            matures = opened + (20, 25, 30)[int(rand() * 3)] * 365
        elif product.term_days is None:
            opened = today - int(rand() * min(5 * 365, today - person.since))
            matures = None
        else:
            term = product.term_days
            matures = today + 1 + int(rand() * term)
            opened = matures - term
        person.since = min(person.since, opened)
        return opened, matures
