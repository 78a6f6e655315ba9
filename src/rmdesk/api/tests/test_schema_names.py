"""Every schema of the API has a name of its own: the OpenAPI document keys its
components by class name, so two apps' ``CoverageOut`` would describe one of them with
the other's fields (and clients generated from it would be wrong)."""

from __future__ import annotations

from collections import defaultdict

from ninja import Schema

from rmdesk.api.v1 import api


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def test_no_two_schemas_share_a_name() -> None:
    assert api.urls  # every router is imported and mounted
    modules: dict[str, set[str]] = defaultdict(set)
    for schema in _subclasses(Schema):
        if schema.__module__.startswith("rmdesk."):
            modules[schema.__name__].add(schema.__module__)
    shared = {name: sorted(where) for name, where in modules.items() if len(where) > 1}
    assert shared == {}


def test_the_document_describes_each_schema_once() -> None:
    components = api.get_openapi_schema()["components"]["schemas"]
    assert {"HomeCoverageOut", "CoverageOut", "StageChangeOut", "NameListEntryOut"} <= set(
        components
    )
