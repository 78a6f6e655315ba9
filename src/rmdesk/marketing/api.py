from __future__ import annotations

from typing import Any

from ninja import Query, Router, Schema, Status
from pydantic import Field

from rmdesk.api.auth import AuthedRequest
from rmdesk.api.schemas import ErrorOut
from rmdesk.customers.masking import masked_name_of
from rmdesk.marketing import presenters, selectors, services
from rmdesk.marketing.models import Assessment, PlanTarget, Requirement
from rmdesk.marketing.schemas import (
    AnswerIn,
    AssessmentIn,
    AssessmentOut,
    CampaignIn,
    CampaignOut,
    CheckIn,
    DecisionOut,
    EntryOut,
    EvidenceIn,
    EvidenceOut,
    PlanIn,
    PlanOut,
    ProductIn,
    ProductOut,
    ProductPatch,
    QualificationIn,
    QualificationOut,
    RecommendationOut,
    RequirementGroupOut,
    RequirementIn,
    RequirementOut,
    SaleIn,
    SaleOut,
)

router = Router(tags=["marketing"])

ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ProductFilter(Schema):
    type: str = Field(default="", max_length=24)
    risk_level: int | None = Field(default=None, ge=1, le=5)
    status: str = Field(default="", max_length=12)
    issuer_type: str = Field(default="", max_length=16)
    tier: str = Field(default="", max_length=12)
    q: str = Field(default="", max_length=100)
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=100, ge=1, le=500)


# --- products --------------------------------------------------------------------------


@router.get("/products", response=list[ProductOut], summary="The product shelf")
def product_list(request: AuthedRequest, filters: Query[ProductFilter]) -> list[dict[str, Any]]:
    products = selectors.product_list(
        actor=request.auth,
        type=filters.type,
        risk_level=filters.risk_level,
        status=filters.status,
        issuer_type=filters.issuer_type,
        tier=filters.tier,
        q=filters.q,
    )
    return [
        presenters.product_out(p) for p in products[filters.offset : filters.offset + filters.limit]
    ]


@router.post("/products", response={201: ProductOut, **ERRORS}, summary="Add a product")
def product_create(request: AuthedRequest, payload: ProductIn) -> Status[Any]:
    product = services.product_create(actor=request.auth, data=payload.model_dump())
    return Status(201, presenters.product_out(product))


@router.get("/products/{product_id}", response={200: ProductOut, 404: ErrorOut})
def product_detail(request: AuthedRequest, product_id: int) -> dict[str, Any]:
    return presenters.product_out(selectors.product_get(actor=request.auth, product_id=product_id))


@router.patch("/products/{product_id}", response={200: ProductOut, **ERRORS})
def product_update(
    request: AuthedRequest, product_id: int, payload: ProductPatch
) -> dict[str, Any]:
    product = services.product_update(
        actor=request.auth, product_id=product_id, data=payload.model_dump(exclude_unset=True)
    )
    return presenters.product_out(product)


@router.post(
    "/staff-qualifications",
    response={201: QualificationOut, **ERRORS},
    summary="Record a staff member's sales licence",
)
def qualification_create(request: AuthedRequest, payload: QualificationIn) -> Status[Any]:
    q = services.staff_qualification_record(actor=request.auth, **payload.model_dump())
    return Status(
        201,
        {
            "id": q.pk,
            "staff_id": q.staff_id,
            "kind": q.kind,
            "valid_from": q.valid_from,
            "expires_on": q.expires_on,
        },
    )


# --- assessments and evidence ----------------------------------------------------------


@router.get("/questionnaire", response=dict[str, Any], summary="The risk questionnaire in use")
def questionnaire(request: AuthedRequest) -> dict[str, Any]:
    current = services.questionnaire_active()
    return {"version": current.version, "title": current.title, **current.definition}


def _assessment_out(a: Assessment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "customer_id": a.customer_id,
        "questionnaire_version": a.questionnaire.version,
        "score": a.score,
        "risk_level": a.risk_level,
        "loss_unable": a.loss_unable,
        "channel": a.channel,
        "assessed_at": a.assessed_at,
        "expires_on": a.expires_on,
    }


@router.get(
    "/customers/{customer_id}/assessments",
    response={200: list[AssessmentOut], 404: ErrorOut},
    summary="A customer's risk assessments, newest first",
)
def assessment_list(request: AuthedRequest, customer_id: int) -> list[dict[str, Any]]:
    return [
        _assessment_out(a)
        for a in selectors.assessment_list(actor=request.auth, customer_id=customer_id)
    ]


@router.post(
    "/customers/{customer_id}/assessments",
    response={201: AssessmentOut, **ERRORS},
    summary="Record a risk assessment",
)
def assessment_create(
    request: AuthedRequest, customer_id: int, payload: AssessmentIn
) -> Status[Any]:
    assessment = services.assessment_record(
        actor=request.auth, customer_id=customer_id, **payload.model_dump()
    )
    return Status(201, _assessment_out(assessment))


