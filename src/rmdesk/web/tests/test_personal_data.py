"""The cast's clients catch personal data leaving in full (conftest.WatchfulClient).

Every test that uses ``cast`` with ``client_for`` or ``browser_for`` is a masking test:
here we show that the watch really fails a response that carries a full value, and
lets it through for the client that revealed it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from rmdesk.conftest import CAST_PERSONAL_DATA, Cast
from rmdesk.org.models import Staff

pytestmark = pytest.mark.django_db


def test_a_full_mobile_fails_the_test_unless_this_client_revealed_it(
    cast: Cast, client_for: Callable[[Staff], Client]
) -> None:
    revealing = client_for(cast.manager)
    answer = revealing.post(
        f"/api/v1/customers/{cast.own.pk}/reveal",
        {"fields": ["mobile"], "reason": "Calling back about a maturing deposit"},
        content_type="application/json",
    )
    assert answer.status_code == 200
    mobile = CAST_PERSONAL_DATA["own"][1]
    assert mobile in revealing.get(f"/api/v1/customers/{cast.own.pk}").content.decode()

    # The grant is the manager's, so another client of theirs sees it in full too; that
    # client never asked, and the watch stops it.
    bystander = client_for(cast.manager)
    with pytest.raises(AssertionError, match="answered personal data"):
        bystander.get(f"/api/v1/customers/{cast.own.pk}")


def test_lists_and_pages_carry_masked_values_only(
    cast: Cast, client_for: Callable[[Staff], Client], browser_for: Callable[[Staff], Client]
) -> None:
    detail = client_for(cast.analyst).get(f"/api/v1/customers/{cast.far.pk}").content.decode()
    assert "177****7005" in detail
    assert "110***********5673" in detail
    page = browser_for(cast.manager).get(f"/customers/{cast.own.pk}/").content.decode()
    assert "138****8001" in page
