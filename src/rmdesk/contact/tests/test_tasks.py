"""The daily task, its command, and the reminders with their dedupe keys."""

from __future__ import annotations

import datetime as dt
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from rmdesk.conftest import Cast
from rmdesk.contact.models import PlanEntry
from rmdesk.contact.reminders import reminders_send
from rmdesk.contact.tests.factories import InteractionFactory, VisitFactory
from rmdesk.customers.models import Customer, Tier
from rmdesk.notify.models import Notification
from rmdesk.tasks.registry import get


def test_task_and_command_generate_the_plans(cast: Cast) -> None:
    Customer.objects.filter(pk=cast.own.pk).update(tier=Tier.PRIVATE)
    result = get("contact.plans_generate").function(day="2026-06-15")
    assert result == {"day": "2026-06-15", "entries": 1}
    assert get("contact.plans_generate").schedule is not None
    out = StringIO()
    call_command(
        "contact-plan", "--date", "2026-06-16", "--manager", cast.manager.username, stdout=out
    )
    assert "1 plan entries" in out.getvalue()
    assert PlanEntry.objects.filter(day=dt.date(2026, 6, 16)).count() == 1


def test_reminders_are_sent_once_per_day(cast: Cast) -> None:
    today = timezone.localdate()
    InteractionFactory(customer=cast.own, author=cast.manager, follow_up_on=today)
    VisitFactory(
        manager=cast.other_manager,
        customer=cast.other,
        planned_start=timezone.make_aware(dt.datetime.combine(today, dt.time(23, 0))),
        planned_end=timezone.make_aware(dt.datetime.combine(today, dt.time(23, 30))),
    )
    Customer.objects.filter(pk=cast.a2.pk).update(tier=Tier.PRIVATE)
    get("contact.plans_generate").function(day=today.isoformat())
    first = reminders_send(day=today)
    # The follow-up also puts the manager's customer on the plan.
    assert first == {"follow_ups": 1, "visits": 1, "plans": 2}
    assert reminders_send(day=today) == {"follow_ups": 0, "visits": 0, "plans": 0}
    assert set(Notification.objects.values_list("recipient_id", "kind")) == {
        (cast.manager.pk, "contact.follow_up_due"),
        (cast.manager.pk, "contact.plan_ready"),
        (cast.other_manager.pk, "contact.visit_today"),
        (cast.a2_manager.pk, "contact.plan_ready"),
    }
    out = StringIO()
    call_command("contact-reminders", stdout=out)
    assert "follow_ups: 0" in out.getvalue()