@router.post(
    "/customers/{customer_id}/investor-evidence",
    response={201: EvidenceOut, **ERRORS},
    summary="Record qualified-investor evidence",
)
def evidence_create(request: AuthedRequest, customer_id: int, payload: EvidenceIn) -> Status[Any]:
    evidence = services.evidence_record(
        actor=request.auth, customer_id=customer_id, **payload.model_dump()
    )
    return Status(
        201,
        {
            "id": evidence.pk,
            "customer_id": evidence.customer_id,
            "basis": evidence.basis,
            "evidenced_on": evidence.evidenced_on,
        },
    )


# --- suitability and sales -------------------------------------------------------------


@router.post(
    "/suitability/check",
    response={200: DecisionOut, **ERRORS},
    summary="May this customer buy this product now? Reasons and requirements",
)
def suitability_check(request: AuthedRequest, payload: CheckIn) -> dict[str, Any]:
    decision = services.suitability_evaluate(actor=request.auth, **payload.model_dump())
    return decision.as_json()


class SaleFilter(Schema):
    customer_id: int | None = None
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=50, ge=1, le=200)


@router.get("/sales", response=list[SaleOut], summary="Sales of customers I may see")
def sale_list(request: AuthedRequest, filters: Query[SaleFilter]) -> list[dict[str, Any]]:
    sales = selectors.sale_list(
        actor=request.auth,
        customer_id=filters.customer_id,
        offset=filters.offset,
        limit=filters.limit,
    )
    return [presenters.sale_out(sale) for sale in sales]


@router.post("/sales", response={201: SaleOut, **ERRORS}, summary="Record a sale (re-checked)")
def sale_create(request: AuthedRequest, payload: SaleIn) -> Status[Any]:
    recording = (
        services.RecordingIn(**payload.recording.model_dump()) if payload.recording else None
    )
    sale = services.sale_record(
        actor=request.auth,
        customer_id=payload.customer_id,
        product_id=payload.product_id,
        amount=payload.amount,
        channel=payload.channel,
        currency=payload.currency,
        recording=recording,
        risk_warning_signed=payload.risk_warning_signed,
        second_checker_id=payload.second_checker_id,
        witness_name=payload.witness_name,
        disclosure_sha256=payload.disclosure_sha256,
    )
    return Status(201, presenters.sale_out(selectors.sale_get(actor=request.auth, sale_id=sale.pk)))


@router.get("/sales/{sale_id}", response={200: SaleOut, 404: ErrorOut})
def sale_detail(request: AuthedRequest, sale_id: int) -> dict[str, Any]:
    return presenters.sale_out(selectors.sale_get(actor=request.auth, sale_id=sale_id))


@router.post(
    "/sales/{sale_id}/cancel",
    response={200: SaleOut, **ERRORS},
    summary="Cancel within the cooling-off period (full refund)",
)
def sale_cancel(request: AuthedRequest, sale_id: int) -> dict[str, Any]:
    services.sale_cancel(actor=request.auth, sale_id=sale_id)
    return presenters.sale_out(selectors.sale_get(actor=request.auth, sale_id=sale_id))


@router.get(
    "/customers/{customer_id}/recommendations",
    response={200: list[RecommendationOut], 404: ErrorOut},
    summary="Next best products for a customer",
)
def recommendation_list(request: AuthedRequest, customer_id: int) -> list[dict[str, Any]]:
    return [
        presenters.recommendation_out(item)
        for item in selectors.recommendation_list(actor=request.auth, customer_id=customer_id)
    ]


# --- campaigns -------------------------------------------------------------------------


def _campaign_out(campaign: Any, *, funnel: bool = False) -> dict[str, Any]:
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "rules": campaign.rules,
        "status": campaign.status,
        "product_id": campaign.product_id,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "launched_at": campaign.launched_at,
        "funnel": selectors.campaign_funnel(campaign=campaign) if funnel else None,
    }


@router.get("/campaigns", response=list[CampaignOut], summary="Campaigns")
def campaign_list(request: AuthedRequest) -> list[dict[str, Any]]:
    return [_campaign_out(c) for c in selectors.campaign_list(actor=request.auth)[:200]]


@router.post("/campaigns", response={201: CampaignOut, **ERRORS}, summary="Create a campaign")
def campaign_create(request: AuthedRequest, payload: CampaignIn) -> Status[Any]:
    campaign = services.campaign_create(actor=request.auth, **payload.model_dump())
    return Status(201, _campaign_out(campaign))


@router.get("/campaigns/{campaign_id}", response={200: CampaignOut, 404: ErrorOut})
def campaign_detail(request: AuthedRequest, campaign_id: int) -> dict[str, Any]:
    campaign = selectors.campaign_get(actor=request.auth, campaign_id=campaign_id)
    return _campaign_out(campaign, funnel=True)


