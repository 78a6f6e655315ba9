"""bench/customers.py's seed leaves the planner true statistics of the org tables too."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from ops_helpers import bench_module, postgres_only

from rmdesk.org.models import Staff

pytestmark = [
    postgres_only("the planner's statistics (pg_class.reltuples) are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),  # ANALYZE sees committed rows
]


def test_the_seed_analyses_the_staff_it_made(settings: Any, tmp_path: Path) -> None:
    from django.apps import apps

    from rmdesk.coordination.tests.factories import seed_defaults
    from rmdesk.marketing.tests.factories import seeded_defaults

    # The rows the data migrations seed, which an earlier test's flush removed.
    seeded_defaults()
    seed_defaults()
    importlib.import_module("rmdesk.contact.migrations.0002_need_categories").seed(apps, None)
    settings.VAR_DIR = tmp_path
    outcome = bench_module("customers").seed("tiny", tmp_path / "seed.json", None)
    assert outcome is not None
    assert "analyse the org tables (not counted)" in outcome["phases"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Staff._meta.db_table]
        )
        (estimate,) = cursor.fetchone()
    assert estimate == Staff.objects.count() > 0
