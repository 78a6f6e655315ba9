from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from rmdesk.audit.services import audit_record
from rmdesk.core.charts import bar_chart, sparkline
from rmdesk.core.errors import DomainError
from rmdesk.org.http import acting_staff
from rmdesk.quality import selectors
from rmdesk.quality.metrics import METRICS
from rmdesk.quality.periods import Period, PeriodKind, period_containing, period_parse


def _period(request: HttpRequest) -> tuple[Period, str]:
    label = request.GET.get("period", "")
    if label:
        try:
            return period_parse(label), ""
        except DomainError as exc:
            return period_containing(timezone.localdate(), PeriodKind.MONTH), str(exc.message)
    return period_containing(timezone.localdate(), PeriodKind.MONTH), ""


def _card_page(request: HttpRequest, staff_id: int) -> HttpResponse:
    actor = acting_staff(request)
    period, error = _period(request)
    card = selectors.scorecard_get(actor=actor, staff_id=staff_id, period=period)
    groups: list[dict[str, Any]] = []
    for _quality, label, lines in card.groups:
        groups.append(
            {
                "label": label,
                "lines": [
                    {
                        "line": line,
                        "trend": sparkline(line.trend, title=str(line.metric.label)),
                        "evidence": line.metric.evidence.format(
                            staff_id=card.staff.pk, start=period.start, end=period.end
                        ),
                    }
                    for line in lines
                ],
            }
        )
    return render(
        request,
        "quality/scorecard.html",
        {"card": card, "groups": groups, "period": period, "error": error},
    )


@require_GET
@login_required
def my_scorecard(request: HttpRequest) -> HttpResponse:
    return _card_page(request, acting_staff(request).pk)


@require_GET
@login_required
def staff_scorecard(request: HttpRequest, staff_id: int) -> HttpResponse:
    return _card_page(request, staff_id)


@require_GET
@login_required
def board(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    period, error = _period(request)
    run, rows = selectors.board(actor=actor, period=period)
    chart = bar_chart(
        [(str(row.staff), row.overall) for row in rows[:20]],
        title=_("Overall standing, best first"),
    )
    return render(
        request,
        "quality/board.html",
        {
            "run": run,
            "table": [(row, [row.figures.get(code) for code in METRICS]) for row in rows],
            "period": period,
            "error": error,
            "metrics": list(METRICS.values()),
            "chart": chart,
        },
    )


@require_GET
@login_required
def board_export(request: HttpRequest) -> HttpResponse:
    """The board as CSV; every export is audited."""
    actor = acting_staff(request)
    period, _error = _period(request)
    run, rows = selectors.board(actor=actor, period=period)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="scorecards-{period.label}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    codes = list(METRICS)
    writer.writerow(
        [_("Staff"), _("Org unit"), _("Overall"), *[str(METRICS[c].label) for c in codes]]
    )
    for row in rows:
        writer.writerow(
            [
                str(row.staff),
                str(row.staff.org_unit or ""),
                row.overall,
                *[row.figures.get(code, "") for code in codes],
            ]
        )
    if run is not None:
        audit_record(
            actor=actor,
            action="quality.board.exported",
            target=run,
            data={"period": period.label, "rows": len(rows)},
            request=request,
        )
    return response
