"""A manager logs a contact from the morning plan and sees the entry leave it."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pytest
from browser_helpers import Bank, customer_make
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from rmdesk.contact.models import Interaction, PlanEntry
from rmdesk.contact.planning import plans_generate
from rmdesk.customers.models import Customer, Tier
from rmdesk.org.models import Staff

# An earlier flush (another browser test) may have removed the seeded needs.
needs_seed = importlib.import_module("rmdesk.contact.migrations.0002_need_categories")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_log_an_interaction_from_the_plan(
    page: Page, live_server: LiveServer, bank: Bank, sign_in: Callable[[Page, Staff], None]
) -> None:
    needs_seed.seed(apps, None)
    customers = [
        customer_make(bank.manager, name, customer_no=f"C-PLAN-{n}")
        for n, name in enumerate(["王小明", "陈美玲"], start=1)
    ]
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(tier=Tier.PRIVATE)
    today = timezone.localdate()
    assert plans_generate(day=today) == 2

    sign_in(page, bank.manager)
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
