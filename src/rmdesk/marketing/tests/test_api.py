from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from rmdesk.conftest import EXPECTED_VISIBLE, Cast
from rmdesk.customers.models import Customer
from rmdesk.marketing.models import Product, Sale
from rmdesk.marketing.tests.conftest import Shelf
from rmdesk.marketing.tests.factories import assessment_make, sale_setup
from rmdesk.org.models import Staff

ClientFor = Callable[[Staff], Client]


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json")


def test_products_are_browsed_with_filters(cast: Cast, shelf: Shelf, client_for: ClientFor) -> None:
    client = client_for(cast.manager)
    codes = [p["code"] for p in client.get("/api/v1/products?risk_level=4").json()]
    assert codes == ["FUND-R4", "WM-R4"]
    codes = [p["code"] for p in client.get("/api/v1/products?type=wm_private").json()]
    assert codes == ["PRIV-R3"]
    item = client.get(f"/api/v1/products/{shelf.private.pk}").json()
    assert item["min_amount"] == "300000.00"
    assert item["quota"] == "1000000.00"
    assert client.get("/api/v1/products/999999").status_code == 404


def test_products_are_filtered_by_the_tier_they_target(
    cast: Cast, shelf: Shelf, client_for: ClientFor
) -> None:
    """The tier filter works on both databases (SQLite has no JSON contains); an unknown
    tier matches nothing rather than failing (found by the OpenAPI fuzzing, D6)."""
    Product.objects.filter(pk=shelf.private.pk).update(target_tiers=["private", "diamond"])
    client = client_for(cast.manager)
    every = {p["code"] for p in client.get("/api/v1/products").json()}
    gold = {p["code"] for p in client.get("/api/v1/products?tier=gold").json()}
    private = {p["code"] for p in client.get("/api/v1/products?tier=private").json()}
    assert gold == every - {"PRIV-R3"}
    assert private == every
    unknown = client.get("/api/v1/products?tier=%C3%A21%22%3B")
    assert unknown.status_code == 200
    assert unknown.json() == []


def test_product_create_by_officers_only(cast: Cast, shelf: Shelf, client_for: ClientFor) -> None:
    data = {
        "code": "API-1",
        "name": "接口产品",
        "type": "wm_public",
        "issuer_type": "wm_subsidiary",
        "asset_class": "mixed",
        "risk_level": 3,
        "min_amount": "1",
        "status": "on_sale",
    }
    assert post(client_for(cast.manager), "/api/v1/products", data).status_code == 403
    response = post(client_for(shelf.officer), "/api/v1/products", data)
    assert response.status_code == 201, response.json()
    bad = post(
        client_for(shelf.officer), "/api/v1/products", data | {"code": "API-2", "min_amount": "-5"}
    )
    assert bad.status_code == 400
    assert {d["field"] for d in bad.json()["details"]} == {"min_amount"}


def test_check_answers_reasons_in_plain_words(
    cast: Cast, shelf: Shelf, client_for: ClientFor
) -> None:
    assessment_make(cast.own, level=2)
    client = client_for(cast.manager)
    body = {
        "customer_id": cast.own.pk,
        "product_id": shelf.r4.pk,
        "amount": "50000",
        "channel": "branch",
    }
    decision = post(client, "/api/v1/suitability/check", body).json()
    assert decision["allowed"] is False
    assert decision["reasons"][0]["code"] == "RISK_MISMATCH"
    assert "C2" in decision["reasons"][0]["message"]
    ok = post(client, "/api/v1/suitability/check", body | {"product_id": shelf.r2.pk}).json()
    assert ok["allowed"] is True
    assert [r["code"] for r in ok["requirements"]] == ["DUAL_RECORDING"]


