"""Backup and restore round trip: every table's rows come back, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from rmdesk.core.backup import table_fingerprints
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
