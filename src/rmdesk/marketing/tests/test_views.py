from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from rmdesk.conftest import EXPECTED_VISIBLE, Cast
from rmdesk.marketing.models import Assessment, Product, Sale
from rmdesk.marketing.tests.conftest import Shelf
from rmdesk.marketing.tests.factories import assessment_make
from rmdesk.org.models import Staff

BrowserFor = Callable[[Staff], Client]


def test_pages_render_for_a_manager(cast: Cast, shelf: Shelf, browser_for: BrowserFor) -> None:
    client = browser_for(cast.manager)
    for url in (
        "/marketing/",
        "/marketing/?risk_level=4&type=fund",
        f"/marketing/products/{shelf.r2.pk}/",
        "/marketing/check/",
        f"/marketing/check/?product={shelf.r2.pk}",
        "/marketing/sales/",
        f"/marketing/customers/{cast.own.pk}/",
        f"/marketing/customers/{cast.own.pk}/assess/",
        "/marketing/campaigns/",
        "/marketing/plans/",
        "/marketing/requirements/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert b"FUND-R4" in client.get("/marketing/?risk_level=4").content
    assert b"WM-R2" not in client.get("/marketing/?risk_level=4").content


@pytest.mark.parametrize("who", ["manager", "other_manager", "branch_head", "admin"])
def test_customer_page_is_404_outside_scope(
    cast: Cast, shelf: Shelf, browser_for: BrowserFor, who: str
) -> None:
    client = browser_for(cast.staff()[who])
    for name, customer in cast.customers().items():
        status = client.get(f"/marketing/customers/{customer.pk}/").status_code
        assert status == (200 if name in EXPECTED_VISIBLE[who] else 404), (who, name)


def test_check_page_shows_the_block_and_records_an_allowed_sale(
    cast: Cast, shelf: Shelf, browser_for: BrowserFor
) -> None:
    assessment_make(cast.own, level=2)
    client = browser_for(cast.manager)
    blocked = client.get(
        f"/marketing/check/?customer={cast.own.pk}&product={shelf.r4.pk}&amount=50000&channel=online"
    )
    assert b"RISK_MISMATCH" in blocked.content
    assert b'id="sale-form"' not in blocked.content
    allowed = client.get(
        f"/marketing/check/?customer={cast.own.pk}&product={shelf.r2.pk}&amount=50000&channel=branch"
    )
    assert b'id="sale-form"' in allowed.content
    assert b"recording_sha256" in allowed.content
    form = {
        "customer": cast.own.pk,
        "product": shelf.r2.pk,
        "amount": "50000",
        "channel": "branch",
        "recording_file_name": "r.mp4",
        "recording_sha256": "a" * 64,
        "recording_zone": "专区",
        "recording_consent": "on",
        "recording_reviewer": cast.team_lead.pk,
    }
    missing = client.post("/marketing/sales/new/", form | {"recording_consent": ""})
    assert missing.status_code == 422
    assert not Sale.objects.exists()
    response = client.post("/marketing/sales/new/", form)
    assert response.status_code == 302
    assert response["Location"] == f"/marketing/customers/{cast.own.pk}/"
    page = client.get(response["Location"])
    assert b"WM-R2" in page.content
    # Posting a blocked sale straight to the form's address is refused too.
    forged = client.post("/marketing/sales/new/", form | {"product": shelf.r4.pk})
    assert forged.status_code == 422
    assert Sale.objects.count() == 1


def test_assessment_page_records_the_answers(cast: Cast, browser_for: BrowserFor) -> None:
    client = browser_for(cast.manager)
    form = {
        f"q_{code}": "c"
        for code in (
            "finances",
            "experience",
            "purpose",
            "return",
            "preference",
            "liquidity",
            "loss",
        )
    }
    form |= {"q_age": "b", "channel": "branch", "customer_confirmed": "on"}
    response = client.post(f"/marketing/customers/{cast.own.pk}/assess/", form)
    assert response.status_code == 302
    assert Assessment.objects.get(customer=cast.own).risk_level == 5


def test_product_pages_for_officers_only(cast: Cast, shelf: Shelf, browser_for: BrowserFor) -> None:
    assert browser_for(cast.manager).get("/marketing/products/new/").status_code == 403
    client = browser_for(shelf.officer)
    response = client.post(
        "/marketing/products/new/",
        {
            "code": "PAGE-1",
            "name": "页面产品",
            "type": "wm_public",
            "issuer_type": "bank",
            "asset_class": "fixed_income",
            "risk_level": 2,
            "min_amount": "10000",
            "increment": "1000",
            "currency": "CNY",
            "qualification_needed": "",
            "cooling_off_hours": 0,
            "status": "on_sale",
        },
    )
    assert response.status_code == 302
    assert Product.objects.get(code="PAGE-1").min_amount == Decimal("10000")
    edit = client.post(
        f"/marketing/products/{shelf.r2.pk}/edit/",
        {
            "name": "改名",
            "type": "wm_public",
            "issuer_type": "wm_subsidiary",
            "asset_class": "fixed_income",
            "risk_level": 2,
            "min_amount": "1",
            "increment": "0.01",
            "currency": "CNY",
            "qualification_needed": "",
            "cooling_off_hours": 0,
            "status": "suspended",
        },
    )
    assert edit.status_code == 302
    shelf.r2.refresh_from_db()
    assert (shelf.r2.name, shelf.r2.status, shelf.r2.code) == ("改名", "suspended", "WM-R2")


def test_anonymous_visitors_are_sent_to_sign_in(cast: Cast) -> None:
    response = Client().get(f"/marketing/customers/{cast.own.pk}/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_without_a_questionnaire_in_use_the_assessment_page_says_so(
    cast: Cast, browser_for: BrowserFor
) -> None:
    from rmdesk.marketing.models import Questionnaire

    Questionnaire.objects.update(active=False)
    client = browser_for(cast.manager)
    answer = client.get(f"/marketing/customers/{cast.own.pk}/assess/", follow=True)
    assert answer.status_code == 200
    assert answer.redirect_chain[-1][0] == f"/marketing/customers/{cast.own.pk}/"
    assert "no_questionnaire" not in answer.content.decode()
