from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from rmdesk.audit.models import AuditEvent
from rmdesk.conftest import Cast
from rmdesk.customers.models import Customer
from rmdesk.org.models import Staff
from rmdesk.org.tests.factories import StaffFactory
from rmdesk.quality.metrics import METRICS
from rmdesk.quality.models import MetricWeight, Score
from rmdesk.quality.periods import period_parse
from rmdesk.quality.services import OVERALL, scorecards_compute

pytestmark = pytest.mark.django_db

NOVEMBER = period_parse("2026-11")
NOW = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _november() -> object:
    with time_machine.travel(NOW, tick=False):
        yield


def patch(client: Client, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    response = client.patch("/api/v1/scorecard-settings", body, content_type="application/json")
    return response.status_code, response.json()


def test_administrators_set_weights_per_role_and_the_period(
    cast: Cast, client_for: Callable[[Staff], Client]
) -> None:
    admin = client_for(cast.admin)
    shown = admin.get("/api/v1/scorecard-settings").json()
    assert shown["period_kind"] == "month"
    assert set(shown["weights"]) == {"team_lead", "account_manager"}
    assert shown["weights"]["account_manager"]["assists"] == "1"
    status, body = patch(
        admin,
        {
            "period_kind": "quarter",
            "weights": {"team_lead": {"assists": "3.5", "interactions_logged": "0"}},
        },
    )
    assert status == 200, body
    assert body["period_kind"] == "quarter"
    weights = body["weights"]
    assert isinstance(weights, dict)
    assert weights["team_lead"]["assists"] == "3.50"
    assert weights["account_manager"]["assists"] == "1"
    assert MetricWeight.objects.get(role="team_lead", metric="assists").weight == Decimal("3.5")
    event = AuditEvent.objects.get(action="quality.settings.changed")
    assert event.data == {
        "weights": {"team_lead": {"assists": ["1", "3.50"], "interactions_logged": ["1", "0.00"]}},
        "period_kind": ["month", "quarter"],
    }
    # The board and the API read the configured period when none is asked for.
    scorecards_compute(period=period_parse("2026-Q4"))
    board = client_for(cast.analyst).get("/api/v1/scorecards").json()
    assert (board["period"], len(board["rows"])) == ("2026-Q4", 5)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weights": {"account_manager": {"assists": "-1"}}}, "weights.account_manager.assists"),
        ({"weights": {"account_manager": {"assists": "1001"}}}, "weights.account_manager.assists"),
        ({"weights": {"account_manager": {"assists": "0.125"}}}, "weights.account_manager.assists"),
        ({"weights": {"account_manager": {"no_such": "1"}}}, "weights.account_manager.no_such"),
        ({"weights": {"administrator": {"assists": "1"}}}, "weights.administrator"),
        (
            {"weights": {"team_lead": dict.fromkeys(METRICS, "0")}},
            "weights.team_lead",
        ),
    ],
)
def test_weights_are_validated_all_or_nothing(
    cast: Cast, client_for: Callable[[Staff], Client], body: dict[str, object], field: str
) -> None:
    admin = client_for(cast.admin)
    body = {**body, "period_kind": "year"}
    status, answer = patch(admin, body)
    assert (status, answer["code"]) == (400, "invalid_weights")
    details = answer["details"]
    assert isinstance(details, list)
    assert field in [item["field"] for item in details]
    assert not MetricWeight.objects.exists()
    assert admin.get("/api/v1/scorecard-settings").json()["period_kind"] == "month"
    assert not AuditEvent.objects.filter(action="quality.settings.changed").exists()


def test_only_administrators_configure(
    cast: Cast,
    client_for: Callable[[Staff], Client],
    browser_for: Callable[[Staff], Client],
) -> None:
    for staff in (cast.manager, cast.branch_head, cast.analyst):
        client = client_for(staff)
        assert client.get("/api/v1/scorecard-settings").status_code == 403
        assert patch(client, {"period_kind": "year"})[0] == 403
        assert browser_for(staff).get("/quality/settings/").status_code == 403
    page = browser_for(cast.admin)
    assert page.get("/quality/settings/").status_code == 200
    form = {
        f"w-{role}-{code}": "1" for role in ("team_lead", "account_manager") for code in METRICS
    }
    refused = page.post("/quality/settings/", {**form, "w-team_lead-assists": "-2"})
    assert refused.status_code == 400
    assert "-2" in refused.content.decode()
    saved = page.post(
        "/quality/settings/", {**form, "w-team_lead-assists": "2", "period_kind": "year"}
    )
    assert saved.status_code == 302
    assert MetricWeight.objects.get(role="team_lead", metric="assists").weight == Decimal("2")


