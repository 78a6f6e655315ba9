"""A manager reveals a masked mobile on the 360 page; compliance finds it in the access log."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from browser_helpers import Bank, customer_make, staff_make
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from rmdesk.org.models import Staff
from rmdesk.org.roles import Role


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_reveal_a_mobile_and_find_it_in_the_access_log(
    page: Page, live_server: LiveServer, bank: Bank, sign_in: Callable[[Page, Staff], None]
) -> None:
    manager = bank.manager
    compliance = staff_make(
        "compliance-reveal", bank.head_office, Role.COMPLIANCE_AUDITOR, display_name="合规"
    )
    customer = customer_make(manager, "周小燕", mobile="13912345678")

    sign_in(page, manager)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    mobile = page.locator("dd[data-field=mobile]")
    expect(mobile).to_have_text("139****5678")
    page.click("details.reveal summary")
    for box in page.locator("input[name=show]").all():
        box.uncheck()
    page.check("input[name=show][value=mobile]")
    page.fill("input[name=reason]", "客户来电核实身份")
    page.click("details.reveal button[type=submit]")
    expect(page.locator("dd[data-field=mobile]")).to_have_text("13912345678")
    page.click("header form[action='/logout/'] button")

    sign_in(page, compliance)
    page.goto(f"{live_server.url}/audit/access-log/?customer={customer.pk}")
    row = page.locator("table.list tbody tr", has_text=manager.username).filter(
        has_text="客户来电核实身份"
    )
    expect(row).to_have_count(1)
    expect(row).to_contain_text("mobile")
