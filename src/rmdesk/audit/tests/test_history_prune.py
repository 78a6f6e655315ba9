"""Retention of the change history: old rows go in batches; the audit trail stays whole."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from rmdesk.audit.history import history_prune
from rmdesk.audit.models import AccessLog, AuditEvent, RowChange
from rmdesk.audit.selectors import chain_breaks
from rmdesk.audit.services import audit_record
from rmdesk.conftest import Cast
from rmdesk.customers.models import Customer
from rmdesk.org.models import Staff
from rmdesk.tasks.registry import registered


def history_of_ages(cast: Cast, days: list[int]) -> list[int]:
    """One change-history row per entry of ``days``, written that many days ago."""
    RowChange.objects.all().delete()
    for n in range(len(days)):
        Customer.objects.filter(pk=cast.own.pk).update(version=1000 + n)
    rows = list(RowChange.objects.order_by("id").values_list("id", flat=True))
    assert len(rows) == len(days)
    now = timezone.now()
    for pk, age in zip(rows, days, strict=True):
        RowChange.objects.filter(pk=pk).update(at=now - timedelta(days=age))
    return rows


def test_rows_past_the_retention_go_oldest_first_in_batches(cast: Cast) -> None:
    rows = history_of_ages(cast, [400, 380, 366, 364, 10, 0])
    result = history_prune(keep_days=365, batch_size=2)
    assert result == {"deleted": 3, "batches": 2}
    assert list(RowChange.objects.order_by("id").values_list("id", flat=True)) == rows[3:]
    # Nothing more to do on the next night.
    assert history_prune(keep_days=365, batch_size=2) == {"deleted": 0, "batches": 0}


def test_the_audit_trail_and_the_access_log_are_never_pruned(
    cast: Cast, client_for: Callable[[Staff], Client]
) -> None:
    client = client_for(cast.manager)
    assert client.get(f"/api/v1/customers/{cast.own.pk}").status_code == 200
    audit_record(actor=cast.manager, action="customer.updated", target=cast.own)
    Customer.objects.filter(pk=cast.own.pk).update(do_not_contact=True)
    events, accesses = AuditEvent.objects.count(), AccessLog.objects.count()
    assert events >= 1
    assert accesses >= 1
    assert RowChange.objects.exists()
    # Ten years on, everything written today is past any retention.
    result = history_prune(keep_days=1, now=timezone.now() + timedelta(days=3650))
    assert result["deleted"] >= 1
    assert not RowChange.objects.exists()
    assert (AuditEvent.objects.count(), AccessLog.objects.count()) == (events, accesses)
    assert chain_breaks(AuditEvent) == []
    assert chain_breaks(AccessLog) == []


def test_zero_keeps_everything_and_the_default_is_the_setting(cast: Cast, settings: object) -> None:
    rows = history_of_ages(cast, [5000, 20, 0])
    assert history_prune(keep_days=0) == {"deleted": 0, "batches": 0}
    assert RowChange.objects.count() == len(rows)
    settings.RMDESK_HISTORY_KEEP_DAYS = 30  # type: ignore[attr-defined]
    assert history_prune() == {"deleted": 1, "batches": 1}
    settings.RMDESK_HISTORY_KEEP_DAYS = 0  # type: ignore[attr-defined]
    assert history_prune() == {"deleted": 0, "batches": 0}
    assert RowChange.objects.count() == 2


def test_bad_values_are_refused(cast: Cast) -> None:
    with pytest.raises(ValueError, match="0 or more"):
        history_prune(keep_days=-1)
    with pytest.raises(ValueError, match="at least 1"):
        history_prune(keep_days=30, batch_size=0)
    with pytest.raises(CommandError, match="0 or more"):
        call_command("history-prune", "--keep-days", "-5")


def test_the_command_and_the_nightly_task(cast: Cast, capsys: pytest.CaptureFixture[str]) -> None:
    history_of_ages(cast, [4000, 3700, 1])
    call_command("history-prune", "--batch-size", "1")  # the default: ten years
    assert "Deleted 2 change-history rows older than 3650 days in 2 batches" in (
        capsys.readouterr().out
    )
    assert RowChange.objects.count() == 1
    nightly = registered()["audit.history_prune"]
    assert nightly.schedule is not None
    assert nightly.schedule.at is not None
    history_of_ages(cast, [3651, 0])
    assert nightly.function() == {"deleted": 1, "batches": 1}
