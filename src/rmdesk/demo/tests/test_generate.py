"""The generator on its own (no database): identifiers, determinism and the data's shape."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from stdnum import luhn
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from rmdesk.customers import identifiers
from rmdesk.customers.models import Holding, Transaction
from rmdesk.demo import identity
from rmdesk.demo.assemble import Assembler
from rmdesk.demo.columns import COLUMNS, TABLES
from rmdesk.demo.generate import BankGenerator, Unit, Volumes
from rmdesk.demo.places import CITIES

DAY = date(2026, 11, 29)
RULES = [
    ("mass", 0),
    ("silver", 5_000_000),
    ("gold", 50_000_000),
    ("diamond", 100_000_000),
    ("private", 800_000_000),
]


def generator(volumes: Volumes, *, seed: int = 7, batch_size: int = 2_000) -> BankGenerator:
    units = [
        Unit(
            id=100 + i,
            city=CITIES[i % 3],
            district=i % 4,
            retail=tuple(range(1000 + 10 * i, 1008 + 10 * i)),
            corporate=(1008 + 10 * i, 1009 + 10 * i),
        )
        for i in range(9)
    ]
    return BankGenerator(
        units=units,
        volumes=volumes,
        tier_rules=RULES,
        today=DAY,
        now_text="2026-11-29 01:00:00+00:00",
        stamp=lambda day, hms: f"{day.isoformat()} {hms}+00:00",
        first_ids=dict.fromkeys(TABLES, 1),
        seed=seed,
        batch_size=batch_size,
    )


def generate(volumes: Volumes, workers: int = 1, **kwargs: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row, as dicts by column name."""
    tables: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
    made = generator(volumes, **kwargs)
    assembler = Assembler(first_ids=dict.fromkeys(TABLES, 1), id_digest=made.id_digest)
    for batch in made.batches(workers=workers):
        assembler.finish(batch)
        for table in TABLES:
            rows = batch.transactions if table == "transaction" else batch.rows[table]
            tables[table] += [dict(zip(COLUMNS[table], row, strict=True)) for row in rows]
    return tables


@pytest.fixture(scope="module")
def sample() -> dict[str, list[dict[str, Any]]]:
    return generate(Volumes(customers=5_000, holdings=15_000, transactions=50_000))


def test_the_same_seed_gives_the_same_rows_however_many_workers_make_them() -> None:
    volumes = Volumes(customers=600, holdings=1_800, transactions=6_000)
    first = generate(volumes, batch_size=150)
    assert first == generate(volumes, batch_size=150)
    assert first == generate(volumes, batch_size=150, workers=2)
    assert first != generate(volumes, batch_size=150, seed=8)


def test_the_assembler_keeps_numbers_unique_across_batches() -> None:
    made = generator(Volumes(customers=400, holdings=1_200, transactions=400), batch_size=200)
    first, second = made.batches()
    # Make the second batch draw numbers the first already holds (as a real clash would:
    # same place, birth date and sequence code, so the same birth date and gender).
    column = COLUMNS["customer"].index("id_number")
    gender, born = COLUMNS["customer"].index("gender"), COLUMNS["customer"].index("birth_date")
    clashes = {}
    for kind in ("resident_id", "uscc", "passport"):
        mine = [r for r in first.rows["customer"] if r[column - 1] == kind]
        theirs = [i for i, r in enumerate(second.rows["customer"]) if r[column - 1] == kind]
        if mine and theirs:
            row = list(second.rows["customer"][theirs[0]])
            for copied in (column, gender, born):
                row[copied] = mine[0][copied]
            second.rows["customer"][theirs[0]] = tuple(row)
            clashes[kind] = theirs[0]
    assert {"resident_id", "uscc"} <= set(clashes)
    assembler = Assembler(first_ids=dict.fromkeys(TABLES, 1), id_digest=made.id_digest)
    assembler.finish(first)
    shift = assembler.finish(second)
    assert shift["household"] == len(first.rows["household"]) + 1
    numbers = [r[column] for batch in (first, second) for r in batch.rows["customer"]]
    assert len(set(numbers)) == len(numbers)
    moved = second.rows["customer"][clashes["resident_id"]]
    assert identifiers.resident_id(moved[column], today=DAY) == moved[column]
    assert identifiers.resident_id_birth_date(moved[column]).isoformat() == moved[born]
    assert identifiers.resident_id_gender(moved[column]) == moved[gender]
    assert moved[column + 1] == identifiers.lookup_digest("id", moved[column])
    company = second.rows["customer"][clashes["uscc"]]
    assert identifiers.uscc(company[column]) == company[column]
    households = {r[0] for batch in (first, second) for r in batch.rows["household"]}
    members = {r[3] for batch in (first, second) for r in batch.rows["member"]}
    assert members <= households


