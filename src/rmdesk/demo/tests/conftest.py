from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command

from rmdesk.demo.tests import PASSWORD


@pytest.fixture
def var_dir(settings: Any, tmp_path: Path) -> Path:
    """The seed keeps the demo password and secrets under VAR_DIR: a folder per test."""
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def bank(var_dir: Path) -> None:
    """The tiny bank, duty data included."""
    call_command("seed", "--scale", "tiny", "--password", PASSWORD)


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
