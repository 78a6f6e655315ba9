from __future__ import annotations

import importlib

import pytest
from django.apps import apps

# A test that flushes the database (a browser test) removes the seeded needs: put them back.
_seed = importlib.import_module("rmdesk.contact.migrations.0002_need_categories")


@pytest.fixture(autouse=True)
def _need_categories(db: None) -> None:
    _seed.seed(apps, None)  # type: ignore[arg-type]
