"""The contact pages: the plan, logging from it, the calendar feed, denials."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from rmdesk.conftest import Cast
from rmdesk.contact import services
from rmdesk.contact.models import Interaction, PlanEntry
from rmdesk.contact.tests.factories import (
    InteractionFactory,
    PlanEntryFactory,
    ServiceRequestFactory,
    VisitFactory,
)
from rmdesk.org.models import Staff

BrowserFor = Callable[[Staff], Client]


def test_home_shows_the_plan_with_reasons(cast: Cast, browser_for: BrowserFor) -> None:
    PlanEntryFactory(
        manager=cast.manager,
        customer=cast.own,
        reasons=[{"code": "maturity", "detail": "2026-07-01", "evidence": {}}],
    )
    html = browser_for(cast.manager).get("/contact/").content.decode()
    assert cast.own.customer_no in html
    assert cast.own.display_name not in html  # masked
    assert "2026-07-01" in html


def test_log_from_the_plan_closes_the_entry(cast: Cast, browser_for: BrowserFor) -> None:
    entry = PlanEntryFactory(manager=cast.manager, customer=cast.own)
    client = browser_for(cast.manager)
    form = client.get(f"/contact/customers/{cast.own.pk}/interactions/new/?next=/contact/")
    assert form.status_code == 200
    response = client.post(
        f"/contact/customers/{cast.own.pk}/interactions/new/",
        {
            "channel": "phone",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "电话问候",
            "needs": ["education"],
            "confidentiality": "normal",
            "next": "/contact/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/contact/"
    assert PlanEntry.objects.get(pk=entry.pk).status == "done"
    assert list(Interaction.objects.get().needs.values_list("code", flat=True)) == ["education"]


def test_an_outside_next_is_ignored(cast: Cast, browser_for: BrowserFor) -> None:
    response = browser_for(cast.manager).post(
        f"/contact/customers/{cast.own.pk}/interactions/new/",
        {
            "channel": "phone",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "x",
            "confidentiality": "normal",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == f"/contact/customers/{cast.own.pk}/interactions/"


def test_form_errors_stay_on_the_form(cast: Cast, browser_for: BrowserFor) -> None:
    response = browser_for(cast.manager).post(
        f"/contact/customers/{cast.own.pk}/interactions/new/",
        {
            "channel": "phone",
            "occurred_at": (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "summary": "x",
            "confidentiality": "normal",
        },
    )
    assert response.status_code == 200
    assert not Interaction.objects.exists()


def test_dismiss_from_the_page(cast: Cast, browser_for: BrowserFor) -> None:
    entry = PlanEntryFactory(manager=cast.manager, customer=cast.own)
    client = browser_for(cast.manager)
    client.post(f"/contact/plan/{entry.pk}/dismiss/", {"outcome": "not_reachable"})
    assert PlanEntry.objects.get(pk=entry.pk).outcome == "not_reachable"


def test_pages_answer_404_out_of_scope(cast: Cast, browser_for: BrowserFor) -> None:
    entry = PlanEntryFactory(manager=cast.manager, customer=cast.own)
    visit = VisitFactory(manager=cast.manager, customer=cast.own)
    request = ServiceRequestFactory(customer=cast.own, raised_by=cast.manager)
    item = InteractionFactory(
        customer=cast.own, author=cast.manager, follow_up_on=timezone.localdate()
    )
    client = browser_for(cast.far_manager)
    gets = [
        f"/contact/customers/{cast.own.pk}/interactions/",
        f"/contact/customers/{cast.own.pk}/interactions/new/",
        f"/contact/customers/{cast.own.pk}/visits/new/",
        f"/contact/customers/{cast.own.pk}/service-requests/new/",
        f"/contact/visits/{visit.pk}/",
        f"/contact/service-requests/{request.pk}/",
    ]
    posts = [
        f"/contact/plan/{entry.pk}/dismiss/",
        f"/contact/visits/{visit.pk}/check-in/",
        f"/contact/visits/{visit.pk}/cancel/",
        f"/contact/interactions/{item.pk}/follow-up-done/",
    ]
    for path in gets:
        assert client.get(path).status_code == 404, path
    for path in posts:
        assert client.post(path, {"outcome": "declined"}).status_code == 404, path
    assert PlanEntry.objects.get(pk=entry.pk).status == "open"


@pytest.mark.parametrize(
    "path",
    [
        "/contact/",
        "/contact/visits/",
        "/contact/service-requests/",
        "/contact/coverage/",
        "/contact/calendar-feeds/",
    ],
)
def test_pages_render(cast: Cast, browser_for: BrowserFor, path: str) -> None:
    VisitFactory(manager=cast.manager, customer=cast.own)
    ServiceRequestFactory(customer=cast.own, raised_by=cast.manager)
    assert browser_for(cast.manager).get(path).status_code == 200


def test_customer_pages_render(cast: Cast, browser_for: BrowserFor) -> None:
    client = browser_for(cast.manager)
    visit = VisitFactory(manager=cast.manager, customer=cast.own)
    request = ServiceRequestFactory(customer=cast.own, raised_by=cast.manager)
    InteractionFactory(customer=cast.own, author=cast.manager)
    for path in [
        f"/contact/customers/{cast.own.pk}/interactions/",
        f"/contact/customers/{cast.company.pk}/interactions/new/",
        f"/contact/customers/{cast.own.pk}/visits/new/",
        f"/contact/customers/{cast.own.pk}/service-requests/new/",
        f"/contact/visits/{visit.pk}/",
        f"/contact/service-requests/{request.pk}/",
    ]:
        assert client.get(path).status_code == 200, path


# --- the calendar feed ------------------------------------------------------------------------


def test_calendar_feed_serves_visits_and_follow_ups_masked(cast: Cast) -> None:
    VisitFactory(manager=cast.manager, customer=cast.own, location="客户公司")
    VisitFactory(manager=cast.manager, customer=cast.own, status="cancelled")
    InteractionFactory(
        customer=cast.own,
        author=cast.manager,
        follow_up_on=timezone.localdate() + dt.timedelta(days=2),
    )
    InteractionFactory(
        customer=cast.own,
        author=cast.manager,
        follow_up_on=timezone.localdate(),
        follow_up_done_at=timezone.now(),
    )
    token = services.calendar_feed_create(actor=cast.manager).token
    response = Client().get(f"/contact/calendar/{token}.ics")  # no session
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 2
    text = response.content.decode()
    assert cast.own.display_name not in text
    assert any(str(e["uid"]).startswith("follow-up-") for e in events)


@pytest.mark.parametrize("token", ["1", "x" * 43, "../../etc/passwd", ""])
def test_calendar_feed_without_a_live_token_is_404(cast: Cast, token: str) -> None:
    assert Client().get(f"/contact/calendar/{token}.ics").status_code == 404


def test_revoked_or_inactive_feed_is_404(cast: Cast) -> None:
    issued = services.calendar_feed_create(actor=cast.manager)
    path = f"/contact/calendar/{issued.token}.ics"
    Staff.objects.filter(pk=cast.manager.pk).update(is_active=False)
    assert Client().get(path).status_code == 404
    Staff.objects.filter(pk=cast.manager.pk).update(is_active=True)
    assert Client().get(path).status_code == 200
    services.calendar_feed_revoke(actor=cast.manager, feed_id=issued.feed.pk)
    assert Client().get(path).status_code == 404


def test_feed_drops_customers_the_owner_no_longer_sees(cast: Cast) -> None:
    VisitFactory(manager=cast.manager, customer=cast.other)  # another manager's customer
    token = services.calendar_feed_create(actor=cast.manager).token
    calendar = Calendar.from_ical(Client().get(f"/contact/calendar/{token}.ics").content)
    assert list(calendar.walk("VEVENT")) == []
