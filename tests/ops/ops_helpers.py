"""Helpers for the ops tests that start rmdesk in subprocesses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the test database, for subprocesses."""
    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("subprocess tests run on PostgreSQL")
    user = settings.get("USER") or "postgres"
    password = settings.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else f"{user}@"
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings['NAME']}"


def subprocess_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(Path(__file__).parent)]),
            "RMDESK_VAR_DIR": str(tmp_path / "var"),
            "DJANGO_SETTINGS_MODULE": "rmdesk.settings",
        }
    )
    env.update(extra)
    return env


def postgres_only(reason: str) -> pytest.MarkDecorator:
    """Skip unless the tests run on PostgreSQL; ``reason`` says what SQLite lacks for them."""
    return pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason=f"needs PostgreSQL: {reason}",
    )
