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
    assert "王小明" in page
    assert cast.other.customer_no not in page
    assert cast.far.customer_no not in page


def test_list_page_masks_names_for_heads(cast: Cast, browser_for: BrowserFor) -> None:
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
