"""A manager checks products for a C2 customer in a real browser: the R4 product is
blocked with its reason, the R2 sale is recorded and shows on the customer's page."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from browser_helpers import Bank, customer_make, staff_make
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from rmdesk.marketing.models import Product
from rmdesk.marketing.tests.factories import ProductFactory, assessment_make, seeded_defaults
from rmdesk.org.models import Staff
from rmdesk.org.roles import Role


@pytest.mark.browser
def test_manager_checks_products_and_records_a_suitable_sale(
    live_server: LiveServer, page: Page, bank: Bank, sign_in: Callable[[Page, Staff], None]
) -> None:
    seeded_defaults()
    manager = bank.manager
    reviewer = staff_make("rm-reviewer", bank.sub_branch, Role.TEAM_LEAD, display_name="李复核")
    customer = customer_make(manager, "王小明", customer_no="C-SUIT-0001")
    assessment_make(customer, level=2, staff=manager)
    r2 = ProductFactory(code="WM-R2-001", name="稳健增利R2", risk_level=2, min_amount=Decimal("1"))
    r4 = ProductFactory(
        code="WM-R4-001", name="权益进取R4", risk_level=4, asset_class=Product.AssetClass.EQUITY
    )

    sign_in(page, manager)

    # The R4 product, checked for the C2 customer: blocked, with its reason.
    page.goto(f"{live_server.url}/marketing/products/{r4.pk}/")
    page.get_by_role("link", name="Check for a customer").click()
    page.select_option("#id_customer", str(customer.pk))
    expect(page.locator("#id_product")).to_have_value(str(r4.pk))
    page.fill("#id_amount", "50000")
    page.select_option("#id_channel", "branch")
    page.locator("#check-form button[type=submit]").click()
    decision = page.locator("#decision")
    expect(decision).to_contain_text("Blocked")
    expect(decision.locator("li[data-code=RISK_MISMATCH]")).to_contain_text(
        "R4 is above the customer's risk tolerance C2"
    )
    expect(page.locator("#sale-form")).to_have_count(0)

    # The R2 product: allowed, with dual recording required; record the sale.
    page.select_option("#id_product", str(r2.pk))
    page.locator("#check-form button[type=submit]").click()
    expect(decision).to_contain_text("Allowed")
    expect(decision.locator("li[data-code=DUAL_RECORDING]")).to_have_count(1)
    sale_form = page.locator("#sale-form")
    sale_form.locator("#id_recording_file_name").fill("SB1-20261129-0001.mp4")
    sale_form.locator("#id_recording_sha256").fill("ab" * 32)
    sale_form.locator("#id_recording_zone").fill("甲一支行理财专区")
    sale_form.locator("#id_recording_consent").check()
    sale_form.locator("#id_recording_reviewer").fill(str(reviewer.pk))
    sale_form.locator("button[type=submit]").click()

    # The customer's page lists it.
    expect(page).to_have_url(f"{live_server.url}/marketing/customers/{customer.pk}/")
    sales = page.locator("#sales")
    expect(sales).to_contain_text("WM-R2-001")
    expect(sales).to_contain_text("50,000.00")
    expect(sales).not_to_contain_text("WM-R4-001")
