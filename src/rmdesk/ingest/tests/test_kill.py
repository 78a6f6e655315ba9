"""kill -9 in the middle of an import leaves none of its rows; the re-run completes it (F1).

The import runs in a subprocess against a database of its own (a fresh SQLite file, or a
fresh PostgreSQL database when the suite runs on PostgreSQL), so what the killed process
left behind is what any other connection would see.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

ROWS = 5000
RMDESK = str(Path(sys.executable).with_name("rmdesk"))
SETUP = """
from rmdesk.org.tests.factories import OrgUnitFactory, StaffFactory
head = OrgUnitFactory(code="HO", name="总行", kind="head_office")
unit = OrgUnitFactory(code="SA1", name="甲一支行", parent=head)
StaffFactory(username="rm-own", org_unit=unit)
"""


@pytest.fixture
def database(tmp_path):
    """A DATABASE_URL for a new, migrated database; and a function counting a table's rows."""
    current = settings.DATABASES["default"]
    if current["ENGINE"].endswith("postgresql"):
        name = f"rmdesk_kill_{uuid.uuid4().hex[:8]}"
        params = {k: current[k] for k in ("HOST", "PORT", "USER", "PASSWORD") if current.get(k)}
        host, port = params.get("HOST", "127.0.0.1"), params.get("PORT", 5432)
        user = params.get("USER", "postgres")
        dsn = f"host={host} port={port} user={user} dbname=postgres"
        if params.get("PASSWORD"):
            dsn += f" password={params['PASSWORD']}"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"postgres://{user}:{params.get('PASSWORD', '')}@{host}:{port}/{name}"

        def count(table: str) -> int:
            with psycopg.connect(dsn.replace("dbname=postgres", f"dbname={name}")) as conn:
                return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

        yield url, count
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path / "kill.sqlite3"

        def count(table: str) -> int:
            with sqlite3.connect(path) as conn:
                return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

        yield f"sqlite:///{path}", count


def test_kill_during_import_leaves_nothing_and_rerun_completes(database, tmp_path):
    url, count = database
    env = {**os.environ, "DATABASE_URL": url, "RMDESK_VAR_DIR": str(tmp_path / "var")}
    subprocess.run([RMDESK, "migrate", "-v0"], env=env, check=True)
    subprocess.run([RMDESK, "shell", "-c", SETUP], env=env, check=True)
    feed = tmp_path / "customers.csv"
    feed.write_text(
        "customer_no,kind,name,home_unit,manager,mobile\n"
        + "".join(f"K{i:06d},individual,王{i},SA1,rm-own,138{i:08d}\n" for i in range(ROWS)),
        encoding="utf-8",
    )
    command = [RMDESK, "import", "customers", str(feed), "--progress-every", "500"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stderr is not None
    line = process.stderr.readline()
    assert b"rows read" in line, line
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    left = count("customers_customer")
    assert left in (0, ROWS)  # all or nothing, never part
    assert count("customers_customerassignment") == left

    done = subprocess.run(command, env=env, capture_output=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert count("customers_customer") == ROWS
    assert count("customers_customerassignment") == ROWS
    if left == 0:
        assert f"new {ROWS}, changed 0, unchanged 0, rejected 0".encode() in done.stdout
    else:  # the kill came after the commit: the re-run is a repeat
        assert b"repeat" in done.stdout
