"""Searching by mobile or identity number keeps the number out of URLs (RELIABILITY.md C6).

The pages search by POST (with the CSRF token), so the number never reaches a URL: not
the address bar, the browser's history, a proxy's or the server's access log. The API
offers POST searches with a JSON body beside the GET ones.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import unquote

import pytest
from django.test import Client

from rmdesk.conftest import CAST_PERSONAL_DATA, Cast
from rmdesk.org.models import Staff

URL_ATTRIBUTES = re.compile(
    r"""\b(?:href|action|src|hx-get|hx-post|hx-put|hx-patch|hx-delete|formaction)\s*=\s*["']([^"']*)["']""",
    re.IGNORECASE,
)
FORMS = re.compile(r"<form\b[^>]*>.*?</form>", re.IGNORECASE | re.DOTALL)
OWN_ID, OWN_MOBILE, _ = CAST_PERSONAL_DATA["own"]


def numbers() -> list[str]:
    values = [
        value
        for id_number, mobile, _ in CAST_PERSONAL_DATA.values()
        for value in (id_number, mobile)
    ]
    return values + [value[-8:] for value in values]  # a part of one is as telling


def urls_in(html: str) -> list[str]:
    return [unquote(url) for url in URL_ATTRIBUTES.findall(html)]


def signed_in(staff: Staff) -> Client:
    # A plain client: the page rightly shows the searcher the number they typed.
    client = Client()
    client.force_login(staff)
    return client


def assert_no_number_in(urls: list[str]) -> None:
    for url in urls:
        for value in numbers():
            assert value not in url, f"{value} in {url}"


@pytest.mark.parametrize("number", [OWN_MOBILE, OWN_ID])
def test_searching_pages_by_number_puts_it_in_no_url(
    cast: Cast, number: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = signed_in(cast.manager)
    caplog.set_level(logging.DEBUG)
    pages = {
        "global search": client.post("/search/", {"q": number}),
        "customers only": client.post("/search/", {"q": number, "kinds": "customers"}),
        "customer list": client.post("/customers/", {"q": number}),
        "customer rows": client.post(
            "/customers/", {"q": number, "fragment": "rows"}, HTTP_HX_REQUEST="true"
        ),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        html = response.content.decode()
        assert f"/customers/{cast.own.pk}/" in html, f"{name} did not find the customer"
        assert_no_number_in(urls_in(html))
        assert_no_number_in([response.get("Location", "")])
    logged = " ".join(record.getMessage() for record in caplog.records)
    for value in numbers():
        assert value not in logged


def test_every_search_form_posts_with_the_csrf_token(cast: Cast) -> None:
    client = signed_in(cast.manager)
    for path in ("/", "/search/", "/customers/"):
        html = client.get(path).content.decode()
        searches = [form for form in FORMS.findall(html) if 'name="q"' in form]
        assert searches, path
        for form in searches:
            assert re.search(r'method="post"', form, re.IGNORECASE), (path, form[:200])
            assert "csrfmiddlewaretoken" in form, (path, form[:200])


def test_a_search_post_without_the_csrf_token_is_refused(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.manager)
    for path in ("/search/", "/customers/", "/customers/export/"):
        assert client.post(path, {"q": OWN_MOBILE}).status_code == 403, path


def test_more_results_and_exports_post_the_search_text(cast: Cast) -> None:
    client = signed_in(cast.manager)
    # One kind at a time shows its first few: the "more" control for customers posts.
    response = client.post("/search/", {"q": "王"})
    html = response.content.decode()
    assert_no_number_in(urls_in(html))
    listing = client.post("/customers/", {"q": OWN_MOBILE}).content.decode()
    exports = [form for form in FORMS.findall(listing) if "/customers/export/" in form]
    if exports:  # the manager may export: the buttons post the search text
        assert 'method="post"' in exports[0]
        assert f'name="q" value="{OWN_MOBILE}"' in exports[0]


def test_names_can_still_be_searched_by_get(
    cast: Cast, browser_for: Callable[[Staff], Client]
) -> None:
    client = browser_for(cast.manager)
    assert (
        f"/customers/{cast.own.pk}/" in client.get("/customers/", {"q": "王小明"}).content.decode()
    )
    assert f"/customers/{cast.own.pk}/" in client.get("/search/", {"q": "王小明"}).content.decode()


def test_the_api_searches_customers_by_post(
    cast: Cast, client_for: Callable[[Staff], Client]
) -> None:
    client = client_for(cast.manager)
    for number in (OWN_MOBILE, OWN_ID):
        found = client.post(
            "/api/v1/customers/search", {"q": number}, content_type="application/json"
        )
        assert found.status_code == 200, found.content
        assert [item["id"] for item in found.json()["items"]] == [cast.own.pk]
        hits = client.post("/api/v1/search", {"q": number}, content_type="application/json")
        assert hits.status_code == 200, hits.content
        customers = next(r for r in hits.json()["results"] if r["kind"] == "customers")
        assert [hit["id"] for hit in customers["hits"]] == [cast.own.pk]
        assert customers["more_url"] == "/customers/"  # the number is not put into a URL
    # Out of scope: another manager's customer's number finds nothing.
    other_mobile = CAST_PERSONAL_DATA["other"][1]
    found = client.post(
        "/api/v1/customers/search", {"q": other_mobile}, content_type="application/json"
    )
    assert found.json()["items"] == []
    too_long = client.post(
        "/api/v1/customers/search", {"q": "x" * 101}, content_type="application/json"
    )
    assert too_long.status_code == 422