def test_team_leads_are_weighed_by_their_roles_weights(cast: Cast) -> None:
    Customer.objects.filter(pk=cast.own.pk).update(aum=Decimal("10"))
    MetricWeight.objects.bulk_create(
        [
            MetricWeight(role="team_lead", metric=code, weight=Decimal(0))
            for code in METRICS
            if code != "attributed_aum"
        ]
    )
    run = scorecards_compute(period=NOVEMBER)
    overall = {
        score.staff.username: score.value
        for score in Score.objects.filter(run=run, metric=OVERALL).select_related("staff")
    }
    # The team lead holds no AUM: by the team lead's weights only that figure counts.
    assert overall["team-lead"] == Decimal("0")
    assert overall["rm-own"] > Decimal("0")


def test_the_board_pages_sorts_and_filters_in_the_database(
    cast: Cast,
    client_for: Callable[[Staff], Client],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    Customer.objects.filter(pk=cast.far.pk).update(aum=Decimal("900"))
    Customer.objects.filter(pk=cast.own.pk).update(aum=Decimal("500"))
    scorecards_compute(period=NOVEMBER)
    analyst = client_for(cast.analyst)
    everyone = analyst.get("/api/v1/scorecards?period=2026-11&sort=attributed_aum&limit=2").json()
    assert [row["staff"] for row in everyone["rows"]] == [str(cast.far_manager), str(cast.manager)]
    assert everyone["has_more"] is True
    seen: list[str] = []
    offset = 0
    while True:
        page = analyst.get(f"/api/v1/scorecards?period=2026-11&limit=2&offset={offset}").json()
        seen += [row["staff"] for row in page["rows"]]
        if not page["has_more"]:
            break
        offset += 2
    assert len(seen) == len(set(seen)) == 5
    overall = [
        row["overall"] for row in analyst.get("/api/v1/scorecards?period=2026-11").json()["rows"]
    ]
    assert overall == sorted(overall, key=Decimal, reverse=True)
    in_a1 = analyst.get(f"/api/v1/scorecards?period=2026-11&org_unit={cast.sub_a1.pk}").json()
    assert {row["staff"] for row in in_a1["rows"]} == {
        str(cast.manager),
        str(cast.other_manager),
        str(cast.team_lead),
    }
    by_quality = analyst.get("/api/v1/scorecards?period=2026-11&sort=development").json()
    assert len(by_quality["rows"]) == 5
    # A unit outside one's sight narrows nothing into view.
    far = client_for(cast.subbranch_head).get(
        f"/api/v1/scorecards?period=2026-11&org_unit={cast.sub_b1.pk}"
    )
    assert far.json()["rows"] == []
    bad = analyst.get("/api/v1/scorecards?period=2026-11&sort=nonsense")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_board")
    assert analyst.get("/api/v1/scorecards?org_unit=987654321").status_code == 400

    # The same number of queries for a page however many people there are.
    from rmdesk.quality.selectors import board

    def queries_for_a_page() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            board(actor=cast.analyst, period=NOVEMBER, sort="communication", limit=3)
        return len(captured)

    queries_for_a_page()  # the analyst's roles are read once and kept
    few = queries_for_a_page()
    StaffFactory.create_batch(12, org_unit=cast.sub_a2)
    scorecards_compute(period=NOVEMBER)
    assert queries_for_a_page() == few <= 3


def test_the_board_page_pages_and_exports_everything(
    cast: Cast, browser_for: Callable[[Staff], Client]
) -> None:
    scorecards_compute(period=NOVEMBER)
    head = browser_for(cast.branch_head)
    html = head.get("/quality/board/?period=2026-11&sort=team_spirit").content.decode()
    assert 'value="team_spirit" selected' in html
    assert str(cast.a2_manager) in html
    error = head.get("/quality/board/?period=2026-11&sort=bad").content.decode()
    assert 'role="alert"' in error
    exported = head.get(f"/quality/board.csv?period=2026-11&unit={cast.sub_a2.pk}")
    assert exported.content.decode("utf-8-sig").count("\n") == 2
