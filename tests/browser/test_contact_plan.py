"""A manager logs a contact from the morning plan and sees the entry leave it."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from rmdesk.contact.models import Interaction, PlanEntry
from rmdesk.contact.planning import plans_generate
from rmdesk.customers.models import Customer, Tier
from rmdesk.customers.services import customer_create
from rmdesk.org.models import OrgUnit
from rmdesk.org.roles import Role
from rmdesk.org.services import org_unit_create, staff_create

PASSWORD = "browser-test-Passw0rd!"
# An earlier flush (another browser test) may have removed the seeded needs.
needs_seed = importlib.import_module("rmdesk.contact.migrations.0002_need_categories")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_log_an_interaction_from_the_plan(page: Page, live_server: LiveServer) -> None:
    needs_seed.seed(apps, None)
    head_office = org_unit_create(
        actor=None, code="HO", name="总行", kind=OrgUnit.Kind.HEAD_OFFICE, parent=None
    )
    unit = org_unit_create(
        actor=None, code="S1", name="东城支行", kind=OrgUnit.Kind.SUB_BRANCH, parent=head_office
    )
    manager = staff_create(
        actor=None,
        username="rm-plan",
        display_name="周经理",
        org_unit=unit,
        roles=[Role.ACCOUNT_MANAGER],
        password=PASSWORD,
    )
    customers = [
        customer_create(
            actor=None,
            customer_no=f"C-PLAN-{n}",
            kind=Customer.Kind.INDIVIDUAL,
            display_name=name,
            home_unit=unit,
            primary_manager=manager,
        )
        for n, name in enumerate(["王小明", "陈美玲"], start=1)
    ]
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(tier=Tier.PRIVATE)
    today = timezone.localdate()
    assert plans_generate(day=today) == 2

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.goto(f"{live_server.url}/contact/")

    plan = page.locator("#plan-open")
    entry = plan.locator("li[data-customer='C-PLAN-1']")
    expect(entry).to_be_visible()
    expect(plan.locator("li[data-customer='C-PLAN-2']")).to_be_visible()

    entry.locator("a.log").click()
    page.check("input[name=channel][value=phone]")
    page.fill("#id_summary", "电话沟通了理财到期后的安排")
    page.check("input[name=needs][value=wealth_growth]")
    page.locator("form.form button[type=submit].primary").click()

    expect(page.locator(".messages")).to_be_visible()
    expect(page.locator("#plan-open li[data-customer='C-PLAN-1']")).to_have_count(0)
    expect(page.locator("#plan-open li[data-customer='C-PLAN-2']")).to_be_visible()
    expect(page.locator("#plan-closed")).to_contain_text("C-PLAN-1")
    assert PlanEntry.objects.get(customer=customers[0], day=today).status == "done"
    assert Interaction.objects.filter(customer=customers[0]).count() == 1
