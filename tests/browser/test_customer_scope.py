"""An account manager signs in with a real browser and sees their own customers only."""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from browser_helpers import Bank, customer_make, staff_make
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from rmdesk.org.models import Staff


def _save_screenshot(page: Page, path: Path) -> None:
    """Best effort: the picture is for the README, not part of what is tested."""
    try:
        png = page.screenshot(full_page=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename, so a parallel run never leaves half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".png.tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(png)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except (OSError, PlaywrightError) as exc:
        warnings.warn(f"could not save screenshot {path}: {exc}", stacklevel=2)


@pytest.mark.browser
def test_manager_sees_own_customer_and_not_a_colleagues(
    live_server: LiveServer,
    page: Page,
    pytestconfig: pytest.Config,
    bank: Bank,
    sign_in: Callable[[Page, Staff], None],
) -> None:
    colleague = staff_make("rm-colleague", bank.sub_branch, display_name="李经理")
    own = customer_make(bank.manager, "王小明", customer_no="C-BROWSER-0001")
    colleagues = customer_make(colleague, "赵六", customer_no="C-BROWSER-0002")

    # Signing in lands on the home page; the customer list is a click away.
    sign_in(page, bank.manager)
    page.goto(f"{live_server.url}/customers/")
    rows = page.locator("#customer-rows")
    expect(rows).to_contain_text(own.customer_no)
    expect(rows).not_to_contain_text(colleagues.customer_no)
    _save_screenshot(page, pytestconfig.rootpath / "var" / "screenshots" / "customer-list.png")

    page.get_by_role("link", name=own.customer_no, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/customers/{own.pk}/$"))
    expect(page.locator("h1")).to_contain_text(own.customer_no)

    # Out of scope looks exactly like not there at all.
    response = page.goto(f"{live_server.url}/customers/{colleagues.pk}/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text(colleagues.customer_no)
