"""The funnel and conversion charts: counts in SQL, the drawing as server-side SVG."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.http import Http404
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from rmdesk.core.charts import bar_chart
from rmdesk.development.models import Stage, StageChange
from rmdesk.development.opportunities import Conversion
from rmdesk.development.prospects import prospect_visible_to
from rmdesk.org.models import OrgUnit, Staff

FUNNEL = [
    Stage.NEW,
    Stage.CONTACTED,
    Stage.NEEDS_IDENTIFIED,
    Stage.PROPOSAL,
    Stage.ACCOUNT_OPENING,
    Stage.WON,
]


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    label: str
    reached: int


def funnel(*, actor: Staff, by: str = "manager", target_id: int | None = None) -> list[FunnelStep]:
    """How many of the visible prospects reached each stage, for one manager, a team (a lead's
    reports) or a branch (an org unit's subtree). One aggregate query over the history."""
    prospects = prospect_visible_to(actor)
    if target_id is None:
        target_id = actor.org_unit_id if by == "branch" else actor.pk
    if by == "manager":
        prospects = prospects.filter(owner_id=target_id)
    elif by == "team":
        prospects = prospects.filter(Q(owner_id=target_id) | Q(owner__line_manager_id=target_id))
    elif by == "branch":
        unit = OrgUnit.objects.filter(pk=target_id).first() if target_id else None
        if unit is None:
            raise Http404
        prospects = prospects.filter(home_unit__path__startswith=unit.path)
    else:
        raise Http404
    reached = dict(
        StageChange.objects.filter(prospect__in=prospects.values("pk"))
        .values("to_stage")
        .annotate(n=Count("prospect", distinct=True))
        .values_list("to_stage", "n")
    )
    # A stage is reached by those who got there or beyond (history may skip a record).
    steps: list[FunnelStep] = []
    running = 0
    for stage in reversed(FUNNEL):
        running = max(running, reached.get(stage, 0))
        steps.append(FunnelStep(stage, str(Stage(stage).label), running))
    return list(reversed(steps))


def funnel_svg(steps: list[FunnelStep]) -> SafeString:
    first = steps[0].reached if steps else 0
    rows = [
        (
            step.label,
            float(step.reached),
            f"{step.reached} ({100 * step.reached / first:.0f}%)" if first else "0",
        )
        for step in steps
    ]
    return bar_chart(rows, title=_("Pipeline funnel"))


def conversion_svg(rows: list[Conversion]) -> SafeString:
    return bar_chart(
        [
            (row.label, row.rate * 100, f"{row.won}/{row.won + row.lost} ({row.rate:.0%})")
            for row in rows
        ],
        title=_("Conversion by signal"),
    )
