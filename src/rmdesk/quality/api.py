"""/api/v1/scorecards: a manager's figures, the board of those one may see, recomputing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from rmdesk.api.auth import AuthedRequest
from rmdesk.api.schemas import ErrorOut
from rmdesk.quality import disputes, presenters, selectors, services
from rmdesk.quality.models import AttributionDispute
from rmdesk.quality.periods import period_containing, period_parse
from rmdesk.quality.permissions import can_compute_scorecards, can_configure_scoring
from rmdesk.quality.schemas import (
    BoardOut,
    ComputeIn,
    DisputeIn,
    DisputeOut,
    DisputePageOut,
    ResolveIn,
    RunOut,
    ScorecardOut,
    SharedPageOut,
)

router = Router(tags=["scorecards"])


class PeriodQuery(Schema):
    period: str = ""


class BoardQuery(PeriodQuery):
    sort: str = Field(default="overall", max_length=48)
    org_unit: int | None = Field(default=None, ge=1, le=2**63 - 1)
    offset: int = Field(default=0, ge=0, le=10**9)
    limit: int = Field(default=selectors.BOARD_LIMIT, ge=1, le=selectors.MAX_BOARD_LIMIT)


def _period(label: str) -> Any:
    if not label:
        return period_containing(timezone.localdate(), services.period_kind_configured())
    return period_parse(label)


@router.get("/scorecards", response={200: BoardOut, 400: ErrorOut}, summary="The board")
def scorecard_board(request: AuthedRequest, query: Query[BoardQuery]) -> dict[str, Any]:
    """A page of the leaderboard of everyone the caller may see, best first by ``sort``
    (overall, a quality or a figure), within ``org_unit``'s subtree when given."""
    page = selectors.board(
        actor=request.auth,
        period=_period(query.period),
        sort=query.sort,
        org_unit_id=query.org_unit,
        offset=query.offset,
        limit=query.limit,
    )
    return presenters.board_dict(_period(query.period), page)


class SettingsIn(Schema):
    period_kind: Literal["month", "quarter", "year"] | None = None
    weights: dict[str, dict[str, Decimal]] | None = None


class SettingsOut(Schema):
    period_kind: str
    weights: dict[str, dict[str, Decimal]]


@router.get(
    "/scorecard-settings",
    response={200: SettingsOut, 403: ErrorOut},
    summary="The scorecard period and weights per role (administrators)",
)
def scoring_settings(request: AuthedRequest) -> dict[str, Any]:
    if not can_configure_scoring(request.auth):
        raise PermissionDenied
    return {
        "period_kind": services.period_kind_configured().value,
        "weights": services.weights_all(),
    }


@router.patch(
    "/scorecard-settings",
    response={200: SettingsOut, 400: ErrorOut, 403: ErrorOut},
    summary="Change the scorecard period and/or weights (administrators; audited)",
)
def scoring_settings_update(request: AuthedRequest, payload: SettingsIn) -> dict[str, Any]:
    return services.scoring_settings_update(
        actor=request.auth, period_kind=payload.period_kind, weights=payload.weights
    )


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


class PageQuery(Schema):
    offset: int = Field(default=0, ge=0, le=10**9)
    limit: int = Field(default=25, ge=1, le=100)


class DisputePageQuery(PageQuery):
    waiting: bool = False


def _dispute_dict(dispute: AttributionDispute) -> dict[str, Any]:
    return {
        "id": dispute.pk,
        "customer_id": dispute.customer_id,
        "customer_no": dispute.customer.customer_no,
        "lead_id": dispute.lead_id,
        "assistant_id": dispute.assistant_id,
        "raised_by_id": dispute.raised_by_id,
        "reason": dispute.reason,
        "status": dispute.status,
        "lead_share_before": dispute.lead_share_before,
        "proposed_lead_share": dispute.proposed_lead_share,
        "lead_share_after": dispute.lead_share_after,
        "work_order_id": dispute.work_order_id,
        "resolved_by_id": dispute.resolved_by_id,
        "resolved_at": dispute.resolved_at.isoformat() if dispute.resolved_at else None,
        "resolution": dispute.resolution,
        "created_at": dispute.created_at.isoformat(),
    }


@router.get(
    "/attributions",
    response={200: SharedPageOut},
    summary="The customers whose credit I share, with the split in force",
)
def attribution_list(request: AuthedRequest, query: Query[PageQuery]) -> dict[str, Any]:
    page = disputes.shared_customers(actor=request.auth, offset=query.offset, limit=query.limit)
    return {
        "items": [
            {
                "customer_id": item.customer.pk,
                "customer_no": item.customer.customer_no,
                "name": item.name,
                "lead_id": item.customer.primary_manager_id,
                "assistant_id": item.customer.assisting_manager_id,
                "lead_share": item.lead_share,
                "own_share": item.own_share,
                "set_by_dispute": item.from_dispute,
                "open_dispute_id": item.open_dispute.pk if item.open_dispute else None,
            }
            for item in page.items
        ],
        "offset": page.offset,
        "limit": page.limit,
        "has_more": page.has_more,
    }


@router.post(
    "/attribution-disputes",
    response={201: DisputeOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Dispute the split of a shared customer (goes to the sub-branch head)",
)
def attribution_dispute_raise(request: AuthedRequest, payload: DisputeIn) -> Status[Any]:
    dispute = disputes.attribution_dispute_raise(
        actor=request.auth,
        customer_id=payload.customer_id,
        reason=payload.reason,
        proposed_lead_share=payload.proposed_lead_share,
    )
    return Status(201, _dispute_dict(dispute))


@router.get(
    "/attribution-disputes",
    response={200: DisputePageOut},
    summary="Attribution disputes I may see (waiting=true: those for me to decide)",
)
def attribution_dispute_list(
    request: AuthedRequest, query: Query[DisputePageQuery]
) -> dict[str, Any]:
    items, has_more = disputes.dispute_list(
        actor=request.auth, waiting_for_me=query.waiting, offset=query.offset, limit=query.limit
    )
    return {
        "items": [_dispute_dict(item) for item in items],
        "offset": query.offset,
        "limit": query.limit,
        "has_more": has_more,
    }


@router.get(
    "/attribution-disputes/{dispute_id}",
    response={200: DisputeOut, 404: ErrorOut},
    summary="One attribution dispute",
)
def attribution_dispute_detail(request: AuthedRequest, dispute_id: int) -> dict[str, Any]:
    return _dispute_dict(disputes.dispute_get(actor=request.auth, dispute_id=dispute_id))


@router.post(
    "/attribution-disputes/{dispute_id}/resolve",
    response={200: DisputeOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Settle a dispute: uphold the split or change it for that customer (the head)",
)
def attribution_dispute_resolve(
    request: AuthedRequest, dispute_id: int, payload: ResolveIn
) -> dict[str, Any]:
    dispute = disputes.attribution_dispute_resolve(
        actor=request.auth,
        dispute_id=dispute_id,
        outcome=payload.outcome,
        lead_share=payload.lead_share,
        note=payload.note,
    )
    return _dispute_dict(dispute)
