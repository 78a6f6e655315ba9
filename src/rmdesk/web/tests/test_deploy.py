"""Production settings pass Django's deployment checklist with no warnings."""

from __future__ import annotations

import json
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


PROBE = """
import json
from django.conf import settings
from django.test import Client, override_settings
# Plain static storage: the manifest needs collectstatic, and cookies do not depend on it.
plain = {**settings.STORAGES,
         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
client = Client(HTTP_HOST="rmdesk.bank.example", HTTP_X_FORWARDED_PROTO="https")
with override_settings(STORAGES=plain):
    login = client.get("/login/", secure=True)
admin = Client(HTTP_HOST="rmdesk.bank.example").get("/admin/", secure=True)
docs = Client(HTTP_HOST="rmdesk.bank.example").get("/api/v1/docs", secure=True)
csrf = login.cookies[settings.CSRF_COOKIE_NAME]
print(json.dumps({
    "login": login.status_code,
    "csrf": {"name": csrf.key, "secure": bool(csrf["secure"]), "samesite": csrf["samesite"],
             "path": csrf["path"], "domain": csrf["domain"], "httponly": bool(csrf["httponly"])},
    "session": {"name": settings.SESSION_COOKIE_NAME, "secure": settings.SESSION_COOKIE_SECURE,
                "httponly": settings.SESSION_COOKIE_HTTPONLY,
                "samesite": settings.SESSION_COOKIE_SAMESITE,
                "domain": settings.SESSION_COOKIE_DOMAIN, "path": settings.SESSION_COOKIE_PATH},
    "admin": [admin.status_code, admin.get("Location", "")],
    "docs": [docs.status_code, docs.get("Location", "")],
    "debug": settings.DEBUG,
}))
"""


def test_production_cookies_and_admin_tools(tmp_path: Path) -> None:
    """RELIABILITY.md A7, H4: under production settings the cookies carry ``__Host-``
    names, Secure, HttpOnly (session and CSRF) and SameSite=Lax on the whole site with no
    domain; the admin site and the API documentation send anonymous callers to sign in."""
    result = run_with_production_settings("shell", "-c", PROBE, RMDESK_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["login"] == 200
    assert seen["csrf"] == {
        "name": "__Host-rmdesk-csrf",
        "secure": True,
        "samesite": "Lax",
        "path": "/",
        "domain": "",
        "httponly": True,
    }
    assert seen["session"] == {
        "name": "__Host-rmdesk-session",
        "secure": True,
        "httponly": True,
        "samesite": "Lax",
        "domain": None,
        "path": "/",
    }
    assert seen["debug"] is False
    for where in ("admin", "docs"):
        status, location = seen[where]
        assert status == 302, (where, status)
        assert "login" in location, (where, location)