@router.put(
    "/campaigns/{campaign_id}",
    response={200: CampaignOut, **ERRORS},
    summary="Change a draft campaign (its segment rules, product, dates, talking points)",
)
def campaign_update(request: AuthedRequest, campaign_id: int, payload: CampaignIn) -> Any:
    campaign = services.campaign_update(
        actor=request.auth, campaign_id=campaign_id, **payload.model_dump()
    )
    return _campaign_out(campaign)


@router.post(
    "/campaigns/{campaign_id}/launch",
    response={200: CampaignOut, **ERRORS},
    summary="Freeze the target list and launch",
)
def campaign_launch(request: AuthedRequest, campaign_id: int) -> dict[str, Any]:
    campaign = services.campaign_launch(actor=request.auth, campaign_id=campaign_id)
    return _campaign_out(campaign, funnel=True)


@router.get(
    "/campaigns/{campaign_id}/entries",
    response={200: list[EntryOut], 404: ErrorOut},
    summary="Targets of a campaign I may see",
)
def campaign_entries(request: AuthedRequest, campaign_id: int) -> list[dict[str, Any]]:
    campaign = selectors.campaign_get(actor=request.auth, campaign_id=campaign_id)
    return [
        {
            "id": e.pk,
            "customer_id": e.customer_id,
            "customer_name": masked_name_of(e.customer),
            "manager_id": e.manager_id,
            "stage": e.stage,
            "touches": e.touches,
        }
        for e in selectors.campaign_entries(actor=request.auth, campaign=campaign)
    ]


@router.post(
    "/campaign-entries/{entry_id}/touch",
    response={200: EntryOut, **ERRORS},
    summary="Record a contact with a campaign target",
)
def campaign_touch(request: AuthedRequest, entry_id: int) -> dict[str, Any]:
    e = services.campaign_touch(actor=request.auth, entry_id=entry_id)
    return {
        "id": e.pk,
        "customer_id": e.customer_id,
        "customer_name": masked_name_of(e.customer),
        "manager_id": e.manager_id,
        "stage": e.stage,
        "touches": e.touches,
    }


# --- plans and requirements ------------------------------------------------------------


def _plan_out(target: PlanTarget) -> dict[str, Any]:
    return {
        "id": target.pk,
        "org_unit_id": target.org_unit_id,
        "manager_id": target.manager_id,
        "parent_id": target.parent_id,
        "metric": target.metric,
        "product_type": target.product_type,
        "period_start": target.period_start,
        "period_end": target.period_end,
        "target": presenters.money(target.target),
        "achieved": presenters.money(selectors.plan_progress(target=target)),
    }


@router.get("/plans", response=list[PlanOut], summary="My plan targets and my units'")
def plan_list(request: AuthedRequest) -> list[dict[str, Any]]:
    return [_plan_out(t) for t in selectors.plan_list(actor=request.auth)]


@router.post(
    "/plans", response={201: PlanOut, **ERRORS}, summary="Set a unit target, cascaded to managers"
)
def plan_create(request: AuthedRequest, payload: PlanIn) -> Status[Any]:
    target = services.plan_target_create(actor=request.auth, **payload.model_dump())
    return Status(201, _plan_out(target))


def _requirement_out(r: Requirement) -> dict[str, Any]:
    return {
        "id": r.pk,
        "customer_id": r.customer_id,
        "topic": r.topic,
        "description": r.description,
        "status": r.status,
        "answer": r.answer,
    }


@router.get("/requirements", response=list[RequirementOut], summary="Customer requirements")
def requirement_list(request: AuthedRequest) -> list[dict[str, Any]]:
    return [_requirement_out(r) for r in selectors.requirement_list(actor=request.auth)[:200]]


@router.post("/requirements", response={201: RequirementOut, **ERRORS})
def requirement_create(request: AuthedRequest, payload: RequirementIn) -> Status[Any]:
    r = services.requirement_record(actor=request.auth, **payload.model_dump())
    return Status(201, _requirement_out(r))


@router.get(
    "/requirements/groups",
    response={200: list[RequirementGroupOut], 403: ErrorOut},
    summary="Similar requirements grouped, with customers and AUM",
)
def requirement_groups(request: AuthedRequest) -> list[dict[str, Any]]:
    from django.core.exceptions import PermissionDenied

    from rmdesk.marketing.permissions import can_manage_products

    if not can_manage_products(request.auth):
        raise PermissionDenied
    return [
        {
            "topic": g.topic,
            "requirements": g.requirements,
            "customers": g.customers,
            "aum": presenters.money(g.aum),
            "open": g.open,
        }
        for g in selectors.requirement_groups()
    ]


@router.post("/requirements/{requirement_id}/answer", response={200: RequirementOut, **ERRORS})
def requirement_answer(
    request: AuthedRequest, requirement_id: int, payload: AnswerIn
) -> dict[str, Any]:
    r = services.requirement_answer(
        actor=request.auth, requirement_id=requirement_id, answer=payload.answer
    )
    return _requirement_out(r)
