"""Corporate customers: names, sizes, capital, credit codes, groups and key people."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rmdesk.customers.models import Customer, KeyPerson
from rmdesk.demo import identity, people
from rmdesk.demo.columns import Row
from rmdesk.demo.draft import Ids, cents_text

if TYPE_CHECKING:
    from rmdesk.demo.draft import Draft

_CAPITAL_RANGE = {  # registered capital, in units of 10,000 CNY
    Customer.Size.MICRO: (10, 100),
    Customer.Size.SMALL: (100, 1_000),
    Customer.Size.MEDIUM: (1_000, 10_000),
    Customer.Size.LARGE: (10_000, 500_000),
}
_OWNERS = ("企业主", "企业高管", "个体工商户")


class Companies:
    """The batch's companies; the bigger ones employ some of its people (代发工资)."""

    def __init__(self, *, ids: Ids, now: str, today: int, name: Callable[[random.Random], str]):
        self.ids = ids
        self.now = now
        self.today = today
        self.name = name
        self.credit_codes = identity.CreditCodes()
        self.employers: list[tuple[str, float]] = []  # (name, salary multiplier)

    def draw(self, rng: random.Random, customers: Sequence[Draft], groups: list[Row]) -> None:
        """Names, sizes, capital and credit codes; one in ten starts a group of 2-6."""
        rand = rng.random
        companies = [p for p in customers if p.corporate]
        self.employers = []
        now = self.now
        i = 0
        while i < len(companies):
            size = 1
            if rand() < 0.1 and i < len(companies) - 1:
                size = min(2 + int(rand() * 5), len(companies) - i)
            members = companies[i : i + size]
            i += size
            brand = people.brand(rng)
            group_id = None
            if size > 1:
                group_id = self.ids.take("group")
                groups.append((group_id, now, now, f"{brand}集团"))
            for n, company in enumerate(members):
                industry, word, multiplier = people.INDUSTRIES[int(rand() * len(people.INDUSTRIES))]
                roll = rand()
                company.size = (
                    Customer.Size.MICRO
                    if roll < 0.45
                    else Customer.Size.SMALL
                    if roll < 0.78
                    else Customer.Size.MEDIUM
                    if roll < 0.95
                    else Customer.Size.LARGE
                )
                if group_id is not None:
                    company.group_id = group_id
                    if n == 0:
                        company.group_role = Customer.GroupRole.PARENT
                        company.size = Customer.Size.LARGE if roll < 0.5 else Customer.Size.MEDIUM
                        word = "集团"
                    else:
                        company.group_role = Customer.GroupRole.SUBSIDIARY
                large = company.size == Customer.Size.LARGE
                company.name = people.company_name(company.city.short, brand, word, large=large)
                company.industry = industry
                low, high = _CAPITAL_RANGE[company.size]
                capital = int(math.exp(math.log(low) + rand() * math.log(high / low)))
                company.capital = f"{capital * 10_000}.00"
                area = company.city.districts[company.district][0]
                company.id_type = Customer.IdType.USCC
                company.id_number = self.credit_codes.make(rng, area)
                company.since = self.today - int(rand() * 15 * 365)
                if rand() < 0.7:
                    company.mobile = identity.mobile(rng)
                if rand() < 0.3:
                    company.email = f"cw{int(rand() * 10**6):06d}@163.com"
                if company.size != Customer.Size.MICRO:
                    self.employers.append((company.name, multiplier))

    def key_people(self, rng: random.Random, customers: Sequence[Draft], out: list[Row]) -> None:
        """A legal representative each (a third of them customers of the bank too),
        shareholders (the parent, for a subsidiary), and some controllers, finance heads
        and contacts."""
        rand = rng.random
        owners = [
            p
            for p in customers
            if p.occupation in _OWNERS and p.id_type == Customer.IdType.RESIDENT_ID
        ]
        adults = [
            p
            for p in customers
            if p.birth is not None and p.occupation not in ("", "学生", "无业", "退休")
        ]
        parents = {p.group_id: p.name for p in customers if p.group_role == "parent"}
        now = self.now
        take = self.ids.take
        role = KeyPerson.Role
        for company in customers:
            if not company.corporate:
                continue
            linked: Draft | None = None
            if rand() < 0.35 and (owners or adults):
                pool = owners if owners and (rand() < 0.8 or not adults) else adults
                linked = pool[int(rand() * len(pool))]
            if linked is not None:
                rep, rep_mobile, rep_id = linked.name, linked.mobile, linked.id
                if linked.occupation in ("企业主", "企业高管") and not linked.employer:
                    linked.employer = company.name
            else:
                rep, rep_mobile, rep_id = self.name(rng), identity.mobile(rng), None
            company.legal_rep = rep
            cid = company.id
            out.append(
                (take("key_person"), now, now, cid, rep_id, rep, role.LEGAL_REPRESENTATIVE, None,
                 rep_mobile)
            )  # fmt: skip
            if company.group_role == Customer.GroupRole.SUBSIDIARY:
                parent = parents[company.group_id]
                pct = f"{51 + int(rand() * 50)}.00"
                out.append(
                    (take("key_person"), now, now, cid, None, parent, role.SHAREHOLDER, pct, "")
                )
            else:
                left = 10_000  # hundredths of a per cent
                holders = 1 + int(rand() * 3)
                for n in range(holders):
                    part = left if n == holders - 1 else int(left * (0.4 + rand() * 0.4))
                    left -= part
                    name, person_id = (rep, rep_id) if n == 0 else (self.name(rng), None)
                    out.append(
                        (take("key_person"), now, now, cid, person_id, name, role.SHAREHOLDER,
                         cents_text(part), "")
                    )  # fmt: skip
                if rand() < 0.3:
                    out.append(
                        (take("key_person"), now, now, cid, rep_id, rep, role.ACTUAL_CONTROLLER,
                         None, rep_mobile)
                    )  # fmt: skip
            if rand() < 0.6:
                out.append(
                    (take("key_person"), now, now, cid, None, self.name(rng), role.FINANCE_HEAD,
                     None, identity.mobile(rng))
                )  # fmt: skip
            if rand() < 0.3:
                out.append(
                    (take("key_person"), now, now, cid, None, self.name(rng), role.CONTACT, None,
                     identity.mobile(rng))
                )  # fmt: skip
