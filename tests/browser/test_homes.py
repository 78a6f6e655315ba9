"""Each role's home page on a desktop and a phone, in English and in Chinese: the key
blocks are there, the phone never scrolls sideways, and a screenshot of each case is kept
under $RMDESK_VAR_DIR/screenshots/ (the CI keeps them as artefacts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from browser_helpers import PASSWORD
from django.conf import settings
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from rmdesk.conftest import Cast
from rmdesk.conftest import cast as cast  # noqa: PLC0414 (the cast, for these tests too)
from rmdesk.coordination.models import WorkOrder
from rmdesk.coordination.tests.factories import ResourcePoolFactory, WorkOrderTypeFactory
from rmdesk.org.models import Staff
from rmdesk.workbench.tests.builders import manager_day, work_order

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# Per role: the block that must show, and its heading in each language.
ROLES = {
    "manager": ("#block-plan", "Who to contact today", "今日联络"),
    "branch_head": ("#block-coverage", "Contact coverage", "联系覆盖"),
    "ops_officer": ("#block-queue", "To answer first", "优先处理"),
    "analyst": ("#block-branches", "Branches", "分行"),
}


def _screenshots() -> Path:
    folder = Path(settings.VAR_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _bank(cast: Cast) -> None:
    manager_day(cast.manager, size=3)
    manager_day(cast.other_manager, size=2)
    kind = WorkOrderTypeFactory()
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
    for age, due_in, title in (
        (2 * day, -hour, "大额取现预约审核"),
        (hour, 2 * hour, "对公账户变更"),
        (5 * day, 3 * day, "代发工资批量开卡"),
    ):
        work_order(
            work_type=kind,
            raised_by=cast.manager,
            customer=cast.own,
            department=cast.ops_dept,
            age=age,
            due_in=due_in,
            title=title,
            status=WorkOrder.Status.OPEN,
        )
    ResourcePoolFactory(org_unit=cast.branch_a)
    for staff in cast.staff().values():
        staff.set_password(PASSWORD)
        staff.display_name = staff.display_name or staff.username
        staff.save()


def _switch(page: Page, language: str) -> None:
    page.select_option("#language", language)
    page.locator("form.lang button[type=submit]").click()
    page.wait_for_load_state()


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("role", ROLES)
def test_home_page(
    chromium: Browser,
    live_server: LiveServer,
    cast: Cast,
    sign_in: Callable[[Page, Staff], None],
    role: str,
    viewport: str,
) -> None:
    _bank(cast)
    block, english, chinese = ROLES[role]
    context = chromium.new_context(viewport=VIEWPORTS[viewport])  # type: ignore[arg-type]
    try:
        page = context.new_page()
        sign_in(page, getattr(cast, role))
        for language, heading in (("en", english), ("zh-hans", chinese)):
            _switch(page, language)
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page.locator(block)).to_be_visible()
            expect(page.locator(f"{block} h3")).to_contain_text(heading)
            if role == "manager":
                plan = page.locator("#block-plan")
                expect(plan.locator("a.button.primary").first).to_be_visible()
                expect(plan.locator("a.button:not(.primary)").first).to_be_visible()
            if role == "ops_officer":
                expect(page.locator("#block-queue")).to_contain_text("大额取现预约审核")
            if viewport == "phone":
                _no_sideways_scroll(page)
            page.screenshot(
                path=str(_screenshots() / f"home-{role}-{viewport}-{language}.png"),
                full_page=True,
            )
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_branch_head_drills_down_to_a_manager(
    page: Page, live_server: LiveServer, cast: Cast, sign_in: Callable[[Page, Staff], None]
) -> None:
    _bank(cast)
    sign_in(page, cast.branch_head)
    _switch(page, "en")
    page.locator("#block-members").get_by_role("link", name=cast.manager.display_name).click()
    expect(page).to_have_url(f"{live_server.url}/home/staff/{cast.manager.pk}/")
    expect(page.locator("#block-plan")).to_be_visible()
    expect(page.locator("#block-plan .wb-count")).to_have_text("3")