@pytest.mark.parametrize("who", sorted(EXPECTED_VISIBLE))
def test_check_sales_and_recommendations_are_404_outside_scope(
    cast: Cast, shelf: Shelf, client_for: ClientFor, who: str
) -> None:
    client = client_for(cast.staff()[who])
    for name, customer in cast.customers().items():
        visible = name in EXPECTED_VISIBLE[who]
        body = {"customer_id": customer.pk, "product_id": shelf.bond.pk, "amount": "100"}
        assert post(client, "/api/v1/suitability/check", body).status_code == (
            200 if visible else 404
        )
        reco = client.get(f"/api/v1/customers/{customer.pk}/recommendations")
        assert reco.status_code == (200 if visible else 404)
        history = client.get(f"/api/v1/customers/{customer.pk}/assessments")
        assert history.status_code == (200 if visible else 404)


def test_record_and_cancel_a_sale_through_the_api(
    cast: Cast, shelf: Shelf, client_for: ClientFor
) -> None:
    assessment_make(cast.own, level=2)
    client = client_for(cast.manager)
    body = {
        "customer_id": cast.own.pk,
        "product_id": shelf.r2.pk,
        "amount": "50000",
        "channel": "branch",
        "recording": {
            "file_name": "r.mp4",
            "sha256": "d" * 64,
            "zone": "专区",
            "consent": True,
            "reviewer_id": cast.team_lead.pk,
        },
    }
    response = post(client, "/api/v1/sales", body)
    assert response.status_code == 201, response.json()
    sale = response.json()
    assert sale["amount"] == "50000.00"
    assert sale["recording"]["sha256"] == "d" * 64
    assert sale["customer_name"] != cast.own.display_name  # masked
    blocked = post(client, "/api/v1/sales", body | {"product_id": shelf.r4.pk})
    assert blocked.status_code == 422
    assert blocked.json()["code"] == "sale_blocked"
    assert blocked.json()["details"]["reasons"][0]["code"] == "RISK_MISMATCH"
    assert Sale.objects.count() == 1
    # Public WM has no cooling-off: no cancellation.
    assert post(client, f"/api/v1/sales/{sale['id']}/cancel", {}).status_code == 400
    assert client_for(cast.other_manager).get(f"/api/v1/sales/{sale['id']}").status_code == 404
    listed = client.get(f"/api/v1/sales?customer_id={cast.own.pk}").json()
    assert [s["id"] for s in listed] == [sale["id"]]


def test_sale_list_reads_in_a_fixed_number_of_queries(
    cast: Cast, shelf: Shelf, client_for: ClientFor, django_assert_max_num_queries: Any
) -> None:
    assessment_make(cast.own, level=5)
    for product in (shelf.r2, shelf.r4, shelf.bond):
        sale_setup(seller=cast.manager, customer=cast.own, product=product).record("100")
    client = client_for(cast.manager)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/sales")
    assert len(response.json()) == 3


