from __future__ import annotations

import re

import pytest
from django.test import Client

from rmdesk.conftest import Cast


@pytest.mark.django_db
def test_unknown_api_route_is_json_404() -> None:
    """RELIABILITY.md D6."""
    response = Client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_malformed_json_is_a_json_error() -> None:
    """RELIABILITY.md D6."""
    response = Client().post("/api/v1/auth/tokens", "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert "code" in response.json()


@pytest.mark.django_db
def test_missing_fields_name_the_field() -> None:
    """RELIABILITY.md D6."""
    response = Client().post(
        "/api/v1/auth/tokens", {"username": "x"}, content_type="application/json"
    )
    assert response.status_code == 422
    fields = [detail["field"] for detail in response.json()["details"]]
    assert any(field.endswith("password") for field in fields)


def test_openapi_document_and_docs_are_for_signed_in_staff(cast: Cast) -> None:
    """RELIABILITY.md H4."""
    assert Client().get("/api/v1/openapi.json").status_code == 302
    assert Client().get("/api/v1/docs").status_code == 302
    client = Client()
    client.force_login(cast.manager)
    document = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/customers/{customer_id}" in document["paths"]
    assert "/api/v1/auth/tokens" in document["paths"]
    docs = client.get("/api/v1/docs").content.decode()
    assert "cdn" not in docs.lower()


def test_every_route_but_sign_in_and_health_needs_authentication(cast: Cast) -> None:
    """RELIABILITY.md B1."""
    reader = Client()
    reader.force_login(cast.manager)
    document = reader.get("/api/v1/openapi.json").json()
    public = {("post", "/api/v1/auth/tokens")}
    for path, operations in document["paths"].items():
        # Ids get a number, other parameters (a feed's name) a word.
        concrete = re.sub(r"\{\w+_id\}", "1", path.replace("{customer_id}", str(cast.own.pk)))
        concrete = re.sub(r"\{\w+\}", "customers", concrete)
        for method in operations:
            if (method, path) in public:
                continue
            response = getattr(Client(), method)(concrete)
            assert response.status_code == 401, (method, path)
