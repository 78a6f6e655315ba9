"""Set-ups shared by the quality tests."""

from __future__ import annotations

import importlib

from django.apps import apps


def seed_dispute_type() -> None:
    """The attribution-dispute work order type and its route to the sub-branch head (a
    data migration's rows, which a transactional test may have flushed)."""
    seed = importlib.import_module(
        "rmdesk.quality.migrations.0003_attribution_dispute_work_order_type"
    )
    seed.seed(apps, None)
