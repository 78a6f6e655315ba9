from __future__ import annotations

from typing import Any

from rmdesk.quality.models import ScoreRun
from rmdesk.quality.periods import Period
from rmdesk.quality.selectors import BoardPage, Scorecard


def _when(run: ScoreRun | None) -> str | None:
    return run.finished_at.isoformat() if run is not None and run.finished_at else None


def scorecard_dict(card: Scorecard) -> dict[str, Any]:
    return {
        "staff_id": card.staff.pk,
        "staff": str(card.staff),
        "period": card.period.label,
        "computed_at": _when(card.run),
        "overall": card.overall,
        "qualities": [
            {
                "quality": quality.value,
                "label": label,
                "figures": [
                    {
                        "metric": line.metric.code,
                        "label": str(line.metric.label),
                        "unit": line.metric.unit,
                        "value": line.value,
                        "numerator": line.numerator,
                        "denominator": line.denominator,
                        "percentile": line.percentile,
                        "team_median": line.team_median,
                        "trend": line.trend,
                        "behind": line.behind,
                    }
                    for line in lines
                ],
            }
            for quality, label, lines in card.groups
        ],
    }


def board_dict(period: Period, page: BoardPage) -> dict[str, Any]:
    return {
        "period": period.label,
        "computed_at": _when(page.run),
        "sort": page.sort,
        "org_unit": page.org_unit.pk if page.org_unit is not None else None,
        "offset": page.offset,
        "limit": page.limit,
        "has_more": page.has_more,
        "rows": [
            {
                "staff_id": row.staff.pk,
                "staff": str(row.staff),
                "org_unit": str(row.staff.org_unit or ""),
                "overall": row.overall,
                "figures": row.figures,
                "behind": row.behind,
            }
            for row in page.rows
        ],
    }
