"""Reads for marketing: the shelf, facts for the suitability engine, sales, campaigns.

Everything linked to a customer starts from ``org.policy.customer_q``; out of scope
is Http404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum, TextField
from django.db.models.functions import Cast, Coalesce
from django.http import Http404
from django.utils import timezone

from rmdesk.customers.models import Customer, Tier
from rmdesk.customers.selectors import MAX_ID, customer_get
from rmdesk.marketing.models import (
    Assessment,
    Campaign,
    CampaignEntry,
    PlanTarget,
    Product,
    QualifiedInvestorEvidence,
    Recommendation,
    Requirement,
    RuleSet,
    Sale,
    StaffQualification,
)
from rmdesk.marketing.suitability import (
    DEFAULT_PARAMETERS,
    CustomerFacts,
    Facts,
    ProductFacts,
    Rules,
    StaffFacts,
)
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.policy import customer_q

ZERO = Decimal("0")


# --- the shelf -------------------------------------------------------------------------


def product_list(
    *,
    actor: Staff,
    type: str = "",  # noqa: A002 - the filter's public name
    risk_level: int | None = None,
    status: str = "",
    issuer_type: str = "",
    tier: str = "",
    q: str = "",
) -> QuerySet[Product]:
    """The shelf, filtered. Every member of staff may browse it."""
    products = Product.objects.all()
    if type:
        products = products.filter(type=type)
    if risk_level is not None:
        products = products.filter(risk_level=risk_level)
    if status:
        products = products.filter(status=status)
    if issuer_type:
        products = products.filter(issuer_type=issuer_type)
    if q:
        products = products.filter(Q(code__icontains=q) | Q(name__icontains=q))
    rows = products.order_by("code")
    if tier:
        # target_tiers is a short JSON list of tier codes; empty means every tier. Its
        # text holds the code in quotes on both databases (SQLite has no JSON contains).
        if tier not in Tier.values:
            return rows.none()
        listed = Cast("target_tiers", TextField())
        return rows.annotate(tiers_text=listed).filter(
            Q(target_tiers=[]) | Q(tiers_text__contains=f'"{tier}"')
        )
    return rows


def product_get(*, actor: Staff, product_id: int) -> Product:
    if not 0 < product_id <= MAX_ID:
        raise Http404
    try:
        return Product.objects.get(pk=product_id)
    except Product.DoesNotExist as exc:
        raise Http404 from exc


# --- suitability facts -----------------------------------------------------------------


def rules_current() -> Rules:
    """The rule set in force (the DOMAIN.md defaults if a bank has none active)."""
    active = RuleSet.objects.filter(active=True).first()
    if active is None:
        return Rules.from_parameters(version=0, parameters=DEFAULT_PARAMETERS)
    return Rules.from_parameters(version=active.version, parameters=active.parameters)


def latest_assessment(*, customer_id: int) -> Assessment | None:
    return (
        Assessment.objects.filter(customer_id=customer_id).order_by("-assessed_at", "-id").first()
    )


def customer_facts(*, customer: Customer, product: Product | None, today: dt.date) -> CustomerFacts:
    latest = latest_assessment(customer_id=customer.pk)
    evidence = (
        QualifiedInvestorEvidence.objects.filter(customer_id=customer.pk)
        .order_by("-evidenced_on", "-id")
        .values("basis", "evidenced_on", "experience_years")
    )
    rules = rules_current()
    qualified_on: dt.date | None = None
    professional = False
    for row in evidence:
        if row["basis"] == QualifiedInvestorEvidence.Basis.PROFESSIONAL:
            professional = True
        if qualified_on is None and (
            row["basis"] == QualifiedInvestorEvidence.Basis.COMPANY_NET_ASSETS
            or row["experience_years"] >= rules.qualified_min_experience_years
        ):
            qualified_on = row["evidenced_on"]
    active_sales = Sale.objects.filter(customer_id=customer.pk, status=Sale.Status.ACTIVE)
    held = ZERO
    if product is not None:
        held = active_sales.filter(product=product).aggregate(total=Coalesce(Sum("amount"), ZERO))[
            "total"
        ]
    return CustomerFacts(
        customer_id=customer.pk,
        is_individual=customer.kind == Customer.Kind.INDIVIDUAL,
        birth_date=customer.birth_date,
        risk_level=latest.risk_level if latest else None,
        risk_expires_on=latest.expires_on if latest else None,
        loss_unable=latest.loss_unable if latest else False,
        has_branch_assessment=Assessment.objects.filter(
            customer_id=customer.pk, channel=Assessment.Channel.BRANCH
        ).exists(),
        qualified_evidenced_on=qualified_on,
        professional=professional,
        has_bank_wm_purchase=active_sales.filter(
            product__issuer_type=Product.Issuer.BANK,
            product__type__in=[Product.Type.WM_PUBLIC, Product.Type.WM_PRIVATE],
        ).exists(),
        held_in_product=held,
    )


def product_facts(product: Product) -> ProductFacts:
    return ProductFacts(
        product_id=product.pk,
        code=product.code,
        type=product.type,
        issuer_type=product.issuer_type,
        asset_class=product.asset_class,
        risk_level=product.risk_level,
        min_amount=product.min_amount,
        increment=product.increment,
        currency=product.currency,
        status=product.status,
        sale_starts_at=product.sale_starts_at,
        sale_ends_at=product.sale_ends_at,
        quota=product.quota,
        quota_used=product.quota_used,
        qualification_needed=product.qualification_needed,
        cooling_off_hours=product.cooling_off_hours,
    )


def staff_facts(staff: Staff) -> StaffFacts:
    rows = StaffQualification.objects.filter(staff=staff).values_list(
        "kind", "valid_from", "expires_on"
    )
    return StaffFacts(staff_id=staff.pk, qualifications=tuple(rows))


def suitability_facts(
    *,
    customer: Customer,
    product: Product,
    staff: Staff,
    amount: Decimal,
    currency: str,
    channel: str,
    now: dt.datetime | None = None,
    risk_warning_signed: bool = False,
) -> Facts:
    """Everything the engine needs, read now (inside the caller's transaction)."""
    now = now or timezone.now()
    rules = rules_current()
    today = timezone.localdate(now)
    return Facts(
        customer=customer_facts(customer=customer, product=product, today=today),
        product=product_facts(product),
        staff=staff_facts(staff),
        amount=amount,
        currency=currency,
        channel=channel,
        now=now,
        rules=rules,
        risk_warning_signed=risk_warning_signed,
    )


# --- sales -----------------------------------------------------------------------------


def sale_visible_to(actor: Staff) -> QuerySet[Sale]:
    return Sale.objects.filter(customer_q(actor, prefix="customer__"))


def sale_list(
    *, actor: Staff, customer_id: int | None = None, offset: int = 0, limit: int = 50
) -> list[Sale]:
    sales = sale_visible_to(actor).select_related("product", "customer", "staff", "recording")
    if customer_id is not None:
        sales = sales.filter(customer_id=customer_id)
    return list(sales.order_by("-signed_at", "-id")[offset : offset + limit])


def sale_get(*, actor: Staff, sale_id: int) -> Sale:
    if not 0 < sale_id <= MAX_ID:
        raise Http404
    try:
        return (
            sale_visible_to(actor)
            .select_related("product", "customer", "staff", "recording")
            .get(pk=sale_id)
        )
    except Sale.DoesNotExist as exc:
        raise Http404 from exc


@dataclass
class CustomerMarketing:
    customer: Customer
    assessment: Assessment | None
    sales: list[Sale]
    recommendations: list[Recommendation]
    evidence: list[QualifiedInvestorEvidence]


def customer_marketing(*, actor: Staff, customer_id: int) -> CustomerMarketing:
    """One visible customer's assessment, sales and recommendations."""
    customer = customer_get(actor=actor, customer_id=customer_id)
    return CustomerMarketing(
        customer=customer,
        assessment=latest_assessment(customer_id=customer.pk),
        sales=sale_list(actor=actor, customer_id=customer.pk),
        recommendations=recommendation_list(actor=actor, customer_id=customer.pk),
        evidence=list(
            QualifiedInvestorEvidence.objects.filter(customer=customer).order_by("-evidenced_on")
        ),
    )


def recommendation_list(*, actor: Staff, customer_id: int) -> list[Recommendation]:
    customer = customer_get(actor=actor, customer_id=customer_id)
    return list(
        Recommendation.objects.filter(customer=customer).select_related("product").order_by("rank")
    )


def assessment_list(*, actor: Staff, customer_id: int) -> list[Assessment]:
    customer = customer_get(actor=actor, customer_id=customer_id)
    return list(
        Assessment.objects.filter(customer=customer)
        .select_related("questionnaire", "staff")
        .order_by("-assessed_at", "-id")
    )


# --- campaigns -------------------------------------------------------------------------


# How far back a segment's signal rule looks when it names no window (days).
SIGNAL_DAYS_DEFAULT = 30


def segment_customers(*, rules: dict[str, Any]) -> QuerySet[Customer]:
    """The customers a segment's rules select, bank-wide, as one query.

    Consent and do-not-contact are not optional: a segment never holds a customer
    who refused marketing or asked not to be contacted. ``signals`` keeps customers with
    a development signal of those kinds in the last ``signal_days`` days (30 by default).
    """
    customers = Customer.objects.filter(marketing_consent=True, do_not_contact=False)
    if rules.get("tiers"):
        customers = customers.filter(tier__in=rules["tiers"])
    if rules.get("aum_min") not in (None, ""):
        customers = customers.filter(aum__gte=Decimal(str(rules["aum_min"])))
    if rules.get("aum_max") not in (None, ""):
        customers = customers.filter(aum__lt=Decimal(str(rules["aum_max"])))
    if rules.get("risk_levels"):
        customers = customers.filter(risk_level__in=rules["risk_levels"])
    if rules.get("kinds"):
        customers = customers.filter(kind__in=rules["kinds"])
    unit = OrgUnit.objects.filter(pk=rules.get("org_unit_id") or 0).first()
    # The root's subtree is the whole bank: no filter (and no misestimated IN list).
    if unit is not None and unit.parent_id is not None:
        customers = customers.filter(
            home_unit__in=OrgUnit.objects.filter(path__startswith=unit.path).values("pk")
        )
    if rules.get("signals"):
        from rmdesk.development.models import Signal
        from rmdesk.development.signals import found_since_q, runs_through

        days = int(rules.get("signal_days") or SIGNAL_DAYS_DEFAULT)
        since = timezone.localdate() - dt.timedelta(days=days - 1)
        customers = customers.filter(
            Exists(
                Signal.objects.filter(
                    found_since_q(since, runs_through()),
                    customer=OuterRef("pk"),
                    code__in=rules["signals"],
                )
            )
        )
    if rules.get("holding_types"):
        from rmdesk.customers.models import Holding

        customers = customers.filter(
            Exists(
                Holding.objects.filter(
                    customer=OuterRef("pk"),
                    status=Holding.Status.ACTIVE,
                    product_type__in=rules["holding_types"],
                )
            )
        )
    return customers


def campaign_list(*, actor: Staff) -> QuerySet[Campaign]:
    """Campaigns: their owners and product officers see all; managers, theirs with entries."""
    from rmdesk.marketing.permissions import can_run_campaigns

    campaigns = Campaign.objects.select_related("product", "owner").order_by("-starts_on", "-id")
    if can_run_campaigns(actor):
        return campaigns
    return campaigns.filter(
        Exists(CampaignEntry.objects.filter(campaign=OuterRef("pk"), manager=actor))
    )


def campaign_get(*, actor: Staff, campaign_id: int) -> Campaign:
    if not 0 < campaign_id <= MAX_ID:
        raise Http404
    try:
        return campaign_list(actor=actor).get(pk=campaign_id)
    except Campaign.DoesNotExist as exc:
        raise Http404 from exc


def campaign_entries(*, actor: Staff, campaign: Campaign) -> list[CampaignEntry]:
    """The targets the actor may see (through the visibility policy)."""
    return list(
        CampaignEntry.objects.filter(campaign=campaign)
        .filter(customer_q(actor, prefix="customer__"))
        .select_related("customer", "manager")
        .order_by("customer__display_name", "id")[:500]
    )


def campaign_funnel(*, campaign: Campaign) -> dict[str, int]:
    counts = CampaignEntry.objects.filter(campaign=campaign).aggregate(
        targeted=Count("id"),
        touched=Count("id", filter=Q(touches__gt=0)),
        converted=Count("id", filter=Q(stage=CampaignEntry.Stage.CONVERTED)),
    )
    return {key: int(value) for key, value in counts.items()}


# --- plans and requirements ------------------------------------------------------------


def plan_progress(*, target: PlanTarget) -> Decimal:
    """The achieved value of a target, computed from the data."""
    start = dt.datetime.combine(
        target.period_start, dt.time.min, tzinfo=timezone.get_current_timezone()
    )
    end = dt.datetime.combine(
        target.period_end + dt.timedelta(days=1),
        dt.time.min,
        tzinfo=timezone.get_current_timezone(),
    )
    if target.manager_id is not None:
        book = Customer.objects.filter(primary_manager_id=target.manager_id)
    else:
        units = OrgUnit.objects.filter(
            path__startswith=OrgUnit.objects.filter(pk=target.org_unit_id).values_list(
                "path", flat=True
            )[:1]
        ).values("pk")
        book = Customer.objects.filter(home_unit__in=units)
    if target.metric == PlanTarget.Metric.SALES:
        sales = Sale.objects.filter(
            customer__in=book.values("pk"),
            status=Sale.Status.ACTIVE,
            signed_at__gte=start,
            signed_at__lt=end,
        )
        if target.product_type:
            sales = sales.filter(product__type=target.product_type)
        total: Decimal = sales.aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
        return total
    if target.metric == PlanTarget.Metric.NEW_CUSTOMERS:
        return Decimal(book.filter(created_at__gte=start, created_at__lt=end).count())
    aum: Decimal = book.aggregate(total=Coalesce(Sum("aum"), ZERO))["total"]
    return aum - target.baseline


def plan_list(*, actor: Staff) -> list[PlanTarget]:
    """The actor's own targets and those of their org unit's subtree (heads)."""
    from rmdesk.org.roles import Role

    targets = PlanTarget.objects.select_related("org_unit", "manager")
    if actor.has_role(Role.BRANCH_HEAD, Role.SUBBRANCH_HEAD) and actor.org_unit is not None:
        targets = targets.filter(
            Q(manager=actor) | Q(org_unit__path__startswith=actor.org_unit.path)
        )
    else:
        targets = targets.filter(manager=actor)
    return list(targets.order_by("-period_start", "org_unit__path", "manager_id", "id")[:200])


@dataclass(frozen=True)
class RequirementGroup:
    topic: str
    requirements: int
    customers: int
    aum: Decimal
    open: int


def requirement_groups() -> list[RequirementGroup]:
    """Similar requirements grouped: how many, for how many customers, how much AUM."""
    rows = (
        Requirement.objects.values("topic")
        .annotate(
            n=Count("id"),
            customers=Count("customer", distinct=True),
            open=Count("id", filter=Q(status=Requirement.Status.OPEN)),
        )
        .order_by("-n", "topic")
    )
    result = []
    # Topics are few (a department's backlog): one AUM sum each, over distinct customers.
    for row in rows[:100]:
        total = Customer.objects.filter(
            pk__in=Requirement.objects.filter(topic=row["topic"]).values("customer_id")
        ).aggregate(total=Coalesce(Sum("aum"), ZERO))["total"]
        result.append(
            RequirementGroup(
                topic=row["topic"],
                requirements=row["n"],
                customers=row["customers"],
                aum=total,
                open=row["open"],
            )
        )
    return result


def requirement_list(*, actor: Staff) -> QuerySet[Requirement]:
    from rmdesk.marketing.permissions import can_manage_products

    requirements = Requirement.objects.select_related("customer", "raised_by").order_by(
        "-created_at", "-id"
    )
    if can_manage_products(actor):
        return requirements
    return requirements.filter(customer_q(actor, prefix="customer__"))


# --- headlines (the home pages' blocks) -------------------------------------------------


def campaign_targets_headline(
    *, actor: Staff, manager_id: int, day: dt.date, limit: int = 5
) -> tuple[list[CampaignEntry], dict[str, int]]:
    """A manager's targets in running campaigns: the first not yet converted (least
    touched, soonest ending first) and the count per stage. Two queries."""
    rows = CampaignEntry.objects.filter(customer_q(actor, prefix="customer__")).filter(
        manager_id=manager_id,
        campaign__status=Campaign.Status.LAUNCHED,
        campaign__starts_on__lte=day,
        campaign__ends_on__gte=day,
    )
    counts = {stage: 0 for stage in CampaignEntry.Stage.values}
    for found in rows.values("stage").annotate(n=Count("pk")).order_by():
        counts[found["stage"]] = found["n"]
    top = list(
        rows.exclude(stage=CampaignEntry.Stage.CONVERTED)
        .select_related("campaign", "customer")
        .order_by("touches", "campaign__ends_on", "id")[:limit]
    )
    return top, counts


def campaign_funnels(*, actor: Staff, limit: int = 6) -> list[dict[str, Any]]:
    """Running campaigns with the most visible targets: targeted, contacted and converted
    among the targets the actor may see. One grouped query."""
    rows = (
        CampaignEntry.objects.filter(customer_q(actor, prefix="customer__"))
        .filter(campaign__status=Campaign.Status.LAUNCHED)
        .values("campaign_id", "campaign__name")
        .annotate(
            targeted=Count("pk"),
            touched=Count("pk", filter=Q(touches__gt=0)),
            converted=Count("pk", filter=Q(stage=CampaignEntry.Stage.CONVERTED)),
        )
        .order_by("-targeted", "campaign_id")[:limit]
    )
    return [
        {
            "campaign_id": row["campaign_id"],
            "name": row["campaign__name"],
            "targeted": row["targeted"],
            "touched": row["touched"],
            "converted": row["converted"],
        }
        for row in rows
    ]


@dataclass(frozen=True)
class Progress:
    target: PlanTarget
    achieved: Decimal

    @property
    def share(self) -> float:
        return float(self.achieved / self.target.target) if self.target.target else 0.0


def plan_progress_for_manager(*, manager_id: int, day: dt.date, limit: int = 6) -> list[Progress]:
    """A manager's targets whose period includes ``day``, each with what was achieved so far
    (as ``plan_progress`` computes it). Three queries whatever the number of targets: one
    conditional aggregate per source (customers, sales)."""
    targets = list(
        PlanTarget.objects.filter(
            manager_id=manager_id, period_start__lte=day, period_end__gte=day
        ).order_by("period_end", "metric", "id")[:limit]
    )
    zone = timezone.get_current_timezone()

    def window(target: PlanTarget) -> Q:
        start = dt.datetime.combine(target.period_start, dt.time.min, tzinfo=zone)
        end = dt.datetime.combine(
            target.period_end + dt.timedelta(days=1), dt.time.min, tzinfo=zone
        )
        return Q(created_at__gte=start, created_at__lt=end)

    def signed(target: PlanTarget) -> Q:
        start = dt.datetime.combine(target.period_start, dt.time.min, tzinfo=zone)
        end = dt.datetime.combine(
            target.period_end + dt.timedelta(days=1), dt.time.min, tzinfo=zone
        )
        condition = Q(signed_at__gte=start, signed_at__lt=end)
        if target.product_type:
            condition &= Q(product__type=target.product_type)
        return condition

    book = Customer.objects.filter(primary_manager_id=manager_id)
    book_figures = book.aggregate(
        aum=Coalesce(Sum("aum"), ZERO),
        **{
            f"t{target.pk}": Count("pk", filter=window(target))
            for target in targets
            if target.metric == PlanTarget.Metric.NEW_CUSTOMERS
        },
    )
    sales = Sale.objects.filter(customer__in=book.values("pk"), status=Sale.Status.ACTIVE)
    sale_figures = sales.aggregate(
        total=Coalesce(Sum("amount"), ZERO),
        **{
            f"t{target.pk}": Coalesce(Sum("amount", filter=signed(target)), ZERO)
            for target in targets
            if target.metric == PlanTarget.Metric.SALES
        },
    )
    progress = []
    for target in targets:
        if target.metric == PlanTarget.Metric.SALES:
            achieved = Decimal(sale_figures[f"t{target.pk}"])
        elif target.metric == PlanTarget.Metric.NEW_CUSTOMERS:
            achieved = Decimal(book_figures[f"t{target.pk}"])
        else:
            achieved = Decimal(book_figures["aum"]) - target.baseline
        progress.append(Progress(target, achieved))
    return progress
