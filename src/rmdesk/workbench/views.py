"""The home pages: parse, call the composing selector, draw the charts, render."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from rmdesk.core.charts import bar_chart, share_chart, stacked_bars
from rmdesk.org.http import acting_staff
from rmdesk.workbench import presenters, selectors


def _percent(share: Decimal | float) -> str:
    return f"{round(float(share) * 100)}%"


def _charts(figures: dict[str, Any]) -> dict[str, Any]:
    """The SVG charts of a home's figures (drawn by rmdesk.core.charts)."""
    charts: dict[str, Any] = {}
    manager = figures["manager"]
    if manager and manager["plan_progress"]:
        charts["progress"] = share_chart(
            [(row["metric_label"], min(row["share"], 1.0)) for row in manager["plan_progress"]],
            title=_("Progress against the marketing plan"),
            good=0.8,
            bad=0.4,
        )
    team = figures["team"]
    if team:
        charts["coverage"] = share_chart(
            [(row["label"], row["share"]) for row in team["coverage"]["managers"][:12]],
            title=_("Share of customers contacted within cadence"),
            good=0.9,
            bad=0.6,
        )
        charts["pipeline"] = bar_chart(
            [(row["label"], row["count"]) for row in team["pipeline"]["stages"]],
            title=_("Prospects by stage"),
        )
        if team["campaigns"]:
            charts["campaigns"] = stacked_bars(
                [
                    (
                        row["name"],
                        [
                            row["converted"],
                            max(0, row["touched"] - row["converted"]),
                            max(0, row["targeted"] - row["touched"]),
                        ],
                    )
                    for row in team["campaigns"]
                ],
                legend=[_("Converted"), _("Contacted"), _("Not contacted yet")],
                title=_("Campaign funnels"),
            )
        if team["sla"]["departments"]:
            charts["sla"] = share_chart(
                [(row["department"], row["breach_rate"]) for row in team["sla"]["departments"]],
                title=_("SLA breach rate"),
                good=0.05,
                bad=0.2,
            )
        if team["pools"]:
            charts["pools"] = share_chart(
                [(row["label"], min(row["share"], 1.0)) for row in team["pools"]][:10],
                title=_("Pool usage"),
                good=0.8,
                bad=0.95,
            )
        if team["scorecards"]["rows"]:
            charts["scorecards"] = bar_chart(
                [
                    (
                        str(row["staff"]["display_name"] or row["staff"]["username"]),
                        row["overall"],
                        _percent(row["overall"]),
                    )
                    for row in team["scorecards"]["rows"][:12]
                ],
                title=_("Overall standing, best first"),
            )
    department = figures["department"]
    if department:
        charts["queue"] = stacked_bars(
            [
                (row["label"], [row["on_time"], row["due_soon"], row["breached"]])
                for row in department["ages"]
            ],
            # Green, amber, then orange: the segment colours of core.charts, in order.
            legend=[_("On time"), _("Due soon"), _("SLA breached")],
            title=_("Open work by age"),
        )
    head_office = figures["head_office"]
    if head_office and head_office["branches"]:
        branches = head_office["branches"]
        charts["branch_aum"] = bar_chart(
            [(row["name"], row["aum"]) for row in branches], title=_("AUM by branch (CNY)")
        )
        charts["branch_coverage"] = share_chart(
            [(row["name"], row["coverage"]) for row in branches],
            title=_("Contact coverage by branch"),
            good=0.9,
            bad=0.6,
        )
    return charts


def _render(request: HttpRequest, home: selectors.Home, *, own: bool) -> HttpResponse:
    figures = presenters.home_out(home, timezone.now())
    return render(
        request,
        "workbench/home.html",
        {"home": figures, "charts": _charts(figures), "own": own},
    )


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request)
    return _render(request, selectors.home_for(actor=actor), own=True)


@require_GET
@login_required
def staff_home(request: HttpRequest, staff_id: int) -> HttpResponse:
    actor = acting_staff(request)
    found = selectors.staff_home(actor=actor, staff_id=staff_id)
    return _render(request, found, own=staff_id == actor.pk)
