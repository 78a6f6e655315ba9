from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client

from rmdesk.audit.models import AccessLog, AppendOnlyError, AuditEvent
from rmdesk.audit.selectors import chain_breaks
from rmdesk.conftest import Cast
from rmdesk.org.models import Staff

ClientFor = Callable[[Staff], Client]


def view(cast: Cast, client_for: ClientFor, times: int = 3) -> None:
    client = client_for(cast.manager)
    for _ in range(times):
        assert client.get(f"/api/v1/customers/{cast.own.pk}").status_code == 200


def test_the_app_cannot_change_or_delete_entries(cast: Cast, client_for: ClientFor) -> None:
    """RELIABILITY.md C3."""
    view(cast, client_for, 1)
    entry = AccessLog.objects.get()
    entry.reason = "edited"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.update(reason="edited")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_the_database_refuses_updates_from_any_client(cast: Cast, client_for: ClientFor) -> None:
    """RELIABILITY.md C3, E7."""
    view(cast, client_for, 1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_accesslog SET reason = 'edited'")
    assert AccessLog.objects.get().reason == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL refuses deletes too")
def test_postgresql_refuses_deletes(cast: Cast) -> None:
    """RELIABILITY.md C3."""
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.exists()


def _tamper(sql: str) -> None:
    """Edit the log around the application, as someone with the database's keys could."""
    table = "audit_accesslog"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser can switch triggers off for a session; the chain still tells.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql)
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        else:
            cursor.execute(f"DROP TRIGGER {table}_append_only")
            cursor.execute(sql)


def test_the_hash_chain_reveals_tampering(cast: Cast, client_for: ClientFor) -> None:
    view(cast, client_for, 3)
    assert chain_breaks(AccessLog) == []
    call_command("audit-verify")
    middle = AccessLog.objects.order_by("id")[1]
    _tamper(f"UPDATE audit_accesslog SET customer_id = customer_id + 1000 WHERE id = {middle.pk}")
    assert chain_breaks(AccessLog) == [middle.pk]
    with pytest.raises(CommandError):
        call_command("audit-verify")


def test_deleting_an_entry_breaks_the_chain(cast: Cast, client_for: ClientFor) -> None:
    view(cast, client_for, 3)
    middle = AccessLog.objects.order_by("id")[1]
    _tamper(f"DELETE FROM audit_accesslog WHERE id = {middle.pk}")
    assert len(chain_breaks(AccessLog)) == 1


def test_entries_hold_no_personal_data(cast: Cast, client_for: ClientFor) -> None:
    """RELIABILITY.md C3."""
    view(cast, client_for, 1)
    client_for(cast.subbranch_head).get(f"/api/v1/customers/{cast.pool.pk}")
    dumped = " ".join(str(vars(entry)) for entry in AccessLog.objects.all())
    assert "王小明" not in dumped
    assert "欧阳娜娜" not in dumped


@pytest.mark.parametrize("who", ["admin", "auditor"])
def test_administrators_and_auditors_read_the_log(
    cast: Cast, client_for: ClientFor, browser_for: Callable[[Staff], Client], who: str
) -> None:
    view(cast, client_for, 2)
    reader = cast.staff()[who]
    body = client_for(reader).get("/api/v1/audit/access-log", {"customer_id": cast.own.pk}).json()
    assert [item["actor_username"] for item in body["items"]] == ["rm-own", "rm-own"]
    page = browser_for(reader).get("/audit/access-log/")
    assert page.status_code == 200
    assert "rm-own" in page.content.decode()


@pytest.mark.parametrize("who", ["manager", "branch_head", "analyst", "ops_officer"])
def test_nobody_else_reads_the_log(
    cast: Cast, client_for: ClientFor, browser_for: Callable[[Staff], Client], who: str
) -> None:
    staff = cast.staff()[who]
    response = client_for(staff).get("/api/v1/audit/access-log")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert browser_for(staff).get("/audit/access-log/").status_code == 403


def test_the_admin_site_shows_the_log_read_only(cast: Cast, client_for: ClientFor) -> None:
    """RELIABILITY.md H4."""
    view(cast, client_for, 1)
    cast.admin.is_staff = True
    cast.admin.save()
    client = Client()
    client.force_login(cast.admin)
    entry = AccessLog.objects.get()
    assert client.get("/admin/audit/accesslog/").status_code == 200
    response = client.post(f"/admin/audit/accesslog/{entry.pk}/change/", {"reason": "x"})
    assert response.status_code in {403, 200}
    assert AccessLog.objects.get().reason == ""
    assert client.get(f"/admin/audit/accesslog/{entry.pk}/delete/").status_code == 403
