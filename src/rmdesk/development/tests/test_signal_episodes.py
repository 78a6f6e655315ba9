"""Signals stored as episodes: consecutive days extend one row, a gap closes it, an
earlier day takes the rules back, and the migration that collapsed the per-day rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from rmdesk.conftest import Cast
from rmdesk.customers.models import Holding
from rmdesk.development import presenters
from rmdesk.development.models import Opportunity, Signal, SignalRun
from rmdesk.development.signals import runs_through, signal_list, signals_compute
from rmdesk.development.tests.factories import holding
from rmdesk.org.models import Staff

DAY = date(2026, 11, 20)
ClientFor = Callable[[Staff], Client]


def ago(n: int) -> date:
    return DAY - timedelta(days=n)


def episodes() -> list[tuple[int, str, date, date | None]]:
    return list(
        Signal.objects.order_by("customer_id", "code", "first_seen").values_list(
            "customer_id", "code", "first_seen", "last_seen"
        )
    )


def _rows(sql: str) -> set[tuple[Any, ...]]:
    """Rows as stored; on PostgreSQL with their row version, which any write changes."""
    version = "xmin::text" if connection.vendor == "postgresql" else "''"
    with connection.cursor() as cursor:
        cursor.execute(sql.format(version=version))
        return set(cursor.fetchall())


def signal_rows() -> set[tuple[Any, ...]]:
    return _rows("SELECT id, first_seen, last_seen, evidence, {version} FROM development_signal")


def run_rows() -> set[tuple[Any, ...]]:
    return _rows("SELECT id, code, day, {version} FROM development_signalrun")


def test_consecutive_days_extend_one_episode_without_rewriting_it(cast: Cast) -> None:
    holding(cast.own, "time_deposit", "100000.00", matures_on=DAY + timedelta(days=3))
    for day in (ago(2), ago(1)):
        signals_compute(as_of=day, codes=["maturity"])
    [row] = Signal.objects.all()
    before = signal_rows()
    signals_compute(as_of=DAY, codes=["maturity"])
    # The night recorded its day; the episode itself was not written.
    assert signal_rows() == before
    assert episodes() == [(cast.own.pk, "maturity", ago(2), None)]
    assert runs_through() == {"maturity": DAY}
    assert SignalRun.objects.count() == 3
    # Found on each of the days, with the latest day's evidence.
    for day in (ago(2), ago(1), DAY):
        [listed] = signal_list(actor=cast.manager, as_of=day)[0]
        assert listed.pk == row.pk
        assert listed.seen_until == DAY
    assert signal_list(actor=cast.manager, as_of=ago(3))[0] == []
    # A rerun of the day writes nothing at all.
    signals, runs = signal_rows(), run_rows()
    signals_compute(as_of=DAY, codes=["maturity"])
    assert (signal_rows(), run_rows()) == (signals, runs)


def test_an_idle_deposit_is_not_rewritten_each_night_and_reads_its_window(cast: Cast) -> None:
    holding(cast.own, "demand_deposit", "300000.00")
    signals_compute(as_of=ago(1), codes=["idle_deposit"])
    before = signal_rows()
    signals_compute(as_of=DAY, codes=["idle_deposit"])
    assert signal_rows() == before
    [signal] = Signal.objects.all()
    assert (signal.first_seen, signal.last_seen) == (ago(1), None)
    # The window's length is stored, the same each night: the episode was not rewritten.
    assert signal.evidence["days"] == 60
    [listed] = signal_list(actor=cast.manager)[0]
    assert presenters.evidence_out(listed)["since"] == ago(60).isoformat()
    assert ago(60).isoformat() in presenters.signal_reason(listed)
    [older] = signal_list(actor=cast.manager, as_of=ago(1))[0]
    assert older.seen_until == DAY  # the evidence is the latest day's


def test_a_gap_closes_the_episode_and_a_new_one_opens(cast: Cast) -> None:
    deposit = holding(cast.own, "time_deposit", "100000.00", matures_on=DAY + timedelta(days=5))
    signals_compute(as_of=ago(3), codes=["maturity"])
    signals_compute(as_of=ago(2), codes=["maturity"])
    Holding.objects.filter(pk=deposit.pk).update(status=Holding.Status.CLOSED)
    signals_compute(as_of=ago(1), codes=["maturity"])
    assert episodes() == [(cast.own.pk, "maturity", ago(3), ago(2))]
    Holding.objects.filter(pk=deposit.pk).update(status=Holding.Status.ACTIVE)
    signals_compute(as_of=DAY, codes=["maturity"])
    assert episodes() == [
        (cast.own.pk, "maturity", ago(3), ago(2)),
        (cast.own.pk, "maturity", DAY, None),
    ]
    closed, current = Signal.objects.order_by("first_seen")
    assert [s.pk for s in signal_list(actor=cast.manager)[0]] == [current.pk]
    assert [s.pk for s in signal_list(actor=cast.manager, as_of=ago(2))[0]] == [closed.pk]
    assert signal_list(actor=cast.manager, as_of=ago(1))[0] == []
    assert signal_list(actor=cast.manager, as_of=ago(2))[0][0].seen_until == ago(2)


def test_an_earlier_day_takes_the_rule_back_and_later_days_forward_again(cast: Cast) -> None:
    deposit = holding(cast.own, "time_deposit", "100000.00", matures_on=DAY + timedelta(days=5))
    holding(cast.other, "time_deposit", "100000.00", matures_on=DAY + timedelta(days=5))
    signals_compute(as_of=ago(2), codes=["maturity"])
    Holding.objects.filter(pk=deposit.pk).update(status=Holding.Status.CLOSED)
    signals_compute(as_of=ago(1), codes=["maturity"])
    Holding.objects.filter(pk=deposit.pk).update(status=Holding.Status.ACTIVE)
    signals_compute(as_of=DAY, codes=["maturity"])
    lasting = Signal.objects.get(customer=cast.other)
    # Computing the day before again (its data as it was): the runs after it are forgotten.
    Holding.objects.filter(pk=deposit.pk).update(status=Holding.Status.CLOSED)
    signals_compute(as_of=ago(1), codes=["maturity"])
    assert runs_through() == {"maturity": ago(1)}
    assert episodes() == [
        (cast.own.pk, "maturity", ago(2), ago(2)),
        (cast.other.pk, "maturity", ago(2), None),
    ]
    Holding.objects.filter(pk=deposit.pk).update(status=Holding.Status.ACTIVE)
    signals_compute(as_of=DAY, codes=["maturity"])
    assert episodes() == [
        (cast.own.pk, "maturity", ago(2), ago(2)),
        (cast.own.pk, "maturity", DAY, None),
        (cast.other.pk, "maturity", ago(2), None),
    ]
    assert Signal.objects.get(customer=cast.other, last_seen=None).pk == lasting.pk


def test_an_opportunity_raised_from_an_episode_keeps_it(cast: Cast, client_for: ClientFor) -> None:
    deposit = holding(cast.own, "time_deposit", "100000.00", matures_on=DAY + timedelta(days=5))
    signals_compute(as_of=ago(1), codes=["maturity"])
    signals_compute(as_of=DAY, codes=["maturity"])
    [signal] = Signal.objects.all()
    client = client_for(cast.team_lead)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    raised = client.post(
        "/api/v1/opportunities",
        {"signal_id": signal.pk, "follow_up_on": tomorrow},
        content_type="application/json",
    )
    assert raised.status_code == 201
    assert raised.json()["signal_id"] == signal.pk
    assert raised.json()["signal_code"] == "maturity"
    detail = client.get(f"/api/v1/signals/{signal.pk}").json()
    assert (detail["first_seen"], detail["last_seen"], detail["open"]) == (
        ago(1).isoformat(),
        DAY.isoformat(),
        True,
    )
    assert detail["reason"]
    # The need goes: the episode closes on its last day and keeps its opportunity.
    Holding.objects.filter(pk=deposit.pk).update(status=Holding.Status.CLOSED)
    signals_compute(as_of=DAY + timedelta(days=1), codes=["maturity"])
    assert Opportunity.objects.get().signal_id == signal.pk
    detail = client.get(f"/api/v1/signals/{signal.pk}").json()
    assert (detail["last_seen"], detail["open"]) == (DAY.isoformat(), False)
    # A new episode of the same need is a new signal to raise an opportunity from.
    Holding.objects.filter(pk=deposit.pk).update(status=Holding.Status.ACTIVE)
    signals_compute(as_of=DAY + timedelta(days=2), codes=["maturity"])
    fresh = Signal.objects.get(last_seen=None)
    assert fresh.pk != signal.pk
    again = client.post(
        "/api/v1/opportunities",
        {"signal_id": fresh.pk, "follow_up_on": tomorrow},
        content_type="application/json",
    )
    assert again.status_code == 201


def test_an_episode_opened_by_a_run_of_the_day_goes_when_a_rerun_no_longer_finds_it(
    cast: Cast,
) -> None:
    deposit = holding(cast.own, "time_deposit", "100000.00", matures_on=DAY + timedelta(days=5))
    held = holding(cast.other, "time_deposit", "100000.00", matures_on=DAY + timedelta(days=5))
    signals_compute(as_of=DAY, codes=["maturity"])
    signal = Signal.objects.get(customer=cast.other)
    Opportunity.objects.create(
        customer=cast.other,
        signal=signal,
        signal_code="maturity",
        manager=cast.manager,
        title="x",
        follow_up_on=DAY,
    )
    Holding.objects.filter(pk__in=[deposit.pk, held.pk]).update(status=Holding.Status.CLOSED)
    signals_compute(as_of=DAY, codes=["maturity"])
    # Gone, but the one an opportunity was raised from, closed on the day it was found.
    assert episodes() == [(cast.other.pk, "maturity", DAY, DAY)]
    Holding.objects.filter(pk=held.pk).update(status=Holding.Status.ACTIVE)
    signals_compute(as_of=DAY, codes=["maturity"])
    assert Signal.objects.get().pk == signal.pk
    assert episodes() == [(cast.other.pk, "maturity", DAY, None)]


MIGRATED = ("development", "0005_signal_episodes")
BEFORE = ("development", "0004_signal_customer_index_dropped")


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_the_migration_collapses_days_into_episodes_and_back(cast: Cast) -> None:
    a, b, c = cast.own, cast.other, cast.a2
    d1, d2, d3, d4 = (date(2026, 11, day) for day in (1, 2, 3, 4))
    try:
        _migrate(BEFORE)
        rows = [
            *((a.pk, "idle_deposit", day, "", f'{{"day": "{day}"}}') for day in (d1, d2, d3, d4)),
            *((b.pk, "idle_deposit", day, "", f'{{"day": "{day}"}}') for day in (d1, d2, d4)),
            (c.pk, "counterparty", d2, "甲公司", '{"day": "2"}'),
            (a.pk, "counterparty", d3, "乙公司", '{"day": "3"}'),
        ]
        ids: dict[tuple[int, str, date], int] = {}
        with connection.cursor() as cursor:
            for row in rows:
                cursor.execute(
                    "INSERT INTO development_signal (customer_id, code, as_of, subject, evidence) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    list(row),
                )
            cursor.execute("SELECT id, customer_id, code, as_of FROM development_signal")
            for pk, customer_id, code, day in cursor.fetchall():
                day = day if isinstance(day, date) else date.fromisoformat(day)
                ids[(customer_id, code, day)] = pk
        opportunity = {"customer": a, "manager": cast.manager, "title": "t", "follow_up_on": d4}
        first = Opportunity.objects.create(signal_id=ids[(a.pk, "idle_deposit", d2)], **opportunity)
        second = Opportunity.objects.create(
            signal_id=ids[(a.pk, "idle_deposit", d3)], **opportunity
        )
        won = Opportunity.objects.create(
            signal_id=ids[(b.pk, "idle_deposit", d1)], status="won", **opportunity
        )

        _migrate(MIGRATED)
        found = {
            (s.customer_id, s.code, s.subject, s.first_seen, s.last_seen): (s.pk, s.evidence)
            for s in Signal.objects.all()
        }
        assert found == {
            (a.pk, "idle_deposit", "", d1, None): (
                ids[(a.pk, "idle_deposit", d4)],
                {"day": str(d4)},
            ),
            (b.pk, "idle_deposit", "", d1, d2): (ids[(b.pk, "idle_deposit", d2)], {"day": str(d2)}),
            (b.pk, "idle_deposit", "", d4, None): (
                ids[(b.pk, "idle_deposit", d4)],
                {"day": str(d4)},
            ),
            (c.pk, "counterparty", "甲公司", d2, d2): (
                ids[(c.pk, "counterparty", d2)],
                {"day": "2"},
            ),
            (a.pk, "counterparty", "乙公司", d3, None): (
                ids[(a.pk, "counterparty", d3)],
                {"day": "3"},
            ),
        }
        assert runs_through() == {"idle_deposit": d4, "counterparty": d3}
        assert SignalRun.objects.count() == 6
        links = dict(Opportunity.objects.values_list("pk", "signal_id"))
        assert links == {
            first.pk: ids[(a.pk, "idle_deposit", d4)],
            second.pk: None,  # one open opportunity per signal: the earlier one keeps it
            won.pk: ids[(b.pk, "idle_deposit", d2)],
        }

        _migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute("SELECT customer_id, code, as_of, subject FROM development_signal")
            back = {
                (customer_id, code, str(day), subject)
                for customer_id, code, day, subject in cursor.fetchall()
            }
        assert back == {(row[0], row[1], str(row[2]), row[3]) for row in rows}
    finally:
        _migrate(MIGRATED)
