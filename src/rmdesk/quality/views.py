from __future__ import annotations

import csv
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rmdesk.audit.services import audit_record
from rmdesk.core.charts import bar_chart, sparkline
from rmdesk.core.errors import DomainError
from rmdesk.org.http import acting_staff
from rmdesk.org.models import Staff
from rmdesk.org.roles import Role
from rmdesk.quality import selectors, services
from rmdesk.quality.metrics import METRICS
from rmdesk.quality.models import ScoreRun
from rmdesk.quality.periods import Period, period_containing, period_parse
from rmdesk.quality.permissions import can_configure_scoring
from rmdesk.quality.services import OVERALL, period_kind_configured


def _period(request: HttpRequest) -> tuple[Period, str]:
    label = request.GET.get("period", "")
    default = period_containing(timezone.localdate(), period_kind_configured())
    if label:
        try:
            return period_parse(label), ""
        except DomainError as exc:
            return default, str(exc.message)
    return default, ""


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
        {
            "card": card,
            "groups": groups,
            "period": period,
            "error": error,
            "can_configure": can_configure_scoring(actor),
        },
    )


@require_GET
@login_required
def my_scorecard(request: HttpRequest) -> HttpResponse:
    return _card_page(request, acting_staff(request).pk)


@require_GET
@login_required
def staff_scorecard(request: HttpRequest, staff_id: int) -> HttpResponse:
    return _card_page(request, staff_id)


def _int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _board_page(request: HttpRequest, actor: Staff, period: Period, **kwargs: Any) -> Any:
    return selectors.board(
        actor=actor,
        period=period,
        sort=request.GET.get("sort", OVERALL) or OVERALL,
        org_unit_id=_int(request.GET.get("unit")),
        **kwargs,
    )


@require_GET
@login_required
def board(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    period, error = _period(request)
    offset = max(_int(request.GET.get("offset")) or 0, 0)
    try:
        page = _board_page(request, actor, period, offset=offset)
    except DomainError as exc:
        error = str(exc.message)
        page = selectors.board(actor=actor, period=period)
    chart = bar_chart(
        [(str(row.staff), row.overall) for row in page.rows[:20]],
        title=_("Overall standing, best first"),
    )
    query = {"period": period.label, "sort": page.sort}
    if page.org_unit is not None:
        query["unit"] = str(page.org_unit.pk)
    return render(
        request,
        "quality/board.html",
        {
            "run": page.run,
            "page": page,
            "table": [(row, [row.figures.get(code) for code in METRICS]) for row in page.rows],
            "period": period,
            "error": error,
            "metrics": list(METRICS.values()),
            "chart": chart,
            "sorts": selectors.board_sorts(),
            "units": selectors.board_units(actor=actor),
            "query": urlencode(query),
            "next_offset": offset + page.limit,
            "prev_offset": max(offset - page.limit, 0),
        },
    )


@require_GET
@login_required
def board_export(request: HttpRequest) -> HttpResponse:
    """The board as CSV (its sort and unit, every page); every export is audited."""
    actor = acting_staff(request)
    period, _error = _period(request)
    try:
        first = _board_page(request, actor, period, limit=selectors.MAX_BOARD_LIMIT)
    except DomainError as exc:
        return HttpResponse(str(exc.message), status=400, content_type="text/plain")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="scorecards-{period.label}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    codes = list(METRICS)
    writer.writerow(
        [_("Staff"), _("Org unit"), _("Overall"), *[str(METRICS[c].label) for c in codes]]
    )
    page, count = first, 0
    while True:
        for row in page.rows:
            writer.writerow(
                [
                    str(row.staff),
                    str(row.staff.org_unit or ""),
                    row.overall,
                    *[row.figures.get(code, "") for code in codes],
                ]
            )
        count += len(page.rows)
        if not page.has_more:
            break
        page = _board_page(
            request, actor, period, offset=page.offset + page.limit, limit=page.limit
        )
    if first.run is not None:
        audit_record(
            actor=actor,
            action="quality.board.exported",
            target=first.run,
            data={"period": period.label, "rows": count, "sort": first.sort},
            request=request,
        )
    return response


@require_http_methods(["GET", "POST"])
@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """The scorecard period and each scored role's weights (administrators)."""
    actor = acting_staff(request)
    if not can_configure_scoring(actor):
        raise PermissionDenied
    errors: list[str] = []
    if request.method == "POST":
        weights = {
            role: {code: request.POST.get(f"w-{role}-{code}", "") for code in METRICS}
            for role in services.weights_all()
        }
        try:
            services.scoring_settings_update(
                actor=actor, period_kind=request.POST.get("period_kind", ""), weights=weights
            )
        except DomainError as exc:
            details = exc.details if isinstance(exc.details, list) else []
            errors = [str(exc.message)] + [
                f"{item['field']}: {item['reason']}" for item in details if isinstance(item, dict)
            ]
        else:
            messages.success(request, _("The scorecard settings were saved."))
            return redirect("quality:settings")
    table = services.weights_all()
    roles = list(table)
    return render(
        request,
        "quality/settings.html",
        {
            "period_kind": period_kind_configured().value,
            "kinds": ScoreRun.Kind.choices,
            "roles": [(role, Role(role).label) for role in roles],
            "rows": [
                (
                    definition,
                    [
                        (
                            role,
                            request.POST.get(f"w-{role}-{code}", table[role][code])
                            if errors
                            else table[role][code],
                        )
                        for role in roles
                    ],
                )
                for code, definition in METRICS.items()
            ],
            "errors": errors,
        },
        status=400 if errors else 200,
    )
