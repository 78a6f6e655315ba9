"""Coverage per manager, rolled up team → sub-branch → branch, as each viewer may see it."""

from __future__ import annotations

import datetime as dt

from rmdesk.conftest import Cast
from rmdesk.contact.coverage import coverage_compute
from rmdesk.contact.planning import day_start
from rmdesk.contact.tests.factories import InteractionFactory
from rmdesk.customers.models import Customer, Tier
from rmdesk.customers.tests.factories import CustomerFactory

AS_OF = dt.date(2026, 6, 30)


def _book(cast: Cast) -> None:
    """manager: 2 private (1 contacted in time), other_manager: 1 gold (in time),
    a2_manager: 1 diamond (never), far_manager: 1 private (late)."""
    Customer.objects.filter(pk__in=[cast.own.pk, cast.company.pk]).update(tier=Tier.PRIVATE)
    Customer.objects.filter(pk=cast.other.pk).update(tier=Tier.GOLD)
    Customer.objects.filter(pk=cast.a2.pk).update(tier=Tier.DIAMOND)
    Customer.objects.filter(pk=cast.far.pk).update(tier=Tier.PRIVATE)
    CustomerFactory(home_unit=cast.sub_a1, primary_manager=cast.manager)  # mass: no cadence
    InteractionFactory(
        customer=cast.own, author=cast.manager, occurred_at=day_start(AS_OF - dt.timedelta(days=29))
    )
    InteractionFactory(
        customer=cast.company,
        author=cast.manager,
        occurred_at=day_start(AS_OF - dt.timedelta(days=30)),
    )
    InteractionFactory(
        customer=cast.other,
        author=cast.other_manager,
        occurred_at=day_start(AS_OF - dt.timedelta(days=80)),
    )
    InteractionFactory(
        customer=cast.far,
        author=cast.far_manager,
        occurred_at=day_start(AS_OF - dt.timedelta(days=40)),
    )


def test_rolls_up_the_tree_for_a_branch_head(cast: Cast) -> None:
    _book(cast)
    result = coverage_compute(actor=cast.branch_head, as_of=AS_OF)
    managers = {row.key: (row.total, row.within, row.never) for row in result.managers}
    assert managers == {
        cast.manager.pk: (2, 1, 0),
        cast.other_manager.pk: (1, 1, 0),
        cast.a2_manager.pk: (1, 0, 1),
    }
    units = {row.key: (row.total, row.within) for row in result.units}
    assert units[cast.sub_a1.pk] == (3, 2)
    assert units[cast.sub_a2.pk] == (1, 0)
    assert units[cast.branch_a.pk] == (4, 2)
    assert cast.sub_b1.pk not in units  # out of the head's subtree
    teams = {row.key: (row.total, row.within) for row in result.teams}
    assert teams[cast.team_lead.pk] == (2, 1)  # manager reports to the team lead
    assert teams[cast.subbranch_head.pk] == (1, 1)  # other_manager reports to the head
    assert (result.bank.total, result.bank.overdue) == (4, 2)


def test_a_manager_sees_only_their_own_book(cast: Cast) -> None:
    _book(cast)
    result = coverage_compute(actor=cast.manager, as_of=AS_OF)
    assert [(row.key, row.total) for row in result.managers] == [(cast.manager.pk, 2)]
    assert result.bank.share == 0.5


def test_the_whole_bank_for_an_analyst(cast: Cast) -> None:
    _book(cast)
    result = coverage_compute(actor=cast.analyst, as_of=AS_OF)
    units = {row.key: (row.total, row.within) for row in result.units}
    assert units[cast.head_office.pk] == (5, 2)
    assert units[cast.branch_b.pk] == (1, 0)


def test_coverage_api_and_page(cast: Cast, client_for, browser_for) -> None:  # type: ignore[no-untyped-def]
    _book(cast)
    body = client_for(cast.subbranch_head).get(f"/api/v1/contact-coverage?as_of={AS_OF}").json()
    assert body["bank"]["total"] == 3
    assert body["bank"]["overdue"] == 1
    page = browser_for(cast.subbranch_head).get(f"/contact/coverage/?as_of={AS_OF}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    assert "<script" not in html.split("<main", 1)[1]
    assert cast.sub_a1.name in html
