"""A manager captures a prospect in a real browser and moves it on the board with htmx."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from browser_helpers import Bank
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from rmdesk.development.models import Prospect
from rmdesk.org.models import Staff


@pytest.mark.browser
def test_capture_then_move_on_the_board(
    live_server: LiveServer, page: Page, bank: Bank, sign_in: Callable[[Page, Staff], None]
) -> None:
    manager = bank.manager
    sign_in(page, manager)

    page.goto(f"{live_server.url}/development/prospects/new/")
    page.fill("input[name=display_name]", "孙悟空")
    page.fill("input[name=mobile]", "13812345678")
    page.locator("main form.form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/development/prospects/\d+/$"))
    prospect = Prospect.objects.get()
    assert prospect.owner_id == manager.pk

    page.goto(f"{live_server.url}/development/")
    card = page.locator(f"#prospect-{prospect.pk}")
    # The board masks a prospect's name, as the customer pages do.
    expect(card).to_contain_text("孙*空")
    card.locator("select[name=stage]").select_option("contacted")
    card.locator("button[type=submit]").click()
    # htmx swaps the card in place: the page does not reload.
    moved = page.locator(f"#prospect-{prospect.pk}")
    expect(moved).to_contain_text(re.compile("Now:|当前："))
    expect(moved).to_contain_text(re.compile("Contacted|已联系"))
    expect(page).to_have_url(f"{live_server.url}/development/")
    prospect.refresh_from_db()
    assert prospect.stage == "contacted"
