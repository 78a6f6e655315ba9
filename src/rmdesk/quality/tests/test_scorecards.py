from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from rmdesk.audit.models import AuditEvent
from rmdesk.conftest import Cast
from rmdesk.core.errors import DomainError
from rmdesk.customers.models import Customer, CustomerAssignment, Transaction
from rmdesk.org.models import Staff
from rmdesk.quality.metrics import METRICS
from rmdesk.quality.models import AttributionRule, MetricWeight, Score, ScoreRun
from rmdesk.quality.periods import PeriodKind, period_containing, period_parse
from rmdesk.quality.selectors import board, scorecard_get
from rmdesk.quality.services import OVERALL, percentiles, scorecards_compute

pytestmark = pytest.mark.django_db

NOVEMBER = period_parse("2026-11")
NOW = dt.datetime(2026, 11, 29, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _november() -> object:
    with time_machine.travel(NOW, tick=False):
        yield


def figures(run: ScoreRun, metric: str) -> dict[str, Decimal]:
    return {
        score.staff.username: score.value
        for score in Score.objects.filter(run=run, metric=metric).select_related("staff")
    }


def txn(customer: Customer, ref: str, amount: str, day: dt.date) -> None:
    Transaction.objects.create(
        txn_ref=ref,
        customer=customer,
        account_no="6222000000000001",
        booked_on=day,
        kind=Transaction.Kind.SALARY if Decimal(amount) > 0 else Transaction.Kind.SPENDING,
        amount=Decimal(amount),
    )


def test_periods_read_months_quarters_and_years() -> None:
    assert (NOVEMBER.start, NOVEMBER.end) == (dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    quarter = period_parse("2026-Q4")
    assert (quarter.start, quarter.end, quarter.label) == (
        dt.date(2026, 10, 1),
        dt.date(2027, 1, 1),
        "2026-Q4",
    )
    assert period_parse("2026").end == dt.date(2027, 1, 1)
    assert NOVEMBER.previous(11).label == "2025-12"
    assert period_containing(dt.date(2026, 2, 28), PeriodKind.QUARTER).label == "2026-Q1"
    for bad in ("2026-13", "2026-Q5", "26-11", "2026/11", ""):
        with pytest.raises(DomainError):
            period_parse(bad)


def test_standing_is_the_share_of_the_others_beaten() -> None:
    values = {1: Decimal(10), 2: Decimal(20), 3: Decimal(20), 4: Decimal(5)}
    assert percentiles(values, higher_is_better=True) == {
        1: Decimal("0.3333"),
        2: Decimal("0.6667"),
        3: Decimal("0.6667"),
        4: Decimal("0"),
    }
    assert percentiles(values, higher_is_better=False)[4] == Decimal("1")
    assert percentiles({1: Decimal(3)}, higher_is_better=True) == {1: Decimal("1")}


def test_book_figures_from_the_assignment_history(cast: Cast) -> None:
    # A customer the manager handed over before the month ended is not in their book.
    left = Customer.objects.create(
        customer_no="T9", kind="individual", display_name="周八", home_unit=cast.sub_a1
    )
    CustomerAssignment.objects.create(
        customer=left,
        manager=cast.manager,
        role=CustomerAssignment.Role.LEAD,
        started_at=NOW - dt.timedelta(days=60),
        ended_at=NOW - dt.timedelta(days=2),
    )
    CustomerAssignment.objects.create(
        customer=cast.company,
        manager=cast.other_manager,
        role=CustomerAssignment.Role.ASSISTING,
        started_at=NOW - dt.timedelta(days=1),
    )
    run = scorecards_compute(period=NOVEMBER)
    assert figures(run, "book_customers") == {
        "rm-own": 2,
        "rm-other": 1,
        "rm-a2": 1,
        "rm-far": 1,
        "team-lead": 0,
    }
    # Taken on in November: the cast's customers (created now); not the one from September.
    assert figures(run, "customers_gained")["rm-own"] == 2
    assert figures(run, "assists") == {
        "rm-own": 0,
        "rm-other": 1,
        "rm-a2": 0,
        "rm-far": 0,
        "team-lead": 0,
    }
    # In October the cast did not exist yet; only the handed-over customer was in a book.
    october = scorecards_compute(period=period_parse("2026-10"))
    assert figures(october, "book_customers")["rm-own"] == 1


def test_net_inflow_counts_the_period_only(cast: Cast) -> None:
    txn(cast.own, "T1", "1000.00", dt.date(2026, 11, 3))
    txn(cast.own, "T2", "-300.50", dt.date(2026, 11, 30))
    txn(cast.own, "T3", "99999.00", dt.date(2026, 10, 31))
    txn(cast.far, "T4", "50.00", dt.date(2026, 11, 15))
    run = scorecards_compute(period=NOVEMBER)
    inflow = figures(run, "book_net_inflow")
    assert inflow["rm-own"] == Decimal("699.50")
    assert inflow["rm-far"] == Decimal("50.00")
    assert inflow["rm-other"] == 0


def test_shared_customers_split_credit_by_the_rule(cast: Cast) -> None:
    Customer.objects.filter(pk=cast.own.pk).update(aum=Decimal("1000000"))
    Customer.objects.filter(pk=cast.company.pk).update(
        aum=Decimal("500000"), assisting_manager=cast.other_manager
    )
    run = scorecards_compute(period=NOVEMBER)
    credited = figures(run, "attributed_aum")
    assert credited["rm-own"] == Decimal("1350000.00")
    assert credited["rm-other"] == Decimal("150000.00")

    AttributionRule.objects.create(lead_share=Decimal("0.6"), effective_from=dt.date(2026, 11, 1))
    run = scorecards_compute(period=NOVEMBER)
    credited = figures(run, "attributed_aum")
    assert credited["rm-own"] == Decimal("1300000.00")
    assert credited["rm-other"] == Decimal("200000.00")


def test_overall_weighs_standings_by_the_roles_weights(cast: Cast) -> None:
    Customer.objects.filter(pk=cast.own.pk).update(aum=Decimal("10"))
    run = scorecards_compute(period=NOVEMBER)
    overall = figures(run, OVERALL)
    assert overall["rm-own"] > overall["team-lead"]
    # Only AUM credited counts: the manager holding the most leads alone.
    MetricWeight.objects.bulk_create(
        [
            MetricWeight(role=role, metric=code, weight=Decimal(0))
            for code in METRICS
            for role in ("account_manager", "team_lead")
            if code != "attributed_aum"
        ]
    )
    run = scorecards_compute(period=NOVEMBER)
    overall = figures(run, OVERALL)
    assert overall["rm-own"] == Decimal("1")
    assert overall["team-lead"] == Decimal("0")


def test_history_stays_until_recomputed(cast: Cast) -> None:
    first = scorecards_compute(period=NOVEMBER)
    txn(cast.own, "T1", "500.00", dt.date(2026, 11, 3))
    assert figures(first, "book_net_inflow")["rm-own"] == 0
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        second = scorecards_compute(period=NOVEMBER)
    assert figures(first, "book_net_inflow")["rm-own"] == 0
    assert figures(second, "book_net_inflow")["rm-own"] == Decimal("500")
    card = scorecard_get(actor=cast.manager, staff_id=cast.manager.pk, period=NOVEMBER)
    assert card.run == second
    assert AuditEvent.objects.filter(action="quality.scorecards.computed").count() == 2


def test_the_card_has_team_median_and_trend(cast: Cast) -> None:
    CustomerAssignment.objects.filter(customer=cast.own).update(
        started_at=dt.datetime(2026, 8, 1, tzinfo=dt.UTC)
    )
    for month, amount in (("2026-09", "100"), ("2026-10", "200"), ("2026-11", "300")):
        period = period_parse(month)
        txn(cast.own, f"T{month}", amount, period.start)
        with time_machine.travel(timezone.now() + dt.timedelta(seconds=len(month)), tick=False):
            scorecards_compute(period=period)
    card = scorecard_get(actor=cast.manager, staff_id=cast.manager.pk, period=NOVEMBER)
    lines = {line.metric.code: line for _q, _l, group in card.groups for line in group}
    # September's and October's runs were computed when those transactions existed.
    assert lines["book_net_inflow"].trend == [Decimal("100"), Decimal("200"), Decimal("300")]
    # Sub-branch A1's managers: rm-own 300, rm-other 0, team-lead 0.
    assert lines["book_net_inflow"].team_median == 0


def test_who_sees_whose_scorecard(cast: Cast, client_for: Callable[[Staff], Client]) -> None:
    scorecards_compute(period=NOVEMBER)
    own = client_for(cast.manager)
    assert own.get(f"/api/v1/scorecards/{cast.manager.pk}?period=2026-11").status_code == 200
    assert own.get(f"/api/v1/scorecards/{cast.other_manager.pk}").status_code == 404
    assert [row["staff"] for row in own.get("/api/v1/scorecards").json()["rows"]] == [
        str(cast.manager)
    ]
    lead = client_for(cast.team_lead)
    assert lead.get(f"/api/v1/scorecards/{cast.manager.pk}").status_code == 200
    assert lead.get(f"/api/v1/scorecards/{cast.other_manager.pk}").status_code == 404
    head = client_for(cast.subbranch_head)
    names = {row["staff"] for row in head.get("/api/v1/scorecards").json()["rows"]}
    assert names == {str(cast.manager), str(cast.other_manager), str(cast.team_lead)}
    far_head = client_for(cast.other_branch_head)
    assert far_head.get(f"/api/v1/scorecards/{cast.manager.pk}").status_code == 404
    analyst_rows = client_for(cast.analyst).get("/api/v1/scorecards").json()["rows"]
    assert len(analyst_rows) == 5
    bad = own.get("/api/v1/scorecards?period=2026-13")
    assert (bad.status_code, bad.json()["code"]) == (400, "bad_period")


def test_computing_is_for_administrators_and_head_office(
    cast: Cast, client_for: Callable[[Staff], Client]
) -> None:
    denied = client_for(cast.branch_head).post(
        "/api/v1/scorecards/compute", {"period": "2026-11"}, content_type="application/json"
    )
    assert denied.status_code == 403
    made = client_for(cast.analyst).post(
        "/api/v1/scorecards/compute", {"period": "2026-11"}, content_type="application/json"
    )
    assert made.status_code == 201
    assert made.json()["staff_count"] == 5


def test_pages_show_the_card_and_the_board_and_audit_the_export(
    cast: Cast, browser_for: Callable[[Staff], Client]
) -> None:
    scorecards_compute(period=NOVEMBER)
    page = browser_for(cast.manager).get("/quality/?period=2026-11")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    head = browser_for(cast.subbranch_head)
    assert head.get(f"/quality/staff/{cast.manager.pk}/").status_code == 200
    assert (
        browser_for(cast.far_manager).get(f"/quality/staff/{cast.manager.pk}/").status_code == 404
    )
    board_page = head.get("/quality/board/?period=2026-11").content.decode()
    assert str(cast.other_manager) in board_page
    exported = head.get("/quality/board.csv?period=2026-11")
    assert exported.content.decode("utf-8-sig").count("\n") == 4
    assert AuditEvent.objects.filter(action="quality.board.exported").count() == 1
    assert "2026-13" in head.get("/quality/?period=2026-13").content.decode()


def test_the_board_reads_in_a_few_queries(
    cast: Cast, django_assert_max_num_queries: Callable[..., object]
) -> None:
    scorecards_compute(period=NOVEMBER)
    with django_assert_max_num_queries(4):  # type: ignore[operator]
        page = board(actor=cast.analyst, period=NOVEMBER)
    assert page.run is not None
    assert len(page.rows) == 5
