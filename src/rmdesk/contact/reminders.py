"""Daily reminders in the app (and by e-mail where configured): follow-ups due, visits
today, the plan ready. A few grouped queries and one ``notify`` per kind; dedupe keys
carry the day, so running it twice reminds once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.contact.models import Interaction, PlanEntry, Visit
from rmdesk.notify.services import notify


@transaction.atomic
def reminders_send(*, day: date) -> dict[str, int]:
    """Remind each manager once per day and kind. Returns how many were created per kind."""
    follow_up_staff = list(
        Interaction.objects.filter(follow_up_on__lte=day, follow_up_done_at__isnull=True)
        .values_list("author_id", flat=True)
        .distinct()
    )
    start = timezone.make_aware(datetime.combine(day, time.min))
    visit_staff = list(
        Visit.objects.filter(
            status=Visit.Status.PLANNED,
            planned_start__gte=start,
            planned_start__lt=start + timedelta(days=1),
        )
        .values_list("manager_id", flat=True)
        .distinct()
    )
    plan_staff = list(
        PlanEntry.objects.filter(day=day, status=PlanEntry.Status.OPEN)
        .values("manager_id")
        .annotate(n=Count("id"))
        .values_list("manager_id", flat=True)
    )
    stamp = day.isoformat()
    home = f"/contact/?day={stamp}"
    return {
        "follow_ups": notify(
            follow_up_staff,
            kind="contact.follow_up_due",
            title=_("Follow-ups due today"),
            body=_("You promised customers a follow-up by today. See your contact plan."),
            url=home,
            dedupe_key=f"contact.follow_ups:{stamp}",
        ),
        "visits": notify(
            visit_staff,
            kind="contact.visit_today",
            title=_("Visits today"),
            body=_("You have customer visits planned today."),
            url=f"/contact/visits/?week={stamp}",
            dedupe_key=f"contact.visits:{stamp}",
        ),
        "plans": notify(
            plan_staff,
            kind="contact.plan_ready",
            title=_("Your contact plan for today is ready"),
            url=home,
            dedupe_key=f"contact.plan:{stamp}",
        ),
    }
