from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from rmdesk.coordination.models import WorkOrder
from rmdesk.coordination.tests.conftest import Desk
from rmdesk.coordination.tests.test_work_orders import PRICING, raise_pricing
from rmdesk.org.models import Staff

BrowserFor = Callable[[Staff], Client]


def test_pages_need_sign_in(desk: Desk, client: Client) -> None:
    work_order = raise_pricing(desk)
    for url in (
        "/coordination/",
        f"/coordination/work-orders/{work_order.pk}/",
        "/coordination/dashboard/",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


def test_raise_form_with_type_fields_and_errors(desk: Desk, browser_for: BrowserFor) -> None:
    browser = browser_for(desk.cast.manager)
    fragment = browser.get("/coordination/work-orders/new/fields/?type=pricing_exception")
    assert 'name="f_requested_rate"' in fragment.content.decode()
    bad = browser.post(
        "/coordination/work-orders/new/",
        {"type": "pricing_exception", "title": "利率", "customer_no": desk.cast.own.customer_no},
    )
    assert bad.status_code == 422
    assert "requested_rate" in bad.content.decode()
    assert WorkOrder.objects.count() == 0
    good = browser.post(
        "/coordination/work-orders/new/",
        {
            "type": "pricing_exception",
            "title": "利率优惠",
            "customer_no": desk.cast.own.customer_no,
            "amount": "50",
            **{f"f_{k}": v for k, v in PRICING.items()},
        },
    )
    work_order = WorkOrder.objects.get()
    assert good.status_code == 302
    assert good["Location"].endswith(f"/{work_order.pk}/")
    far = browser.post(
        "/coordination/work-orders/new/",
        {"type": "service_request", "title": "x", "customer_no": desk.cast.far.customer_no},
    )
    assert far.status_code == 422


def test_detail_actions_and_404(desk: Desk, browser_for: BrowserFor) -> None:
    work_order = raise_pricing(desk)
    url = f"/coordination/work-orders/{work_order.pk}/"
    officer = browser_for(desk.credit_officer)
    page = officer.get(url).content.decode()
    assert 'value="request_info"' in page
    assert 'value="approve"' not in page
    officer.post(
        f"{url}act/", {"action": "request_info", "text": "请补充", "version": work_order.version}
    )
    work_order.refresh_from_db()
    assert work_order.status == "info_requested"
    manager_page = browser_for(desk.cast.manager).get(url).content.decode()
    assert 'value="provide_info"' in manager_page
    assert "请补充" in manager_page
    assert browser_for(desk.cast.far_manager).get(url).status_code == 404
    assert (
        browser_for(desk.cast.far_manager)
        .post(f"{url}act/", {"action": "comment", "text": "x"})
        .status_code
        == 404
    )


@pytest.mark.parametrize("view", ["mine", "queue", "approvals", "all"])
def test_list_pages_constant_queries(
    desk: Desk, browser_for: BrowserFor, django_assert_max_num_queries: Any, view: str
) -> None:
    raise_pricing(desk)
    browser = browser_for(desk.credit_officer)
    with django_assert_max_num_queries(20) as first:
        assert browser.get(f"/coordination/?view={view}").status_code == 200
    for _ in range(5):
        raise_pricing(desk, amount="5")
    with django_assert_max_num_queries(len(first.captured_queries)):
        browser.get(f"/coordination/?view={view}")


def test_detail_page_constant_queries(
    desk: Desk, browser_for: BrowserFor, django_assert_max_num_queries: Any
) -> None:
    work_order = raise_pricing(desk)
    browser = browser_for(desk.cast.manager)
    url = f"/coordination/work-orders/{work_order.pk}/"
    with django_assert_max_num_queries(25) as first:
        browser.get(url)
    from rmdesk.coordination import services

    for n in range(5):
        services.work_order_transition(
            actor=desk.cast.manager, work_order_id=work_order.pk, action="comment", text=f"c{n}"
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert browser.get(url).status_code == 200


def test_dashboard_groups_and_pools_pages(desk: Desk, browser_for: BrowserFor) -> None:
    raise_pricing(desk)
    head = browser_for(desk.cast.branch_head)
    dashboard = head.get("/coordination/dashboard/")
    assert dashboard.status_code == 200
    assert b"<svg" in dashboard.content
    manager = browser_for(desk.cast.manager)
    created = manager.post(
        "/coordination/groups/", {"name": "银团", "customer_no": desk.cast.company.customer_no}
    )
    assert created.status_code == 302
    group_page = manager.get(created["Location"])
    assert group_page.status_code == 200
    assert browser_for(desk.cast.far_manager).get(created["Location"]).status_code == 404
    assert manager.get("/coordination/pools/").status_code == 200
