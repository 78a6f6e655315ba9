"""What marketing takes off the contact plan: customers inside a cooling-off period.

DOMAIN.md S9: during a private product's cooling-off window there is no sales contact,
and the window wins over every reason to call (the follow-up call comes after it).
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet

from rmdesk.contact.planning import PlanContext, day_start, plan_exclusion
from rmdesk.marketing.models import Sale


@plan_exclusion("cooling_off")
def exclusion_cooling_off(ctx: PlanContext) -> QuerySet[Any]:
    """Customers with a sale whose cooling-off period has not ended by the day's start."""
    return (
        ctx.narrow(
            Sale.objects.filter(
                status=Sale.Status.ACTIVE, cooling_off_ends_at__gt=day_start(ctx.day)
            )
        )
        .values(cid=F("customer_id"))
        .distinct()
    )
