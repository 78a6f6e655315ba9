"""Databases of their own for tests that run ``rmdesk`` in subprocesses.

What a subprocess leaves behind is what any other connection would see, so these tests
exercise commits, locks and crashes for real — which the test transaction cannot.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

RMDESK = str(Path(sys.executable).with_name("rmdesk"))
SETUP = """
from rmdesk.org.tests.factories import OrgUnitFactory, StaffFactory
head = OrgUnitFactory(code="HO", name="总行", kind="head_office")
unit = OrgUnitFactory(code="SA1", name="甲一支行", parent=head)
unit2 = OrgUnitFactory(code="SA2", name="甲二支行", parent=head)
StaffFactory(username="rm-own", org_unit=unit)
StaffFactory(username="rm-two", org_unit=unit2)
"""


@dataclass
class Database:
    url: str
    env: dict[str, str]
    count: Callable[[str], int]

    def rmdesk(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([RMDESK, *args], env=self.env, capture_output=True, check=check)

    def popen(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [RMDESK, *args], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def shell(self, script: str) -> str:
        done = self.rmdesk("shell", "-c", script, check=False)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode()

    def json(self, script: str) -> object:
        return json.loads(self.shell(script).strip().splitlines()[-1])


def _pg_params() -> dict[str, object] | None:
    current = settings.DATABASES["default"]
    if current["ENGINE"].endswith("postgresql"):
        return {k: current[k] for k in ("HOST", "PORT", "USER", "PASSWORD") if current.get(k)}
    return None


def _pg_dsn(params: dict[str, object], name: str) -> str:
    dsn = (
        f"host={params.get('HOST', '127.0.0.1')} port={params.get('PORT', 5432)} "
        f"user={params.get('USER', 'postgres')} dbname={name}"
    )
    if params.get("PASSWORD"):
        dsn += f" password={params['PASSWORD']}"
    return dsn


def _make(engine: str, tmp_path: Path, params: dict[str, object] | None) -> Iterator[Database]:
    # One var folder (and so one secret key: the same lookup digests) for both engines.
    env = {**os.environ, "RMDESK_VAR_DIR": str(tmp_path / "var")}
    if engine == "postgresql":
        assert params is not None
        name = f"rmdesk_ingest_t_{uuid.uuid4().hex[:8]}"
        admin = _pg_dsn(params, "postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        user, password = params.get("USER", "postgres"), params.get("PASSWORD", "")
        host, port = params.get("HOST", "127.0.0.1"), params.get("PORT", 5432)
        url = f"postgres://{user}:{password}@{host}:{port}/{name}"

        def count(table: str) -> int:
            with psycopg.connect(_pg_dsn(params, name)) as conn:
                row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
                assert row is not None
                return int(row[0])

        try:
            database = Database(url, {**env, "DATABASE_URL": url}, count)
            database.rmdesk("migrate", "-v0")
            database.rmdesk("shell", "-c", SETUP)
            yield database
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path / "own.sqlite3"

        def count(table: str) -> int:
            with sqlite3.connect(path) as conn:
                return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608

        url = f"sqlite:///{path}"
        database = Database(url, {**env, "DATABASE_URL": url}, count)
        database.rmdesk("migrate", "-v0")
        database.rmdesk("shell", "-c", SETUP)
        yield database


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A new, migrated database of the engine the suite runs on, with two units and managers."""
    params = _pg_params()
    yield from _make("postgresql" if params else "sqlite", tmp_path, params)


def postgres_params() -> dict[str, object] | None:
    """PostgreSQL to compare against: the suite's own, else a local server if one answers."""
    params = _pg_params()
    if params is not None:
        return params
    local: dict[str, object] = {"HOST": "127.0.0.1", "PORT": 5432, "USER": "postgres"}
    try:
        with psycopg.connect(_pg_dsn(local, "postgres"), connect_timeout=2):
            return local
    except psycopg.Error:
        return None


@pytest.fixture
def both_databases(tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    """A fresh SQLite and a fresh PostgreSQL database (skipped without PostgreSQL)."""
    params = postgres_params()
    if params is None:
        pytest.skip("no PostgreSQL server to compare with")
    sqlite_db = _make("sqlite", tmp_path, None)
    pg_db = _make("postgresql", tmp_path, params)
    try:
        yield next(sqlite_db), next(pg_db)
    finally:
        for generator in (sqlite_db, pg_db):
            generator.close()
