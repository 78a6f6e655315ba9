"""What development adds to the contact plan: open opportunities whose follow-up is due."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Min, QuerySet
from django.utils.translation import gettext_lazy as _

from rmdesk.contact.planning import PlanContext, as_text, json_object, plan_reason
from rmdesk.development.models import Opportunity


@plan_reason(
    "opportunity_follow_up", weight=45, marketing=True, label=_("Opportunity to follow up")
)
def reason_opportunity_follow_up(ctx: PlanContext) -> QuerySet[Any]:
    """An open opportunity for the customer whose follow-up date has come."""
    return (
        ctx.narrow(
            Opportunity.objects.filter(status=Opportunity.Status.OPEN, follow_up_on__lte=ctx.day)
        )
        .values(cid=F("customer_id"))
        .annotate(first=Min("follow_up_on"), n=Count("id"))
        .annotate(
            detail=as_text(F("first")), evidence=json_object(follow_up_on=F("first"), count=F("n"))
        )
        .values("cid", "detail", "evidence")
    )
