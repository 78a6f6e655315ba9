"""Applying: upserts with exact counts, repeats, closing, derived data, dry runs."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from openpyxl import Workbook

from rmdesk.audit.models import AuditEvent
from rmdesk.customers.models import Customer, CustomerAssignment, Holding, TierChange, TierRule
from rmdesk.customers.services import (
    customer_balances_refresh,
    customer_holdings_refresh,
    customer_tiers_refresh,
)
from rmdesk.ingest.models import ImportRun
from rmdesk.ingest.services import Limits
from rmdesk.ingest.tests.helpers import counts, errors, run_import

FIRST = (
    "customer_no,kind,name,home_unit,manager,mobile\n"
    "U1,individual,王一,SA1,rm-own,13800138000\n"
    "U2,individual,王二,SA1,,\n"
    "U3,individual,王三,SA2,rm-a2,\n"
)


def test_rerun_of_the_same_file_is_a_repeat(cast):
    first = run_import(cast.ops_officer, "customers", FIRST)
    assert counts(first) == ("done", 3, 3, 0, 0, 0)
    stamp = Customer.objects.get(customer_no="U1").updated_at
    again = run_import(cast.ops_officer, "customers", FIRST)
    assert again.status == "repeat"
    assert again.repeat_of == first
    assert (again.new, again.changed, again.unchanged) == (0, 0, 0)
    assert Customer.objects.get(customer_no="U1").updated_at == stamp
    forced = run_import(cast.ops_officer, "customers", FIRST, force=True)
    assert counts(forced) == ("done", 3, 0, 0, 3, 0)
    assert AuditEvent.objects.filter(action="ingest.run.repeat").count() == 1


def test_a_file_with_updates_changes_exactly_those(cast):
    run_import(cast.ops_officer, "customers", FIRST)
    update = (
        "customer_no,kind,name,home_unit,manager,mobile\n"
        "U1,individual,王一,SA1,rm-other,13800138000\n"  # manager changed
        "U2,individual,王二,SA1,,\n"  # unchanged
        "U4,individual,王四,SA1,,\n"  # new
    )
    run = run_import(cast.ops_officer, "customers", update)
    assert counts(run) == ("done", 3, 1, 1, 1, 0)
    versions = dict(
        Customer.objects.filter(customer_no__startswith="U").values_list("customer_no", "version")
    )
    assert versions == {"U1": 2, "U2": 1, "U3": 1, "U4": 1}
    u1 = Customer.objects.get(customer_no="U1")
    assert u1.primary_manager == cast.other_manager
    history = list(
        CustomerAssignment.objects.filter(customer=u1)
        .order_by("id")
        .values_list("manager__username", "ended_at")
    )
    assert [name for name, _ in history] == ["rm-own", "rm-other"]
    assert history[0][1] is not None
    assert history[1][1] is None


HOLDINGS = (
    "account_no,customer_no,product_type,balance,opened_on,status\n"
    "D1,{own},demand_deposit,600000,2024-01-01,\n"
    "D2,{own},time_deposit,500000,2024-01-01,active\n"
    "L1,{own},loan,100000,2024-01-01,\n"
)


def test_holdings_refresh_aum_and_tier_and_closed_closes(cast):
    TierRule.objects.update_or_create(tier="gold", defaults={"min_aum": Decimal("1000000")})
    TierRule.objects.exclude(tier="gold").update(min_aum=Decimal("1e12"))
    run = run_import(cast.ops_officer, "holdings", HOLDINGS.format(own=cast.own.customer_no))
    assert counts(run) == ("done", 3, 3, 0, 0, 0)
    cast.own.refresh_from_db()
    assert (cast.own.aum, cast.own.liabilities, cast.own.tier) == (
        Decimal("1100000.00"),
        Decimal("100000.00"),
        "gold",
    )
    closing = (
        "account_no,customer_no,product_type,balance,opened_on,status\n"
        f"D2,{cast.own.customer_no},time_deposit,500000,2024-01-01,closed\n"
    )
    run = run_import(cast.ops_officer, "holdings", closing)
    assert counts(run) == ("done", 1, 0, 1, 0, 0)
    # Absent from the file is not closed: D1 and L1 stay active.
    assert dict(Holding.objects.values_list("account_no", "status")) == {
        "D1": "active",
        "D2": "closed",
        "L1": "active",
    }
    cast.own.refresh_from_db()
    assert (cast.own.aum, cast.own.tier) == (Decimal("600000.00"), "mass")


def test_moving_a_holding_refreshes_both_customers(cast):
    run_import(cast.ops_officer, "holdings", HOLDINGS.format(own=cast.own.customer_no))
    moved = (
        "account_no,customer_no,product_type,balance,opened_on\n"
        f"D1,{cast.other.customer_no},demand_deposit,600000,2024-01-01\n"
    )
    run_import(cast.ops_officer, "holdings", moved)
    cast.own.refresh_from_db()
    cast.other.refresh_from_db()
    assert (cast.own.aum, cast.other.aum) == (Decimal("500000.00"), Decimal("600000.00"))


def test_dry_run_counts_and_applies_nothing(cast):
    run = run_import(cast.ops_officer, "customers", FIRST, dry_run=True)
    assert counts(run) == ("done", 3, 3, 0, 0, 0)
    assert run.dry_run
    assert not Customer.objects.filter(customer_no__startswith="U").exists()
    assert not CustomerAssignment.objects.filter(customer__customer_no__startswith="U").exists()
    # A dry run does not make the real run a repeat.
    real = run_import(cast.ops_officer, "customers", FIRST)
    assert counts(real) == ("done", 3, 3, 0, 0, 0)


def test_zip_bomb_workbook_is_refused(cast):
    book = Workbook()
    sheet = book.active
    sheet.append(["customer_no", "kind", "name", "home_unit"])
    for i in range(3000):
        sheet.append([f"Z{i}", "individual", "王" * 50, "SA1"])
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        inflated = sum(info.file_size for info in archive.infolist())
    limit = inflated // 10 - 1  # the workbook would unpack to more than 10x the file limit
    assert len(data) < limit
    run = run_import(
        cast.ops_officer,
        "customers",
        data,
        name="bomb.xlsx",
        limits=Limits(max_bytes=limit, max_rows=10_000, max_errors=10),
    )
    assert (run.status, run.error_code) == ("rejected", "FILE_TOO_LARGE")
    assert not Customer.objects.filter(customer_no__startswith="Z").exists()


def test_every_run_is_audited_without_personal_data(cast):
    run = run_import(cast.ops_officer, "customers", FIRST)
    event = AuditEvent.objects.get(action="ingest.run.done")
    assert event.target_id == str(run.pk)
    assert event.data["new"] == 3
    assert "王" not in str(event.data)
    assert "feed.csv" not in str(event.data)


def test_interrupted_runs_are_marked_failed_on_the_next(cast):
    stale = ImportRun.objects.create(
        feed="customers", file_name="x", sha256="", started_at="2026-01-01T00:00Z"
    )
    run = run_import(cast.ops_officer, "customers", FIRST)
    assert errors(run) == []
    stale.refresh_from_db()
    # Only a run of the same file is known to be dead; this one had another hash.
    assert stale.status == "running"


def _figures() -> dict[int, tuple[Decimal, Decimal, str, object]]:
    return {
        pk: (aum, liabilities, tier, since)
        for pk, aum, liabilities, tier, since in Customer.objects.values_list(
            "pk", "aum", "liabilities", "tier", "tier_since"
        )
    }


def _row_versions(ids: list[int]) -> dict[int, str]:
    """PostgreSQL's row version of each customer (it changes whenever a row is written)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, xmin::text FROM customers_customer WHERE id = ANY(%s)", [ids])
        return dict(cursor.fetchall())


