"""What marketing adds to the contact plan: the follow-up call a sale owes.

DOMAIN.md S12: an elderly customer's purchase is followed by a call; S9: a private
product's buyer is called after the cooling-off period. The call is owed from the sale's
``follow_up_due_at`` until the customer is next contacted (any interaction logged from
then on), for at most ``FOLLOW_UP_WINDOW_DAYS``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, F, Min, OuterRef, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.contact.models import Interaction
from rmdesk.contact.planning import PlanContext, as_text, day_start, json_object, plan_reason
from rmdesk.marketing.models import Sale

FOLLOW_UP_WINDOW_DAYS = 30


@plan_reason("sale_follow_up_call", weight=45, label=_("Follow-up call after a sale"))
def reason_sale_follow_up_call(ctx: PlanContext) -> QuerySet[Any]:
    """An active sale whose follow-up call is due by the day's end, with no contact with
    the customer logged since it fell due."""
    end = day_start(ctx.day + dt.timedelta(days=1))
    contacted = Interaction.objects.filter(
        customer_id=OuterRef("customer_id"), occurred_at__gte=OuterRef("follow_up_due_at")
    )
    return (
        ctx.narrow(
            Sale.objects.filter(
                status=Sale.Status.ACTIVE,
                follow_up_due_at__lt=end,
                follow_up_due_at__gte=end - dt.timedelta(days=FOLLOW_UP_WINDOW_DAYS + 1),
            )
        )
        .filter(~Exists(contacted))
        .values(cid=F("customer_id"))
        .annotate(
            first=Min(TruncDate("follow_up_due_at", tzinfo=timezone.get_current_timezone())),
            n=Count("id"),
        )
        .annotate(detail=as_text(F("first")), evidence=json_object(due_on=F("first"), sales=F("n")))
        .values("cid", "detail", "evidence")
    )
