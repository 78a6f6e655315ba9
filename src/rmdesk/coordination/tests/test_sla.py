from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from rmdesk.audit.models import AuditEvent
from rmdesk.coordination.business_calendar import business_add, business_seconds_between
from rmdesk.coordination.escalation import breach_report, sla_escalate
from rmdesk.coordination.models import BusinessDay, TimelineEvent, WorkOrder
from rmdesk.coordination.tests.conftest import Desk
from rmdesk.coordination.tests.test_work_orders import act, raise_pricing
from rmdesk.notify.models import Notification
from rmdesk.tasks.registry import get

BJ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BJ)  # type: ignore[misc]


# 2026-11-27 is a Friday.
@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at(2026, 11, 25, 10, 0), 2, at(2026, 11, 25, 12, 0)),  # same day
        (at(2026, 11, 25, 16, 0), 2, at(2026, 11, 26, 10, 0)),  # across the night
        (at(2026, 11, 25, 20, 30), 1, at(2026, 11, 26, 10, 0)),  # raised at night
        (at(2026, 11, 27, 16, 0), 2, at(2026, 11, 30, 10, 0)),  # across the weekend
        (at(2026, 11, 28, 11, 0), 8, at(2026, 11, 30, 17, 0)),  # raised on Saturday
        (at(2026, 11, 25, 9, 0), 16, at(2026, 11, 26, 17, 0)),  # two full days
    ],
)
def test_business_hours(db: None, start: dt.datetime, hours: int, due: dt.datetime) -> None:
    assert business_add(start, seconds=hours * 3600) == due


def test_holidays_and_make_up_days(db: None) -> None:
    BusinessDay.objects.create(day=dt.date(2026, 11, 30), is_working=False, note="假日")
    assert business_add(at(2026, 11, 27, 16, 0), seconds=7200) == at(2026, 12, 1, 10, 0)
    BusinessDay.objects.create(day=dt.date(2026, 11, 28), is_working=True, note="调休")
    assert business_add(at(2026, 11, 27, 16, 0), seconds=7200) == at(2026, 11, 28, 10, 0)
    assert business_seconds_between(at(2026, 11, 27, 16, 0), at(2026, 12, 1, 10, 0)) == 10 * 3600


def test_seconds_between_is_zero_backwards(db: None) -> None:
    assert business_seconds_between(at(2026, 11, 26), at(2026, 11, 25)) == 0
    assert business_seconds_between(at(2026, 11, 28, 9), at(2026, 11, 29, 18)) == 0


def test_info_request_stops_the_clock(desk: Desk) -> None:
    with time_machine.travel(at(2026, 11, 25, 9, 0), tick=False):
        work_order = raise_pricing(desk)
        assert work_order.due_at == at(2026, 11, 26, 17, 0)  # 16 business hours
    with time_machine.travel(at(2026, 11, 25, 13, 0), tick=False):
        work_order = act(desk.credit_officer, work_order, "request_info", "补充")
        assert work_order.sla_paused_seconds == 12 * 3600
    # The manager answers on Monday: 12 hours remain from then.
    with time_machine.travel(at(2026, 11, 30, 9, 0), tick=False):
        work_order = act(desk.cast.manager, work_order, "provide_info", "已补充")
    assert work_order.due_at == at(2026, 12, 1, 13, 0)


def test_breach_escalates_up_the_tree_once_per_interval(desk: Desk) -> None:
    with time_machine.travel(at(2026, 11, 27, 9, 0), tick=False):
        work_order = raise_pricing(desk)
        quiet = raise_pricing(desk, amount="10")
    assert work_order.due_at == at(2026, 11, 30, 17, 0)
    with time_machine.travel(at(2026, 11, 30, 16, 0), tick=False):
        assert sla_escalate() == {"escalated": 0}
        act(desk.credit_officer, quiet, "request_info", "补充")  # its clock stopped
    with time_machine.travel(at(2026, 11, 30, 17, 30), tick=False):
        assert get("coordination.sla_escalate").function() == {"escalated": 1}
        assert sla_escalate() == {"escalated": 0}  # idempotent at the same moment
    work_order.refresh_from_db()
    assert work_order.escalation_level == 1
    assert work_order.sla_breached_at is not None
    assert TimelineEvent.objects.filter(work_order=work_order, kind="escalated").count() == 1
    run = AuditEvent.objects.get(action="coordination.work_order.escalated")
    assert run.data["work_orders"] == [work_order.pk]
    # The owning unit (branch A, where the credit department sits) has a head: told.
    assert Notification.objects.filter(
        recipient=desk.cast.branch_head, kind="coordination.sla_breach"
    ).exists()
    with time_machine.travel(at(2026, 12, 1, 18, 0), tick=False):
        call_command("coordination_sla_escalate", stdout=open("/dev/null", "w"))  # noqa: SIM115
    work_order.refresh_from_db()
    assert work_order.escalation_level == 2
    report = {row["department_id"]: row for row in breach_report(actor=desk.cast.analyst)}
    row = report[desk.credit_dept.pk]
    assert (row["total"], row["breached"], row["escalated"]) == (2, 1, 1)
    assert row["breach_rate"] == 0.5


def test_closed_work_never_escalates(desk: Desk) -> None:
    with time_machine.travel(at(2026, 11, 27, 9, 0), tick=False):
        work_order = raise_pricing(desk)
        act(desk.cast.manager, work_order, "cancel")
    with time_machine.travel(at(2026, 12, 10, 9, 0), tick=False):
        assert sla_escalate() == {"escalated": 0}
    assert WorkOrder.objects.get(pk=work_order.pk).escalation_level == 0


def test_one_message_per_head_for_many_breaches(desk: Desk) -> None:
    with time_machine.travel(at(2026, 11, 27, 9, 0), tick=False):
        first = raise_pricing(desk)
        second = raise_pricing(desk, amount="10")
    with time_machine.travel(at(2026, 12, 2, 9, 0), tick=False):
        assert sla_escalate() == {"escalated": 2}
    for staff in (desk.cast.branch_head, desk.cast.manager):
        messages = Notification.objects.filter(recipient=staff, kind="coordination.sla_breach")
        assert messages.count() == 1
    assert {first.pk, second.pk} == set(
        TimelineEvent.objects.filter(kind="escalated").values_list("work_order_id", flat=True)
    )
