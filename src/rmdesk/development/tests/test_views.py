from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rmdesk.conftest import Cast
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.development.models import Prospect
from rmdesk.development.signals import signals_compute
from rmdesk.development.tests.factories import ProspectFactory, holding
from rmdesk.org.models import Staff

BrowserFor = Callable[[Staff], Client]
PAGES = ["board", "prospect_new", "pool", "name_lists", "signals", "opportunities", "charts"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["manager", "branch_head", "analyst", "admin"])
def test_pages_render(cast: Cast, browser_for: BrowserFor, page: str, who: str) -> None:
    ProspectFactory(home_unit=cast.sub_a1, owner=cast.manager)
    holding(cast.own, "demand_deposit", "300000.00")
    signals_compute(as_of=timezone.localdate())
    response = browser_for(cast.staff()[who]).get(reverse(f"development:{page}"))
    assert response.status_code == 200


def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    assert client.get(reverse("development:board")).status_code == 302


def test_capture_shows_masked_matches_then_proceeds(cast: Cast, browser_for: BrowserFor) -> None:
    CustomerFactory(display_name="孙悟空", home_unit=cast.sub_b1, mobile="13812345678")
    browser = browser_for(cast.manager)
    form = {
        "kind": "individual",
        "display_name": "孙悟空",
        "mobile": "13812345678",
        "source": "walk_in",
    }
    shown = browser.post(reverse("development:prospect_new"), form)
    assert shown.status_code == 422
    assert "孙*空" in shown.content.decode()
    assert "13812345678" not in shown.content.decode().replace('value="13812345678"', "")
    assert not Prospect.objects.exists()
    done = browser.post(reverse("development:prospect_new"), {**form, "confirm_duplicate": "on"})
    assert done.status_code == 302
    assert Prospect.objects.count() == 1


def test_board_move_with_htmx(cast: Cast, browser_for: BrowserFor) -> None:
    prospect = ProspectFactory(home_unit=cast.sub_a1, owner=cast.manager)
    response = browser_for(cast.manager).post(
        reverse("development:prospect_move", args=[prospect.pk]),
        {"stage": "contacted"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    prospect.refresh_from_db()
    assert prospect.stage == "contacted"


def test_prospect_page_is_404_out_of_scope(cast: Cast, browser_for: BrowserFor) -> None:
    prospect = ProspectFactory(home_unit=cast.sub_a1, owner=cast.manager)
    url = reverse("development:prospect", args=[prospect.pk])
    assert browser_for(cast.manager).get(url).status_code == 200
    assert browser_for(cast.far_manager).get(url).status_code == 404
    assert (
        browser_for(cast.far_manager)
        .post(reverse("development:prospect_move", args=[prospect.pk]), {"stage": "contacted"})
        .status_code
        == 404
    )
