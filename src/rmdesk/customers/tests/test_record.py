"""The customer record: create and edit with validated identifiers, the 360 view,
reveal, search, and derived balances and tiers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from rmdesk.audit.models import AccessLog, AuditEvent
from rmdesk.conftest import Cast
from rmdesk.customers import services
from rmdesk.customers.models import (
    CorporateGroup,
    Customer,
    CustomerAssignment,
    CustomerLink,
    Holding,
    Household,
    HouseholdMember,
    KeyPerson,
    Referral,
    TierChange,
)
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.org.models import Staff

ClientFor = Callable[[Staff], Client]
VALID_ID = "11010519491231002X"
VALID_USCC = "91110000600037341L"


def post(client: Client, path: str, body: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(path, body, content_type="application/json")


def patch(client: Client, path: str, body: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.patch(path, body, content_type="application/json")


def holding(customer: Customer, kind: str, amount: str, **extra: object) -> Holding:
    return Holding.objects.create(
        customer=customer,
        account_no=f"A{Holding.objects.count() + 1:012d}",
        product_type=kind,
        balance=Decimal(amount),
        balance_cny=Decimal(amount),
        opened_on=date(2024, 1, 1),
        **extra,
    )


# --- create -------------------------------------------------------------------


def test_a_manager_records_a_customer_with_valid_identifiers(
    cast: Cast, client_for: ClientFor
) -> None:
    response = post(
        client_for(cast.manager),
        "/api/v1/customers",
        {
            "kind": "individual",
            "display_name": "张三丰",
            "id_number": "１１０１０５１９４９１２３１００２x",  # full-width, lower-case x
            "mobile": "+86 138-1234-5678",
            "email": "zhang@Example.COM",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["display_name"] == "张*丰"
    assert body["primary_manager"]["id"] == cast.manager.pk
    customer = Customer.objects.get(pk=body["id"])
    assert customer.id_number == VALID_ID
    assert customer.mobile == "13812345678"
    assert customer.birth_date == date(1949, 12, 31)
    assert customer.gender == "female"
    assert customer.home_unit == cast.sub_a1
    assert CustomerAssignment.objects.filter(
        customer=customer, manager=cast.manager, ended_at=None
    ).exists()
    event = AuditEvent.objects.get(action="customers.customer.created", target_id=str(customer.pk))
    assert VALID_ID not in str(event.data)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("id_number", "110105194912310021", "BAD_CHECK_DIGIT"),
        ("id_number", "110105194902300020", "BAD_BIRTH_DATE"),
        ("id_number", "110105491231002", "LEGACY_15_DIGIT"),
        ("mobile", "010-65529988", "NOT_A_MOBILE"),
        ("mobile", "1381234567", "BAD_LENGTH"),
        ("email", "not-an-email", "BAD_EMAIL"),
        ("display_name", "王\u200b小明", "BAD_CHARSET"),
    ],
)
def test_invalid_identifiers_are_refused_with_field_and_code(
    cast: Cast, client_for: ClientFor, field: str, value: str, code: str
) -> None:
    before = Customer.objects.count()
    body = {"kind": "individual", "display_name": "李雷", field: value}
    response = post(client_for(cast.manager), "/api/v1/customers", body)
    assert response.status_code == 422
    details = response.json()["details"]
    assert {"field": field, "code": code} == {k: details[0][k] for k in ("field", "code")}
    assert Customer.objects.count() == before


def test_a_company_needs_a_valid_credit_code(cast: Cast, client_for: ClientFor) -> None:
    client = client_for(cast.manager)
    bad = post(
        client,
        "/api/v1/customers",
        {"kind": "corporate", "display_name": "甲公司", "id_number": VALID_USCC[:-1] + "X"},
    )
    assert bad.status_code == 422
    assert bad.json()["details"][0]["code"] == "BAD_CHECK_DIGIT"
    good = post(
        client,
        "/api/v1/customers",
        {"kind": "corporate", "display_name": "甲公司", "id_number": VALID_USCC.lower()},
    )
    assert good.status_code == 201
    assert Customer.objects.get(pk=good.json()["id"]).id_type == "uscc"


def test_the_same_identity_number_is_not_recorded_twice(cast: Cast, client_for: ClientFor) -> None:
    """RELIABILITY.md E7."""
    client = client_for(cast.manager)
    assert (
        post(
            client,
            "/api/v1/customers",
            {"kind": "individual", "display_name": "甲", "id_number": VALID_ID},
        ).status_code
        == 201
    )
    again = post(
        client_for(cast.far_manager),
        "/api/v1/customers",
        {"kind": "individual", "display_name": "乙", "id_number": VALID_ID},
    )
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_identity"


def test_owner_tier_and_aum_are_not_client_writable(cast: Cast, client_for: ClientFor) -> None:
    """RELIABILITY.md B9."""
    client = client_for(cast.manager)
    for extra in (
        {"primary_manager_id": cast.far_manager.pk},
        {"tier": "private"},
        {"aum": "1e9"},
        {"risk_level": 5},
    ):
        response = post(
            client, "/api/v1/customers", {"kind": "individual", "display_name": "甲", **extra}
        )
        assert response.status_code == 422, extra
    response = patch(client, f"/api/v1/customers/{cast.own.pk}", {"version": 1, "tier": "private"})
    assert response.status_code == 422
    cast.own.refresh_from_db()
    assert cast.own.tier == "mass"


def test_read_only_roles_cannot_create_or_edit(cast: Cast, client_for: ClientFor) -> None:
    """RELIABILITY.md B5."""
    client = client_for(cast.analyst)
    assert (
        post(client, "/api/v1/customers", {"kind": "individual", "display_name": "甲"}).status_code
        == 403
    )
    assert (
        patch(
            client, f"/api/v1/customers/{cast.own.pk}", {"version": 1, "city": "北京"}
        ).status_code
        == 403
    )


def test_a_head_places_a_customer_in_their_subtree_only(cast: Cast, client_for: ClientFor) -> None:
    client = client_for(cast.branch_head)
    inside = post(
        client,
        "/api/v1/customers",
        {
            "kind": "individual",
            "display_name": "甲",
            "home_unit_id": cast.sub_a2.pk,
            "manager_id": cast.a2_manager.pk,
        },
    )
    assert inside.status_code == 201
    assert inside.json()["primary_manager"]["id"] == cast.a2_manager.pk
    outside = post(
        client,
        "/api/v1/customers",
        {"kind": "individual", "display_name": "乙", "home_unit_id": cast.sub_b1.pk},
    )
    assert outside.status_code == 422
    assert outside.json()["details"][0]["field"] == "home_unit_id"
    foreign_manager = post(
        client,
        "/api/v1/customers",
        {"kind": "individual", "display_name": "丙", "manager_id": cast.far_manager.pk},
    )
    assert foreign_manager.status_code == 422


# --- edit ---------------------------------------------------------------------


def test_an_edit_with_a_stale_version_gets_409_and_changes_nothing(
    cast: Cast, client_for: ClientFor
) -> None:
    """RELIABILITY.md E2."""
    client = client_for(cast.manager)
    first = patch(client, f"/api/v1/customers/{cast.own.pk}", {"version": 1, "city": "北京"})
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = patch(client, f"/api/v1/customers/{cast.own.pk}", {"version": 1, "city": "上海"})
    assert stale.status_code == 409
    assert stale.json() | {"message": ""} == {
        "code": "stale_version",
        "message": "",
        "details": {"current_version": 2},
    }
    cast.own.refresh_from_db()
    assert cast.own.city == "北京"


def test_edits_out_of_scope_are_404(cast: Cast, client_for: ClientFor) -> None:
    response = patch(
        client_for(cast.manager), f"/api/v1/customers/{cast.far.pk}", {"version": 1, "city": "x"}
    )
    assert response.status_code == 404


def test_an_invalid_edit_saves_nothing(cast: Cast, client_for: ClientFor) -> None:
    response = patch(
        client_for(cast.manager),
        f"/api/v1/customers/{cast.own.pk}",
        {"version": 1, "city": "北京", "mobile": "12345"},
    )
    assert response.status_code == 422
    cast.own.refresh_from_db()
    assert (cast.own.city, cast.own.version) == ("", 1)


def test_edits_are_audited_by_field_name_only(cast: Cast, client_for: ClientFor) -> None:
    """RELIABILITY.md C4."""
    patch(
        client_for(cast.manager),
        f"/api/v1/customers/{cast.own.pk}",
        {"version": 1, "mobile": "13912345678"},
    )
    event = AuditEvent.objects.get(action="customers.customer.updated")
    assert event.data == {"fields": ["mobile"], "version": 2}


# --- the 360 view -----------------------------------------------------------------


def test_the_360_view_brings_everything_in_one_call(cast: Cast, client_for: ClientFor) -> None:
    services.customer_update(
        actor=cast.manager,
        customer_id=cast.own.pk,
        version=1,
        data={"id_number": VALID_ID, "mobile": "13812345678"},
    )
    soon = timezone.localdate() + timedelta(days=20)
    holding(cast.own, "demand_deposit", "30000.00")
    holding(cast.own, "time_deposit", "70000.00", matures_on=soon)
    holding(cast.own, "loan", "250000.00")
    services.customer_balances_refresh(customer_ids=[cast.own.pk])
    services.customer_tiers_refresh(customer_ids=[cast.own.pk])
    home = Household.objects.create(name="王家")
    HouseholdMember.objects.create(household=home, customer=cast.own, role="head")
    HouseholdMember.objects.create(household=home, customer=cast.other, role="spouse")
    KeyPerson.objects.create(
        company=cast.company, person=cast.own, name="王小明", role="legal_representative"
    )
    Referral.objects.create(
        referred=cast.own, referrer_customer=cast.far, referred_on=date(2025, 5, 1)
    )

    body = client_for(cast.manager).get(f"/api/v1/customers/{cast.own.pk}").json()
    assert body["identity"]["id_number"] == "110***********002X"
    assert body["contact"]["mobile"] == "138****5678"
    assert body["aum"] == "100000.00"
    assert body["liabilities"] == "250000.00"
    assert body["tier"] == "silver"
    assert {g["product_type"] for g in body["holdings"]["by_type"]} == {
        "demand_deposit",
        "time_deposit",
        "loan",
    }
    assert [h["matures_on"] for h in body["holdings"]["maturing"]] == [soon.isoformat()]
    assert body["holdings"]["maturing"][0]["account_no"].count("*") > 0
    spouse = body["relationships"]["household_members"]
    # The spouse is another manager's customer: shown masked and without a link.
    assert [{k: v for k, v in entry.items() if k != "role_label"} for entry in spouse] == [
        {"customer_id": None, "name": "李*", "kind": "individual", "role": "spouse", "detail": ""}
    ]
    assert body["relationships"]["key_roles"][0]["customer_id"] == cast.company.pk
    assert body["relationships"]["referred_by"][0]["customer_id"] is None
    assert body["assignments"][0]["manager"]["id"] == cast.manager.pk
    assert body["tier_history"][0]["to_tier"] == "silver"


def _related_everywhere(cast: Cast) -> None:
    """``cast.own`` in a household, key person of a company, referred and referring."""
    home = Household.objects.create(name="王家")
    HouseholdMember.objects.create(household=home, customer=cast.own, role="head")
    HouseholdMember.objects.create(household=home, customer=cast.other, role="spouse")
    KeyPerson.objects.create(
        company=cast.company, person=cast.own, name="王小明", role="legal_representative"
    )
    KeyPerson.objects.create(company=cast.company, name="赵大", role="finance_head")
    Referral.objects.create(
        referred=cast.own, referrer_customer=cast.far, referred_on=date(2025, 5, 1)
    )
    Referral.objects.create(
        referred=cast.pool, referrer_customer=cast.own, referred_on=date(2025, 6, 1)
    )
    Referral.objects.create(
        referred=cast.own, referrer_staff=cast.other_manager, referred_on=date(2025, 4, 1)
    )


def test_the_360_view_is_a_fixed_number_of_queries(
    cast: Cast, client_for: ClientFor, django_assert_num_queries: Callable[..., object]
) -> None:
    """RELIABILITY.md G3."""
    for n in range(20):
        holding(cast.own, "fund", f"{1000 + n}.00")
    _related_everywhere(cast)
    client = client_for(cast.manager)
    client.get(f"/api/v1/customers/{cast.own.pk}")  # the token's last use is written once
    # token (with its staff member and their roles), customer (with unit, managers,
    # group, household membership, and in the same row everything read by its id:
    # grants, holdings, the household's other members, key people and referrals, tier
    # history, assignments), the other customers (with whether the viewer may open
    # them); then the access-log append (chain lock on PostgreSQL, chain tail, insert).
    expected = 5 + (connection.vendor == "postgresql")
    with django_assert_num_queries(expected):  # type: ignore[operator]
        body = client.get(f"/api/v1/customers/{cast.own.pk}").json()
    rel = body["relationships"]
    assert [(r["customer_id"], r["name"], r["role"]) for r in rel["household_members"]] == [
        (None, "李*", "spouse")
    ]
    assert [(r["customer_id"], r["role"]) for r in rel["key_roles"]] == [
        (cast.company.pk, "legal_representative")
    ]
    assert [(r["customer_id"], r["kind"], r["detail"]) for r in rel["referred_by"]] == [
        (None, "staff", "2025-04-01"),
        (None, "individual", "2025-05-01"),
    ]
    assert [(r["customer_id"], r["detail"]) for r in rel["referrals"]] == [(None, "2025-06-01")]
    # A customer with nothing around it: no other customers to read.
    alone = CustomerFactory(home_unit=cast.own.home_unit, primary_manager=cast.manager)
    with django_assert_num_queries(expected - 1):  # type: ignore[operator]
        assert client.get(f"/api/v1/customers/{alone.pk}").status_code == 200


def test_a_company_360_lists_key_people_and_group_in_fixed_queries(
    cast: Cast, client_for: ClientFor, django_assert_num_queries: Callable[..., object]
) -> None:
    _related_everywhere(cast)
    group = CorporateGroup.objects.create(name="华信集团")
    Customer.objects.filter(pk=cast.company.pk).update(group=group, group_role="parent")
    for n in range(3):
        subsidiary = CustomerFactory(
            kind="corporate",
            display_name=f"华信子公司{n}",
            home_unit=cast.company.home_unit,
            primary_manager=cast.manager if n == 0 else cast.far_manager,
        )
        Customer.objects.filter(pk=subsidiary.pk).update(group=group, group_role="subsidiary")
    client = client_for(cast.manager)
    client.get(f"/api/v1/customers/{cast.company.pk}")
    # As above, with the group's other members instead of a household's.
    expected = 5 + (connection.vendor == "postgresql")
    with django_assert_num_queries(expected):  # type: ignore[operator]
        body = client.get(f"/api/v1/customers/{cast.company.pk}").json()
    rel = body["relationships"]
    assert rel["group"] == "华信集团"
    assert [(r["name"], r["customer_id"] is not None) for r in rel["group_members"]] == [
        ("华信子公司0", True),
        ("华信子公司1", False),
        ("华信子公司2", False),
    ]
    assert [(r["customer_id"], r["name"], r["role"]) for r in rel["key_people"]] == [
        (cast.own.pk, "王*明", "legal_representative"),
        (None, "赵*", "finance_head"),
    ]


def test_key_people_and_referrals_follow_their_records(cast: Cast, client_for: ClientFor) -> None:
    """The 360 reads a mirror of key people and referrals; edits and deletions reach it."""
    _related_everywhere(cast)
    client = client_for(cast.auditor)

    def rel(customer: Customer) -> dict[str, list[dict[str, object]]]:
        body = client.get(f"/api/v1/customers/{customer.pk}/relationships").json()
        return {
            name: [entry["customer_id"] for entry in body[name]]
            for name in body
            if isinstance(body[name], list)
        }

    assert rel(cast.own)["key_roles"] == [cast.company.pk]
    assert rel(cast.pool)["referred_by"] == [cast.own.pk]
    KeyPerson.objects.filter(person=cast.own).update(person=cast.other)
    Referral.objects.filter(referred=cast.pool).update(referrer_customer=cast.far)
    assert rel(cast.own)["key_roles"] == []
    assert rel(cast.other)["key_roles"] == [cast.company.pk]
    assert rel(cast.own)["referrals"] == []
    assert rel(cast.far)["referrals"] == [cast.own.pk, cast.pool.pk]
    assert rel(cast.pool)["referred_by"] == [cast.far.pk]
    KeyPerson.objects.filter(company=cast.company).delete()
    Referral.objects.all().delete()
    assert rel(cast.company)["key_people"] == []
    assert rel(cast.other)["key_roles"] == []
    assert rel(cast.own)["referred_by"] == []
    assert not CustomerLink.objects.exists()


def test_holdings_and_relationships_endpoints_follow_visibility(
    cast: Cast, client_for: ClientFor
) -> None:
    holding(cast.own, "fund", "5000.00")
    client = client_for(cast.manager)
    assert [
        h["balance"] for h in client.get(f"/api/v1/customers/{cast.own.pk}/holdings").json()
    ] == ["5000.00"]
    assert client.get(f"/api/v1/customers/{cast.far.pk}/holdings").status_code == 404
    assert client.get(f"/api/v1/customers/{cast.far.pk}/relationships").status_code == 404


# --- reveal -----------------------------------------------------------------------


def test_the_own_manager_reveals_with_a_reason_and_it_is_logged(
    cast: Cast, client_for: ClientFor
) -> None:
    """RELIABILITY.md C3."""
    services.customer_update(
        actor=cast.manager, customer_id=cast.own.pk, version=1, data={"mobile": "13812345678"}
    )
    client = client_for(cast.manager)
    response = post(
        client,
        f"/api/v1/customers/{cast.own.pk}/reveal",
        {"fields": ["mobile", "display_name"], "reason": "回访客户"},
    )
    assert response.status_code == 200
    assert response.json()["values"] == {"display_name": "王小明", "mobile": "13812345678"}
    entry = AccessLog.objects.get(action="unmask")
    assert (entry.customer_id, entry.fields, entry.reason) == (
        cast.own.pk,
        "display_name,mobile",
        "回访客户",
    )
    # For a while, the 360 view shows those fields in full to that manager only.
    assert (
        client.get(f"/api/v1/customers/{cast.own.pk}").json()["contact"]["mobile"] == "13812345678"
    )
    other = client_for(cast.subbranch_head).get(f"/api/v1/customers/{cast.own.pk}").json()
    assert other["contact"]["mobile"] == "138****5678"


def test_a_reveal_expires(cast: Cast, client_for: ClientFor, settings) -> None:  # type: ignore[no-untyped-def]
    import time_machine

    services.customer_update(
        actor=cast.manager, customer_id=cast.own.pk, version=1, data={"mobile": "13812345678"}
    )
    client = client_for(cast.manager)
    post(
        client,
        f"/api/v1/customers/{cast.own.pk}/reveal",
        {"fields": ["mobile"], "reason": "回访客户"},
    )
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.RMDESK_REVEAL_SECONDS + 60)
    ):
        body = client_for(cast.manager).get(f"/api/v1/customers/{cast.own.pk}").json()
    assert body["contact"]["mobile"] == "138****5678"


def test_heads_and_analysts_cannot_reveal(cast: Cast, client_for: ClientFor) -> None:
    for who in ("subbranch_head", "branch_head", "analyst"):
        response = post(
            client_for(cast.staff()[who]),
            f"/api/v1/customers/{cast.own.pk}/reveal",
            {"fields": ["mobile"], "reason": "想看看"},
        )
        assert response.status_code == 403, who
    assert not AccessLog.objects.filter(action="unmask").exists()


def test_compliance_may_reveal(cast: Cast, client_for: ClientFor) -> None:
    response = post(
        client_for(cast.auditor),
        f"/api/v1/customers/{cast.own.pk}/reveal",
        {"fields": ["display_name"], "reason": "合规检查"},
    )
    assert response.json()["values"] == {"display_name": "王小明"}


@pytest.mark.parametrize(
    "body",
    [
        {"fields": ["mobile"], "reason": ""},
        {"fields": ["salary"], "reason": "回访客户"},
        {"fields": [], "reason": "回访客户"},
    ],
)
def test_a_reveal_needs_known_fields_and_a_reason(
    cast: Cast, client_for: ClientFor, body: dict[str, object]
) -> None:
    response = post(client_for(cast.manager), f"/api/v1/customers/{cast.own.pk}/reveal", body)
    assert response.status_code == 422
    assert not AccessLog.objects.filter(action="unmask").exists()


def test_revealing_out_of_scope_is_404(cast: Cast, client_for: ClientFor) -> None:
    response = post(
        client_for(cast.manager),
        f"/api/v1/customers/{cast.far.pk}/reveal",
        {"fields": ["mobile"], "reason": "回访客户"},
    )
    assert response.status_code == 404


# --- search -----------------------------------------------------------------------


@pytest.fixture
def searchable(cast: Cast) -> Cast:
    services.customer_update(
        actor=cast.manager,
        customer_id=cast.own.pk,
        version=1,
        data={"id_number": VALID_ID, "mobile": "13812345678"},
    )
    services.customer_update(
        actor=cast.subbranch_head,
        customer_id=cast.company.pk,
        version=1,
        data={"id_number": VALID_USCC},
    )
    CustomerFactory(
        display_name="Anna-Maria O'Neil", home_unit=cast.sub_a1, primary_manager=cast.manager
    )
    return cast


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("小明", ["own"]),
        ("王小明", ["own"]),
        ("王", ["own"]),
        ("娜娜", ["pool"]),
        ("华信", ["company"]),
        ("138 1234 5678", ["own"]),
        ("+8613812345678", ["own"]),
        (VALID_ID.lower(), ["own"]),
        (VALID_USCC, ["company"]),
        ("明小", []),
        ("13812345679", []),
    ],
)
def test_search_by_name_mobile_and_identity(
    searchable: Cast, client_for: ClientFor, q: str, expected: list[str]
) -> None:
    items = client_for(searchable.subbranch_head).get("/api/v1/customers", {"q": q}).json()["items"]
    ids = {searchable.customers()[name].pk for name in expected}
    assert {item["id"] for item in items} == ids


def test_search_by_latin_name_prefix(searchable: Cast, client_for: ClientFor) -> None:
    items = (
        client_for(searchable.manager).get("/api/v1/customers", {"q": "anna o'ne"}).json()["items"]
    )
    assert [item["display_name"] for item in items] == ["A********* O*****"]


def test_search_respects_visibility_for_exact_numbers(
    searchable: Cast, client_for: ClientFor
) -> None:
    """RELIABILITY.md B7."""
    items = (
        client_for(searchable.far_manager)
        .get("/api/v1/customers", {"q": "13812345678"})
        .json()["items"]
    )
    assert items == []


def test_renaming_updates_the_search_index(searchable: Cast, client_for: ClientFor) -> None:
    services.customer_update(
        actor=searchable.manager,
        customer_id=searchable.own.pk,
        version=2,
        data={"display_name": "王大明"},
    )
    client = client_for(searchable.manager)
    assert client.get("/api/v1/customers", {"q": "小明"}).json()["items"] == []
    assert len(client.get("/api/v1/customers", {"q": "大明"}).json()["items"]) == 1


# --- balances and tiers -----------------------------------------------------------


def test_balances_and_tiers_are_derived_set_based_with_history(cast: Cast) -> None:
    holding(cast.own, "wealth", "600000.00")
    holding(cast.own, "credit_card", "5000.00")
    holding(cast.other, "demand_deposit", "100.00")
    closed = holding(cast.other, "fund", "9000000.00")
    closed.status = Holding.Status.CLOSED
    closed.save()
    assert services.customer_balances_refresh() == Customer.objects.count()
    assert services.customer_tiers_refresh() == 1
    cast.own.refresh_from_db()
    cast.other.refresh_from_db()
    assert (cast.own.aum, cast.own.liabilities, cast.own.tier) == (
        Decimal("600000.00"),
        Decimal("5000.00"),
        "gold",
    )
    assert (cast.other.aum, cast.other.tier) == (Decimal("100.00"), "mass")
    change = TierChange.objects.get()
    assert (change.customer_id, change.from_tier, change.to_tier) == (cast.own.pk, "mass", "gold")
    assert services.customer_tiers_refresh() == 0


def test_holdings_refresh_gives_balances_then_tiers_in_one_pass(cast: Cast) -> None:
    holding(cast.own, "wealth", "600000.00")
    holding(cast.own, "credit_card", "5000.00")
    holding(cast.other, "demand_deposit", "100.00")
    closed = holding(cast.other, "fund", "9000000.00")
    closed.status = Holding.Status.CLOSED
    closed.save()
    ids = [cast.own.pk, cast.other.pk]
    assert services.customer_holdings_refresh(customer_ids=ids) == 1
    one_pass = list(
        Customer.objects.filter(pk__in=ids).order_by("pk").values_list("aum", "liabilities", "tier")
    )
    assert one_pass[0] == (Decimal("600000.00"), Decimal("5000.00"), "gold")
    assert one_pass[1] == (Decimal("100.00"), Decimal("0.00"), "mass")
    change = TierChange.objects.get()
    assert (change.customer_id, change.from_tier, change.to_tier) == (cast.own.pk, "mass", "gold")
    # Nothing changed: nothing written, nothing moved; then the two-step path agrees.
    assert services.customer_holdings_refresh(customer_ids=ids) == 0
    services.customer_balances_refresh(customer_ids=ids)
    assert services.customer_tiers_refresh(customer_ids=ids) == 0
    assert (
        list(
            Customer.objects.filter(pk__in=ids)
            .order_by("pk")
            .values_list("aum", "liabilities", "tier")
        )
        == one_pass
    )


def test_reindex_rebuilds_digests_after_a_key_change(
    searchable: Cast, client_for: ClientFor, settings
) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    settings.RMDESK_LOOKUP_KEY = "a-new-lookup-key"
    client = client_for(searchable.subbranch_head)
    assert client.get("/api/v1/customers", {"q": "13812345678"}).json()["items"] == []
    call_command("reindex-customers", "--batch", "2")
    items = client.get("/api/v1/customers", {"q": "13812345678"}).json()["items"]
    assert [item["id"] for item in items] == [searchable.own.pk]


def test_tiers_fall_back_to_the_default_thresholds(cast: Cast) -> None:
    from rmdesk.customers.models import TierRule

    TierRule.objects.all().delete()
    holding(cast.own, "wealth", "1500000.00")
    services.customer_balances_refresh(customer_ids=[cast.own.pk])
    assert services.customer_tiers_refresh(customer_ids=[cast.own.pk]) == 1
    cast.own.refresh_from_db()
    assert cast.own.tier == "diamond"
