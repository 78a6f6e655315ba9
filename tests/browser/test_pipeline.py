"""A manager captures a prospect in a real browser and moves it on the board with htmx."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from rmdesk.development.models import Prospect
from rmdesk.org.models import OrgUnit
from rmdesk.org.roles import Role
from rmdesk.org.services import org_unit_create, staff_create

PASSWORD = "browser-test-Passw0rd!"


@pytest.mark.browser
def test_capture_then_move_on_the_board(live_server: LiveServer, page: Page) -> None:
    head_office = org_unit_create(
        actor=None, code="HO", name="总行", kind=OrgUnit.Kind.HEAD_OFFICE, parent=None
    )
    sub_branch = org_unit_create(
        actor=None, code="SB1", name="甲一支行", kind=OrgUnit.Kind.SUB_BRANCH, parent=head_office
    )
    manager = staff_create(
        actor=None,
        username="rm-pipeline",
        display_name="张经理",
        org_unit=sub_branch,
        roles=[Role.ACCOUNT_MANAGER],
        password=PASSWORD,
    )

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", PASSWORD)
    page.locator("form[action='/login/'] button[type=submit]").click()

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
