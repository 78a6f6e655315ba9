"""Tasks for the worker tests: each writes its key once (a primary key says so)
and counts its starts in a side table committed outside the task's transaction."""

from __future__ import annotations

import os
import time

import psycopg
from django.db import connection

from rmdesk.tasks.registry import task

EFFECTS = "ops_probe_effect"
STARTS = "ops_probe_start"


def tables_create() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {EFFECTS} (key text PRIMARY KEY, pid integer NOT NULL)"
        )
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {STARTS} (key text NOT NULL, pid integer)")


def tables_drop() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {EFFECTS}")
        cursor.execute(f"DROP TABLE IF EXISTS {STARTS}")


@task("ops_probe.write")
def write(*, key: str, seconds: float = 0.0) -> dict[str, str]:
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as side:
        side.execute(f"INSERT INTO {STARTS} (key, pid) VALUES (%s, %s)", (key, os.getpid()))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {EFFECTS} (key, pid) VALUES (%s, %s)", [key, os.getpid()])
    time.sleep(seconds)
    return {"key": key}
