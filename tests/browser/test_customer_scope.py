"""An account manager signs in with a real browser and sees their own customers only."""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from rmdesk.customers.models import Customer
from rmdesk.customers.services import customer_create
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.roles import Role
from rmdesk.org.services import org_unit_create, staff_create

PASSWORD = "browser-test-Passw0rd!"


def _manager(username: str, display_name: str, unit: OrgUnit) -> Staff:
    return staff_create(
        actor=None,
        username=username,
        display_name=display_name,
        org_unit=unit,
        roles=[Role.ACCOUNT_MANAGER],
        password=PASSWORD,
    )


def _customer(customer_no: str, display_name: str, manager: Staff) -> Customer:
    assert manager.org_unit is not None
    return customer_create(
        actor=None,
        customer_no=customer_no,
        kind=Customer.Kind.INDIVIDUAL,
        display_name=display_name,
        home_unit=manager.org_unit,
        primary_manager=manager,
    )


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
    live_server: LiveServer, page: Page, pytestconfig: pytest.Config
) -> None:
    head_office = org_unit_create(
        actor=None, code="HO", name="总行", kind=OrgUnit.Kind.HEAD_OFFICE, parent=None
    )
    branch = org_unit_create(
        actor=None, code="BR1", name="甲分行", kind=OrgUnit.Kind.BRANCH, parent=head_office
    )
    sub_branch = org_unit_create(
        actor=None, code="SB1", name="甲一支行", kind=OrgUnit.Kind.SUB_BRANCH, parent=branch
    )
    manager = _manager("rm-browser", "张经理", sub_branch)
    colleague = _manager("rm-colleague", "李经理", sub_branch)
    own = _customer("C-BROWSER-0001", "王小明", manager)
    colleagues = _customer("C-BROWSER-0002", "赵六", colleague)

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", PASSWORD)
    page.locator("form[action='/login/'] button[type=submit]").click()

    # Signing in lands on the home page; the customer list is a click away.
    expect(page).to_have_url(f"{live_server.url}/")
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
