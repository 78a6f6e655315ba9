"""A manager raises a pricing exception, the credit officer asks for information, the
manager answers, the branch head approves, and the manager sees the decision."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from browser_helpers import Bank, customer_make, staff_make
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from rmdesk.coordination.models import WorkOrder
from rmdesk.coordination.tests.factories import seed_defaults
from rmdesk.customers.models import Customer
from rmdesk.org.models import Department, Staff
from rmdesk.org.roles import Role
from rmdesk.org.services import department_create


@pytest.mark.browser
def test_pricing_exception_end_to_end(
    live_server: LiveServer, page: Page, bank: Bank, sign_in: Callable[[Page, Staff], None]
) -> None:
    credit = department_create(
        actor=None, org_unit=bank.branch, kind=Department.Kind.CREDIT_APPROVAL, name="授信审批部"
    )
    manager = bank.manager
    officer = staff_make("credit-wo", bank.branch, Role.DEPARTMENT_OFFICER, department=credit)
    branch_head = staff_make("head-wo", bank.branch, Role.BRANCH_HEAD)
    customer = customer_make(
        manager, "北京华信科技有限公司", Customer.Kind.CORPORATE, customer_no="C-WO-0001"
    )
    base = live_server.url
    seed_defaults()

    # The manager raises the request; the type's own fields arrive through htmx.
    sign_in(page, manager)
    page.goto(f"{base}/coordination/work-orders/new/")
    page.select_option("#type", "pricing_exception")
    expect(page.locator("#f_requested_rate")).to_be_visible()
    page.fill("#title", "华信科技流贷利率优惠")
    page.fill("#customer_no", customer.customer_no)
    page.fill("#amount", "50")
    page.fill("#f_product", "流动资金贷款")
    page.fill("#f_standard_rate", "3.45")
    page.fill("#f_requested_rate", "3.10")
    page.fill("#f_reason", "同业报价更低")
    page.locator("form[action$='/work-orders/new/'] button[type=submit]").click()
    expect(page.locator("#status")).to_contain_text("Open")
    work_order = WorkOrder.objects.get()
    detail = f"{base}/coordination/work-orders/{work_order.pk}/"

    # The credit officer asks for more information.
    sign_in(page, officer)
    page.goto(detail)
    page.fill("#text", "请提供同业报价单")
    page.locator("button[value=request_info]").click()
    expect(page.locator("#status")).to_contain_text("Waiting for information")

    # The manager answers; the officer sends it for approval.
    sign_in(page, manager)
    page.goto(detail)
    expect(page.locator("#timeline")).to_contain_text("请提供同业报价单")
    page.fill("#text", "同业报价 3.05%，已附报价单")
    page.locator("button[value=provide_info]").click()
    expect(page.locator("#status")).to_contain_text("Open")
    sign_in(page, officer)
    page.goto(detail)
    page.locator("button[value=submit]").click()
    expect(page.locator("#status")).to_contain_text("In approval")

    # 50 bp is above the sub-branch's authority: the branch head approves.
    sign_in(page, branch_head)
    page.goto(detail)
    page.fill("#text", "同意")
    page.locator("button[value=approve]").click()
    expect(page.locator("#status")).to_contain_text("Approved")

    # The manager sees the decision on the timeline.
    sign_in(page, manager)
    page.goto(detail)
    expect(page.locator("#status")).to_contain_text("Approved")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("同业报价 3.05%")
    expect(timeline.locator("li.event-approved")).to_contain_text(branch_head.username)
