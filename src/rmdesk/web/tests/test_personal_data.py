"""The cast's clients catch personal data leaving in full (conftest.WatchfulClient).

Every test that uses ``cast`` with ``client_for`` or ``browser_for`` is a masking test:
here we show that the watch really fails a response that carries a full value, and
lets it through for the client that revealed it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
from django.test import Client

from rmdesk.conftest import CAST_PERSONAL_DATA, Cast, _PersonalDataInLogs
from rmdesk.org.models import Staff

pytestmark = pytest.mark.django_db


def test_a_full_mobile_fails_the_test_unless_this_client_revealed_it(
    cast: Cast, client_for: Callable[[Staff], Client]
) -> None:
    """RELIABILITY.md C1."""
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
    """RELIABILITY.md C1."""
    detail = client_for(cast.analyst).get(f"/api/v1/customers/{cast.far.pk}").content.decode()
    assert "177****7005" in detail
    assert "110***********5673" in detail
    page = browser_for(cast.manager).get(f"/customers/{cast.own.pk}/").content.decode()
    assert "138****8001" in page


def test_the_log_watch_catches_a_full_value_in_a_message_an_extra_or_a_trace(cast: Cast) -> None:
    """C6: the root conftest fails any test whose log lines carry a cast member's full
    identity number, mobile or e-mail; here on a logger of its own, so this test passes."""
    id_number, mobile, email = CAST_PERSONAL_DATA["own"]
    watcher = _PersonalDataInLogs()
    logger = logging.getLogger("rmdesk.tests.log_watch")
    logger.propagate = False
    logger.addHandler(watcher)
    try:
        logger.warning("customer %s called", "masked-only")
        assert watcher.leaks == []
        logger.warning("customer %s called", id_number)
        logger.info("lookup", extra={"query": f"?q={mobile}"})
        try:
            raise ValueError(email)
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(watcher)
    assert len(watcher.leaks) == 3, watcher.leaks


def test_the_access_log_leaves_out_query_strings() -> None:
    """C6: gunicorn logs the method and path, never the query string a search by mobile or
    identity number carries."""
    from rmdesk.core import gunicorn_conf

    fields = json.loads(gunicorn_conf.access_log_format)
    assert fields["request"] == "%(m)s %(U)s %(H)s"
    assert not any(code in gunicorn_conf.access_log_format for code in ("%(r)s", "%(q)s"))


def test_personal_data_answers_are_never_stored_by_browsers_or_proxies(
    cast: Cast,
    client_for: Callable[[Staff], Client],
    browser_for: Callable[[Staff], Client],
) -> None:
    """C6: the customer pages and API answers carry Cache-Control: no-store."""
    api, web = client_for(cast.manager), browser_for(cast.manager)
    for client, path in [
        (api, "/api/v1/customers"),
        (api, f"/api/v1/customers/{cast.own.pk}"),
        (web, "/customers/"),
        (web, f"/customers/{cast.own.pk}/"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Cache-Control"] == "no-store", path