def test_counts_are_exact(sample: dict[str, list[dict[str, Any]]]) -> None:
    assert len(sample["customer"]) == 5_000
    assert len(sample["holding"]) == 15_000
    assert len(sample["transaction"]) == 50_000
    for table in TABLES:
        ids = [row["id"] for row in sample[table]]
        assert len(set(ids)) == len(ids), table
    assert len({row["txn_ref"] for row in sample["transaction"]}) == 50_000
    assert len({row["account_no"] for row in sample["holding"]}) == 15_000


def test_identifiers_pass_the_validators(sample: dict[str, list[dict[str, Any]]]) -> None:
    numbers = Counter(row["id_number"] for row in sample["customer"])
    assert max(numbers.values()) == 1
    for row in sample["customer"]:
        if row["id_type"] == "resident_id":
            assert identifiers.resident_id(row["id_number"], today=DAY) == row["id_number"]
            born = identifiers.resident_id_birth_date(row["id_number"])
            assert born.isoformat() == row["birth_date"]
            assert identifiers.resident_id_gender(row["id_number"]) == row["gender"]
        elif row["id_type"] == "uscc":
            assert identifiers.uscc(row["id_number"]) == row["id_number"]
        if row["mobile"]:
            assert identifiers.mobile(row["mobile"]) == row["mobile"]
            assert row["mobile_digest"] == identifiers.lookup_digest("mobile", row["mobile"])
        assert row["id_digest"] == identifiers.lookup_digest("id", row["id_number"])
        if row["email"]:
            assert identifiers.email(row["email"]) == row["email"]


def test_check_characters_agree_with_python_stdnum() -> None:
    rng = random.Random(1)
    ids = identity.ResidentIds()
    codes = identity.CreditCodes()
    for _ in range(500):
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(30_000))
        number = ids.make(rng, "110105", born, male=rng.random() < 0.5)
        assert stdnum_ric.is_valid(number)
        assert stdnum_uscc.is_valid(codes.make(rng, "440305"))
        body = f"621700{rng.randrange(10**12):012d}"
        assert luhn.is_valid(identity.luhn_complete(body))


def test_every_mobile_segment_is_a_mobile() -> None:
    rng = random.Random(2)
    for segment in identity.MOBILE_SEGMENTS:
        for _ in range(20):
            number = f"{segment}{rng.randrange(10**8):08d}"
            assert identifiers.mobile(number) == number


def test_every_district_code_is_the_district_it_names() -> None:
    ids = identity.ResidentIds()
    rng = random.Random(3)
    for city in CITIES:
        for code, name in city.districts:
            number = ids.make(rng, code, date(2020, 5, 17), male=True)
            place = stdnum_ric.get_birth_place(number)
            assert place["county"] == name, (code, name, place)


def test_aum_has_a_heavy_tail(sample: dict[str, list[dict[str, Any]]]) -> None:
    customers = sample["customer"]
    aum = sorted(Decimal(row["aum"]) for row in customers)
    assert statistics.median(aum) < 50_000
    tiers = Counter(row["tier"] for row in customers)
    share = {tier: count / len(customers) for tier, count in tiers.items()}
    assert share["mass"] > 0.65
    assert 0.03 < share["gold"] + share["diamond"] + share.get("private", 0) < 0.09
    assert 0.0004 < share.get("private", 0) < 0.012
    corporate = sum(row["kind"] == "corporate" for row in customers) / len(customers)
    assert 0.10 < corporate < 0.14


