"""A manager raises a pricing exception, the credit officer asks for information, the
manager answers, the branch head approves, and the manager sees the decision."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from rmdesk.coordination.models import WorkOrder
from rmdesk.coordination.tests.factories import seed_defaults
from rmdesk.customers.models import Customer
from rmdesk.customers.services import customer_create
from rmdesk.org.models import Department, OrgUnit, Staff
from rmdesk.org.roles import Role
from rmdesk.org.services import department_create, org_unit_create, staff_create

PASSWORD = "browser-test-Passw0rd!"


def _staff(username: str, unit: OrgUnit, role: Role, department: Department | None = None) -> Staff:
    return staff_create(
        actor=None,
        username=username,
        display_name=username,
        org_unit=unit,
        roles=[role],
        department=department,
        password=PASSWORD,
    )


def _sign_in(page: Page, base: str, staff: Staff) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.locator("form[action='/login/'] button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_pricing_exception_end_to_end(live_server: LiveServer, page: Page) -> None:
    head_office = org_unit_create(
        actor=None, code="HO", name="总行", kind=OrgUnit.Kind.HEAD_OFFICE, parent=None
    )
    branch = org_unit_create(
        actor=None, code="BR1", name="甲分行", kind=OrgUnit.Kind.BRANCH, parent=head_office
    )
    sub_branch = org_unit_create(
        actor=None, code="SB1", name="甲一支行", kind=OrgUnit.Kind.SUB_BRANCH, parent=branch
    )
    credit = department_create(
        actor=None, org_unit=branch, kind=Department.Kind.CREDIT_APPROVAL, name="授信审批部"
    )
    manager = _staff("rm-wo", sub_branch, Role.ACCOUNT_MANAGER)
    officer = _staff("credit-wo", branch, Role.DEPARTMENT_OFFICER, credit)
    branch_head = _staff("head-wo", branch, Role.BRANCH_HEAD)
    customer = customer_create(
        actor=None,
        customer_no="C-WO-0001",
        kind=Customer.Kind.CORPORATE,
        display_name="北京华信科技有限公司",
        home_unit=sub_branch,
        primary_manager=manager,
    )
    base = live_server.url
    seed_defaults()

    # The manager raises the request; the type's own fields arrive through htmx.
    _sign_in(page, base, manager)
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
    _sign_in(page, base, officer)
    page.goto(detail)
    page.fill("#text", "请提供同业报价单")
    page.locator("button[value=request_info]").click()
    expect(page.locator("#status")).to_contain_text("Waiting for information")

    # The manager answers; the officer sends it for approval.
    _sign_in(page, base, manager)
    page.goto(detail)
    expect(page.locator("#timeline")).to_contain_text("请提供同业报价单")
    page.fill("#text", "同业报价 3.05%，已附报价单")
    page.locator("button[value=provide_info]").click()
    expect(page.locator("#status")).to_contain_text("Open")
    _sign_in(page, base, officer)
    page.goto(detail)
    page.locator("button[value=submit]").click()
    expect(page.locator("#status")).to_contain_text("In approval")

    # 50 bp is above the sub-branch's authority: the branch head approves.
    _sign_in(page, base, branch_head)
    page.goto(detail)
    page.fill("#text", "同意")
    page.locator("button[value=approve]").click()
    expect(page.locator("#status")).to_contain_text("Approved")

    # The manager sees the decision on the timeline.
    _sign_in(page, base, manager)
    page.goto(detail)
    expect(page.locator("#status")).to_contain_text("Approved")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("同业报价 3.05%")
    expect(timeline.locator("li.event-approved")).to_contain_text(branch_head.username)
