"""Helpers for the ops tests that start rmdesk in subprocesses."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

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


def bench_module(name: str) -> ModuleType:
    """``bench/<name>.py`` (a script, not a package), imported once as ``rmdesk_bench_<name>``."""
    module_name = f"rmdesk_bench_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, ROOT / "bench" / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]
