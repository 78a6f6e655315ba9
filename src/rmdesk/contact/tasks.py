"""Scheduled work of the contact app (see rmdesk.tasks.registry)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from rmdesk.contact import planning, reminders
from rmdesk.tasks.registry import daily, task


def _day(day: str | None) -> date:
    return date.fromisoformat(day) if day else timezone.localdate()


@task("contact.plans_generate", schedule=daily(at="05:30"))
def plans_generate(*, day: str | None = None) -> dict[str, int | str]:
    """Every manager's contact plan for ``day`` (today by default). Idempotent."""
    target = _day(day)
    return {"day": target.isoformat(), "entries": planning.plans_generate(day=target)}


@task("contact.reminders_send", schedule=daily(at="07:30"))
def reminders_send(*, day: str | None = None) -> dict[str, int]:
    """Follow-ups due, visits today, plan ready: one reminder per manager, kind and day."""
    return reminders.reminders_send(day=_day(day))
