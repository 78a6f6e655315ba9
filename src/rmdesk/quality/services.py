"""Computing scorecards: every metric, for every account manager, for one period."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from rmdesk.audit.services import audit_record
from rmdesk.org.models import Staff
from rmdesk.org.roles import Role
from rmdesk.quality.metrics import METRICS, Figure
from rmdesk.quality.models import MetricWeight, Score, ScoreRun
from rmdesk.quality.periods import Period

OVERALL = "overall"
# A role's weights when the bank has configured none: every metric counts the same.
DEFAULT_WEIGHT = Decimal("1")


def weights_for(role: str) -> dict[str, Decimal]:
    configured = dict(MetricWeight.objects.filter(role=role).values_list("metric", "weight"))
    return {code: configured.get(code, DEFAULT_WEIGHT) for code in METRICS}


def percentiles(values: dict[int, Decimal], *, higher_is_better: bool) -> dict[int, Decimal]:
    """Each value's standing among all of them: the share of the others it beats (ties
    share the lower rank), so 1 is the best of the bank and 0 the worst."""
    if len(values) < 2:
        return dict.fromkeys(values, Decimal("1"))
    ordered = sorted(values.values(), reverse=not higher_is_better)
    first_at: dict[Decimal, int] = {}
    for index, value in enumerate(ordered):
        first_at.setdefault(value, index)
    last = Decimal(len(ordered) - 1)
    return {
        staff_id: (Decimal(first_at[value]) / last).quantize(Decimal("0.0001"))
        for staff_id, value in values.items()
    }


@transaction.atomic
def scorecards_compute(*, period: Period, actor: Staff | None = None) -> ScoreRun:
    """Compute and store every figure of every active account manager for ``period``.

    Each metric is one grouped query over the bank; a manager without records gets 0.
    The run is a new snapshot: earlier runs of the period stay as they were.
    """
    managers = list(
        Staff.objects.filter(is_active=True, roles__role=Role.ACCOUNT_MANAGER)
        .values_list("pk", flat=True)
        .distinct()
    )
    run = ScoreRun.objects.create(
        period_kind=period.kind.value,
        period_start=period.start,
        period_end=period.end,
        requested_by=actor,
    )
    population = set(managers)
    weights = weights_for(Role.ACCOUNT_MANAGER)
    overall: dict[int, Decimal] = dict.fromkeys(population, Decimal("0"))
    total_weight = sum(weights.values(), Decimal("0"))
    scores: list[Score] = []
    for code, definition in METRICS.items():
        figures: dict[int, Figure] = {
            figure.staff_id: figure
            for figure in definition.compute(period)
            if figure.staff_id in population
        }
        values = {
            staff_id: figures[staff_id].value if staff_id in figures else Decimal("0")
            for staff_id in population
        }
        ranks = percentiles(values, higher_is_better=definition.higher_is_better)
        for staff_id in population:
            figure = figures.get(staff_id)
            scores.append(
                Score(
                    run=run,
                    staff_id=staff_id,
                    metric=code,
                    value=values[staff_id],
                    numerator=figure.numerator if figure else Decimal("0"),
                    denominator=figure.denominator if figure else None,
                    percentile=ranks[staff_id],
                )
            )
            overall[staff_id] += weights[code] * ranks[staff_id]
    for staff_id in population:
        value = (
            (overall[staff_id] / total_weight).quantize(Decimal("0.0001")) if total_weight else 0
        )
        scores.append(
            Score(run=run, staff_id=staff_id, metric=OVERALL, value=value, percentile=value)
        )
    Score.objects.bulk_create(scores, batch_size=5000)
    run.finished_at = timezone.now()
    run.staff_count = len(population)
    run.score_count = len(scores)
    run.save(update_fields=["finished_at", "staff_count", "score_count"])
    audit_record(
        actor=actor,
        action="quality.scorecards.computed",
        target=run,
        data={"period": period.label, "staff": len(population), "scores": len(scores)},
    )
    return run
