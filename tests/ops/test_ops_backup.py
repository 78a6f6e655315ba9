"""Backup and restore round trip: every table's rows come back, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, connections

from rmdesk.audit.models import AuditEvent
from rmdesk.core.backup import table_fingerprints
from rmdesk.customers import services
from rmdesk.customers.models import Customer
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.tasks.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_then_restore_gives_back_every_table(tmp_path: Path, cast: Any) -> None:
    """RELIABILITY.md F5."""
    for _n in range(5):
        CustomerFactory(home_unit=cast.sub_a1, primary_manager=cast.manager)
    Job.objects.create(name="x.y", kwargs={"day": "2026-01-05", "note": "汉字"})
    before = table_fingerprints()
    assert before["customers_customer"][0] >= 11
    path = tmp_path / "rmdesk.backup"

    call_command("backup", str(path))
    assert path.stat().st_size > 0

    # Restoring over a database that is not empty needs --force.
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(path))

    # Change things after the backup: the test must be able to see a difference.
    Customer.objects.filter(pk=cast.own.pk).update(display_name="changed")
    CustomerFactory(home_unit=cast.sub_a1, primary_manager=cast.manager)
    Job.objects.all().delete()
    assert table_fingerprints() != before

    call_command("restore", str(path), "--force")
    after = table_fingerprints()
    assert after.keys() == before.keys()
    differing = [table for table in before if before[table] != after[table]]
    assert differing == []
    # The restored database is a working one.
    assert Customer.objects.get(pk=cast.own.pk).display_name == cast.own.display_name
    assert Job.objects.get().kwargs == {"day": "2026-01-05", "note": "汉字"}
    rows = sum(count for count, _digest in after.values())
    print(f"\nround trip on {connection.vendor}: {len(after)} tables, {rows} rows, all equal")


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    """RELIABILITY.md F5."""
    bogus = tmp_path / "bogus.backup"
    bogus.write_bytes(b"this is not a backup")
    with pytest.raises(CommandError):
        call_command("restore", str(bogus), "--force")
    with pytest.raises(CommandError, match="No backup"):
        call_command("restore", str(tmp_path / "missing"), "--force")
    # Nothing was dropped.
    assert "tasks_job" in connection.introspection.table_names()


def test_a_backup_taken_under_writes_restores_a_consistent_snapshot(
    tmp_path: Path, cast: Any
) -> None:
    """RELIABILITY.md F5: `rmdesk backup` while a manager keeps editing a customer.

    Each edit (``customer_update``) bumps the customer's version and records an audit
    event carrying that version, in one transaction: a consistent snapshot holds every
    event up to the customer's version and none beyond it, never a half pair.
    """
    stop = threading.Event()
    written = [0]
    failures: list[BaseException] = []

    def write() -> None:
        version = cast.own.version
        try:
            while not stop.is_set():
                try:
                    version = services.customer_update(
                        actor=cast.manager,
                        customer_id=cast.own.pk,
                        version=version,
                        data={"occupation": f"职员 {written[0]}"},
                    ).version
                    written[0] += 1
                    time.sleep(0.002)  # a busy desk, not a tight loop
                except OperationalError:
                    # SQLite's shared in-memory test database answers "table is locked"
                    # while the backup reads it; the edit rolled back whole: retry it.
                    time.sleep(0.001)
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            failures.append(exc)
        finally:
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while written[0] < 20 and writer.is_alive():
            time.sleep(0.01)
        before = written[0]
        out = StringIO()
        call_command("backup", str(tmp_path / "live.backup"), stdout=out)
        after = written[0]
        time.sleep(0.05)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not failures, failures
    assert written[0] > after, "the writer kept writing after the backup"
    assert " in " in out.getvalue()

    out = StringIO()
    started = time.monotonic()
    call_command("restore", str(tmp_path / "live.backup"), "--force", stdout=out)
    seconds = time.monotonic() - started
    assert re.search(r"restored \d+ tables from .* in \d+\.\d\d s", out.getvalue())

    restored = Customer.objects.get(pk=cast.own.pk)
    events = sorted(
        AuditEvent.objects.filter(
            action="customers.customer.updated", target_id=str(cast.own.pk)
        ).values_list("data__version", flat=True)
    )
    # No half pair: one event per version step, up to the restored version exactly.
    assert events == list(range(cast.own.version + 1, restored.version + 1))
    # The snapshot falls inside the backup's run (the edit in flight when the counter
    # was read may have committed already).
    assert cast.own.version + before <= restored.version <= cast.own.version + after + 1
    assert restored.occupation == f"职员 {restored.version - cast.own.version - 1}"
    # The restored schema is the code's: no model change without its migration.
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())
    call_command("migrate", "--check", stdout=StringIO())
    print(
        f"\nbackup under writes on {connection.vendor}: {after - before} edits during the "
        f"dump, {restored.version - cast.own.version} in the snapshot; restore (RTO) "
        f"{seconds:.2f} s"
    )
