"""Field rules are the same in every channel (RELIABILITY.md C2).

One matrix, role × personal field × channel, generated from the field-policy table
(``masking.PERSONAL_FIELDS`` and ``masking.may_reveal``) and the visibility oracle
(``EXPECTED_VISIBLE``). Each role of the cast asks to reveal every personal field of the
customer ``own`` and then reads that customer through every channel below. A field is
shown in full only where the policy says so: the role may reveal it and the channel is
one that honours a reveal (the 360 view); everywhere else its full value never appears,
and where the channel shows the field it shows the policy's mask.

A field added to ``PERSONAL_FIELDS`` is checked in every channel at once (the cast's
customer must carry a value for it, or the test says so); a channel added here is
checked for every field and role.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from django.http import HttpResponseBase
from django.test import Client

from rmdesk.conftest import EXPECTED_VISIBLE, Cast
from rmdesk.customers.masking import PERSONAL_FIELDS, may_reveal
from rmdesk.customers.models import Customer
from rmdesk.org.models import Staff

Fetch = Callable[[Client, Client, Customer], HttpResponseBase]


@dataclass(frozen=True)
class Channel:
    fetch: Fetch
    # The personal fields the channel displays (checked for the right mask or value).
    shows: frozenset[str]
    # Whether a reveal the viewer holds shows the field in full here.
    honours_reveal: bool = False
    # Whether every role that sees the customer is answered (not refused) here.
    open_to_all: bool = True


ALL = frozenset(PERSONAL_FIELDS)
NAME = frozenset({"display_name"})
EXPORTED = frozenset({"display_name", "id_number", "mobile", "email"})

CHANNELS: dict[str, Channel] = {
    "api detail": Channel(
        lambda api, page, c: api.get(f"/api/v1/customers/{c.pk}"), ALL, honours_reveal=True
    ),
    "api list": Channel(lambda api, page, c: api.get("/api/v1/customers?limit=100"), NAME),
    "api search GET": Channel(
        lambda api, page, c: api.get("/api/v1/customers", {"q": c.customer_no}), NAME
    ),
    "api search POST": Channel(
        lambda api, page, c: api.post(
            "/api/v1/customers/search", {"q": c.mobile}, content_type="application/json"
        ),
        NAME,
    ),
    "page detail": Channel(
        lambda api, page, c: page.get(f"/customers/{c.pk}/"), ALL, honours_reveal=True
    ),
    "page list": Channel(lambda api, page, c: page.get("/customers/"), NAME),
    "page search": Channel(
        lambda api, page, c: page.post("/customers/", {"q": c.customer_no}), NAME
    ),
    "api export CSV": Channel(
        lambda api, page, c: api.get("/api/v1/customers/export", {"format": "csv"}),
        EXPORTED,
        open_to_all=False,
    ),
    "page export CSV": Channel(
        lambda api, page, c: page.post("/customers/export/", {"format": "csv"}),
        EXPORTED,
        open_to_all=False,
    ),
    "global search GET": Channel(
        lambda api, page, c: api.get("/api/v1/search", {"q": c.customer_no}), NAME
    ),
    "global search POST": Channel(
        lambda api, page, c: api.post(
            "/api/v1/search", {"q": c.id_number}, content_type="application/json"
        ),
        NAME,
    ),
    # The pages put the search text back in the search box: search by customer number.
    "global search page": Channel(
        lambda api, page, c: page.post("/search/", {"q": c.customer_no}), NAME
    ),
    # The access log names the customer by id and the fields by name, never a value.
    "api audit viewer": Channel(
        lambda api, page, c: api.get("/api/v1/audit/access-log?limit=200"),
        frozenset(),
        open_to_all=False,
    ),
    "page audit viewer": Channel(
        lambda api, page, c: page.get("/audit/access-log/"), frozenset(), open_to_all=False
    ),
}


def body(response: HttpResponseBase) -> str:
    raw = (
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
        if response.streaming
        else response.content  # type: ignore[attr-defined]
    )
    text = raw.decode("utf-8-sig", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        # JSON may escape non-ASCII; compare the values as a reader would see them.
        return json.dumps(json.loads(text), ensure_ascii=False)
    return text


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(EXPECTED_VISIBLE))
def test_each_field_is_masked_or_shown_as_the_policy_says_in_every_channel(
    role: str,
    cast: Cast,
    client_for: Callable[[Staff], Client],
    browser_for: Callable[[Staff], Client],
) -> None:
    customer = cast.own
    customer.address = "建国路八十八号院三号楼"
    customer.birth_date = date(1990, 3, 7)
    customer.save()
    full = {field: str(read(customer)) for field, (read, _mask) in PERSONAL_FIELDS.items()}
    masked = {field: mask(customer) for field, (_read, mask) in PERSONAL_FIELDS.items()}
    missing = [field for field, value in full.items() if not value or value == masked[field]]
    assert not missing, f"give the cast's customer a value that masks for {missing}"

    actor = cast.staff()[role]
    visible = "own" in EXPECTED_VISIBLE[role]
    reveals = visible and may_reveal(
        actor, (customer.primary_manager_id, customer.assisting_manager_id)
    )
    api, page = client_for(actor), browser_for(actor)

    response = api.post(
        f"/api/v1/customers/{customer.pk}/reveal",
        {"fields": sorted(PERSONAL_FIELDS), "reason": "Checking the field policy"},
        content_type="application/json",
    )
    assert (response.status_code == 200) == reveals, (role, response.status_code)
    if reveals:
        assert response.json()["values"] == full
        page.revealed = True  # type: ignore[attr-defined]  # the grant is the viewer's

    wrong = []
    for name, channel in CHANNELS.items():
        answer = channel.fetch(api, page, customer)
        answered = answer.status_code == 200
        if visible and channel.open_to_all:
            assert answered, (role, name, answer.status_code)
        text = body(answer) if answered else ""
        for field in PERSONAL_FIELDS:
            shown_in_full = reveals and channel.honours_reveal
            if (full[field] in text) != shown_in_full:
                wrong.append(f"{name}: {field} {'hidden' if shown_in_full else 'shown'} in full")
            if (
                answered
                and visible
                and field in channel.shows
                and not shown_in_full
                and masked[field] not in text
            ):
                wrong.append(f"{name}: {field} not shown masked as {masked[field]!r}")
    assert not wrong, (role, wrong)


def test_every_personal_field_is_in_some_channel() -> None:
    """A new personal field must be placed in the channels that display it."""
    shown = set().union(*(channel.shows for channel in CHANNELS.values()))
    assert shown == set(PERSONAL_FIELDS)
