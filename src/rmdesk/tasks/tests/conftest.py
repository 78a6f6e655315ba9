from __future__ import annotations

import pytest

from rmdesk.tasks import registry


@pytest.fixture
def tasks(monkeypatch: pytest.MonkeyPatch) -> dict[str, registry.Task]:
    """A registry of only the tasks the test declares."""
    registry.discover()
    fresh: dict[str, registry.Task] = {}
    monkeypatch.setattr(registry, "_TASKS", fresh)
    return fresh
