"""Every main page fits a phone (390×844): nothing wider than the screen, and the menu
opens without a script and reaches every section."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pytest
from browser_helpers import Bank, customer_make
from django.apps import apps
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from rmdesk.coordination.models import WorkOrder
from rmdesk.coordination.tests.factories import WorkOrderTypeFactory, seed_defaults
from rmdesk.customers.models import Customer
from rmdesk.development.tests.factories import ProspectFactory
from rmdesk.marketing.tests.factories import ProductFactory, seeded_defaults
from rmdesk.org.models import Staff

PHONE = {"width": 390, "height": 844}
needs_seed = importlib.import_module("rmdesk.contact.migrations.0002_need_categories")


def _world(bank: Bank) -> tuple[Staff, Customer, WorkOrder]:
    needs_seed.seed(apps, None)
    seed_defaults()
    seeded_defaults()
    manager, unit = bank.manager, bank.sub_branch
    customer = customer_make(
        manager,
        "北京华信科技股份有限公司国际贸易与供应链管理分公司",
        Customer.Kind.CORPORATE,
        customer_no="C0000000001",
    )
    for n in range(3):
        customer_make(manager, f"王小明{n}", customer_no=f"C00000001{n:02d}")
    ProspectFactory(display_name="王潜客", home_unit=unit, owner=manager)
    ProductFactory(code="WM000001", name="稳健理财一号")
    work_order = WorkOrder.objects.create(
        work_order_type=WorkOrderTypeFactory(),
        title="王小明开户资料补充",
        customer=customer,
        raised_by=manager,
        raised_unit=unit,
        owner_unit=unit,
    )
    return manager, customer, work_order


def _overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_main_pages_fit_a_phone(
    chromium: Browser, live_server: LiveServer, bank: Bank, sign_in: Callable[[Page, Staff], None]
) -> None:
    manager, customer, _work_order = _world(bank)
    context = chromium.new_context(viewport=PHONE, device_scale_factor=1, has_touch=True)
    try:
        page = context.new_page()
        sign_in(page, manager)
        pages = [
            "/customers/",
            f"/customers/{customer.pk}/",
            "/contact/",
            "/development/",
            "/marketing/",
            "/coordination/?view=all",
            "/quality/",
            "/search/?q=%E7%8E%8B",
            "/search/",
        ]
        for path in pages:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None
            assert response.status == 200, path
            assert _overflow(page) <= 0, (path, _overflow(page))
            # The menu is closed: its links are out of the way until it is opened.
            nav = page.locator("header nav")
            expect(nav).to_be_hidden()
            page.locator("details.menu > summary").click()
            expect(nav).to_be_visible()
            assert _overflow(page) <= 0, (path, "menu open")
            link = nav.get_by_role("link").last
            link.scroll_into_view_if_needed()
            expect(link).to_be_in_viewport()
            # Touch targets: the menu's links and the header's buttons are at least 44px.
            heights = page.evaluate(
                "Array.from(document.querySelectorAll("
                "'header nav a, header button, header summary, "
                "header input:not([type=hidden]), header select'))"
                ".map(e => e.getBoundingClientRect().height)"
            )
            assert min(heights) >= 44, (path, heights)
        # A link in the menu leads where it says.
        page.goto(f"{live_server.url}/customers/")
        page.locator("details.menu > summary").click()
        page.locator("header nav").get_by_role("link", name="Work orders").or_(
            page.locator("header nav").get_by_role("link", name="工单")
        ).first.click()
        expect(page).to_have_url(f"{live_server.url}/coordination/")
        # The header's search box works on the phone too.
        page.fill("#site-search-q", "王小")
        page.locator("form.site-search button[type=submit]").click()
        expect(page.locator("#results-customers li")).to_have_count(3)
        assert _overflow(page) <= 0
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_wide_screen_the_menu_is_always_open(
    page: Page, live_server: LiveServer, bank: Bank, sign_in: Callable[[Page, Staff], None]
) -> None:
    manager, _customer, _work_order = _world(bank)
    sign_in(page, manager)
    page.goto(f"{live_server.url}/customers/")
    expect(page.locator("header nav")).to_be_visible()
    expect(page.locator("details.menu > summary")).to_be_hidden()
    assert _overflow(page) <= 0
    # The keyboard: the first Tab reaches the skip link, which shows a focus ring.
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    ring = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.left]; })()"
    )
    assert ring[0] == "solid"
    assert ring[1] == "3px"
    assert ring[2] == "8px"  # on screen, no longer parked off the left edge
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
