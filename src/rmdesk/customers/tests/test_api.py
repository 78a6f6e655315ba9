from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from rmdesk.audit.models import AccessLog
from rmdesk.conftest import EXPECTED_VISIBLE, Cast
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.org.models import Staff

ClientFor = Callable[[Staff], Client]


@pytest.mark.parametrize("who", sorted(EXPECTED_VISIBLE))
def test_detail_answers_200_inside_and_404_outside(
    cast: Cast, client_for: ClientFor, who: str
) -> None:
    """RELIABILITY.md B2."""
    client = client_for(cast.staff()[who])
    for name, customer in cast.customers().items():
        response = client.get(f"/api/v1/customers/{customer.pk}")
        expected = 200 if name in EXPECTED_VISIBLE[who] else 404
        assert response.status_code == expected, (who, name)
        if expected == 404:
            assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("who", sorted(EXPECTED_VISIBLE))
def test_list_holds_exactly_the_visible_customers(
    cast: Cast, client_for: ClientFor, who: str
) -> None:
    """RELIABILITY.md B2."""
    response = client_for(cast.staff()[who]).get("/api/v1/customers?limit=200")
    assert response.status_code == 200
    listed = {item["id"] for item in response.json()["items"]}
    expected = {cast.customers()[name].pk for name in EXPECTED_VISIBLE[who]}
    assert listed == expected


def test_nonexistent_and_malformed_ids_are_not_found_or_invalid(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for(cast.manager)
    assert client.get("/api/v1/customers/999999999").status_code == 404
    assert client.get(f"/api/v1/customers/{2**63}").status_code in {404, 422}
    assert client.get("/api/v1/customers/-1").status_code == 404
    response = client.get("/api/v1/customers/abc")
    assert response.status_code in {404, 422}
    assert "code" in response.json()


def test_anonymous_callers_get_401(cast: Cast) -> None:
    response = Client().get(f"/api/v1/customers/{cast.own.pk}")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_opening_a_customer_is_logged(cast: Cast, client_for: ClientFor) -> None:
    client_for(cast.manager).get(f"/api/v1/customers/{cast.own.pk}", REMOTE_ADDR="10.1.2.3")
    entry = AccessLog.objects.get()
    assert entry.actor == cast.manager
    assert (entry.action, entry.channel, entry.customer_id) == ("view", "api", cast.own.pk)
    assert entry.ip_address == "10.1.2.3"
    assert entry.actor_org_unit == "SA1"


def test_refused_views_are_not_logged_as_views(cast: Cast, client_for: ClientFor) -> None:
    client_for(cast.manager).get(f"/api/v1/customers/{cast.far.pk}")
    assert not AccessLog.objects.exists()


def test_names_of_people_are_masked_for_every_role_by_default(
    cast: Cast, client_for: ClientFor
) -> None:
    """RELIABILITY.md C1."""
    for who in ("manager", "subbranch_head", "analyst"):
        body = client_for(cast.staff()[who]).get(f"/api/v1/customers/{cast.own.pk}").json()
        assert (body["display_name"], body["name_masked"]) == ("王*明", True)
    pool = client_for(cast.subbranch_head).get(f"/api/v1/customers/{cast.pool.pk}").json()
    assert pool["display_name"] == "欧**娜"
    # A company's name is not personal data.
    company = client_for(cast.analyst).get(f"/api/v1/customers/{cast.company.pk}").json()
    assert company["display_name"] == "北京华信科技有限公司"


def test_masked_names_never_appear_in_list_responses(cast: Cast, client_for: ClientFor) -> None:
    """RELIABILITY.md C2."""
    body = client_for(cast.analyst).get("/api/v1/customers?limit=200").content.decode()
    for name in ("王小明", "李四", "欧阳娜娜", "赵六", "钱七"):
        assert name not in body


def test_search_by_part_of_the_name_or_customer_number(cast: Cast, client_for: ClientFor) -> None:
    """RELIABILITY.md D4."""
    client = client_for(cast.subbranch_head)
    by_name = client.get("/api/v1/customers", {"q": "小明"}).json()["items"]
    assert [item["id"] for item in by_name] == [cast.own.pk]
    by_number = client.get("/api/v1/customers", {"q": cast.other.customer_no}).json()["items"]
    assert [item["id"] for item in by_number] == [cast.other.pk]


def test_search_never_finds_customers_out_of_scope(cast: Cast, client_for: ClientFor) -> None:
    """RELIABILITY.md B7."""
    CustomerFactory(display_name="独一无二的名字", home_unit=cast.sub_b1)
    items = client_for(cast.branch_head).get("/api/v1/customers", {"q": "独一无二"}).json()["items"]
    assert items == []


def test_pages_follow_each_other_without_gaps(cast: Cast, client_for: ClientFor) -> None:
    client = client_for(cast.analyst)
    seen: list[int] = []
    offset = 0
    while True:
        body = client.get("/api/v1/customers", {"limit": 2, "offset": offset}).json()
        seen += [item["id"] for item in body["items"]]
        if not body["page"]["has_more"]:
            break
        offset += 2
    assert sorted(seen) == sorted(c.pk for c in cast.customers().values())
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("limit", [0, 201, "x"])
def test_bad_paging_is_a_422_with_the_field(
    cast: Cast, client_for: ClientFor, limit: object
) -> None:
    response = client_for(cast.manager).get("/api/v1/customers", {"limit": limit})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["details"][0]["field"].endswith("limit")


def test_list_query_count_does_not_grow_with_the_page(
    cast: Cast, client_for: ClientFor, django_assert_max_num_queries: Callable[..., object]
) -> None:
    """RELIABILITY.md G3."""
    for _ in range(30):
        CustomerFactory(home_unit=cast.sub_a1, primary_manager=cast.manager)
    client = client_for(cast.subbranch_head)
    client.get("/api/v1/customers?limit=1")  # warm the client
    with django_assert_max_num_queries(3):  # token with roles, org-unit path, page
        small = client.get("/api/v1/customers?limit=1")
    with django_assert_max_num_queries(3):
        large = client.get("/api/v1/customers?limit=30")
    assert small.status_code == large.status_code == 200
    assert len(large.json()["items"]) == 30


def test_me_describes_the_caller(cast: Cast, client_for: ClientFor) -> None:
    body = client_for(cast.team_lead).get("/api/v1/me").json()
    assert body["username"] == "team-lead"
    assert body["roles"] == ["account_manager", "team_lead"]
    assert body["org_unit"]["code"] == "SA1"
    assert body["can_read_audit_log"] is False


def test_responses_with_customer_data_are_not_cached(cast: Cast, client_for: ClientFor) -> None:
    """RELIABILITY.md C6."""
    response = client_for(cast.manager).get(f"/api/v1/customers/{cast.own.pk}")
    assert response["Cache-Control"] == "no-store"
