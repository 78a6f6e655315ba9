from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client

from rmdesk.conftest import Cast
from rmdesk.notify.models import Notification
from rmdesk.notify.services import notify
from rmdesk.org.models import Staff

pytestmark = pytest.mark.django_db


def test_each_recipient_is_told_once_and_a_repeated_key_tells_no_one_again(cast: Cast) -> None:
    manager, lead = cast.manager, cast.team_lead
    assert notify([manager, lead.pk, manager], kind="tests.ping", title="Ping", url="/x/") == 2
    assert notify([manager], kind="tests.due", title="Due", dedupe_key="due:1") == 1
    assert notify([manager, lead], kind="tests.due", title="Due", dedupe_key="due:1") == 1
    assert Notification.objects.filter(recipient=manager).count() == 2
    assert Notification.objects.filter(recipient=lead).count() == 2


def test_inactive_staff_are_not_told_and_links_stay_inside(cast: Cast) -> None:
    Staff.objects.filter(pk=cast.other_manager.pk).update(is_active=False)
    assert notify([cast.other_manager], kind="tests.ping", title="Ping") == 0
    with pytest.raises(ValueError, match="inside rmdesk"):
        notify([cast.manager], kind="tests.ping", title="Ping", url="https://evil.example/")


def test_mail_leaves_after_commit_only_when_configured(
    cast: Cast,
    settings: pytest.FixtureRequest,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    """RELIABILITY.md E5."""
    Staff.objects.filter(pk=cast.manager.pk).update(email="rm@example.com")
    settings.RMDESK_NOTIFY_EMAIL = False  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        notify([cast.manager], kind="tests.ping", title="Quiet")
    assert mail.outbox == []
    settings.RMDESK_NOTIFY_EMAIL = True  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[operator]
        notify([cast.manager], kind="tests.ping", title="Loud", body="Body")
    assert len(callbacks) == 1
    assert [(m.subject, m.to) for m in mail.outbox] == [("Loud", ["rm@example.com"])]


def test_the_api_lists_only_my_notifications_and_marks_them_read(
    cast: Cast, client_for: Callable[[Staff], Client]
) -> None:
    notify([cast.manager], kind="tests.ping", title="Mine")
    notify([cast.other_manager], kind="tests.ping", title="Theirs")
    client = client_for(cast.manager)
    listed = client.get("/api/v1/notifications").json()
    assert [item["title"] for item in listed["items"]] == ["Mine"]
    assert listed["unread"] == 1
    theirs = Notification.objects.get(title="Theirs")
    marked = client.post(
        "/api/v1/notifications/read", {"ids": [theirs.pk]}, content_type="application/json"
    )
    assert marked.json() == {"marked": 0}
    marked = client.post("/api/v1/notifications/read", {}, content_type="application/json")
    assert marked.json() == {"marked": 1}
    assert client.get("/api/v1/notifications?unread=true").json()["items"] == []
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_page_shows_my_notifications(
    cast: Cast, browser_for: Callable[[Staff], Client]
) -> None:
    notify([cast.manager], kind="tests.ping", title="Follow up with Li", url="/customers/")
    client = browser_for(cast.manager)
    page = client.get("/notifications/").content.decode()
    assert "Follow up with Li" in page
    note = Notification.objects.get()
    client.post("/notifications/read/", {"id": note.pk})
    note.refresh_from_db()
    assert note.read_at is not None
