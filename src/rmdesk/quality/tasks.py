from __future__ import annotations

import datetime as dt

from django.utils import timezone

from rmdesk.quality.periods import PeriodKind, period_containing
from rmdesk.quality.services import scorecards_compute
from rmdesk.tasks.registry import daily, task


# After the signals (04:30), which scan the same transactions, and before the plans
# (05:30): the nightly jobs take the machine one at a time.
@task("quality.scorecards_compute", schedule=daily(at="05:00"))
def scorecards_nightly(*, day: str | None = None) -> dict[str, int]:
    """Each night: this month, quarter and year so far; on the first days of a month also
    the month just ended, so late corrections still reach it."""
    today = dt.date.fromisoformat(day) if day else timezone.localdate()
    periods = {period_containing(today, kind) for kind in PeriodKind}
    if today.day <= 3:
        periods.add(
            period_containing(today.replace(day=1) - dt.timedelta(days=1), PeriodKind.MONTH)
        )
    scores = 0
    for period in sorted(periods):
        scores += scorecards_compute(period=period).score_count
    return {"periods": len(periods), "scores": scores}
