"""The iCalendar feed: a staff member's visits and open follow-ups, customer names masked."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from rmdesk.contact.models import CalendarFeed, Interaction, Visit
from rmdesk.customers.masking import masked_name_of
from rmdesk.org.policy import customer_q

PAST_DAYS = 30
FUTURE_DAYS = 180


def calendar_feed_render(feed: CalendarFeed) -> bytes:
    """The feed's owner's calendar as iCalendar bytes (visits as timed events, follow-ups
    as all-day events), only for customers the owner may still see."""
    staff = feed.staff
    now = timezone.now()
    today = timezone.localdate()
    host = getattr(settings, "RMDESK_CALENDAR_UID_HOST", "rmdesk")
    calendar = Calendar()
    calendar.add("prodid", "-//rmdesk//contact//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("rmdesk: visits and follow-ups"))
    visits = (
        Visit.objects.filter(
            customer_q(staff, prefix="customer__"),
            manager=staff,
            planned_start__gte=now - timedelta(days=PAST_DAYS),
            planned_start__lt=now + timedelta(days=FUTURE_DAYS),
        )
        .exclude(status=Visit.Status.CANCELLED)
        .select_related("customer")
        .order_by("planned_start", "id")
    )
    for visit in visits:
        event = Event()
        event.add("uid", f"visit-{visit.pk}@{host}")
        event.add("dtstamp", visit.updated_at)
        event.add("dtstart", visit.planned_start)
        event.add("dtend", visit.planned_end)
        event.add("summary", _("Visit: %(name)s") % {"name": masked_name_of(visit.customer)})
        if visit.location:
            event.add("location", visit.location)
        if visit.status == Visit.Status.DONE:
            event.add("status", "CONFIRMED")
        calendar.add_component(event)
    follow_ups = (
        Interaction.objects.filter(
            customer_q(staff, prefix="customer__"),
            author=staff,
            follow_up_on__isnull=False,
            follow_up_done_at__isnull=True,
            follow_up_on__gte=today - timedelta(days=PAST_DAYS),
            follow_up_on__lt=today + timedelta(days=FUTURE_DAYS),
        )
        .select_related("customer")
        .order_by("follow_up_on", "id")
    )
    for interaction in follow_ups:
        if interaction.follow_up_on is None:  # excluded by the query; for the type checker
            continue
        event = Event()
        event.add("uid", f"follow-up-{interaction.pk}@{host}")
        event.add("dtstamp", interaction.updated_at)
        event.add("dtstart", interaction.follow_up_on)
        event.add("dtend", interaction.follow_up_on + timedelta(days=1))
        event.add(
            "summary", _("Follow up: %(name)s") % {"name": masked_name_of(interaction.customer)}
        )
        calendar.add_component(event)
    return bytes(calendar.to_ical())
