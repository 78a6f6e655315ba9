"""The synthetic bank's customers, generated in batches as rows ready to load.

Nothing here touches the database: given the org (sub-branches and their managers),
the tier rules, the day and a seed, ``BankGenerator.batches()`` yields the same rows
every time. A batch is self-contained — its households, corporate groups, key people
and referrals link customers of the same batch — so memory stays flat however big
the bank is, and the counts of customers, holdings and transactions are exact.

The shape (tests and later issues rely on it):

- 12 % companies (see ``companies``); the rest people with resident identity numbers
  that carry their birth date and gender, and a few passports and Hong Kong or Macao
  permits. Names follow real surname frequencies and the fashion of the birth decade.
- About 30 % of people live in households of 2-4 (couples, children with the father's
  surname, a parent); members share the sub-branch, the address and the manager.
- AUM is lognormal with a heavy tail: four customers in five hold under 50,000 CNY,
  about 5 % are gold or above and a few in a thousand private-banking clients. The
  tier is what the bank's tier rules give for the AUM; the upgrade that led there is
  in the tier history.
- Holdings (see ``holdings``), a year of transactions (see ``flows``), managers and
  referrals (see ``relations``).
"""

from __future__ import annotations

import math
import multiprocessing as mp
import random
import zlib
from bisect import bisect
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from multiprocessing.pool import AsyncResult

from rmdesk.customers.models import Customer, Tier
from rmdesk.customers.search import name_tokens
from rmdesk.demo import identity, people, relations
from rmdesk.demo.columns import TABLES, Row
from rmdesk.demo.companies import Companies
from rmdesk.demo.draft import Days, Draft, Ids, cents_text, share
from rmdesk.demo.flows import Flows
from rmdesk.demo.holdings import Holdings
from rmdesk.demo.places import ALL_DISTRICT_CODES, ROADS, City

CORPORATE_SHARE = 0.12
TIER_ORDER: tuple[str, ...] = (Tier.MASS, Tier.SILVER, Tier.GOLD, Tier.DIAMOND, Tier.PRIVATE)
RISK_LEVEL_CUM = (10, 40, 75, 93, 100)  # C1…C5: 10 %, 30 %, 35 %, 18 %, 7 %
_AGE_BANDS = (  # (from, to, cumulative share): a retail book leans to working age
    (18, 25, 0.12),
    (26, 35, 0.35),
    (36, 45, 0.56),
    (46, 55, 0.75),
    (56, 65, 0.89),
    (66, 80, 0.98),
    (81, 92, 1.0),
)
_EMAIL_DOMAINS = ("163.com", "126.com", "sina.com", "outlook.com", "gmail.com")
_INDIVIDUAL = str(Customer.Kind.INDIVIDUAL.value)
_CORPORATE = str(Customer.Kind.CORPORATE.value)


@dataclass(frozen=True)
class Unit:
    """A sub-branch customers are homed in, and its account managers."""

    id: int
    city: City
    district: int  # index into city.districts
    retail: tuple[int, ...]
    corporate: tuple[int, ...]


@dataclass(frozen=True)
class Volumes:
    customers: int
    holdings: int
    transactions: int


@dataclass
class Batch:
    """The rows of one batch, table by table; transactions are made as they are written."""

    index: int
    customers: int
    rows: dict[str, list[Row]]
    transactions: Iterable[Row]
    transaction_count: int