def test_assessment_through_the_api(cast: Cast, client_for: ClientFor) -> None:
    client = client_for(cast.manager)
    questionnaire = client.get("/api/v1/questionnaire").json()
    answers = {q["code"]: q["options"][0]["code"] for q in questionnaire["questions"]}
    response = post(
        client,
        f"/api/v1/customers/{cast.own.pk}/assessments",
        {"answers": answers, "channel": "branch", "customer_confirmed": True},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["risk_level"] == 1
    assert Customer.objects.get(pk=cast.own.pk).risk_level == 1


def test_campaign_freezes_targets_and_honours_consent(
    cast: Cast, shelf: Shelf, client_for: ClientFor
) -> None:
    Customer.objects.filter(pk__in=[cast.own.pk, cast.other.pk, cast.a2.pk]).update(
        marketing_consent=True, tier="gold"
    )
    Customer.objects.filter(pk=cast.other.pk).update(do_not_contact=True)
    head = client_for(cast.branch_head)
    response = post(
        head,
        "/api/v1/campaigns",
        {
            "name": "金卡理财季",
            "rules": {"tiers": ["gold"], "org_unit_id": cast.branch_a.pk},
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-31",
        },
    )
    assert response.status_code == 201, response.json()
    campaign_id = response.json()["id"]
    launched = post(head, f"/api/v1/campaigns/{campaign_id}/launch", {}).json()
    assert launched["funnel"] == {"targeted": 2, "touched": 0, "converted": 0}
    # Frozen: a customer who agrees later is not added.
    Customer.objects.filter(pk=cast.pool.pk).update(marketing_consent=True, tier="gold")
    assert post(head, f"/api/v1/campaigns/{campaign_id}/launch", {}).status_code == 400
    mine = client_for(cast.manager).get(f"/api/v1/campaigns/{campaign_id}/entries").json()
    assert [e["customer_id"] for e in mine] == [cast.own.pk]
    touched = post(client_for(cast.manager), f"/api/v1/campaign-entries/{mine[0]['id']}/touch", {})
    assert touched.json()["stage"] == "touched"
    # Consent withdrawn after launch: no more contact.
    Customer.objects.filter(pk=cast.own.pk).update(marketing_consent=False)
    refused = post(client_for(cast.manager), f"/api/v1/campaign-entries/{mine[0]['id']}/touch", {})
    assert refused.json()["code"] == "no_marketing_consent"
    assert client_for(cast.far_manager).get(f"/api/v1/campaigns/{campaign_id}").status_code == 404


def test_requirements_grouped_and_answered(cast: Cast, shelf: Shelf, client_for: ClientFor) -> None:
    Customer.objects.filter(pk=cast.own.pk).update(aum=Decimal("2000000"))
    Customer.objects.filter(pk=cast.company.pk).update(aum=Decimal("5000000"))
    client = client_for(cast.manager)
    for customer in (cast.own, cast.company, cast.own):
        response = post(
            client,
            "/api/v1/requirements",
            {"customer_id": customer.pk, "topic": "USD-WM", "description": "美元理财"},
        )
        assert response.status_code == 201
    assert client.get("/api/v1/requirements/groups").status_code == 403
    groups = client_for(shelf.officer).get("/api/v1/requirements/groups").json()
    assert groups == [
        {"topic": "usd-wm", "requirements": 3, "customers": 2, "aum": "7000000.00", "open": 3}
    ]
    first = client.get("/api/v1/requirements").json()[0]["id"]
    answered = post(
        client_for(shelf.officer),
        f"/api/v1/requirements/{first}/answer",
        {"answer": "明年一季度推出"},
    )
    assert answered.json()["status"] == "answered"
    from rmdesk.notify.models import Notification

    assert Notification.objects.filter(recipient=cast.manager).count() == 1


def test_plan_cascades_and_progress_comes_from_data(
    cast: Cast, shelf: Shelf, client_for: ClientFor
) -> None:
    from django.utils import timezone

    Customer.objects.filter(pk=cast.own.pk).update(aum=Decimal("3000000"))
    Customer.objects.filter(pk=cast.other.pk).update(aum=Decimal("1000000"))
    today = timezone.localdate()
    response = post(
        client_for(cast.subbranch_head),
        "/api/v1/plans",
        {
            "org_unit_id": cast.sub_a1.pk,
            "metric": "sales",
            "period_start": str(today),
            "period_end": str(today),
            "target": "1000000",
        },
    )
    assert response.status_code == 201, response.json()
    sale_setup(seller=cast.manager, customer=cast.own, product=shelf.r2, level=2).record("20000")
    mine = client_for(cast.manager).get("/api/v1/plans").json()
    assert len(mine) == 1
    assert mine[0]["target"] == "750000.00"  # 3 of the sub-branch's 4 million
    assert mine[0]["achieved"] == "20000.00"
    assert (
        post(
            client_for(cast.manager),
            "/api/v1/plans",
            {
                "org_unit_id": cast.sub_a1.pk,
                "metric": "sales",
                "period_start": str(today),
                "period_end": str(today),
                "target": "1",
            },
        ).status_code
        == 403
    )
