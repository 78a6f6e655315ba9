"""Production settings pass Django's deployment checklist with no warnings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_with_production_settings(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "RMDESK_ENV": "production",
        "SECRET_KEY": "k" * 20 + "-production-secret-key-for-the-checklist-" + "x" * 20,
        "ALLOWED_HOSTS": "rmdesk.bank.example",
        "DJANGO_SETTINGS_MODULE": "rmdesk.settings",
        **env,
    }
    environment.pop("DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "rmdesk.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[4],
    )


def test_check_deploy_reports_nothing(tmp_path: Path) -> None:
    """RELIABILITY.md A7, H1."""
    result = run_with_production_settings(
        "check", "--deploy", "--fail-level", "WARNING", RMDESK_VAR_DIR=str(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    """RELIABILITY.md H3."""
    result = run_with_production_settings("check", SECRET_KEY="", RMDESK_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_short_secret_key(tmp_path: Path) -> None:
    """RELIABILITY.md H3."""
    result = run_with_production_settings("check", SECRET_KEY="short", RMDESK_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr
