from __future__ import annotations

import importlib

import pytest
from django.apps import apps


@pytest.fixture(autouse=True)
def _migrated_defaults(request: pytest.FixtureRequest) -> None:
    """The rows the data migrations seed (the questionnaire and rule set, work-order
    types, need categories), which the demo's duty stage builds on. A test elsewhere that
    flushes the database (a live server) removes them: put them back."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")
    from rmdesk.coordination.tests.factories import seed_defaults
    from rmdesk.marketing.tests.factories import seeded_defaults

    seeded_defaults()
    seed_defaults()
    needs = importlib.import_module("rmdesk.contact.migrations.0002_need_categories")
    needs.seed(apps, None)
