"""A manager reveals a masked mobile on the 360 page; compliance finds it in the access log."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from rmdesk.customers.models import Customer
from rmdesk.customers.services import customer_create
from rmdesk.org.models import OrgUnit
from rmdesk.org.roles import Role
from rmdesk.org.services import org_unit_create, staff_create

PASSWORD = "browser-test-Passw0rd!"


def sign_in(page: Page, live_server: LiveServer, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page).to_have_url(f"{live_server.url}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_reveal_a_mobile_and_find_it_in_the_access_log(page: Page, live_server: LiveServer) -> None:
    head_office = org_unit_create(
        actor=None, code="HO", name="总行", kind=OrgUnit.Kind.HEAD_OFFICE, parent=None
    )
    unit = org_unit_create(
        actor=None, code="S1", name="东城支行", kind=OrgUnit.Kind.SUB_BRANCH, parent=head_office
    )
    manager = staff_create(
        actor=None,
        username="rm-reveal",
        display_name="李经理",
        org_unit=unit,
        roles=[Role.ACCOUNT_MANAGER],
        password=PASSWORD,
    )
    staff_create(
        actor=None,
        username="compliance-reveal",
        display_name="合规",
        org_unit=head_office,
        roles=[Role.COMPLIANCE_AUDITOR],
        password=PASSWORD,
    )
    customer = customer_create(
        actor=None,
        kind=Customer.Kind.INDIVIDUAL,
        display_name="周小燕",
        home_unit=unit,
        primary_manager=manager,
        mobile="13912345678",
    )

    sign_in(page, live_server, "rm-reveal")
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

    sign_in(page, live_server, "compliance-reveal")
    page.goto(f"{live_server.url}/audit/access-log/?customer={customer.pk}")
    row = page.locator("table.list tbody tr", has_text="rm-reveal").filter(
        has_text="客户来电核实身份"
    )
    expect(row).to_have_count(1)
    expect(row).to_contain_text("mobile")
