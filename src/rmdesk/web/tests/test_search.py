"""The global search: visibility (B7), masking, validation, query count, audit rule."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rmdesk.audit.models import AccessLog
from rmdesk.conftest import Cast
from rmdesk.coordination.models import WorkOrder
from rmdesk.coordination.tests.factories import WorkOrderTypeFactory
from rmdesk.customers.models import Customer
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.development.tests.factories import ProspectFactory
from rmdesk.marketing.tests.factories import ProductFactory
from rmdesk.org.models import Staff

ClientFor = Callable[[Staff], Client]

TOKEN = "Zqxvk"


def work_order_make(raised_by: Staff, customer: Customer | None, title: str) -> WorkOrder:
    unit = raised_by.org_unit
    assert unit is not None
    return WorkOrder.objects.create(
        work_order_type=WorkOrderTypeFactory(),
        title=title,
        customer=customer,
        raised_by=raised_by,
        raised_unit=unit,
        owner_unit=unit,
    )


def found(client: Client, q: str, kinds: str = "") -> dict[str, list[dict[str, Any]]]:
    response = client.get("/api/v1/search", {"q": q, "kinds": kinds, "limit": 10})
    assert response.status_code == 200, response.content
    return {result["kind"]: result["hits"] for result in response.json()["results"]}


def page_hits(client: Client, q: str, kind: str) -> list[str]:
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    body = response.content.decode()
    section = re.search(rf'id="results-{kind}".*?</section>', body, re.S)
    assert section is not None
    return re.findall(r'<li><a href="([^"]+)"', section.group())


# --- B7: a record the searcher may not see is never a hit -------------------------------


def _far_customer(cast: Cast) -> tuple[str, int]:
    customer = CustomerFactory(
        display_name=f"{TOKEN} 远方贸易有限公司",
        kind=Customer.Kind.CORPORATE,
        home_unit=cast.sub_b1,
        primary_manager=cast.far_manager,
    )
    return "customers", customer.pk


def _far_prospect(cast: Cast) -> tuple[str, int]:
    prospect = ProspectFactory(
        display_name=f"{TOKEN}远方", home_unit=cast.sub_b1, owner=cast.far_manager
    )
    return "prospects", prospect.pk


def _far_work_order(cast: Cast) -> tuple[str, int]:
    work_order = work_order_make(cast.far_manager, cast.far, f"{TOKEN} 开户资料补充")
    return "work_orders", work_order.pk


@pytest.mark.parametrize("make", [_far_customer, _far_prospect, _far_work_order])
def test_a_token_in_an_invisible_record_finds_nothing(
    cast: Cast, client_for: ClientFor, browser_for: ClientFor, make: Any
) -> None:
    kind, pk = make(cast)
    for outsider in (cast.manager, cast.branch_head, cast.ops_officer, cast.admin):
        assert found(client_for(outsider), TOKEN)[kind] == [], outsider
        assert page_hits(browser_for(outsider), TOKEN, kind) == [], outsider
        assert found(client_for(outsider), TOKEN.lower(), kind) == {kind: []}
    # The one who may see it finds it, by the same token, on the page and in the API.
    assert [hit["id"] for hit in found(client_for(cast.far_manager), TOKEN)[kind]] == [pk]
    assert len(page_hits(browser_for(cast.far_manager), TOKEN, kind)) == 1


def test_each_kind_finds_what_the_actor_may_see(cast: Cast, client_for: ClientFor) -> None:
    prospect = ProspectFactory(display_name="周潜客", home_unit=cast.sub_a1, owner=cast.manager)
    work_order = work_order_make(cast.manager, cast.own, "周转贷款续期")
    product = ProductFactory(code="ZH0001", name="周周盈理财")
    hits = found(client_for(cast.manager), "周")
    assert [hit["id"] for hit in hits["prospects"]] == [prospect.pk]
    assert [hit["id"] for hit in hits["work_orders"]] == [work_order.pk]
    assert [hit["id"] for hit in hits["products"]] == [product.pk]
    assert hits["customers"] == []
    # A work order by its number, with or without '#'; a product by its code.
    assert [
        h["id"] for h in found(client_for(cast.manager), f"#{work_order.pk}")["work_orders"]
    ] == [work_order.pk]
    assert [h["id"] for h in found(client_for(cast.manager), "zh0001")["products"]] == [product.pk]


def test_customers_use_the_indexed_search_and_their_numbers(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for(cast.subbranch_head)
    assert {hit["id"] for hit in found(client, "小明")["customers"]} == {cast.own.pk}
    assert [hit["id"] for hit in found(client, cast.other.customer_no)["customers"]] == [
        cast.other.pk
    ]
    # Out of scope for the sub-branch head: the other branch's customer.
    assert found(client, cast.far.customer_no)["customers"] == []


# --- masking and the audit rule ---------------------------------------------------------


def test_names_are_masked_as_in_the_customer_list(cast: Cast, browser_for: ClientFor) -> None:
    client = browser_for(cast.manager)
    body = client.get("/search/", {"q": "王小"}).content.decode()
    assert "王*明" in body
    assert "王小明" not in body
    listed = client.get("/customers/", {"q": "王小"}).content.decode()
    assert "王*明" in listed
    assert "王小明" not in listed


def test_found_by_mobile_the_mobile_is_not_in_the_answer(cast: Cast, client_for: ClientFor) -> None:
    customer = CustomerFactory(
        display_name="孙悟空",
        home_unit=cast.sub_a1,
        primary_manager=cast.manager,
        mobile="13912345678",
    )
    response = client_for(cast.manager).get("/api/v1/search", {"q": "139 1234 5678"})
    body = response.content.decode()
    assert [hit["id"] for hit in response.json()["results"][0]["hits"]] == [customer.pk]
    assert "13912345678" not in body
    assert "孙悟空" not in body


def test_a_prospect_is_masked_for_everyone_as_on_its_own_pages(
    cast: Cast, client_for: ClientFor
) -> None:
    # As for customers, a prospect's name shows in full only through a logged reveal.
    ProspectFactory(display_name="吴潜龙", home_unit=cast.sub_a1, owner=cast.manager)
    mine = found(client_for(cast.manager), "潜龙", "prospects")["prospects"]
    theirs = found(client_for(cast.subbranch_head), "潜龙", "prospects")["prospects"]
    assert mine[0]["title"] == theirs[0]["title"] == "吴*龙"


def test_searching_customers_is_logged_as_the_customer_list_is(
    cast: Cast, browser_for: ClientFor, client_for: ClientFor
) -> None:
    before = AccessLog.objects.count()
    browser_for(cast.manager).get("/customers/", {"q": "王小"})
    by_list = AccessLog.objects.count() - before
    browser_for(cast.manager).get("/search/", {"q": "王小"})
    client_for(cast.manager).get("/api/v1/search", {"q": "王小"})
    assert AccessLog.objects.count() - before == 3 * by_list


# --- validation -------------------------------------------------------------------------


def test_an_empty_search_is_a_helpful_page(cast: Cast, browser_for: ClientFor) -> None:
    for q in ("", "   ", "\u3000"):
        response = browser_for(cast.manager).get("/search/", {"q": q})
        assert response.status_code == 200
        body = response.content.decode()
        assert 'id="search-help"' in body
        assert 'id="search-results"' not in body


def test_full_width_text_is_read_as_plain(cast: Cast, client_for: ClientFor) -> None:
    customer = CustomerFactory(
        display_name="Acme Trading 有限公司",
        kind=Customer.Kind.CORPORATE,
        home_unit=cast.sub_a1,
        primary_manager=cast.manager,
    )
    assert [h["id"] for h in found(client_for(cast.manager), "ＡＣＭＥ")["customers"]] == [
        customer.pk
    ]


def test_too_long_and_unknown_kinds_are_refused_with_the_field(
    cast: Cast, client_for: ClientFor, browser_for: ClientFor
) -> None:
    client = client_for(cast.manager)
    response = client.get("/api/v1/search", {"q": "x" * 101})
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "q"
    response = client.get("/api/v1/search", {"q": "x", "kinds": "customers,planets"})
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "kinds"
    assert "planets" in response.json()["details"][0]["reason"]
    assert client.get("/api/v1/search", {"q": "x", "limit": 0}).status_code == 422
    page = browser_for(cast.manager).get("/search/", {"q": "x" * 101})
    assert page.status_code == 200
    assert 'role="alert"' in page.content.decode()
    # Full-width text shrinks to plain text before the bound is checked.
    assert client.get("/api/v1/search", {"q": "Ｘ" * 100}).status_code == 200


def test_kinds_narrow_the_search(cast: Cast, client_for: ClientFor) -> None:
    response = client_for(cast.manager).get(
        "/api/v1/search", {"q": "王", "kinds": "work_orders,customers"}
    )
    assert [r["kind"] for r in response.json()["results"]] == ["customers", "work_orders"]


def test_anonymous_callers_are_refused() -> None:
    assert Client().get("/api/v1/search", {"q": "x"}).status_code == 401


# --- a few per kind, a link to more, a constant number of queries ----------------------


def _many(cast: Cast, n: int) -> None:
    for i in range(n):
        CustomerFactory(
            display_name=f"郑多{i}", home_unit=cast.sub_a1, primary_manager=cast.manager
        )
        ProspectFactory(display_name=f"郑潜{i}", home_unit=cast.sub_a1, owner=cast.manager)
        work_order_make(cast.manager, cast.own, f"郑州分行协办{i}")
        ProductFactory(name=f"郑享{i}号")


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(path, {"q": "郑"}).status_code == 200
    return len(context.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_hits(
    cast: Cast, browser_for: ClientFor, client_for: ClientFor
) -> None:
    _many(cast, 1)
    page, api = browser_for(cast.manager), client_for(cast.manager)
    # A first call of each does its one-off work (the session, the token's last use).
    _queries(page, "/search/"), _queries(api, "/api/v1/search")
    few = (_queries(page, "/search/"), _queries(api, "/api/v1/search"))
    _many(cast, 8)
    assert (_queries(page, "/search/"), _queries(api, "/api/v1/search")) == few


def test_a_few_per_kind_and_a_link_to_more(cast: Cast, browser_for: ClientFor) -> None:
    _many(cast, 7)
    body = browser_for(cast.manager).get("/search/", {"q": "郑"}).content.decode()
    for kind in ("customers", "prospects", "work_orders", "products"):
        assert len(page_hits(browser_for(cast.manager), "郑", kind)) == 5
    # Customers and prospects are asked for by POST: the text may be a number (C6).
    assert '<form method="post" action="/customers/" class="more">' in body
    assert '<form method="post" action="/search/" class="more">' in body
    assert (
        '<input type="hidden" name="q" value="郑">'
        '<input type="hidden" name="kinds" value="prospects">' in body
    )
    assert 'href="/marketing/?q=%E9%83%91"' in body
    # The one-kind page lists more of that kind.
    assert len(page_hits(browser_for(cast.manager), "郑", "work_orders")) == 5
    response = browser_for(cast.manager).get("/search/", {"q": "郑", "kinds": "work_orders"})
    assert response.content.decode().count('href="/coordination/work-orders/') == 7
    assert 'class="more"' not in response.content.decode()


def test_past_the_one_kind_page_the_searcher_is_asked_to_narrow(
    cast: Cast, browser_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rmdesk.web import search

    for i in range(3):
        work_order_make(cast.manager, cast.own, f"郑州分行协办{i}")
    monkeypatch.setattr(search, "MANY", 2)
    response = browser_for(cast.manager).get("/search/", {"q": "郑", "kinds": "work_orders"})
    body = response.content.decode()
    assert body.count('href="/coordination/work-orders/') == 2
    assert 'class="more"' not in body
    assert "缩小搜索范围" in body
