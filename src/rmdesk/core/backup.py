"""Back up and restore the whole database: pg_dump/pg_restore, or SQLite's online backup.

A PostgreSQL backup is pg_dump's custom format (compressed, restorable table by
table); a SQLite backup is a consistent copy of the database file made while rmdesk
keeps running. ``table_fingerprints`` gives each table's row count and a checksum of
its rows, to check that a restore gave back what was backed up.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper


class BackupError(Exception):
    pass


def _pg_env(settings: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    mapping = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD"}
    for key, name in mapping.items():
        if settings.get(key):
            env[name] = str(settings[key])
    env["PGDATABASE"] = str(settings["NAME"])
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed (on Debian/Ubuntu: apt install postgresql-client)."
        )
    return path


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def database_tables(using: str = "default") -> list[str]:
    connection = connections[using]
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def database_is_empty(using: str = "default") -> bool:
    return not database_tables(using)


def backup_create(path: Path, *, using: str = "default") -> None:
    """Write a consistent backup of the database to ``path`` (overwritten)."""
    connection = connections[using]
    path.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "postgresql":
        env = _pg_env(connection.settings_dict)
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-acl", f"--file={path}"], env)
    elif connection.vendor == "sqlite":
        partial = path.with_name(path.name + ".partial")
        connection.ensure_connection()
        source = connection.connection
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
        finally:
            target.close()
        os.replace(partial, path)
    else:  # pragma: no cover
        raise BackupError(f"No backup for {connection.vendor}.")


def _drop_everything(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")


def backup_restore(path: Path, *, using: str = "default", force: bool = False) -> None:
    """Replace the database's contents with the backup at ``path``.

    Refuses a database that already has tables unless ``force``: then everything in
    it is dropped first (PostgreSQL: the ``public`` schema) and replaced.
    """
    if not path.is_file():
        raise BackupError(f"No backup at {path}.")
    connection = connections[using]
    if not force and not database_is_empty(using):
        raise BackupError(
            "The database is not empty; restoring would overwrite it. "
            "Pass --force to replace everything in it."
        )
    if connection.vendor == "postgresql":
        env = _pg_env(connection.settings_dict)
        # Validate the file before dropping anything.
        _run([_tool("pg_restore"), "--list", str(path)], env)
        if force:
            _drop_everything(connection)
        connection.close()
        _run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--no-acl",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={env['PGDATABASE']}",
                str(path),
            ],
            env,
        )
    elif connection.vendor == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if source.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise BackupError(f"{path} is not a sound SQLite database.")
            connection.ensure_connection()
            source.backup(connection.connection)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is not a SQLite database: {exc}") from exc
        finally:
            source.close()
    else:  # pragma: no cover
        raise BackupError(f"No restore for {connection.vendor}.")


def table_fingerprints(using: str = "default") -> dict[str, tuple[int, str]]:
    """Each table's row count and a SHA-256 over its rows (order-independent)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    result: dict[str, tuple[int, str]] = {}
    with connection.cursor() as cursor:
        for table in database_tables(using):
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 (introspected names)
            digests = sorted(
                hashlib.sha256(repr(tuple(row)).encode()).hexdigest() for row in cursor.fetchall()
            )
            result[table] = (len(digests), hashlib.sha256("".join(digests).encode()).hexdigest())
    return result
