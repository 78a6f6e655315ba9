"""The seed command and the bank it writes, at the tiny scale, on the test database.

On PostgreSQL these tests run the COPY path (and the index and constraint hand-off);
on SQLite the executemany path.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.test import Client
from django.utils import timezone
from stdnum import luhn

from rmdesk.customers import identifiers
from rmdesk.customers.models import (
    CorporateGroup,
    Customer,
    CustomerAssignment,
    Holding,
    Household,
    HouseholdMember,
    KeyPerson,
    Referral,
    TierChange,
    Transaction,
)
from rmdesk.customers.search import name_tokens, search_filter
from rmdesk.customers.selectors import customer_visible_to
from rmdesk.customers.services import (
    customer_balances_refresh,
    customer_tiers_refresh,
    tier_thresholds,
)
from rmdesk.demo.bank import MODELS, SCALES, build
from rmdesk.demo.tests import PASSWORD
from rmdesk.org.models import OrgUnit, Staff

TINY = SCALES["tiny"]
DAY = date(2026, 11, 29)


@pytest.mark.django_db
def test_seed_builds_the_bank_once(var_dir: Path) -> None:
    call_command("seed", "--scale", "tiny", "--password", PASSWORD)
    assert OrgUnit.objects.count() == 1 + TINY.branches * (1 + TINY.subbranches_per_branch)
    assert Customer.objects.count() == TINY.customers
    assert Holding.objects.count() == TINY.holdings
    assert Transaction.objects.count() == TINY.transactions
    assert Staff.objects.filter(roles__role="account_manager").count() == TINY.managers
    assert (var_dir / "demo-password").read_text().strip() == PASSWORD
    call_command("seed", "--scale", "tiny", "--if-empty")
    assert Customer.objects.count() == TINY.customers
    assert Transaction.objects.count() == TINY.transactions
    with pytest.raises(CommandError):
        call_command("seed", "--scale", "tiny")


@pytest.mark.django_db
def test_every_identifier_is_valid(bank: None) -> None:
    kinds = Counter[str]()
    for customer in Customer.objects.all():
        kinds[customer.id_type] += 1
        if customer.id_type == Customer.IdType.RESIDENT_ID:
            assert identifiers.resident_id(customer.id_number) == customer.id_number
            assert identifiers.resident_id_birth_date(customer.id_number) == customer.birth_date
            assert identifiers.resident_id_gender(customer.id_number) == customer.gender
        elif customer.id_type == Customer.IdType.USCC:
            assert customer.kind == Customer.Kind.CORPORATE
            assert identifiers.uscc(customer.id_number) == customer.id_number
        else:
            assert customer.kind == Customer.Kind.INDIVIDUAL
            assert customer.id_number.isalnum()
            assert customer.id_number.isupper()
        if customer.mobile:
            assert identifiers.mobile(customer.mobile) == customer.mobile
        if customer.email:
            assert identifiers.email(customer.email) == customer.email
        assert identifiers.person_name(customer.display_name, max_length=200)
    assert kinds[Customer.IdType.RESIDENT_ID] > 0
    assert kinds[Customer.IdType.USCC] > 0
    assert Customer.objects.values("id_number").distinct().count() == TINY.customers
    for mobile in KeyPerson.objects.exclude(mobile="").values_list("mobile", flat=True):
        assert identifiers.mobile(mobile) == mobile
    cards = Holding.objects.filter(
        Q(product_type=Holding.ProductType.CREDIT_CARD)
        | Q(product_type=Holding.ProductType.DEMAND_DEPOSIT, customer__kind="individual")
    ).values_list("account_no", flat=True)
    assert cards
    assert all(luhn.is_valid(number) for number in cards)


@pytest.mark.django_db
def test_digests_and_tokens_match_what_the_services_store(bank: None) -> None:
    for customer in Customer.objects.all():
        assert customer.id_digest == identifiers.lookup_digest("id", customer.id_number)
        assert customer.mobile_digest == (
            identifiers.lookup_digest("mobile", customer.mobile) if customer.mobile else ""
        )
        assert customer.search_tokens == name_tokens(customer.display_name)


@pytest.mark.django_db
def test_search_finds_seeded_customers_by_mobile_name_and_number(bank: None) -> None:
    person = (
        Customer.objects.filter(id_type=Customer.IdType.RESIDENT_ID)
        .exclude(mobile="")
        .order_by("id")
        .first()
    )
    company = Customer.objects.filter(kind=Customer.Kind.CORPORATE).order_by("id").first()
    assert person is not None
    assert company is not None
    for text, customer in (
        (person.mobile, person),
        (f"{person.mobile[:3]} {person.mobile[3:7]} {person.mobile[7:]}", person),
        (person.display_name, person),
        (person.id_number, person),
        (company.id_number, company),
        (company.display_name, company),
    ):
        condition = search_filter(text)
        assert condition is not None
        assert Customer.objects.filter(condition).filter(pk=customer.pk).exists(), text


@pytest.mark.django_db
def test_aum_and_tiers_are_what_the_services_compute(bank: None) -> None:
    active = Holding.objects.filter(status=Holding.Status.ACTIVE)
    assets = dict(
        active.exclude(product_type__in=Holding.LIABILITY_TYPES)
        .values_list("customer")
        .annotate(total=Sum("balance_cny"))
    )
    debts = dict(
        active.filter(product_type__in=Holding.LIABILITY_TYPES)
        .values_list("customer")
        .annotate(total=Sum("balance_cny"))
    )
    rules = tier_thresholds()
    before = {}
    for customer in Customer.objects.all():
        assert customer.aum == assets.get(customer.pk, Decimal("0")), customer.customer_no
        assert customer.liabilities == debts.get(customer.pk, Decimal("0"))
        expected = next(tier for tier, minimum in rules if customer.aum >= minimum)
        assert customer.tier == expected
        before[customer.pk] = (customer.aum, customer.liabilities, customer.tier)
    assert customer_balances_refresh() == TINY.customers
    assert customer_tiers_refresh() == 0
    after = {c.pk: (c.aum, c.liabilities, c.tier) for c in Customer.objects.all()}
    assert after == before
    # The tier history ends in the tier each upgraded customer holds now.
    for change in TierChange.objects.select_related("customer"):
        assert change.to_tier == change.customer.tier
        assert change.customer.tier_since == change.changed_at.date()


@pytest.mark.django_db
def test_the_documented_logins_exist_and_see_their_scope(bank: None) -> None:
    for username in (
        "admin",
        "hq-analyst",
        "compliance-01",
        "branch-head-01",
        "branch-head-02",
        "subbranch-head-01",
        "subbranch-head-04",
        "rm-0001",
        "rm-0008",
        "risk-01",
        "credit-01",
        "ops-01",
        "product-01",
    ):
        assert Staff.objects.filter(username=username).exists(), username
    manager = Staff.objects.get(username="rm-0001")
    mine = customer_visible_to(manager)
    assert mine.exists()
    assert all(
        manager.pk in (lead, assisting)
        for lead, assisting in mine.values_list("primary_manager", "assisting_manager")
    )
    head = Staff.objects.get(username="branch-head-01")
    assert 0 < customer_visible_to(head).count() < Customer.objects.count()
    sub_head = Staff.objects.get(username="subbranch-head-01")
    assert set(customer_visible_to(sub_head).values_list("home_unit", flat=True)) == {
        sub_head.org_unit_id
    }
    assert customer_visible_to(Staff.objects.get(username="hq-analyst")).count() == TINY.customers
    response = Client().post("/login/", {"username": "rm-0001", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_assignments_households_groups_and_transactions_hang_together(bank: None) -> None:
    # Every assigned customer has one open lead assignment, to their manager; the pool has none.
    open_leads = dict(
        CustomerAssignment.objects.filter(role="lead", ended_at__isnull=True).values_list(
            "customer", "manager"
        )
    )
    assisting = dict(
        CustomerAssignment.objects.filter(role="assisting", ended_at__isnull=True).values_list(
            "customer", "manager"
        )
    )
    unassigned = 0
    for pk, lead, helper, _unit in Customer.objects.values_list(
        "pk", "primary_manager", "assisting_manager", "home_unit"
    ):
        assert open_leads.get(pk) == lead
        assert assisting.get(pk) == helper
        unassigned += lead is None
    assert 0 < unassigned < TINY.customers * 0.15
    # Managers serve customers of their own sub-branch.
    assert (
        not Customer.objects.exclude(primary_manager=None)
        .exclude(primary_manager__org_unit=F("home_unit"))
        .exists()
    )
    # Households bank at one sub-branch with one manager; children carry a parent's surname.
    assert Household.objects.exists()
    for household in Household.objects.prefetch_related("members__customer"):
        members = [m.customer for m in household.members.all()]
        assert len({c.home_unit_id for c in members}) == 1
        assert len({c.primary_manager_id for c in members}) == 1
        assert len({c.address for c in members}) == 1
        assert sum(m.role == HouseholdMember.Role.HEAD for m in household.members.all()) == 1
    # A corporate group has one parent; linked key people are individual customers.
    for group in CorporateGroup.objects.prefetch_related("members"):
        roles = sorted(member.group_role for member in group.members.all())
        assert roles.count("parent") == 1
        assert len(roles) >= 2
    assert not KeyPerson.objects.filter(person__kind=Customer.Kind.CORPORATE).exists()
    assert KeyPerson.objects.filter(role=KeyPerson.Role.LEGAL_REPRESENTATIVE).count() == (
        Customer.objects.filter(kind=Customer.Kind.CORPORATE).count()
    )
    assert not Referral.objects.filter(referrer_customer=F("referred")).exists()
    # Every transaction books on an account the customer holds, within the last year.
    accounts = set(Holding.objects.values_list("customer", "account_no"))
    today = timezone.localdate()
    for customer_id, account_no, booked_on in Transaction.objects.values_list(
        "customer", "account_no", "booked_on"
    ):
        assert (customer_id, account_no) in accounts
        assert today - timedelta(days=366) <= booked_on <= today + timedelta(days=1)
    kinds = set(Transaction.objects.values_list("kind", flat=True))
    assert {"salary", "spending", "transfer_in", "transfer_out"} <= kinds
    # Some term holdings mature in the next 30 days.
    soon = Holding.objects.filter(
        status="active", matures_on__range=(today, today + timedelta(days=30))
    )
    assert soon.exists()


@pytest.mark.django_db
def test_the_same_seed_builds_the_same_bank(var_dir: Path) -> None:
    class Undo(Exception):
        pass

    def snapshot() -> list[tuple[Any, ...]]:
        customers = list(
            Customer.objects.order_by("customer_no").values_list(
                "customer_no",
                "display_name",
                "id_number",
                "mobile",
                "aum",
                "tier",
                "home_unit__code",
                "primary_manager__username",
            )
        )
        transactions = list(
            Transaction.objects.order_by("txn_ref").values_list(
                "txn_ref", "customer__customer_no", "amount", "kind"
            )
        )
        return customers + transactions

    first: list[tuple[Any, ...]] = []

    def build_and_undo() -> None:
        with transaction.atomic():
            build(scale=TINY, password=PASSWORD, today=DAY)
            first.extend(snapshot())
            raise Undo

    with pytest.raises(Undo):
        build_and_undo()
    assert not Customer.objects.exists()
    build(scale=TINY, password=PASSWORD, today=DAY)
    assert snapshot() == first
    assert len({row[1] for row in first[: TINY.customers]}) > TINY.customers * 0.8


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's")
def test_bulk_load_puts_back_every_index_and_constraint(var_dir: Path) -> None:
    tables = [model._meta.db_table for model in MODELS.values()]

    def schema() -> set[tuple[str, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid::regclass::text = ANY(%s)",
                [tables],
            )
            indexes = {("index", *row) for row in cursor.fetchall()}
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s)",
                [tables],
            )
            return indexes | {("constraint", *row) for row in cursor.fetchall()}

    before = schema()
    assert any("gin" in row[2] for row in before if row[0] == "index")
    build(scale=TINY, password=PASSWORD, today=DAY)
    assert schema() == before
    with connection.cursor() as cursor:  # the sequences moved past the keys written
        cursor.execute("SELECT nextval(pg_get_serial_sequence('customers_transaction', 'id'))")
        assert (
            cursor.fetchone()[0]
            > Transaction.objects.order_by("-id").values_list("id", flat=True)[0]
        )
