"""Scorecard periods: a month ("2026-11"), a quarter ("2026-Q4") or a year ("2026")."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _

from rmdesk.core.errors import DomainError


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True, order=True)
class Period:
    """A half-open span of days [start, end) with its label."""

    start: dt.date
    end: dt.date
    kind: PeriodKind

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.YEAR:
            return f"{self.start.year}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    def previous(self, count: int = 1) -> Period:
        period = self
        for _step in range(count):
            period = period_containing(period.start - dt.timedelta(days=1), period.kind)
        return period

    def __str__(self) -> str:
        return self.label


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_containing(day: dt.date, kind: PeriodKind) -> Period:
    if kind is PeriodKind.YEAR:
        return Period(dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1), kind)
    if kind is PeriodKind.QUARTER:
        start = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period(start, _add_months(start, 3), kind)
    start = day.replace(day=1)
    return Period(start, _add_months(start, 1), kind)


LABEL = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")


def period_parse(label: str) -> Period:
    """Read "2026-11", "2026-Q4" or "2026"; anything else is a DomainError naming it."""
    match = LABEL.match(label.strip())
    if not match or not 1900 <= int(match.group(1)) <= 2999:
        raise DomainError(
            _("A period is a month (2026-11), a quarter (2026-Q4) or a year (2026)."),
            code="bad_period",
            details=[{"field": "period", "reason": label[:20]}],
        )
    year = int(match.group(1))
    if match.group(2):
        return period_containing(dt.date(year, int(match.group(2)), 1), PeriodKind.MONTH)
    if match.group(3):
        month = (int(match.group(3)) - 1) * 3 + 1
        return period_containing(dt.date(year, month, 1), PeriodKind.QUARTER)
    return period_containing(dt.date(year, 1, 1), PeriodKind.YEAR)
