"""The funnel and conversion charts: counts in SQL, the drawing as server-side SVG."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.http import Http404
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

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


def _bars(rows: list[tuple[str, float, str]], *, title: str, width: int = 560) -> SafeString:
    """Horizontal bars: (label, value, caption). Pure SVG, no script."""
    bar_h, gap, label_w = 26, 8, 170
    height = len(rows) * (bar_h + gap) + 34
    top = max((value for _label, value, _c in rows), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value, caption) in enumerate(rows):
        y = 24 + i * (bar_h + gap)
        w = int((width - label_w - 90) * value / top)
        parts.append(
            f'<text x="0" y="{y + 17}" font-size="13">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{max(w, 1)}" height="{bar_h}" fill="#2b6cb0"/>'
            f'<text x="{label_w + max(w, 1) + 6}" y="{y + 17}" font-size="13">'
            f"{escape(caption)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every text above is escaped)


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
    return _bars(rows, title=_("Pipeline funnel"))


def conversion_svg(rows: list[Conversion]) -> SafeString:
    return _bars(
        [
            (row.label, row.rate * 100, f"{row.won}/{row.won + row.lost} ({row.rate:.0%})")
            for row in rows
        ],
        title=_("Conversion by signal"),
    )
