"""The bank's business calendar: SLA clocks run in working hours only.

Working days are Monday to Friday unless ``BusinessDay`` says otherwise (a public
holiday, or a make-up working Saturday 调休). Working hours are
``settings.RMDESK_WORK_HOURS`` (default 09:00–17:00) in the bank's time zone.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

from rmdesk.coordination.models import BusinessDay

# Looking further ahead than this for working time means the calendar is broken.
MAX_DAYS = 800


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _hours() -> tuple[dt.time, dt.time]:
    start, end = getattr(settings, "RMDESK_WORK_HOURS", ("09:00", "17:00"))
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


class Calendar:
    """Exceptions of the span it was built for, read in one query."""

    def __init__(self, first: dt.date, last: dt.date) -> None:
        self.exceptions = dict(
            BusinessDay.objects.filter(day__gte=first, day__lte=last).values_list(
                "day", "is_working"
            )
        )
        self.zone = _zone()
        self.start, self.end = _hours()

    def is_working(self, day: dt.date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return (
            dt.datetime.combine(day, self.start, tzinfo=self.zone),
            dt.datetime.combine(day, self.end, tzinfo=self.zone),
        )


def business_add(start: dt.datetime, *, seconds: int) -> dt.datetime:
    """The moment ``seconds`` of working time after ``start`` (UTC-aware in, UTC out)."""
    local = start.astimezone(_zone())
    calendar = Calendar(local.date(), local.date() + dt.timedelta(days=MAX_DAYS))
    remaining = dt.timedelta(seconds=seconds)
    day = local.date()
    for _ in range(MAX_DAYS):
        if calendar.is_working(day):
            opens, closes = calendar.window(day)
            begin = max(opens, local)
            if begin < closes:
                if begin + remaining <= closes:
                    return (begin + remaining).astimezone(dt.UTC)
                remaining -= closes - begin
        day += dt.timedelta(days=1)
    raise ValueError("No working time in the business calendar.")


def business_seconds_between(start: dt.datetime, end: dt.datetime) -> int:
    """Working seconds from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
    if end <= start:
        return 0
    zone = _zone()
    first, last = start.astimezone(zone), end.astimezone(zone)
    calendar = Calendar(first.date(), last.date())
    total = dt.timedelta()
    day = first.date()
    while day <= last.date():
        if calendar.is_working(day):
            opens, closes = calendar.window(day)
            begin, finish = max(opens, first), min(closes, last)
            if begin < finish:
                total += finish - begin
        day += dt.timedelta(days=1)
    return int(total.total_seconds())


def business_due(start: dt.datetime, *, hours: int) -> dt.datetime:
    return business_add(start, seconds=hours * 3600)
