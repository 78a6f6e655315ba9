"""Computing scorecards: every metric, for every account manager, for one period."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.core.errors import DomainError
from rmdesk.org.models import Staff
from rmdesk.org.roles import Role
from rmdesk.quality.metrics import METRICS, Figure
from rmdesk.quality.models import MetricWeight, Score, ScoreRun, ScoringSettings
from rmdesk.quality.periods import Period, PeriodKind
from rmdesk.quality.permissions import can_configure_scoring

OVERALL = "overall"
# A role's weights when the bank has configured none: every metric counts the same.
DEFAULT_WEIGHT = Decimal("1")


# The roles whose holders are scored, and whose weights make their overall figure: a
# member of staff is weighed by the first of these they hold.
SCORED_ROLES = (Role.TEAM_LEAD, Role.ACCOUNT_MANAGER)
MAX_WEIGHT = Decimal("1000")


def weights_all() -> dict[str, dict[str, Decimal]]:
    """Every scored role's weights, the defaults filled in (one query)."""
    table = {role.value: dict.fromkeys(METRICS, DEFAULT_WEIGHT) for role in SCORED_ROLES}
    for role, code, weight in MetricWeight.objects.filter(
        role__in=list(table), metric__in=list(METRICS)
    ).values_list("role", "metric", "weight"):
        table[role][code] = weight
    return table


def period_kind_configured() -> PeriodKind:
    """The period the bank reads its scorecards by (month when never configured)."""
    kind = ScoringSettings.objects.values_list("period_kind", flat=True).first()
    return PeriodKind(kind) if kind else PeriodKind.MONTH


def _weight_error(field: str, reason: str) -> DomainError:
    return DomainError(reason, code="invalid_weights", details=[{"field": field, "reason": reason}])


@transaction.atomic
def scoring_settings_update(
    *,
    actor: Staff,
    period_kind: str | None = None,
    weights: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Change the scorecard period and/or weights of scored roles (administrators).

    ``weights`` maps a role to {metric: weight}; metrics left out keep their weight. Every
    weight is a number from 0 to 1000 with at most two decimals, and each role keeps at
    least one positive weight. All or nothing; the change (before and after) is audited.
    Raises PermissionDenied, DomainError("invalid_weights") naming the field.
    """
    if not can_configure_scoring(actor):
        raise PermissionDenied
    errors: list[dict[str, str]] = []
    if period_kind is not None and period_kind not in {kind.value for kind in PeriodKind}:
        errors.append({"field": "period_kind", "reason": str(_("Month, quarter or year."))})
    current = weights_all()
    proposed = {role: dict(table) for role, table in current.items()}
    for role, table in (weights or {}).items():
        if role not in proposed:
            errors.append({"field": f"weights.{role}", "reason": str(_("Not a scored role."))})
            continue
        for code, raw in table.items():
            field = f"weights.{role}.{code}"
            if code not in METRICS:
                errors.append({"field": field, "reason": str(_("Unknown figure."))})
                continue
            try:
                weight = Decimal(str(raw).strip())
            except (InvalidOperation, ValueError):
                weight = Decimal("NaN")
            if not weight.is_finite() or not 0 <= weight <= MAX_WEIGHT:
                errors.append({"field": field, "reason": str(_("A number from 0 to 1000."))})
            elif weight != weight.quantize(Decimal("0.01")):
                errors.append({"field": field, "reason": str(_("At most two decimals."))})
            else:
                proposed[role][code] = weight.quantize(Decimal("0.01"))
        if not any(weight > 0 for weight in proposed[role].values()):
            errors.append(
                {
                    "field": f"weights.{role}",
                    "reason": str(_("At least one figure must count (a weight above 0).")),
                }
            )
    if errors:
        raise DomainError(
            _("The scorecard settings were not saved."), code="invalid_weights", details=errors
        )
    changes: dict[str, Any] = {}
    for role, table in proposed.items():
        for code, weight in table.items():
            if weight != current[role][code]:
                MetricWeight.objects.update_or_create(
                    role=role, metric=code, defaults={"weight": weight}
                )
                changes.setdefault("weights", {}).setdefault(role, {})[code] = [
                    str(current[role][code]),
                    str(weight),
                ]
    before_kind = period_kind_configured()
    if period_kind is not None and period_kind != before_kind:
        ScoringSettings.objects.update_or_create(pk=1, defaults={"period_kind": period_kind})
        changes["period_kind"] = [before_kind.value, period_kind]
    if changes:
        row, _created = ScoringSettings.objects.get_or_create(
            pk=1, defaults={"period_kind": before_kind.value}
        )
        audit_record(actor=actor, action="quality.settings.changed", target=row, data=changes)
    return {"period_kind": period_kind_configured().value, "weights": weights_all()}


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
    tables = weights_all()
    leads = set(
        Staff.objects.filter(pk__in=managers, roles__role=Role.TEAM_LEAD).values_list(
            "pk", flat=True
        )
    )
    # Each person's weights: their role's (a team lead's, else an account manager's).
    weighed_by = {
        staff_id: Role.TEAM_LEAD.value if staff_id in leads else Role.ACCOUNT_MANAGER.value
        for staff_id in population
    }
    overall: dict[int, Decimal] = dict.fromkeys(population, Decimal("0"))
    total_weight = {role: sum(table.values(), Decimal("0")) for role, table in tables.items()}
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
            overall[staff_id] += tables[weighed_by[staff_id]][code] * ranks[staff_id]
    for staff_id in population:
        total = total_weight[weighed_by[staff_id]]
        value = (overall[staff_id] / total).quantize(Decimal("0.0001")) if total else Decimal(0)
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
