"""The daily flow summary the signal rules read (``DailyFlow``), kept up to date set-based.

Sums, counts and maxima are additive, so the transactions booked since the last run (a
range of ids, read through the primary key) are folded into the summary with one upsert.
A transaction an import changed keeps its id: the import marks its old and new
customer-day dirty (``mark_changed_transactions``, a hook run before the merge), and the
next run rebuilds exactly those customer-days from the transactions (by the customer
and date index). Days before the longest rule window are dropped, so the table holds
about one row per customer and active day of the window; an earlier day computed again
adds back the days before the window from the transactions already read.
"""

# The SQL is assembled from constants (our own enums); dates and ids go in as parameters.
# ruff: noqa: S608
from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection

from rmdesk.customers.models import Transaction as Txn
from rmdesk.development.models import FlowMark

SETTLEMENT_KINDS = (Txn.Kind.TRANSFER_IN, Txn.Kind.TRANSFER_OUT, Txn.Kind.TRANSFER_OUT_OTHER_BANK)
INFLOW_KINDS = (Txn.Kind.LARGE_INFLOW, Txn.Kind.TRANSFER_IN)
COLUMNS = (
    "outflows",
    "salary_max",
    "inflow_max",
    "other_bank_count",
    "other_bank_total",
    "settlement",
)


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


# How each summary column is made from a day's transactions ``t``.
SUMMARY = f"""
    SELECT t.booked_on, t.customer_id,
           SUM(CASE WHEN t.amount < 0 THEN 1 ELSE 0 END),
           MAX(CASE WHEN t.kind = 'salary' THEN t.amount ELSE 0 END),
           MAX(CASE WHEN t.kind IN ({_sql_list(INFLOW_KINDS)}) THEN t.amount ELSE 0 END),
           SUM(CASE WHEN t.kind = 'transfer_out_other_bank' THEN 1 ELSE 0 END),
           SUM(CASE WHEN t.kind = 'transfer_out_other_bank' THEN -t.amount ELSE 0 END),
           SUM(CASE WHEN t.kind IN ({_sql_list(SETTLEMENT_KINDS)}) THEN ABS(t.amount)
                    ELSE 0 END)
    FROM customers_transaction t
"""
INSERT = f"INSERT INTO development_dailyflow (day, customer_id, {', '.join(COLUMNS)}) "


def _greatest() -> str:
    return "GREATEST" if connection.vendor == "postgresql" else "MAX"


def flow_refresh(cursor: Any, *, start: date) -> dict[str, int]:
    """Bring the summary up to date for the days from ``start``; returns what it did."""
    mark = FlowMark.objects.select_for_update().first()
    earlier = 0
    if mark is None:
        mark = FlowMark.objects.create(through_id=0, kept_from=start)
        cursor.execute("DELETE FROM development_dailyflow")
    elif mark.kept_from is None or (start < mark.kept_from and mark.through_id == 0):
        cursor.execute("DELETE FROM development_dailyflow")
        mark.through_id, mark.kept_from = 0, start
    elif start < mark.kept_from:
        # An earlier window than the summary holds (an earlier day computed again): the
        # days before it, from the transactions already read (the later ones follow).
        cursor.execute(
            INSERT + SUMMARY + "WHERE t.booked_on >= %s AND t.booked_on < %s AND t.id <= %s "
            "GROUP BY t.booked_on, t.customer_id",
            [start, mark.kept_from, mark.through_id],
        )
        earlier = cursor.rowcount
        mark.kept_from = start
    elif start > mark.kept_from:
        cursor.execute("DELETE FROM development_dailyflow WHERE day < %s", [start])
        cursor.execute("DELETE FROM development_flowdirty WHERE day < %s", [start])
        mark.kept_from = start
    cursor.execute("SELECT MAX(id) FROM customers_transaction")
    (through,) = cursor.fetchone()
    through = through or 0
    done = {"added": earlier, "rebuilt": 0}
    if mark.through_id == 0:
        # Empty: one plain aggregate over the window's transactions.
        cursor.execute(
            INSERT + SUMMARY + "WHERE t.booked_on >= %s AND t.id <= %s "
            "GROUP BY t.booked_on, t.customer_id",
            [start, through],
        )
        done["added"] += cursor.rowcount
    elif through > mark.through_id:
        greatest = _greatest()
        merged = ", ".join(
            f"{name} = {greatest}(development_dailyflow.{name}, excluded.{name})"
            if name.endswith("_max")
            else f"{name} = development_dailyflow.{name} + excluded.{name}"
            for name in COLUMNS
        )
        cursor.execute(
            INSERT + SUMMARY + "WHERE t.id > %s AND t.id <= %s AND t.booked_on >= %s "
            "GROUP BY t.booked_on, t.customer_id "
            f"ON CONFLICT (day, customer_id) DO UPDATE SET {merged}",
            [mark.through_id, through, start],
        )
        done["added"] += cursor.rowcount
    # Customer-days an import changed: rebuilt whole (after the additions, so nothing
    # new is counted twice).
    cursor.execute(
        "DELETE FROM development_dailyflow WHERE EXISTS (SELECT 1 FROM development_flowdirty x "
        "WHERE x.customer_id = development_dailyflow.customer_id "
        "AND x.day = development_dailyflow.day)"
    )
    cursor.execute(
        INSERT + SUMMARY + "JOIN (SELECT DISTINCT customer_id, day FROM development_flowdirty "
        "WHERE day >= %s) x ON x.customer_id = t.customer_id AND x.day = t.booked_on "
        "WHERE t.id <= %s GROUP BY t.booked_on, t.customer_id",
        [start, through],
    )
    done["rebuilt"] = cursor.rowcount
    cursor.execute("DELETE FROM development_flowdirty")
    mark.through_id = through
    mark.save()
    return done


def mark_changed_transactions() -> None:
    """Before a transactions import merges: mark the customer-days of the transactions it
    will change, as they are and as they will be (rows it adds get new ids)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO development_flowdirty (customer_id, day) "
            "SELECT t.customer_id, t.booked_on FROM customers_transaction t "
            "JOIN ingest_stage s ON s.k = t.txn_ref WHERE s.ok"
        )
        cursor.execute(
            "INSERT INTO development_flowdirty (customer_id, day) "
            "SELECT c.id, s.booked_on FROM ingest_stage s "
            "JOIN customers_transaction t ON t.txn_ref = s.k "
            "JOIN customers_customer c ON c.customer_no = s.customer_no WHERE s.ok"
        )
