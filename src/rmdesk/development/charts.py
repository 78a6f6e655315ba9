"""The funnel and conversion charts: counts in SQL, the drawing as server-side SVG."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from rmdesk.core.charts import bar_chart
from rmdesk.customers.services import InvalidFields
from rmdesk.development.access import has_scope
from rmdesk.development.models import Stage, StageChange
from rmdesk.development.opportunities import Conversion
from rmdesk.development.prospects import MAX_ID, prospect_visible_to
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.policy import NOTHING, Scope, staff_q
from rmdesk.org.roles import Role

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


SCOPES = ("manager", "team", "branch")


def _invalid(field_name: str, code: str, reason: str) -> InvalidFields:
    return InvalidFields(
        _("Some fields are not valid."),
        code="invalid_fields",
        details=[{"field": field_name, "code": code, "reason": reason}],
    )


def _units_q(actor: Staff) -> Q:
    """The org units whose funnel ``actor`` may ask for: the whole tree for view-all roles,
    a head's subtree, otherwise the actor's own unit (counting only what they may see)."""
    if has_scope(actor, Scope.ALL):
        return Q()
    if actor.org_unit is None:
        return NOTHING
    if has_scope(actor, Scope.SUBTREE):
        return Q(path__startswith=actor.org_unit.path)
    return Q(pk=actor.org_unit_id)


def _targets(actor: Staff, by: str) -> QuerySet[Any]:
    """Who or what ``actor`` may chart ``by`` manager, team or branch (org.policy.staff_q)."""
    people = Staff.objects.filter(staff_q(actor), is_active=True)
    if by == "manager":
        return people.filter(Q(pk=actor.pk) | Q(roles__role=Role.ACCOUNT_MANAGER)).distinct()
    if by == "team":
        return people.filter(roles__role=Role.TEAM_LEAD).distinct()
    return OrgUnit.objects.filter(_units_q(actor))


def scope_choices(actor: Staff) -> dict[str, list[tuple[int, str]]]:
    """The managers, team leads and org units ``actor`` may chart: three queries."""
    choices: dict[str, list[tuple[int, str]]] = {}
    for by in ("manager", "team"):
        choices[by] = [
            (pk, f"{name or username} · {unit or ''}".rstrip(" ·"))
            for pk, name, username, unit in _targets(actor, by)
            .order_by("org_unit__path", "display_name", "pk")
            .values_list("pk", "display_name", "username", "org_unit__name")
        ]
    choices["branch"] = [
        (pk, "　" * depth + name)
        for pk, name, depth in _targets(actor, "branch")
        .order_by("path")
        .values_list("pk", "name", "depth")
    ]
    return choices


def funnel_target(*, actor: Staff, by: str, target_id: int | None) -> int:
    """The checked target of a funnel: one of ``scope_choices`` (the actor's own when none is
    given). Raises InvalidFields for an unknown scope or a target the actor may not chart;
    a missing id and one out of sight get the same answer."""
    if by not in SCOPES:
        raise _invalid("by", "BAD_CHOICE", _("Choose a manager, a team or a branch."))
    if target_id is None:
        own = actor.org_unit_id if by == "branch" else actor.pk
        target_id = own if own is not None else 0
    if not 0 < target_id <= MAX_ID or not _targets(actor, by).filter(pk=target_id).exists():
        reasons = {
            "manager": _("Choose a manager you may see."),
            "team": _("Choose a team lead you may see."),
            "branch": _("Choose an org unit you may see."),
        }
        raise _invalid("target_id", "OUT_OF_SCOPE", reasons[by])
    return target_id


def funnel(*, actor: Staff, by: str = "manager", target_id: int | None = None) -> list[FunnelStep]:
    """How many of the visible prospects reached each stage, for one manager, a team (a lead's
    reports) or a branch (an org unit's subtree). One aggregate query over the history."""
    target_id = funnel_target(actor=actor, by=by, target_id=target_id)
    prospects = prospect_visible_to(actor)
    if by == "manager":
        prospects = prospects.filter(owner_id=target_id)
    elif by == "team":
        prospects = prospects.filter(Q(owner_id=target_id) | Q(owner__line_manager_id=target_id))
    else:
        unit = OrgUnit.objects.get(pk=target_id)
        prospects = prospects.filter(home_unit__path__startswith=unit.path)
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
