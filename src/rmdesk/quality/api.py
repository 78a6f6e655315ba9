"""/api/v1/scorecards: a manager's figures, the board of those one may see, recomputing."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from rmdesk.api.auth import AuthedRequest
from rmdesk.api.schemas import ErrorOut
from rmdesk.quality import presenters, selectors, services
from rmdesk.quality.periods import PeriodKind, period_containing, period_parse
from rmdesk.quality.permissions import can_compute_scorecards
from rmdesk.quality.schemas import BoardOut, ComputeIn, RunOut, ScorecardOut

router = Router(tags=["scorecards"])


class PeriodQuery(Schema):
    period: str = ""


def _period(label: str) -> Any:
    if not label:
        return period_containing(timezone.localdate(), PeriodKind.MONTH)
    return period_parse(label)


@router.get("/scorecards", response={200: BoardOut, 400: ErrorOut}, summary="The board")
def scorecard_board(request: AuthedRequest, query: Query[PeriodQuery]) -> dict[str, Any]:
    period = _period(query.period)
    run, rows = selectors.board(actor=request.auth, period=period)
    return presenters.board_dict(period, run, rows)


# Before "/scorecards/{staff_id}", which would otherwise take "compute" for an id.
@router.post(
    "/scorecards/compute",
    response={201: RunOut, 400: ErrorOut, 403: ErrorOut},
    summary="Compute a period's scorecards anew (a new snapshot)",
)
def scorecard_compute(request: AuthedRequest, payload: ComputeIn) -> Status[Any]:
    if not can_compute_scorecards(request.auth):
        raise PermissionDenied
    period = period_parse(payload.period)
    run = services.scorecards_compute(period=period, actor=request.auth)
    return Status(
        201,
        {
            "id": run.pk,
            "period": period.label,
            "staff_count": run.staff_count,
            "score_count": run.score_count,
        },
    )


@router.get(
    "/scorecards/{staff_id}",
    response={200: ScorecardOut, 400: ErrorOut, 404: ErrorOut},
    summary="One member of staff's scorecard",
)
def scorecard_detail(
    request: AuthedRequest, staff_id: int, query: Query[PeriodQuery]
) -> dict[str, Any]:
    card = selectors.scorecard_get(
        actor=request.auth, staff_id=staff_id, period=_period(query.period)
    )
    return presenters.scorecard_dict(card)
