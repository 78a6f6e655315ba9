"""The home pages: which blocks each role gets, their figures on hand-built data, the
drill-down's reach, and a constant number of queries whatever the size of the book."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rmdesk.conftest import Cast
from rmdesk.coordination.models import WorkOrder
from rmdesk.coordination.tests.factories import WorkOrderTypeFactory
from rmdesk.org.models import Staff
from rmdesk.workbench import presenters, selectors
from rmdesk.workbench.tests.builders import customers_for, manager_day, work_order

pytestmark = pytest.mark.django_db

HOMES = {
    "manager": ["manager"],
    "team_lead": ["manager", "team"],
    "subbranch_head": ["team"],
    "branch_head": ["team"],
    "ops_officer": ["department"],
    "analyst": ["head_office"],
    "auditor": ["head_office"],
    "admin": ["manager"],
}


@pytest.mark.parametrize(("who", "kinds"), HOMES.items())
def test_each_role_gets_its_blocks(cast: Cast, who: str, kinds: list[str]) -> None:
    staff = getattr(cast, who)
    assert selectors.homes_of(staff) == kinds
    home = selectors.home_for(actor=staff)
    assert home.kinds == kinds
    for kind in ("manager", "team", "department", "head_office"):
        assert (getattr(home, kind) is not None) is (kind in kinds)


def _figures(staff: Staff) -> dict[str, Any]:
    return presenters.home_out(selectors.home_for(actor=staff), timezone.now())


def test_the_managers_day(cast: Cast) -> None:
    work = manager_day(cast.manager, size=2)
    manager = _figures(cast.manager)["manager"]
    plan = manager["plan"]
    assert (plan["open"], plan["done"], plan["dismissed"]) == (2, 1, 0)
    # Highest priority first, each with its reasons.
    assert [item["customer"]["id"] for item in plan["items"]] == [
        work.customers[1].pk,
        work.customers[0].pk,
    ]
    assert [r["code"] for r in plan["items"][0]["reasons"]] == ["contact_overdue"]
    assert manager["follow_ups"]["count"] == 2
    assert manager["visits"]["count"] == 2
    assert (manager["opportunities"]["count"], manager["opportunities"]["due"]) == (2, 2)
    assert manager["name_list_entries"]["count"] == 2
    assert manager["name_list_entries"]["items"][0]["name_list"] == "代发工资客户名单"
    assert manager["work_orders"]["count"] == 2
    assert {item["sla_state"] for item in manager["work_orders"]["items"]} == {"on_time"}
    targets = manager["campaign_targets"]
    assert (targets["open"], targets["targeted"], targets["touched"], targets["converted"]) == (
        2,
        2,
        0,
        0,
    )
    progress = {row["metric"]: row for row in manager["plan_progress"]}
    # New this month: the three built here and the cast's two (王小明 and the company).
    assert progress["new_customers"]["achieved"] == Decimal("5")
    assert progress["new_customers"]["share"] == 0.5
    assert progress["aum_growth"]["achieved"] == Decimal("3000")
    assert progress["aum_growth"]["share"] == 1.5
    assert progress["sales"]["achieved"] == Decimal("0")
    scorecard = manager["scorecard"]
    assert scorecard["computed"] is True
    assert scorecard["overall"] == Decimal("0.75")
    assert (scorecard["behind"], scorecard["figures"]) == (1, 2)


def test_done_and_out_of_window_items_stay_off_the_blocks(cast: Cast) -> None:
    work = manager_day(cast.manager, size=1)
    customer = work.customers[0]
    WorkOrder.objects.filter(raised_by=cast.manager).update(status=WorkOrder.Status.DONE)
    from rmdesk.contact.models import Interaction, Visit
    from rmdesk.development.models import Opportunity

    Interaction.objects.filter(author=cast.manager).update(follow_up_done_at=timezone.now())
    Visit.objects.filter(manager=cast.manager).update(
        planned_start=F("planned_start") + dt.timedelta(days=10),
        planned_end=F("planned_end") + dt.timedelta(days=10),
    )
    Opportunity.objects.filter(manager=cast.manager).update(
        follow_up_on=timezone.localdate() + dt.timedelta(days=3)
    )
    manager = _figures(cast.manager)["manager"]
    assert manager["work_orders"]["count"] == 0
    assert manager["follow_ups"]["count"] == 0
    assert manager["visits"]["count"] == 0
    assert (manager["opportunities"]["count"], manager["opportunities"]["due"]) == (1, 0)
    assert manager["opportunities"]["items"][0]["customer"]["id"] == customer.pk


def test_the_team_at_a_glance(cast: Cast) -> None:
    manager_day(cast.manager, size=2)
    team = _figures(cast.team_lead)["team"]
    # The lead's report's book: three gold customers, two contacted today.
    assert (team["coverage"]["total"], team["coverage"]["within"]) == (3, 2)
    assert team["coverage"]["managers"][0]["id"] == cast.manager.pk
    stages = {row["stage"]: row["count"] for row in team["pipeline"]["stages"]}
    assert (stages["new"], stages["proposal"], stages["won"]) == (1, 1, 0)
    assert team["pipeline"]["opportunities_open"] == 2
    assert team["pipeline"]["opportunities_amount"] == Decimal("1000000")
    assert [(c["name"], c["targeted"], c["touched"]) for c in team["campaigns"]] == [
        ("春季理财节", 2, 0)
    ]
    assert team["sla"]["open"] == 2
    assert [row["staff"]["id"] for row in team["scorecards"]["rows"]] == [cast.manager.pk]
    assert [(row["staff"]["id"], row["coverage"], row["overall"]) for row in team["members"]] == [
        (cast.manager.pk, 0.6667, Decimal("0.75"))
    ]


def test_a_branch_head_sees_the_subtree_and_nothing_beyond(cast: Cast) -> None:
    manager_day(cast.manager, size=1)
    manager_day(cast.far_manager, size=3)
    team = _figures(cast.branch_head)["team"]
    assert team["coverage"]["total"] == 2
    assert team["pipeline"]["opportunities_open"] == 1
    members = {row["staff"]["id"] for row in team["members"]}
    assert cast.manager.pk in members
    assert cast.far_manager.pk not in members
    other = _figures(cast.other_branch_head)["team"]
    assert other["coverage"]["total"] == 4
    assert other["pipeline"]["opportunities_open"] == 3


def test_the_department_queue_by_age_and_sla(cast: Cast) -> None:
    kind = WorkOrderTypeFactory()
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)

    def make(**kw: Any) -> WorkOrder:
        return work_order(
            work_type=kind,
            raised_by=cast.manager,
            customer=cast.own,
            department=cast.ops_dept,
            **kw,
        )

    breached = make(age=2 * day, due_in=-hour, title="逾期")
    soon = make(age=hour, due_in=2 * hour, title="快到期")
    later = make(age=hour, due_in=3 * day, title="正常")
    old = make(age=10 * day, due_in=5 * day, title="老工单")
    make(status=WorkOrder.Status.DONE)
    work_order(work_type=kind, raised_by=cast.manager, customer=cast.own, department=None)
    department = _figures(cast.ops_officer)["department"]
    assert department["total"] == 4
    assert (department["breached"], department["due_soon"], department["on_time"]) == (1, 1, 2)
    assert [(row["breached"], row["due_soon"], row["on_time"]) for row in department["ages"]] == [
        (0, 1, 1),
        (1, 0, 0),
        (0, 0, 0),
        (0, 0, 1),
    ]
    assert [item["id"] for item in department["items"]] == [
        breached.pk,
        soon.pk,
        later.pk,
        old.pk,
    ]
    assert [item["sla_state"] for item in department["items"]] == [
        "breached",
        "due_soon",
        "on_time",
        "on_time",
    ]


def test_head_office_by_branch(cast: Cast) -> None:
    manager_day(cast.manager, size=2)
    customers_for(cast.far_manager, 2, aum=Decimal("2500"))
    kind = WorkOrderTypeFactory()
    work_order(
        work_type=kind,
        raised_by=cast.far_manager,
        customer=cast.far,
        department=None,
        breached=True,
    )
    head_office = _figures(cast.analyst)["head_office"]
    rows = {row["id"]: row for row in head_office["branches"]}
    a, b = rows[cast.branch_a.pk], rows[cast.branch_b.pk]
    # Branch A: the cast's five and the three built here; branch B: 钱七 and two more.
    assert (a["customers"], a["aum"], a["prospects_open"]) == (8, Decimal("3000"), 2)
    assert (a["work_open"], a["breached"]) == (2, 0)
    assert a["coverage"] == round(2 / 3, 4)
    assert (b["customers"], b["aum"], b["work_open"], b["breached"]) == (
        3,
        Decimal("5000"),
        1,
        1,
    )
    assert b["coverage"] == 0.0
    assert head_office["bank"]["customers"] == 11
    assert head_office["bank"]["aum"] == Decimal("8000")
    assert head_office["bank"]["breached"] == 1


# --- the pages and the API -----------------------------------------------------------


def test_the_root_is_the_home(cast: Cast, browser_for: Callable[[Staff], Client]) -> None:
    manager_day(cast.manager, size=1)
    answer = browser_for(cast.manager).get("/")
    assert answer.status_code == 200
    body = answer.content.decode()
    assert 'id="block-plan"' in body
    assert "/contact/customers/" in body  # log the interaction
    assert 'href="/static/workbench/workbench.css"' in body or "workbench.css" in body


@pytest.mark.parametrize(
    ("who", "block"),
    [
        ("team_lead", "block-members"),
        ("branch_head", "block-sla"),
        ("ops_officer", "block-queue"),
        ("analyst", "block-branches"),
    ],
)
def test_each_home_page_renders(
    cast: Cast, browser_for: Callable[[Staff], Client], who: str, block: str
) -> None:
    manager_day(cast.manager, size=1)
    answer = browser_for(getattr(cast, who)).get("/home/")
    assert answer.status_code == 200
    assert f'id="{block}"' in answer.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("manager", 200),
        ("team_lead", 200),
        ("subbranch_head", 200),
        ("branch_head", 200),
        ("analyst", 200),
        ("other_manager", 404),
        ("other_branch_head", 404),
        ("far_manager", 404),
        ("ops_officer", 404),
    ],
)
def test_drilling_down_to_a_manager_follows_the_staff_policy(
    cast: Cast,
    browser_for: Callable[[Staff], Client],
    client_for: Callable[[Staff], Client],
    who: str,
    status: int,
) -> None:
    manager_day(cast.manager, size=1)
    viewer = getattr(cast, who)
    page = browser_for(viewer).get(f"/home/staff/{cast.manager.pk}/")
    assert page.status_code == status
    api = client_for(viewer).get(f"/api/v1/home/staff/{cast.manager.pk}")
    assert api.status_code == status
    if status == 200:
        assert api.json()["manager"]["staff"]["id"] == cast.manager.pk
        assert api.json()["manager"]["plan"]["open"] == 1


def test_api_home_gives_the_pages_figures(
    cast: Cast, client_for: Callable[[Staff], Client]
) -> None:
    manager_day(cast.manager, size=2)
    answer = client_for(cast.team_lead).get("/api/v1/home")
    assert answer.status_code == 200
    body = answer.json()
    assert body["homes"] == ["manager", "team"]
    assert body["team"]["pipeline"]["opportunities_amount"] == "1000000.00"
    assert body["team"]["members"][0]["staff"]["id"] == cast.manager.pk
    assert body["manager"]["plan"]["open"] == 0
    mine = client_for(cast.manager).get("/api/v1/home").json()
    assert mine["manager"]["plan"]["open"] == 2
    assert mine["manager"]["scorecard"]["overall"] == "0.7500"
    assert mine["team"] is None


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("manager", "/"),
        ("team_lead", "/"),
        ("branch_head", "/"),
        ("ops_officer", "/"),
        ("analyst", "/"),
        ("branch_head", "staff"),
        ("manager", "/api/v1/home"),
        ("branch_head", "/api/v1/home"),
    ],
)
def test_a_constant_number_of_queries_whatever_the_size(
    cast: Cast,
    browser_for: Callable[[Staff], Client],
    client_for: Callable[[Staff], Client],
    django_assert_num_queries: Any,
    who: str,
    url: str,
) -> None:
    viewer = getattr(cast, who)
    client = (client_for if url.startswith("/api/") else browser_for)(viewer)
    if url == "staff":
        url = f"/home/staff/{cast.manager.pk}/"
    kind = WorkOrderTypeFactory()
    manager_day(cast.manager, size=1)
    work_order(work_type=kind, raised_by=cast.manager, customer=cast.own, department=cast.ops_dept)
    client.get(url)  # a token's first use is recorded once
    small = _count(client, url)
    manager_day(cast.manager, size=4)
    manager_day(cast.other_manager, size=3)
    for _n in range(5):
        work_order(
            work_type=kind, raised_by=cast.manager, customer=cast.own, department=cast.ops_dept
        )
    assert small <= 60
    with django_assert_num_queries(small):
        assert client.get(url).status_code == 200
