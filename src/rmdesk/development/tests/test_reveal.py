"""A prospect's personal fields: masked in every channel, shown by an audited reveal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client

from rmdesk.audit.models import AccessLog
from rmdesk.conftest import Cast
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.development.models import Prospect
from rmdesk.development.tests.factories import ProspectFactory
from rmdesk.org.models import Staff

ClientFor = Callable[[Staff], Client]
MOBILE = "13812345678"
RID = "11010519491231002X"
USCC = "91110000600037341L"


def person(cast: Cast, owner: Staff | None = None) -> Prospect:
    return ProspectFactory(
        home_unit=cast.sub_a1,
        owner=owner or cast.manager,
        display_name="孙悟空",
        mobile=MOBILE,
        id_type="resident_id",
        id_number=RID,
        birth_date=date(1949, 12, 31),
    )


def reveal(client: Client, prospect: Prospect, fields: list[str], reason: str = "回访核对") -> Any:
    return client.post(
        f"/api/v1/prospects/{prospect.pk}/reveal",
        {"fields": fields, "reason": reason},
        content_type="application/json",
    )


MASKED = {
    "display_name": "孙*空",
    "mobile": "138****5678",
    "id_number": "110***********002X",
    "birth_date": "1949-**-**",
}


def test_masked_for_everyone_by_default_the_owner_too(cast: Cast, client_for: ClientFor) -> None:
    prospect = person(cast)
    for staff in (cast.manager, cast.team_lead, cast.analyst):
        one = client_for(staff).get(f"/api/v1/prospects/{prospect.pk}").json()
        assert {name: one[name] for name in MASKED} == MASKED, staff.username
        assert one["masked_fields"] == ["display_name", "id_number", "mobile", "birth_date"]
        listed = client_for(staff).get("/api/v1/prospects").json()["items"]
        assert [item["mobile"] for item in listed] == [MASKED["mobile"]]
    assert AccessLog.objects.count() == 0


def test_the_pages_mask_too(cast: Cast, browser_for: ClientFor) -> None:
    prospect = person(cast)
    browser = browser_for(cast.manager)
    for url in (f"/development/prospects/{prospect.pk}/", "/development/?all=1"):
        page = browser.get(url).content.decode()
        for secret in (MOBILE, RID, "孙悟空"):
            assert secret not in page, url
    detail = browser.get(f"/development/prospects/{prospect.pk}/").content.decode()
    assert MASKED["mobile"] in detail


def test_the_owner_reveals_through_the_api_once_logged(cast: Cast, client_for: ClientFor) -> None:
    prospect = person(cast)
    answer = reveal(client_for(cast.manager), prospect, ["mobile", "id_number", "mobile"])
    assert answer.status_code == 200
    assert answer.json() == {"values": {"id_number": RID, "mobile": MOBILE}}
    entry = AccessLog.objects.get()
    assert (entry.action, entry.channel, entry.fields, entry.reason) == (
        "unmask",
        "api",
        "id_number,mobile",
        "回访核对",
    )
    assert (entry.target_type, entry.target_id) == ("development.prospect", str(prospect.pk))
    assert entry.actor_id == cast.manager.pk
    # The reveal answers once: the record stays masked afterwards.
    again = client_for(cast.manager).get(f"/api/v1/prospects/{prospect.pk}").json()
    assert again["mobile"] == MASKED["mobile"]


def test_the_owner_reveals_on_the_page_once_logged(cast: Cast, browser_for: ClientFor) -> None:
    prospect = person(cast)
    browser = browser_for(cast.manager)
    page = browser.get(f"/development/prospects/{prospect.pk}/").content.decode()
    assert "/reveal/" in page
    shown = browser.post(
        f"/development/prospects/{prospect.pk}/reveal/",
        {"show": ["mobile", "display_name"], "reason": "回访核对"},
    )
    assert shown.status_code == 200
    body = shown.content.decode()
    assert MOBILE in body
    assert "孙悟空" in body
    assert RID not in body
    entry = AccessLog.objects.get()
    assert (entry.channel, entry.fields) == ("web", "display_name,mobile")


def test_compliance_may_reveal(cast: Cast, client_for: ClientFor) -> None:
    prospect = person(cast)
    answer = reveal(client_for(cast.auditor), prospect, ["birth_date"])
    assert answer.json() == {"values": {"birth_date": "1949-12-31"}}
    assert AccessLog.objects.filter(actor=cast.auditor).count() == 1


@pytest.mark.parametrize("who", ["team_lead", "subbranch_head", "analyst"])
def test_who_sees_but_does_not_own_may_not_reveal(
    cast: Cast, client_for: ClientFor, browser_for: ClientFor, who: str
) -> None:
    prospect = person(cast)
    staff = cast.staff()[who]
    assert client_for(staff).get(f"/api/v1/prospects/{prospect.pk}").json()["can_reveal"] is False
    assert reveal(client_for(staff), prospect, ["mobile"]).status_code == 403
    page = browser_for(staff).post(
        f"/development/prospects/{prospect.pk}/reveal/", {"show": ["mobile"], "reason": "看看号码"}
    )
    assert page.status_code == 403
    assert AccessLog.objects.count() == 0


@pytest.mark.parametrize("who", ["other_manager", "a2_manager", "other_branch_head", "admin"])
def test_out_of_scope_is_404_and_leaves_no_trace(
    cast: Cast, client_for: ClientFor, browser_for: ClientFor, who: str
) -> None:
    prospect = person(cast)
    staff = cast.staff()[who]
    assert reveal(client_for(staff), prospect, ["mobile"]).status_code == 404
    # Even a request that is invalid as well answers 404: scope is checked first.
    assert reveal(client_for(staff), prospect, ["nope"], reason="").status_code == 404
    page = browser_for(staff).post(
        f"/development/prospects/{prospect.pk}/reveal/", {"show": ["mobile"], "reason": "看看号码"}
    )
    assert page.status_code == 404
    assert AccessLog.objects.count() == 0


def test_a_reveal_needs_known_fields_and_a_reason(cast: Cast, client_for: ClientFor) -> None:
    prospect = person(cast)
    client = client_for(cast.manager)
    answer = reveal(client, prospect, ["email", "mobile"], reason=" ")
    assert answer.status_code == 422
    assert {(d["field"], d["code"]) for d in answer.json()["details"]} == {
        ("fields", "BAD_CHOICE"),
        ("reason", "REQUIRED"),
    }
    assert AccessLog.objects.count() == 0


def test_a_pool_prospect_has_nobody_to_reveal_it_but_compliance(
    cast: Cast, client_for: ClientFor
) -> None:
    prospect = ProspectFactory(home_unit=cast.sub_a1, owner=None, mobile=MOBILE)
    assert reveal(client_for(cast.manager), prospect, ["mobile"]).status_code == 403
    assert reveal(client_for(cast.auditor), prospect, ["mobile"]).status_code == 200


def test_a_company_credit_code_follows_the_customer_rule(cast: Cast, client_for: ClientFor) -> None:
    prospect = ProspectFactory(
        kind="corporate",
        home_unit=cast.sub_a1,
        owner=cast.manager,
        display_name="花果山有限公司",
        id_type="uscc",
        id_number=USCC,
        mobile=MOBILE,
    )
    one = client_for(cast.manager).get(f"/api/v1/prospects/{prospect.pk}").json()
    # Like a corporate customer: the company's name and credit code are public, its
    # contact's mobile is personal.
    assert (one["display_name"], one["id_number"], one["mobile"]) == (
        "花果山有限公司",
        USCC,
        MASKED["mobile"],
    )


def test_duplicate_answers_stay_masked(cast: Cast, client_for: ClientFor) -> None:
    person(cast, owner=cast.other_manager)
    CustomerFactory(display_name="孙悟空", home_unit=cast.sub_b1, mobile=MOBILE)
    clash = client_for(cast.manager).post(
        "/api/v1/prospects",
        {"kind": "individual", "display_name": "孙悟空", "mobile": MOBILE, "source": "walk_in"},
        content_type="application/json",
    )
    assert clash.status_code == 409
    text = clash.content.decode()
    assert "孙悟空" not in text
    assert MOBILE not in text
    assert {m["name"] for m in clash.json()["details"]["matches"]} == {"孙*空"}


def test_claiming_a_prospect_out_of_sight_is_404_not_already_claimed(
    cast: Cast, client_for: ClientFor
) -> None:
    theirs = ProspectFactory(home_unit=cast.sub_a1, owner=cast.other_manager)
    claim = f"/api/v1/prospects/{theirs.pk}/claim"
    assert client_for(cast.manager).post(claim).status_code == 404
    # A team lead sees their report's prospect, so learns that it is taken.
    mine = ProspectFactory(home_unit=cast.sub_a1, owner=cast.manager)
    taken = client_for(cast.team_lead).post(f"/api/v1/prospects/{mine.pk}/claim")
    assert (taken.status_code, taken.json()["code"]) == (409, "already_claimed")
