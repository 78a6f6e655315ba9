from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from rmdesk.audit.models import AccessLog
from rmdesk.conftest import EXPECTED_VISIBLE, Cast
from rmdesk.org.models import Staff

BrowserFor = Callable[[Staff], Client]


@pytest.mark.parametrize("who", ["manager", "subbranch_head", "branch_head", "analyst", "admin"])
def test_detail_page_answers_200_inside_and_404_outside(
    cast: Cast, browser_for: BrowserFor, who: str
) -> None:
    client = browser_for(cast.staff()[who])
    for name, customer in cast.customers().items():
        response = client.get(f"/customers/{customer.pk}/")
        assert response.status_code == (200 if name in EXPECTED_VISIBLE[who] else 404), (who, name)


def test_list_page_shows_my_customers_only(cast: Cast, browser_for: BrowserFor) -> None:
    page = browser_for(cast.manager).get("/customers/").content.decode()
    assert cast.own.customer_no in page
    assert "王*明" in page
    assert "王小明" not in page
    assert cast.other.customer_no not in page
    assert cast.far.customer_no not in page


def test_list_page_masks_names_for_heads(cast: Cast, browser_for: BrowserFor) -> None:
    """RELIABILITY.md C2."""
    page = browser_for(cast.subbranch_head).get("/customers/").content.decode()
    assert "王*明" in page
    assert "王小明" not in page


def test_search_fragment_for_htmx(cast: Cast, browser_for: BrowserFor) -> None:
    response = browser_for(cast.subbranch_head).get(
        "/customers/", {"q": "李", "fragment": "rows"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body
    assert cast.other.customer_no in body
    assert cast.own.customer_no not in body


def test_detail_page_is_logged(cast: Cast, browser_for: BrowserFor) -> None:
    browser_for(cast.manager).get(f"/customers/{cast.own.pk}/")
    entry = AccessLog.objects.get()
    assert (entry.actor, entry.channel, entry.customer_id) == (cast.manager, "web", cast.own.pk)


def test_pages_require_sign_in(cast: Cast) -> None:
    response = Client().get(f"/customers/{cast.own.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_bad_offset_is_ignored_not_an_error(cast: Cast, browser_for: BrowserFor) -> None:
    assert browser_for(cast.manager).get("/customers/", {"offset": "abc"}).status_code == 200


def test_the_360_page_shows_masked_fields_and_reveals_them(
    cast: Cast, browser_for: BrowserFor
) -> None:
    from rmdesk.customers import services

    services.customer_update(
        actor=cast.manager, customer_id=cast.own.pk, version=1, data={"mobile": "13812345678"}
    )
    client = browser_for(cast.manager)
    page = client.get(f"/customers/{cast.own.pk}/").content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page
    response = client.post(
        f"/customers/{cast.own.pk}/reveal/", {"show": ["mobile"], "reason": "回访客户"}, follow=True
    )
    assert "13812345678" in response.content.decode()
    assert AccessLog.objects.filter(action="unmask", customer_id=cast.own.pk).count() == 1


def test_a_head_sees_no_reveal_form(cast: Cast, browser_for: BrowserFor) -> None:
    page = browser_for(cast.subbranch_head).get(f"/customers/{cast.own.pk}/").content.decode()
    assert "/reveal/" not in page
    response = browser_for(cast.subbranch_head).post(
        f"/customers/{cast.own.pk}/reveal/", {"show": ["mobile"], "reason": "想看看"}
    )
    assert response.status_code == 403


def test_a_manager_records_a_customer_through_the_page(cast: Cast, browser_for: BrowserFor) -> None:
    client = browser_for(cast.manager)
    assert client.get("/customers/new/").status_code == 200
    bad = client.post(
        "/customers/new/", {"kind": "individual", "display_name": "韩梅梅", "mobile": "12345"}
    )
    assert bad.status_code == 200
    assert 'class="field invalid"' in bad.content.decode()
    good = client.post(
        "/customers/new/",
        {"kind": "individual", "display_name": "韩梅梅", "mobile": "13912345678"},
    )
    assert good.status_code == 302


def test_the_edit_page_keeps_masked_values_and_catches_stale_versions(
    cast: Cast, browser_for: BrowserFor
) -> None:
    """RELIABILITY.md E2."""
    from rmdesk.customers import services
    from rmdesk.customers.models import Customer

    services.customer_update(
        actor=cast.manager, customer_id=cast.own.pk, version=1, data={"mobile": "13812345678"}
    )
    client = browser_for(cast.manager)
    form = client.get(f"/customers/{cast.own.pk}/edit/").content.decode()
    assert "138****5678" in form
    saved = client.post(
        f"/customers/{cast.own.pk}/edit/",
        {"display_name": "王*明", "mobile": "138****5678", "city": "北京", "version": 2},
    )
    assert saved.status_code == 302
    customer = Customer.objects.get(pk=cast.own.pk)
    assert (customer.display_name, customer.mobile, customer.city) == (
        "王小明",
        "13812345678",
        "北京",
    )
    stale = client.post(
        f"/customers/{cast.own.pk}/edit/",
        {"display_name": "王*明", "mobile": "138****5678", "city": "上海", "version": 2},
    )
    assert stale.status_code == 200
    assert Customer.objects.get(pk=cast.own.pk).city == "北京"


def test_analysts_get_no_edit_page(cast: Cast, browser_for: BrowserFor) -> None:
    assert browser_for(cast.analyst).get(f"/customers/{cast.own.pk}/edit/").status_code == 403
    assert browser_for(cast.analyst).get("/customers/new/").status_code == 403


def test_the_detail_page_leads_to_the_customer_in_every_duty(
    cast: Cast, browser_for: BrowserFor
) -> None:
    page = browser_for(cast.manager).get(f"/customers/{cast.own.pk}/").content.decode()
    for path in (
        f"/contact/customers/{cast.own.pk}/interactions/new/",
        f"/contact/customers/{cast.own.pk}/interactions/",
        f"/contact/customers/{cast.own.pk}/service-requests/new/",
        f"/marketing/customers/{cast.own.pk}/",
    ):
        assert f'href="{path}"' in page
    # A read-only role sees the history, not the forms.
    analyst = browser_for(cast.analyst).get(f"/customers/{cast.own.pk}/").content.decode()
    assert f"/contact/customers/{cast.own.pk}/interactions/new/" not in analyst
