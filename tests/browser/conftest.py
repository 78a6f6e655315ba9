"""Fixtures for the browser tests: one headless Chromium per module, a small bank
(head office, branch, sub-branch, an account manager) and signing in through the form."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser_helpers import PASSWORD, Bank, staff_make
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.services import org_unit_create

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module", autouse=True)
def _allow_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop running in the test thread, and Django
    refuses ORM calls from a thread with a running loop. Module scope, because the loop
    outlives each test and the database flush after it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def chromium(_allow_orm_beside_playwright: None) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM}"
        if os.environ.get("RMDESK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and RMDESK_REQUIRE_BROWSER=1 requires the browser tests")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh page in its own context, so no cookie or session leaks between tests."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def bank(live_server: LiveServer) -> Bank:
    """总行 → 甲分行 → 甲一支行, and the account manager 张经理 at the sub-branch."""
    head_office = org_unit_create(
        actor=None, code="HO", name="总行", kind=OrgUnit.Kind.HEAD_OFFICE, parent=None
    )
    branch = org_unit_create(
        actor=None, code="BR1", name="甲分行", kind=OrgUnit.Kind.BRANCH, parent=head_office
    )
    sub_branch = org_unit_create(
        actor=None, code="SB1", name="甲一支行", kind=OrgUnit.Kind.SUB_BRANCH, parent=branch
    )
    manager = staff_make("rm-browser", sub_branch, display_name="张经理")
    return Bank(head_office=head_office, branch=branch, sub_branch=sub_branch, manager=manager)


@pytest.fixture
def sign_in(live_server: LiveServer) -> Callable[[Page, Staff], None]:
    """Sign a member of staff in on a page through the sign-in form (any earlier session
    dropped) and wait for the home page it lands on."""

    def sign_in(page: Page, staff: Staff) -> None:
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", staff.username)
        page.fill("#id_password", PASSWORD)
        page.locator("form[action='/login/'] button[type=submit]").click()
        expect(page).to_have_url(f"{live_server.url}/")

    return sign_in
