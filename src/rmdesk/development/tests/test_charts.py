"""The funnel's scope is chosen from the org tree the viewer may see, and checked."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from rmdesk.conftest import Cast
from rmdesk.development import charts
from rmdesk.org.models import Staff

ClientFor = Callable[[Staff], Client]
MISSING = 987_654_321


def ids(rows: list[tuple[int, str]]) -> set[int]:
    return {pk for pk, _label in rows}


def test_choices_follow_staff_visibility(cast: Cast) -> None:
    mine = charts.scope_choices(cast.manager)
    assert ids(mine["manager"]) == {cast.manager.pk}
    assert mine["team"] == []
    assert ids(mine["branch"]) == {cast.sub_a1.pk}

    lead = charts.scope_choices(cast.team_lead)
    assert ids(lead["manager"]) == {cast.team_lead.pk, cast.manager.pk}
    assert ids(lead["team"]) == {cast.team_lead.pk}

    head = charts.scope_choices(cast.branch_head)
    assert {cast.manager.pk, cast.other_manager.pk, cast.a2_manager.pk} <= ids(head["manager"])
    assert cast.far_manager.pk not in ids(head["manager"])
    assert ids(head["branch"]) == {cast.branch_a.pk, cast.sub_a1.pk, cast.sub_a2.pk}

    everyone = charts.scope_choices(cast.analyst)
    assert cast.far_manager.pk in ids(everyone["manager"])
    assert cast.sub_b1.pk in ids(everyone["branch"])
    assert cast.head_office.pk in ids(everyone["branch"])


@pytest.mark.parametrize(
    ("who", "by", "target"),
    [
        ("manager", "manager", "other_manager"),
        ("manager", "team", "team_lead"),
        ("team_lead", "manager", "other_manager"),
        ("branch_head", "branch", "sub_b1"),
        ("other_branch_head", "manager", "manager"),
    ],
)
def test_a_target_out_of_sight_is_refused_like_a_missing_one(
    cast: Cast, client_for: ClientFor, who: str, by: str, target: str
) -> None:
    client = client_for(cast.staff()[who])
    target_id = getattr(cast, target).pk
    out = client.get(f"/api/v1/prospect-funnel?by={by}&target_id={target_id}")
    missing = client.get(f"/api/v1/prospect-funnel?by={by}&target_id={MISSING}")
    assert out.status_code == 422
    assert out.json() == missing.json()
    assert out.json()["details"][0]["field"] == "target_id"


def test_the_api_lists_the_choices(cast: Cast, client_for: ClientFor) -> None:
    body = client_for(cast.subbranch_head).get("/api/v1/prospect-funnel/scopes").json()
    assert {row["id"] for row in body["branch"]} == {cast.sub_a1.pk}
    assert cast.manager.pk in {row["id"] for row in body["manager"]}
    assert cast.team_lead.pk in {row["id"] for row in body["team"]}


def test_the_page_offers_a_select_and_checks_it(cast: Cast, browser_for: ClientFor) -> None:
    browser = browser_for(cast.team_lead)
    page = browser.get("/development/charts/").content.decode()
    assert f'value="manager:{cast.manager.pk}"' in page
    assert f'value="team:{cast.team_lead.pk}"' in page
    assert f'value="branch:{cast.sub_a1.pk}"' in page
    assert f'value="manager:{cast.other_manager.pk}"' not in page
    assert browser.get(f"/development/charts/?scope=team:{cast.team_lead.pk}").status_code == 200
    refused = browser.get(f"/development/charts/?scope=manager:{cast.other_manager.pk}")
    assert refused.status_code == 422
    assert 'role="alert"' in refused.content.decode()
    assert browser.get("/development/charts/?scope=nonsense:x").status_code == 422


def test_choices_take_three_queries(
    cast: Cast, django_assert_num_queries: Callable[..., object]
) -> None:
    assert cast.analyst.role_codes  # roles are read once per request, before
    with django_assert_num_queries(3):  # type: ignore[attr-defined]
        charts.scope_choices(cast.analyst)