def test_holdings_refresh_only_the_changed_customers_as_a_full_refresh_would(cast):
    """The figures after an import are those of a refresh of the whole bank, and the
    customers none of whose holdings changed are not written."""
    TierRule.objects.update_or_create(tier="gold", defaults={"min_aum": Decimal("1000000")})
    TierRule.objects.exclude(tier="gold").update(min_aum=Decimal("1e12"))
    n = {name: customer.customer_no for name, customer in cast.customers().items()}
    header = "account_no,customer_no,product_type,balance,opened_on,status\n"
    run_import(
        cast.ops_officer,
        "holdings",
        header + f"G1,{n['own']},wealth,900000,2024-01-01,\n"  # raised to gold below
        f"S1,{n['other']},demand_deposit,300000,2024-01-01,\n"  # repeated as it is
        f"S2,{n['other']},loan,50000,2024-01-01,\n"  # repeated as it is
        f"M1,{n['pool']},fund,1500000,2024-01-01,\n"  # moves from pool (gold) to a2
        f"C1,{n['far']},time_deposit,2000000,2024-01-01,\n"  # closed below
        f"K1,{n['company']},demand_deposit,10,2024-01-01,\n",  # not in the next file
    )
    assert _figures()[cast.pool.pk][2] == "gold"
    untouched = [cast.other.pk, cast.company.pk]
    versions = _row_versions(untouched) if connection.vendor == "postgresql" else {}
    moves = TierChange.objects.count()
    run = run_import(
        cast.ops_officer,
        "holdings",
        header + f"G1,{n['own']},wealth,1200000,2024-01-01,\n"
        f"S1,{n['other']},demand_deposit,300000,2024-01-01,\n"
        f"S2,{n['other']},loan,50000,2024-01-01,\n"
        f"M1,{n['a2']},fund,1500000,2024-01-01,\n"
        f"C1,{n['far']},time_deposit,2000000,2024-01-01,closed\n"
        f"N1,{n['own']},credit_card,7000,2024-01-01,\n",
    )
    assert counts(run) == ("done", 6, 1, 3, 2, 0)
    after = _figures()
    assert after[cast.own.pk][:3] == (Decimal("1200000.00"), Decimal("7000.00"), "gold")
    assert after[cast.other.pk][:3] == (Decimal("300000.00"), Decimal("50000.00"), "mass")
    assert after[cast.pool.pk][:3] == (Decimal("0.00"), Decimal("0.00"), "mass")
    assert after[cast.a2.pk][:3] == (Decimal("1500000.00"), Decimal("0.00"), "gold")
    assert after[cast.far.pk][:3] == (Decimal("0.00"), Decimal("0.00"), "mass")
    assert after[cast.company.pk][:3] == (Decimal("10.00"), Decimal("0.00"), "mass")
    moved = set(
        TierChange.objects.order_by("pk")[moves:].values_list("customer_id", "from_tier", "to_tier")
    )
    assert moved == {
        (cast.own.pk, "mass", "gold"),
        (cast.pool.pk, "gold", "mass"),
        (cast.a2.pk, "mass", "gold"),
        (cast.far.pk, "gold", "mass"),
    }
    if versions:
        assert _row_versions(untouched) == versions
    # A refresh of the whole bank finds nothing to change and no tier to move.
    moves = TierChange.objects.count()
    customer_balances_refresh()
    assert customer_tiers_refresh() == 0
    assert customer_holdings_refresh(customer_ids=list(after)) == 0
    assert _figures() == after
    assert TierChange.objects.count() == moves


def test_the_aum_refresh_writes_the_customer_rows_in_place(cast):
    """PostgreSQL: customer pages keep room (fillfactor), so the refresh after a holdings
    file writes each customer's new version on its own page and no index (HOT)."""
    if connection.vendor != "postgresql":
        pytest.skip("fillfactor and HOT updates are PostgreSQL's")
    count = 60
    run = run_import(
        cast.ops_officer,
        "customers",
        "customer_no,kind,name,home_unit\n"
        + "".join(f"F{i},individual,王{i},SA1\n" for i in range(count)),
    )
    assert run.new == count
    updated, hot = _customer_updates()
    run = run_import(
        cast.ops_officer,
        "holdings",
        "account_no,customer_no,product_type,balance,opened_on\n"
        + "".join(f"FA{i},F{i},demand_deposit,{1000 + i},20240101\n" for i in range(count)),
    )
    assert run.new == count
    now_updated, now_hot = _customer_updates()
    assert now_updated - updated == count
    assert now_hot - hot == count


def _customer_updates() -> tuple[int, int]:
    """This transaction's updates of customer rows so far: all, and those made in place."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
            " WHERE relname = 'customers_customer'"
        )
        updated, hot = cursor.fetchone()
    return updated, hot