class BankGenerator:
    """Rows for ``volumes`` customers of a bank with ``units``, deterministic in ``seed``."""

    def __init__(
        self,
        *,
        units: Sequence[Unit],
        volumes: Volumes,
        tier_rules: Sequence[tuple[str, int]],
        today: date,
        now_text: str,
        stamp: Callable[[date, str], str],
        first_ids: dict[str, int],
        seed: int,
        batch_size: int = 20_000,
    ) -> None:
        """``tier_rules``: (tier, minimum AUM in cents). ``stamp(day, "HH:MM:SS")`` is the
        database's text for that moment in UTC; ``now_text`` is now in that form.
        ``first_ids``: the first primary key to use in each table."""
        if volumes.holdings < volumes.customers:
            raise ValueError("Every customer has an account: holdings must be ≥ customers.")
        if not any(unit.retail or unit.corporate for unit in units):
            raise ValueError("The bank needs sub-branches with account managers.")
        self.units = list(units)
        self.volumes = volumes
        self.rules = sorted(tier_rules, key=lambda rule: -rule[1])
        self.minimum = dict(tier_rules)
        self.today = today.toordinal()
        self.now = now_text
        self.stamp = stamp
        self.seed = seed
        self.batch_size = batch_size
        self.first_ids = {table: first_ids[table] for table in TABLES}
        self.ids = Ids(self.first_ids)
        self.days = Days()
        self.resident_ids = identity.ResidentIds()
        self.id_digest = identity.digester("id")
        self.mobile_digest = identity.digester("mobile")
        self.companies = Companies(ids=self.ids, now=now_text, today=self.today, name=self._name)
        self.holdings = Holdings(today=self.today, ids=self.ids, days=self.days, now=now_text)
        self.flows = Flows(today=today, seed=seed)
        self._tokens: dict[str, str] = {}
        # Sub-branches differ in size: some serve three times as many customers as others.
        rng = random.Random(seed)
        self._unit_cum = tuple(accumulate(0.5 + rng.random() for _ in self.units))

    def tier_of(self, aum: int) -> str:
        for tier, minimum in self.rules:
            if aum >= minimum:
                return tier
        return Tier.MASS

    def batches(self, *, workers: int = 1) -> Iterator[Batch]:
        """Every batch, in order; made by ``workers`` forked processes when more than one.

        Batches keep batch-local keys for the tables whose row counts vary, and identity
        numbers unique within the batch: pass each through an ``Assembler``, in order.
        """
        total = self.volumes.customers
        spans = [
            (index, start, min(total, start + self.batch_size))
            for index, start in enumerate(range(0, total, self.batch_size))
        ]
        if workers <= 1 or len(spans) < 2 or "fork" not in mp.get_all_start_methods():
            for span in spans:
                yield self.batch(*span)
            return
        yield from _in_workers(self, spans, workers)

    def batch(self, index: int, start: int, stop: int) -> Batch:
        """Customers [start, stop) of the bank: the same rows whenever and wherever made."""
        rng = random.Random(self.seed * 100_003 + index)
        volumes = self.volumes
        # Keys: exact for the tables whose counts are fixed per batch, from 0 for the others.
        starts = dict.fromkeys(TABLES, 0)
        starts["customer"] = self.first_ids["customer"] + start
        starts["holding"] = (
            self.first_ids["holding"]
            + start
            + share(volumes.holdings - volumes.customers, 0, start, volumes.customers)
        )
        starts["transaction"] = self.first_ids["transaction"] + share(
            volumes.transactions, 0, start, volumes.customers
        )
        self.ids.reset(starts)
        self.resident_ids.forget()
        self.companies.credit_codes.forget()
        rows: dict[str, list[Row]] = {table: [] for table in TABLES if table != "transaction"}
        customers = self._customers(rng, start, stop)
        households = self._households(rng, customers)
        self.companies.draw(rng, customers, rows["group"])
        for person in customers:
            if not person.corporate and person.household is None:
                self._person(rng, person)
        for members in households.values():
            self._family(rng, members)
        self._household_rows(households, rows)
        self._addresses(rng, customers)
        self.companies.key_people(rng, customers, rows["key_person"])
        for person in customers:
            self._wealth(rng, person)
        extras = share(volumes.holdings - volumes.customers, start, stop, volumes.customers)
        self.holdings.write(rng, customers, extras, rows["holding"])
        self._tiers(rng, customers, rows["tier_change"])
        heads = {hid: members[0][0] for hid, members in households.items()}
        relations.assignments(
            rng,
            customers,
            heads,
            self.units,
            ids=self.ids,
            today=self.today,
            stamp=self.stamp,
            out=rows["assignment"],
        )
        relations.referrals(
            rng, customers, self.units, ids=self.ids, days=self.days, now=self.now,
            out=rows["referral"],
        )  # fmt: skip
        rows["customer"] = [self._customer_row(rng, person) for person in customers]
        budget = share(volumes.transactions, start, stop, volumes.customers)
        counts = self.flows.counts(rng, customers, budget)
        first_txn = self.ids.take("transaction", budget)
        flow_rng = random.Random((self.seed * 100_003 + index) * 7 + 3)
        return Batch(
            index=index,
            customers=stop - start,
            rows=rows,
            transactions=self.flows.rows(flow_rng, customers, counts, first_txn),
            transaction_count=budget,
        )

    # --- who and where ----------------------------------------------------------------

    def _customers(self, rng: random.Random, start: int, stop: int) -> list[Draft]:
        first = self.ids.take("customer", stop - start)
        cum, top, units = self._unit_cum, self._unit_cum[-1], self.units
        customers = []
        for i in range(stop - start):
            corporate = rng.random() < CORPORATE_SHARE
            unit = bisect(cum, rng.random() * top)
            city = units[unit].city
            person = Draft(first + i, start + i + 1, corporate, unit, city)
            # Most live (or are registered) in their sub-branch's district.
            person.district = (
                units[unit].district
                if rng.random() < 0.6
                else int(rng.random() * len(city.districts))
            )
            customers.append(person)
        return customers

    def _households(
        self, rng: random.Random, customers: list[Draft]
    ) -> dict[int, list[tuple[Draft, str]]]:
        """About 30 % of the people, in households of 2-4 that bank at one sub-branch."""
        singles = [p for p in customers if not p.corporate]
        households: dict[int, list[tuple[Draft, str]]] = {}
        i = 0
        while i < len(singles) - 1:
            if rng.random() >= 0.135:
                i += 1
                continue
            roll = rng.random()
            size = min(2 if roll < 0.55 else 3 if roll < 0.85 else 4, len(singles) - i)
            group = singles[i : i + size]
            i += size
            if size == 2:
                roles = ["head", "spouse"] if rng.random() < 0.7 else ["head", "child"]
            elif size == 3:
                roles = ["head", "spouse", "child"]
            else:
                roles = ["head", "spouse", "child", "child" if rng.random() < 0.7 else "parent"]
            head = group[0]
            household_id = self.ids.take("household")
            for person in group:
                person.household = household_id
                person.unit, person.city, person.district = head.unit, head.city, head.district
            households[household_id] = list(zip(group, roles, strict=True))
        return households

    def _household_rows(
        self, households: dict[int, list[tuple[Draft, str]]], rows: dict[str, list[Row]]
    ) -> None:
        now = self.now
        for household_id, members in households.items():
            rows["household"].append((household_id, now, now, f"{members[0][0].name}家庭"))
            for person, role in members:
                member_id = self.ids.take("member")
                rows["member"].append((member_id, now, now, household_id, person.id, role))

    def _addresses(self, rng: random.Random, customers: list[Draft]) -> None:
        rand = rng.random
        shared: dict[int, str] = {}
        for person in customers:
            if person.household is not None and person.household in shared:
                person.address = shared[person.household]
                continue
            road = ROADS[int(rand() * len(ROADS))]
            number = 1 + int(rand() * 300)
            if person.corporate:
                tower = person.name[len(person.city.short) :][:2]
                person.address = f"{road}{number}号{tower}大厦{1 + int(rand() * 30)}层"
            else:
                person.address = (
                    f"{road}{number}号{1 + int(rand() * 20)}栋{1 + int(rand() * 4)}单元"
                    f"{1 + int(rand() * 32)}{1 + int(rand() * 4):02d}室"
                )
            if person.household is not None:
                shared[person.household] = person.address

    # --- people -----------------------------------------------------------------------

    def _name(self, rng: random.Random) -> str:
        gender = "male" if rng.random() < 0.6 else "female"
        year = 1955 + int(rng.random() * 45)
        return people.SURNAMES[people.surname_pick(rng)] + people.given_name(rng, gender, year)

    def _family(self, rng: random.Random, members: list[tuple[Draft, str]]) -> None:
        head = members[0][0]
        roles = [role for _person, role in members]
        head_male = rng.random() < (0.85 if "spouse" in roles else 0.6)
        head_age = 30 + int(rng.random() * (31 if "parent" in roles else 41))
        head_surname = people.surname_pick(rng)
        self._person(rng, head, "male" if head_male else "female", head_age, head_surname)
        father_surname, mother_age = head_surname, head_age
        for person, role in members[1:]:
            if role == "spouse":
                age = max(22, head_age - 5 + int(rng.random() * 8)) if head_male else head_age + 2
                surname = people.surname_pick(rng)
                self._person(rng, person, "female" if head_male else "male", age, surname)
                if head_male:
                    mother_age = age
                else:
                    father_surname = surname
                person.marital = head.marital = Customer.Marital.MARRIED
            elif role == "child":
                age = max(1, mother_age - 22 - int(rng.random() * 13))
                surname = father_surname if rng.random() < 0.95 else people.surname_pick(rng)
                gender = "male" if rng.random() < 0.5 else "female"
                self._person(rng, person, gender, age, surname)
            else:  # the head's parent; a father shares the head's surname
                age = min(92, head_age + 24 + int(rng.random() * 10))
                father = rng.random() < 0.5
                surname = head_surname if father else people.surname_pick(rng)
                self._person(rng, person, "male" if father else "female", age, surname)
        names = tuple(person.name for person, _role in members)
        for person, _role in members:
            person.relatives = tuple(name for name in names if name != person.name)

    def _person(
        self,
        rng: random.Random,
        person: Draft,
        gender: str | None = None,
        age: int = 0,
        surname: int | None = None,
    ) -> None:
        rand = rng.random
        if gender is None:
            gender = "male" if rand() < 0.5 else "female"
            roll = rand()
            low, high, _cum = next(band for band in _AGE_BANDS if roll < band[2])
            age = low + int(rand() * (high - low + 1))
        person.gender = gender
        born = date.fromordinal(self.today - int(age * 365.25) - int(rand() * 365))
        person.birth = born
        roll = rand()
        if person.household is None and roll < 0.004:
            name, nationality, gender = people.FOREIGN_NAMES[
                int(rand() * len(people.FOREIGN_NAMES))
            ]
            person.name, person.nationality, person.gender = name, nationality, gender
            person.id_type = Customer.IdType.PASSPORT
            person.id_number = f"{chr(65 + int(rand() * 26))}{int(rand() * 10**8):08d}"
        else:
            person.surname = people.surname_pick(rng) if surname is None else surname
            given = people.given_name(rng, gender, born.year)
            person.name = people.SURNAMES[person.surname] + given
            if person.household is None and roll < 0.007:
                region = "H" if rand() < 0.8 else "M"
                person.nationality = "HK" if region == "H" else "MO"
                person.id_type = Customer.IdType.HK_MACAO_PERMIT
                person.id_number = f"{region}{int(rand() * 10**8):08d}"
            else:
                # Most were born in the city they bank in; the rest came from elsewhere.
                districts = person.city.districts
                area = (
                    districts[int(rand() * len(districts))][0]
                    if rand() < 0.7
                    else ALL_DISTRICT_CODES[int(rand() * len(ALL_DISTRICT_CODES))]
                )
                person.id_type = Customer.IdType.RESIDENT_ID
                person.id_number = self.resident_ids.make(rng, area, born, gender == "male")
        if age >= 16 or rand() < 0.4:
            person.mobile = identity.mobile(rng)
        if age >= 18 and rand() < 0.35:
            if rand() < 0.5:
                person.email = f"{100_000_000 + int(rand() * 9 * 10**8)}@qq.com"
            else:
                pinyin = people.SURNAME_PINYIN[person.surname] if person.surname >= 0 else "mail"
                domain = _EMAIL_DOMAINS[int(rand() * len(_EMAIL_DOMAINS))]
                person.email = f"{pinyin}{born.year % 100:02d}{int(rand() * 1000):03d}@{domain}"
        self._work(rng, person, age)
        if not person.marital:
            person.marital = self._marital(rng, age)
        # A third came to the bank in the last three years; nobody before they were 16.
        years = 3 * rand() if rand() < 0.35 else 3 + 17 * rand()
        person.since = self.today - int(min(years, max(age - 16, 0.5)) * 365)

    def _marital(self, rng: random.Random, age: int) -> str:
        if age < 22:
            return Customer.Marital.SINGLE
        roll = rng.random()
        married = 0.45 if age < 30 else 0.8
        widowed = 0.15 if age >= 65 else 0.0
        if roll < married:
            return Customer.Marital.MARRIED
        if roll < married + widowed:
            return Customer.Marital.WIDOWED
        if roll < married + widowed + 0.06:
            return Customer.Marital.DIVORCED
        return Customer.Marital.SINGLE

    def _work(self, rng: random.Random, person: Draft, age: int) -> None:
        rand = rng.random
        city = person.city.short
        if age < 18 or (age <= 22 and rand() < 0.7):
            person.occupation = "学生"
            return
        if age >= (60 if person.gender == "male" else 55) and rand() < 0.85:
            person.occupation = "退休"
            if rand() < 0.5:  # the pension is paid into this bank
                person.salary = int(3500 * math.exp(0.35 * rng.gauss(0, 1))) * 100
                person.employer = f"{city}市社会保险基金"
                person.payday = 5
                person.months = 12
            return
        if rand() < 0.08:
            person.occupation = "无业"
            return
        pick = bisect(people.OCCUPATION_WEIGHTS, rand() * people.OCCUPATION_WEIGHTS[-1])
        occupation, median, salaried = people.OCCUPATIONS[pick]
        person.occupation = occupation
        if not salaried:
            return
        employers = self.companies.employers
        roll = rand()
        if roll < 0.35 and employers:  # a company that banks here (代发工资)
            employer, multiplier = employers[int(rand() * len(employers))]
        elif roll < 0.6:
            template = people.PUBLIC_EMPLOYERS[int(rand() * len(people.PUBLIC_EMPLOYERS))]
            employer, multiplier = template.format(city=city), 1.0
        else:
            word = people.INDUSTRIES[int(rand() * len(people.INDUSTRIES))][1]
            employer = people.company_name(city, people.brand(rng), word, large=False)
            multiplier = 1.0
        person.employer = employer
        seniority = 0.7 + min(age - 22, 25) * 0.03
        monthly = median * multiplier * seniority * math.exp(0.35 * rng.gauss(0, 1))
        person.salary = int(monthly) * 100
        if rand() < 0.6:  # the salary is paid into this bank
            person.payday = (5, 10, 15, 20, 25, 28)[zlib.crc32(employer.encode()) % 6]
            person.months = 12 if rand() < 0.93 else 1 + int(rand() * 11)

    # --- money ------------------------------------------------------------------------

    def _wealth(self, rng: random.Random, person: Draft) -> None:
        """AUM: lognormal, heavier for older people and bigger companies."""
        rand = rng.random
        if person.corporate:
            median = (
                150_000 * {"micro": 0.2, "small": 0.8, "medium": 4.0, "large": 15.0}[person.size]
            )
            person.aum = int(min(3e9, median * math.exp(1.5 * rng.gauss(0, 1)))) * 100
            person.inflow = rand() < 0.08
            person.outflow = rand() < 0.03
            return
        if rand() < 0.08:  # dormant: a forgotten account with a few yuan
            person.dormant = True
            person.aum = int(rand() * 10_000)
            person.months = 0
            return
        band = min(max(person.age(self.today) - 18, 0) // 10, 5)
        factor = (0.35, 0.7, 1.1, 1.6, 2.0, 1.8)[band]
        person.aum = int(min(3e8, 9_000 * factor * math.exp(2.2 * rng.gauss(0, 1))) * 100)
        person.inflow = rand() < (0.1 if person.aum >= 50_000_000 else 0.05)
        person.outflow = rand() < 0.04

    def _tiers(self, rng: random.Random, customers: list[Draft], out: list[Row]) -> None:
        """The tier the AUM gives, and the upgrade that got the customer there."""
        for person in customers:
            person.tier = self.tier_of(person.aum)
            if person.tier == Tier.MASS:
                continue
            below = TIER_ORDER[TIER_ORDER.index(person.tier) - 1]
            earliest = max(person.since, self.today - 3 * 365)
            reached = earliest + int(rng.random() * (self.today - earliest))
            at_change = max(self.minimum[person.tier], int(person.aum * (0.7 + 0.3 * rng.random())))
            out.append(
                (self.ids.take("tier_change"), person.id, below, person.tier,
                 cents_text(at_change), self.stamp(date.fromordinal(reached), "18:00:00"))
            )  # fmt: skip
            person.tier_since = reached

    # --- the customer row -------------------------------------------------------------

    def _customer_row(self, rng: random.Random, person: Draft) -> Row:
        rand = rng.random
        city = person.city
        do_not_contact = rand() < 0.02
        consent = not do_not_contact and rand() < 0.61
        risk_level: int | None = None
        risk_expires: str | None = None
        if person.risk_needed or rand() < (0.3 if person.corporate else 0.25):
            drawn = 1 + bisect(RISK_LEVEL_CUM, rand() * 100)
            risk_level = max(person.risk_needed, min(drawn, 5))
            assessed = date.fromordinal(self.today - int(rand() * 420))
            try:
                expires = assessed.replace(year=assessed.year + 1)
            except ValueError:  # 29 February: the anniversary is 28 February
                expires = assessed.replace(year=assessed.year + 1, day=28)
            risk_expires = expires.isoformat()
        tokens = self._tokens.get(person.name)
        if tokens is None:
            if len(self._tokens) > 300_000:
                self._tokens.clear()
            tokens = self._tokens[person.name] = name_tokens(person.name)
        now = self.now
        return (
            person.id,
            now,
            now,
            f"C{person.number:010d}",
            _CORPORATE if person.corporate else _INDIVIDUAL,
            person.name,
            self.units[person.unit].id,
            person.manager,
            person.assisting,
            1,
            person.id_type,
            person.id_number,
            self.id_digest(person.id_number) if person.id_number else "",
            person.mobile,
            self.mobile_digest(person.mobile) if person.mobile else "",
            person.email,
            city.province,
            city.name,
            city.districts[person.district][1],
            person.address,
            person.gender,
            None if person.birth is None else person.birth.isoformat(),
            person.nationality,
            person.occupation,
            person.employer,
            person.marital,
            person.industry,
            person.size,
            person.capital,
            person.legal_rep,
            person.group_id,
            person.group_role,
            consent,
            do_not_contact,
            cents_text(person.aum),
            cents_text(person.liabilities),
            person.tier,
            None if person.tier_since is None else self.days(person.tier_since),
            risk_level,
            risk_expires,
            tokens,
        )


# The generator a forked worker makes batches with (inherited from the parent).
_WORKER: BankGenerator | None = None


def _make_in_worker(span: tuple[int, int, int]) -> Batch:
    assert _WORKER is not None  # noqa: S101  (set before the workers are forked)
    batch = _WORKER.batch(*span)
    batch.transactions = list(batch.transactions)
    return batch


def _in_workers(
    generator: BankGenerator, spans: list[tuple[int, int, int]], workers: int
) -> Iterator[Batch]:
    """Batches made by forked workers, yielded in order; at most a few wait in memory."""
    global _WORKER
    _WORKER = generator
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            waiting: deque[AsyncResult[Batch]] = deque()
            todo = iter(spans)
            for span in todo:
                waiting.append(pool.apply_async(_make_in_worker, (span,)))
                if len(waiting) > workers:
                    break
            while waiting:
                batch = waiting.popleft().get()
                following = next(todo, None)
                if following is not None:
                    waiting.append(pool.apply_async(_make_in_worker, (following,)))
                yield batch
    finally:
        _WORKER = None