def test_aum_is_the_sum_of_active_assets(sample: dict[str, list[dict[str, Any]]]) -> None:
    assets: Counter[int] = Counter()
    debts: Counter[int] = Counter()
    for row in sample["holding"]:
        if row["status"] != "active":
            assert row["balance_cny"] == "0.00"
            continue
        cents = int(Decimal(row["balance_cny"]) * 100)
        if row["product_type"] in Holding.LIABILITY_TYPES:
            debts[row["customer_id"]] += cents
        else:
            assets[row["customer_id"]] += cents
    for row in sample["customer"]:
        assert int(Decimal(row["aum"]) * 100) == assets[row["id"]]
        assert int(Decimal(row["liabilities"]) * 100) == debts[row["id"]]


def test_people_households_and_service(sample: dict[str, list[dict[str, Any]]]) -> None:
    customers = sample["customer"]
    people = [row for row in customers if row["kind"] == "individual"]
    in_households = len(sample["member"]) / len(people)
    assert 0.22 < in_households < 0.38
    unassigned = sum(row["primary_manager_id"] is None for row in customers) / len(customers)
    assert 0.03 < unassigned < 0.075
    consent = sum(row["marketing_consent"] for row in customers) / len(customers)
    assert 0.54 < consent < 0.66
    silenced = sum(row["do_not_contact"] for row in customers) / len(customers)
    assert 0.008 < silenced < 0.035
    assert {row["id_type"] for row in people} >= {"resident_id", "passport", "hk_macao_permit"}
    assert sample["group"]
    assert sample["referral"]
    assert sample["tier_change"]
    linked = [row for row in sample["key_person"] if row["person_id"] is not None]
    assert len(linked) > 0.1 * sum(row["kind"] == "corporate" for row in customers)
    by_id = {row["id"]: row for row in customers}
    # Members share an address; most children carry a parent's surname.
    households: dict[int, list[dict[str, Any]]] = {}
    for member in sample["member"]:
        households.setdefault(member["household_id"], []).append(member)
    children = with_surname = 0
    for members in households.values():
        assert len({by_id[m["customer_id"]]["address"] for m in members}) == 1
        elders = [by_id[m["customer_id"]]["display_name"] for m in members if m["role"] != "child"]
        for member in members:
            if member["role"] == "child":
                children += 1
                name = by_id[member["customer_id"]]["display_name"]
                with_surname += any(name[0] == elder[0] for elder in elders)
    assert children
    assert with_surname > 0.9 * children


def test_holdings_and_transactions_cover_what_later_issues_mine(
    sample: dict[str, list[dict[str, Any]]],
) -> None:
    holdings = sample["holding"]
    assert {row["product_type"] for row in holdings} == set(Holding.ProductType.values)
    assert any(row["status"] == "closed" for row in holdings)
    assert any(row["currency"] != "CNY" for row in holdings)
    soon = (DAY + timedelta(days=30)).isoformat()
    maturing = [
        row
        for row in holdings
        if row["status"] == "active" and row["matures_on"] and row["matures_on"] <= soon
    ]
    assert len(maturing) > 0.02 * len(holdings)
    assert all(row["matures_on"] > DAY.isoformat() for row in maturing)
    transactions = sample["transaction"]
    assert {row["kind"] for row in transactions} == set(Transaction.Kind.values)
    first_day = (DAY - timedelta(days=364)).isoformat()
    assert all(first_day <= row["booked_on"] <= DAY.isoformat() for row in transactions)
    accounts = {(row["customer_id"], row["account_no"]) for row in holdings}
    assert all((row["customer_id"], row["account_no"]) in accounts for row in transactions)
    salaried = Counter(row["customer_id"] for row in transactions if row["kind"] == "salary")
    assert Counter(salaried.values()).most_common(1)[0][0] == 12  # monthly, a year of them
    for row in transactions:
        amount = Decimal(row["amount"])
        outflow = row["kind"] in ("spending", "transfer_out", "transfer_out_other_bank",
                                  "product_purchase")  # fmt: skip
        assert (amount < 0) == outflow, row
