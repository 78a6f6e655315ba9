"""/api/v1: prospects, the pool, name lists, signals and opportunities."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.conf import settings
from ninja import Query, Router, Schema, Status
from pydantic import Field

from rmdesk.api.auth import AuthedRequest
from rmdesk.api.schemas import ErrorOut, PageMeta
from rmdesk.customers.schemas import RevealIn
from rmdesk.development import (
    charts,
    namelists,
    opportunities,
    pool,
    presenters,
    prospects,
    signals,
)
from rmdesk.org.schemas import StaffRef

router = Router(tags=["development"])

ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
PAGE = settings.RMDESK_PAGE_SIZE
MAX_PAGE = settings.RMDESK_MAX_PAGE_SIZE


class Paging(Schema):
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=PAGE, ge=1, le=MAX_PAGE)


# --- prospects -------------------------------------------------------------------------


class ProspectFilter(Paging):
    stage: str = Field(default="", max_length=20)
    pool: bool = False


class ProspectIn(Schema):
    kind: Literal["individual", "corporate"]
    display_name: str = Field(max_length=200)
    mobile: str = Field(default="", max_length=40)
    id_number: str = Field(default="", max_length=40)
    id_type: str = Field(default="", max_length=24)
    birth_date: date | None = None
    city: str = Field(default="", max_length=32)
    source: str = Field(max_length=24)
    referrer_customer_id: int | None = None
    referrer_staff_id: int | None = None
    owner_id: int | None = None
    note: str = Field(default="", max_length=500)
    merge_into_customer_id: int | None = None
    merge_into_prospect_id: int | None = None


class StageTransitionIn(Schema):
    stage: str = Field(max_length=20)
    lost_reason: str = Field(default="", max_length=16)
    note: str = Field(default="", max_length=500)
    version: int | None = None


class NoteIn(Schema):
    note: str = Field(max_length=500)


class ProspectOut(Schema):
    id: int
    kind: str
    display_name: str = Field(description="Masked for people unless revealed to the caller.")
    mobile: str = Field(description="Masked unless revealed to the caller.")
    id_number: str = Field(description="Masked unless revealed (a credit code is not masked).")
    birth_date: str = Field(description="Year only unless revealed to the caller.")
    masked_fields: list[str]
    can_reveal: bool
    city: str
    source: str
    source_label: str
    stage: str
    stage_label: str
    lost_reason: str
    owner: StaffRef | None
    home_unit_id: int
    stage_changed_at: Any
    last_contact_at: Any
    customer_id: int | None
    version: int
    next_stages: list[str]


class ProspectPageOut(Schema):
    items: list[ProspectOut]
    page: PageMeta


class MergedOut(Schema):
    merged_into: dict[str, Any]


class StageChangeOut(Schema):
    from_stage: str
    to_stage: str
    at: Any
    note: str
    actor: StaffRef | None


class ProspectDetailOut(ProspectOut):
    history: list[StageChangeOut]


def _page(items: list[dict[str, Any]], offset: int, limit: int, more: bool) -> dict[str, Any]:
    return {"items": items, "page": {"offset": offset, "limit": limit, "has_more": more}}


@router.get("/prospects", response=ProspectPageOut, summary="Prospects I may see")
def prospect_list(request: AuthedRequest, filters: Query[ProspectFilter]) -> dict[str, Any]:
    rows, more = prospects.prospect_list(
        actor=request.auth,
        stage=filters.stage or None,
        pool=filters.pool,
        offset=filters.offset,
        limit=filters.limit,
    )
    return _page(
        [presenters.prospect_out(p, actor=request.auth) for p in rows],
        filters.offset,
        filters.limit,
        more,
    )


@router.post(
    "/prospects",
    response={201: ProspectOut, 200: MergedOut, **ERRORS},
    summary="Capture a prospect (409 with the matches when it looks like a duplicate)",
)
def prospect_create(
    request: AuthedRequest, payload: ProspectIn, confirm_duplicate: bool = False
) -> Status[Any]:
    data = payload.model_dump(
        include={"display_name", "mobile", "id_number", "birth_date", "city"}, exclude_unset=True
    )
    if payload.id_type:
        data["id_type"] = payload.id_type
    merge: dict[str, int] | None = None
    if payload.merge_into_customer_id is not None:
        merge = {"customer_id": payload.merge_into_customer_id}
    elif payload.merge_into_prospect_id is not None:
        merge = {"prospect_id": payload.merge_into_prospect_id}
    created = prospects.prospect_capture(
        actor=request.auth,
        kind=payload.kind,
        data=data,
        source=payload.source,
        referrer_customer_id=payload.referrer_customer_id,
        referrer_staff_id=payload.referrer_staff_id,
        owner_id=payload.owner_id,
        note=payload.note,
        confirm_duplicate=confirm_duplicate,
        merge_into=merge,
    )
    if created.prospect is None:
        return Status(200, {"merged_into": created.merged_into})
    return Status(201, presenters.prospect_out(created.prospect, actor=request.auth))


def _detail(request: AuthedRequest, prospect_id: int) -> dict[str, Any]:
    prospect = prospects.prospect_get(actor=request.auth, prospect_id=prospect_id)
    out = presenters.prospect_out(prospect, actor=request.auth)
    out["history"] = [
        {
            "from_stage": h.from_stage,
            "to_stage": h.to_stage,
            "at": h.at,
            "note": h.note,
            "actor": presenters.staff_ref(h.actor),
        }
        for h in prospects.prospect_history(prospect=prospect)
    ]
    return out


@router.get(
    "/prospects/{prospect_id}",
    response={200: ProspectDetailOut, 404: ErrorOut},
    summary="One prospect",
)
def prospect_detail(request: AuthedRequest, prospect_id: int) -> dict[str, Any]:
    return _detail(request, prospect_id)


@router.post(
    "/prospects/{prospect_id}/transition",
    response={200: ProspectDetailOut, **ERRORS},
    summary="Move a prospect along the pipeline",
)
def prospect_transition(
    request: AuthedRequest, prospect_id: int, payload: StageTransitionIn
) -> dict[str, Any]:
    prospects.prospect_transition(
        actor=request.auth,
        prospect_id=prospect_id,
        to_stage=payload.stage,
        lost_reason=payload.lost_reason,
        note=payload.note,
        version=payload.version,
    )
    return _detail(request, prospect_id)


@router.post(
    "/prospects/{prospect_id}/touch",
    response={200: ProspectDetailOut, **ERRORS},
    summary="Record a contact with a prospect",
)
def prospect_touch(request: AuthedRequest, prospect_id: int, payload: NoteIn) -> dict[str, Any]:
    prospects.prospect_touch(actor=request.auth, prospect_id=prospect_id, note=payload.note)
    return _detail(request, prospect_id)


class ProspectRevealOut(Schema):
    values: dict[str, str]


@router.post(
    "/prospects/{prospect_id}/reveal",
    response={200: ProspectRevealOut, **ERRORS},
    summary="Show a prospect's masked fields in full, with a reason (logged)",
)
def prospect_reveal(request: AuthedRequest, prospect_id: int, payload: RevealIn) -> dict[str, Any]:
    values = prospects.prospect_reveal(
        actor=request.auth,
        prospect_id=prospect_id,
        fields=payload.fields,
        reason=payload.reason,
        request=request,
        channel="api",
    )
    return {"values": values}


@router.post(
    "/prospects/{prospect_id}/claim",
    response={200: ProspectDetailOut, **ERRORS},
    summary="Claim a prospect from the pool",
)
def prospect_claim(request: AuthedRequest, prospect_id: int) -> dict[str, Any]:
    pool.prospect_claim(actor=request.auth, prospect_id=prospect_id)
    return _detail(request, prospect_id)


@router.post(
    "/prospects/{prospect_id}/release",
    response={200: ProspectOut, **ERRORS},
    summary="Put my prospect back in the pool",
)
def prospect_release(request: AuthedRequest, prospect_id: int) -> dict[str, Any]:
    prospect = pool.prospect_release(actor=request.auth, prospect_id=prospect_id)
    return presenters.prospect_out(prospect, actor=request.auth)


# --- pool ------------------------------------------------------------------------------


class PoolItemOut(Schema):
    kind: str
    id: int
    name: str
    home_unit: str


@router.get("/pool", response=list[PoolItemOut], summary="What I may claim")
def pool_list(request: AuthedRequest) -> list[dict[str, Any]]:
    return [
        {"kind": i.kind, "id": i.id, "name": i.name, "home_unit": i.home_unit}
        for i in pool.pool_list(actor=request.auth)
    ]


class ClaimedOut(Schema):
    customer_id: int
    manager_id: int


@router.post(
    "/pool/customers/{customer_id}/claim",
    response={200: ClaimedOut, **ERRORS},
    summary="Claim an unassigned customer",
)
def customer_claim(request: AuthedRequest, customer_id: int) -> dict[str, Any]:
    customer = pool.customer_claim(actor=request.auth, customer_id=customer_id)
    return {"customer_id": customer.pk, "manager_id": request.auth.pk}


@router.post(
    "/pool/customers/{customer_id}/touch",
    response={200: ClaimedOut, **ERRORS},
    summary="Record contact with a customer claimed from the pool",
)
def claim_touch(request: AuthedRequest, customer_id: int) -> dict[str, Any]:
    claim = pool.pool_claim_touch(actor=request.auth, customer_id=customer_id)
    return {"customer_id": claim.customer_id, "manager_id": claim.manager_id}


# --- name lists ------------------------------------------------------------------------


class NameListIn(Schema):
    title: str = Field(max_length=200)
    purpose: str = Field(max_length=500)
    customer_ids: list[int] = Field(default_factory=list, max_length=100_000)
    prospect_ids: list[int] = Field(default_factory=list, max_length=100_000)
    signal_code: str = Field(default="", max_length=24)
    due_on: date | None = None


class NameListOut(Schema):
    id: int
    title: str
    purpose: str
    level: str
    issued_by: StaffRef | None
    org_unit_id: int
    due_on: date | None
    created_at: Any
    total: int | None = None
    done: int | None = None


class NameListEntryOut(Schema):
    id: int
    customer: dict[str, Any] | None
    prospect: dict[str, Any] | None
    manager: StaffRef | None
    outcome: str
    outcome_note: str
    outcome_at: Any


class RollUpOut(Schema):
    unit_id: int
    name: str
    depth: int
    total: int
    done: int
    converted: int


class NameListDetailOut(NameListOut):
    entries: list[NameListEntryOut]
    rollup: list[RollUpOut]


class OutcomeIn(Schema):
    outcome: str = Field(max_length=16)
    note: str = Field(default="", max_length=500)


@router.get("/name-lists", response=list[NameListOut], summary="Name lists I issued or work")
def name_list_list(request: AuthedRequest) -> list[dict[str, Any]]:
    return [presenters.name_list_out(n) for n in namelists.name_list_list(actor=request.auth)]


@router.post("/name-lists", response={201: NameListOut, **ERRORS}, summary="Issue a name list")
def name_list_issue(request: AuthedRequest, payload: NameListIn) -> Status[Any]:
    name_list = namelists.name_list_issue(
        actor=request.auth,
        title=payload.title,
        purpose=payload.purpose,
        customer_ids=payload.customer_ids,
        prospect_ids=payload.prospect_ids,
        signal_code=payload.signal_code,
        due_on=payload.due_on,
    )
    return Status(201, presenters.name_list_out(name_list))


@router.get(
    "/name-lists/{name_list_id}",
    response={200: NameListDetailOut, 404: ErrorOut},
    summary="A name list: its entries I may see and its roll-up",
)
def name_list_detail(request: AuthedRequest, name_list_id: int) -> dict[str, Any]:
    name_list = namelists.name_list_get(actor=request.auth, name_list_id=name_list_id)
    out = presenters.name_list_out(name_list)
    out["entries"] = [
        presenters.entry_out(e)
        for e in namelists.name_list_entries(actor=request.auth, name_list=name_list)
    ]
    out["rollup"] = [vars(r) for r in namelists.name_list_rollup(name_list=name_list)]
    return out


@router.post(
    "/name-lists/entries/{entry_id}/outcome",
    response={200: NameListEntryOut, **ERRORS},
    summary="Record an entry's outcome",
)
def entry_outcome(request: AuthedRequest, entry_id: int, payload: OutcomeIn) -> dict[str, Any]:
    entry = namelists.entry_outcome_record(
        actor=request.auth, entry_id=entry_id, outcome=payload.outcome, note=payload.note
    )
    return presenters.entry_out(entry)


# --- signals ---------------------------------------------------------------------------


class SignalFilter(Paging):
    code: str = Field(default="", max_length=24)
    as_of: date | None = None
    customer_id: int | None = None


class SignalOut(Schema):
    id: int
    code: str
    label: str
    as_of: date | None
    first_seen: date
    last_seen: date | None
    open: bool
    customer: dict[str, Any] | None
    subject: str
    reason: str
    evidence: dict[str, Any]


class SignalPageOut(Schema):
    items: list[SignalOut]
    page: PageMeta


@router.get("/signals", response=SignalPageOut, summary="Latent-need signals of my customers")
def signal_list(request: AuthedRequest, filters: Query[SignalFilter]) -> dict[str, Any]:
    rows, more = signals.signal_list(
        actor=request.auth,
        code=filters.code or None,
        as_of=filters.as_of,
        customer_id=filters.customer_id,
        offset=filters.offset,
        limit=filters.limit,
    )
    return _page([presenters.signal_out(s) for s in rows], filters.offset, filters.limit, more)


@router.get("/signals/{signal_id}", response={200: SignalOut, 404: ErrorOut}, summary="One signal")
def signal_detail(request: AuthedRequest, signal_id: int) -> dict[str, Any]:
    return presenters.signal_out(signals.signal_get(actor=request.auth, signal_id=signal_id))


# --- opportunities ---------------------------------------------------------------------


class OpportunityFilter(Paging):
    status: str = Field(default="", max_length=8)
    mine: bool = False


class OpportunityIn(Schema):
    customer_id: int | None = None
    signal_id: int | None = None
    title: str = Field(default="", max_length=200)
    follow_up_on: date


class CloseIn(Schema):
    status: Literal["won", "lost"]
    product: str = Field(default="", max_length=200)
    amount: str | None = Field(default=None, max_length=24)
    note: str = Field(default="", max_length=500)


class OpportunityOut(Schema):
    id: int
    title: str
    customer: dict[str, Any] | None
    manager: StaffRef | None
    signal_id: int | None
    signal_code: str
    follow_up_on: date
    status: str
    product: str
    amount: str
    closed_at: Any


class OpportunityPageOut(Schema):
    items: list[OpportunityOut]
    page: PageMeta


class ConversionOut(Schema):
    code: str
    label: str
    total: int
    won: int
    lost: int
    amount: str
    rate: float


@router.get("/opportunities", response=OpportunityPageOut, summary="Opportunities I may see")
def opportunity_list(request: AuthedRequest, filters: Query[OpportunityFilter]) -> dict[str, Any]:
    rows, more = opportunities.opportunity_list(
        actor=request.auth,
        status=filters.status or None,
        mine=filters.mine,
        offset=filters.offset,
        limit=filters.limit,
    )
    return _page([presenters.opportunity_out(o) for o in rows], filters.offset, filters.limit, more)


@router.post(
    "/opportunities", response={201: OpportunityOut, **ERRORS}, summary="Raise an opportunity"
)
def opportunity_create(request: AuthedRequest, payload: OpportunityIn) -> Status[Any]:
    opportunity = opportunities.opportunity_create(
        actor=request.auth,
        customer_id=payload.customer_id,
        signal_id=payload.signal_id,
        title=payload.title,
        follow_up_on=payload.follow_up_on,
    )
    return Status(201, presenters.opportunity_out(opportunity))


@router.get(
    "/opportunities/conversion",
    response=list[ConversionOut],
    summary="Conversion by signal type",
)
def opportunity_conversion(request: AuthedRequest) -> list[dict[str, Any]]:
    return [
        {**vars(row), "amount": str(row.amount), "rate": row.rate}
        for row in opportunities.conversion_by_signal(actor=request.auth)
    ]


@router.get(
    "/opportunities/{opportunity_id}",
    response={200: OpportunityOut, 404: ErrorOut},
    summary="One opportunity",
)
def opportunity_detail(request: AuthedRequest, opportunity_id: int) -> dict[str, Any]:
    return presenters.opportunity_out(
        opportunities.opportunity_get(actor=request.auth, opportunity_id=opportunity_id)
    )


@router.post(
    "/opportunities/{opportunity_id}/close",
    response={200: OpportunityOut, **ERRORS},
    summary="Close an opportunity won or lost",
)
def opportunity_close(
    request: AuthedRequest, opportunity_id: int, payload: CloseIn
) -> dict[str, Any]:
    opportunity = opportunities.opportunity_close(
        actor=request.auth,
        opportunity_id=opportunity_id,
        status=payload.status,
        product=payload.product,
        amount=payload.amount,
        note=payload.note,
    )
    return presenters.opportunity_out(opportunity)


class FunnelOut(Schema):
    stage: str
    label: str
    reached: int


class ScopeChoiceOut(Schema):
    id: int
    label: str


class FunnelScopesOut(Schema):
    manager: list[ScopeChoiceOut]
    team: list[ScopeChoiceOut]
    branch: list[ScopeChoiceOut]


@router.get(
    "/prospect-funnel/scopes",
    response=FunnelScopesOut,
    summary="The managers, teams and org units whose funnel I may see",
)
def prospect_funnel_scopes(request: AuthedRequest) -> dict[str, Any]:
    return {
        by: [{"id": pk, "label": label} for pk, label in rows]
        for by, rows in charts.scope_choices(request.auth).items()
    }


@router.get(
    "/prospect-funnel",
    response={200: list[FunnelOut], 422: ErrorOut},
    summary="Pipeline funnel for a manager, a team or a branch (one of /prospect-funnel/scopes)",
)
def prospect_funnel(
    request: AuthedRequest,
    by: Literal["manager", "team", "branch"] = "manager",
    target_id: int | None = None,
) -> list[dict[str, Any]]:
    return [vars(s) for s in charts.funnel(actor=request.auth, by=by, target_id=target_id)]
