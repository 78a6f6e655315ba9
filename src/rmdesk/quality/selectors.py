"""Reading scorecards, always through the staff visibility policy (org.policy.staff_q)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from rmdesk.core.errors import DomainError
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.policy import staff_q
from rmdesk.quality.metrics import METRICS, QUALITY_LABELS, Metric, Quality
from rmdesk.quality.models import Score, ScoreRun
from rmdesk.quality.periods import Period
from rmdesk.quality.services import OVERALL

MAX_ID = 2**63 - 1
TREND_PERIODS = 6
# Below this standing among the bank's managers a figure counts as falling behind.
BEHIND = Decimal("0.25")


def visible_staff(*, actor: Staff) -> QuerySet[Staff]:
    return Staff.objects.filter(staff_q(actor)).select_related("org_unit")


def staff_get(*, actor: Staff, staff_id: int) -> Staff:
    """One member of staff whose work ``actor`` may see; anyone else is Http404."""
    if not 0 < staff_id <= MAX_ID:
        raise Http404
    try:
        return visible_staff(actor=actor).get(pk=staff_id)
    except Staff.DoesNotExist as exc:
        raise Http404 from exc


def run_current(*, period: Period) -> ScoreRun | None:
    """The newest finished run of ``period`` (None when it was never computed)."""
    return (
        ScoreRun.objects.filter(
            period_kind=period.kind.value, period_start=period.start, finished_at__isnull=False
        )
        .order_by("-finished_at", "-pk")
        .first()
    )


@dataclass
class Line:
    metric: Metric
    value: Decimal
    numerator: Decimal | None
    denominator: Decimal | None
    percentile: Decimal
    team_median: Decimal | None
    trend: list[Decimal] = field(default_factory=list)

    @property
    def behind(self) -> bool:
        return self.percentile < BEHIND


@dataclass
class Scorecard:
    staff: Staff
    period: Period
    run: ScoreRun | None
    overall: Decimal | None
    groups: list[tuple[Quality, str, list[Line]]]


def scorecard_get(*, actor: Staff, staff_id: int, period: Period) -> Scorecard:
    """A member of staff's figures for ``period`` with their team's median (the same org
    unit) and their trend over the previous periods. Four queries."""
    staff = staff_get(actor=actor, staff_id=staff_id)
    run = run_current(period=period)
    if run is None:
        return Scorecard(staff, period, None, None, [])
    own = {score.metric: score for score in Score.objects.filter(run=run, staff=staff)}
    peers: dict[str, list[Decimal]] = {}
    for metric_code, value in Score.objects.filter(
        run=run, staff__org_unit_id=staff.org_unit_id
    ).values_list("metric", "value"):
        peers.setdefault(metric_code, []).append(value)
    history = _trend(staff=staff, period=period)
    groups: dict[Quality, list[Line]] = {}
    for code, definition in METRICS.items():
        score = own.get(code)
        if score is None:
            continue
        median = statistics.median(peers[code]) if peers.get(code) else None
        groups.setdefault(definition.quality, []).append(
            Line(
                metric=definition,
                value=score.value,
                numerator=score.numerator,
                denominator=score.denominator,
                percentile=score.percentile,
                team_median=median,
                trend=history.get(code, []),
            )
        )
    overall = own[OVERALL].value if OVERALL in own else None
    ordered = [
        (quality, str(QUALITY_LABELS[quality]), groups[quality])
        for quality in Quality
        if quality in groups
    ]
    return Scorecard(staff, period, run, overall, ordered)


def _trend(*, staff: Staff, period: Period) -> dict[str, list[Decimal]]:
    """The figures of the current runs of the last few periods, oldest first."""
    periods = [period.previous(back) for back in range(TREND_PERIODS - 1, -1, -1)]
    runs: dict[object, int] = {}
    for run_id, start in (
        ScoreRun.objects.filter(
            period_kind=period.kind.value,
            period_start__in=[p.start for p in periods],
            finished_at__isnull=False,
        )
        .order_by("period_start", "finished_at", "pk")
        .values_list("pk", "period_start")
    ):
        runs[start] = run_id  # the newest run of each period wins
    values: dict[str, dict[int, Decimal]] = {}
    for metric_code, run_id, value in Score.objects.filter(
        staff=staff, run_id__in=list(runs.values())
    ).values_list("metric", "run_id", "value"):
        values.setdefault(metric_code, {})[run_id] = value
    return {
        code: [by_run[runs[p.start]] for p in periods if runs.get(p.start) in by_run]
        for code, by_run in values.items()
    }


@dataclass
class BoardRow:
    staff: Staff
    overall: Decimal
    figures: dict[str, Decimal]
    behind: list[str]


@dataclass
class BoardPage:
    run: ScoreRun | None
    rows: list[BoardRow]
    sort: str
    org_unit: OrgUnit | None
    offset: int
    limit: int
    has_more: bool


BOARD_LIMIT = 50
MAX_BOARD_LIMIT = 200


def board_sorts() -> list[tuple[str, str]]:
    """What the board sorts by: overall, a quality (its figures' mean standing), or one
    figure (its standing); best first."""
    return [
        (OVERALL, str(_("Overall"))),
        *[(quality.value, str(label)) for quality, label in QUALITY_LABELS.items()],
        *[(code, str(definition.label)) for code, definition in METRICS.items()],
    ]


def _bad(field: str, reason: str) -> DomainError:
    return DomainError(reason, code="invalid_board", details=[{"field": field, "reason": reason}])


def board(
    *,
    actor: Staff,
    period: Period,
    sort: str = OVERALL,
    org_unit_id: int | None = None,
    offset: int = 0,
    limit: int = BOARD_LIMIT,
) -> BoardPage:
    """A page of the leaderboard of everyone ``actor`` may see (within ``org_unit_id``'s
    subtree when given), best first by ``sort``. The database sorts and pages; at most
    four queries whatever the number of staff (run, unit, the page's order, its figures).

    Raises DomainError("invalid_board") for an unknown sort, unit or a bad page.
    """
    if sort not in {OVERALL, *METRICS} and sort not in {quality.value for quality in Quality}:
        raise _bad("sort", _("Sort by overall, a quality or a figure."))
    if not 0 <= offset <= 10**9 or not 1 <= limit <= MAX_BOARD_LIMIT:
        raise _bad("limit", _("Pages hold 1 to 200 rows."))
    unit = None
    if org_unit_id is not None:
        unit = OrgUnit.objects.filter(pk=org_unit_id).first() if 0 < org_unit_id <= MAX_ID else None
        if unit is None:
            raise _bad("org_unit", _("Unknown org unit."))
    run = run_current(period=period)
    if run is None:
        return BoardPage(None, [], sort, unit, offset, limit, False)
    scores = Score.objects.filter(run=run, staff__in=Staff.objects.filter(staff_q(actor)))
    if unit is not None:
        scores = scores.filter(staff__org_unit__path__startswith=unit.path)
    if sort == OVERALL:
        ranked = scores.filter(metric=OVERALL).values_list("staff_id", flat=True)
        ranked = ranked.order_by("-value", "staff_id")
    elif sort in METRICS:
        ranked = (
            scores.filter(metric=sort)
            .order_by("-percentile", "staff_id")
            .values_list("staff_id", flat=True)
        )
    else:
        codes = [code for code, definition in METRICS.items() if definition.quality == sort]
        ranked = (
            scores.filter(metric__in=codes)
            .values("staff_id")
            .annotate(mean=Avg("percentile"))
            .order_by("-mean", "staff_id")
            .values_list("staff_id", flat=True)
        )
    ids = list(ranked[offset : offset + limit + 1])
    has_more = len(ids) > limit
    ids = ids[:limit]
    rows: dict[int, BoardRow] = {}
    for score in Score.objects.filter(run=run, staff_id__in=ids).select_related("staff__org_unit"):
        row = rows.setdefault(score.staff_id, BoardRow(score.staff, Decimal("0"), {}, []))
        if score.metric == OVERALL:
            row.overall = score.value
        else:
            row.figures[score.metric] = score.value
            if score.percentile < BEHIND:
                row.behind.append(score.metric)
    ordered = [rows[staff_id] for staff_id in ids if staff_id in rows]
    return BoardPage(run, ordered, sort, unit, offset, limit, has_more)


@dataclass(frozen=True)
class Headline:
    """A scorecard in one line: the overall standing and how many figures fall behind."""

    run: ScoreRun | None
    overall: Decimal | None
    behind: int
    figures: int


def scorecard_headline(*, staff: Staff, period: Period) -> Headline:
    """The headline of the scorecard of ``staff`` for ``period``; ``staff`` comes from
    ``staff_get`` (the actor may see their work). Two queries."""
    run = run_current(period=period)
    if run is None:
        return Headline(run, None, 0, 0)
    overall: Decimal | None = None
    behind = figures = 0
    for metric_code, percentile in Score.objects.filter(run=run, staff=staff).values_list(
        "metric", "percentile"
    ):
        if metric_code == OVERALL:
            overall = percentile
            continue
        figures += 1
        if percentile < BEHIND:
            behind += 1
    return Headline(run, overall, behind, figures)


def team_members(*, actor: Staff, limit: int = 200) -> list[Staff]:
    """The account managers whose work the actor may see, the actor left out, by name.
    One query."""
    from rmdesk.org.roles import Role

    return list(
        visible_staff(actor=actor)
        .exclude(pk=actor.pk)
        .filter(roles__role=Role.ACCOUNT_MANAGER)
        .order_by("display_name", "username", "pk")[:limit]
    )


def board_units(*, actor: Staff, limit: int = 300) -> list[OrgUnit]:
    """The units a head may narrow the board to: their own unit's subtree (the whole
    bank for bank-wide readers), shallowest first."""
    units = OrgUnit.objects.all()
    if staff_q(actor) != Q():
        if actor.org_unit is None:
            return []
        units = units.filter(path__startswith=actor.org_unit.path)
    return list(units.order_by("depth", "path")[:limit])
