"""Prospects, signals, lists and opportunities as a viewer may see them (pages and API)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext as _

from rmdesk.customers.masking import field_value, masked_name_of
from rmdesk.customers.models import Customer
from rmdesk.development.models import (
    NameList,
    NameListEntry,
    Opportunity,
    Prospect,
    Signal,
    SignalCode,
    Stage,
)
from rmdesk.development.prospects import (
    PERSONAL,
    can_reveal_prospect,
    prospect_masked_name,
    stage_choices,
)
from rmdesk.org.models import Staff


def staff_ref(staff: Staff | None) -> dict[str, Any] | None:
    if staff is None:
        return None
    return {"id": staff.pk, "username": staff.username, "display_name": staff.display_name}


def customer_ref(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {
        "id": customer.pk,
        "customer_no": customer.customer_no,
        "name": masked_name_of(customer),
        "kind": customer.kind,
    }


def prospect_out(
    prospect: Prospect, *, actor: Staff, revealed: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Personal fields masked for everyone, the owner too; ``revealed`` (by a reveal) in full."""
    return {
        "id": prospect.pk,
        "kind": prospect.kind,
        **{name: field_value(prospect, name, revealed=revealed) for name in PERSONAL},
        "masked_fields": [name for name in PERSONAL if name not in revealed],
        "can_reveal": can_reveal_prospect(actor, prospect),
        "city": prospect.city,
        "source": prospect.source,
        "source_label": str(Prospect.Source(prospect.source).label),
        "stage": prospect.stage,
        "stage_label": str(Stage(prospect.stage).label),
        "lost_reason": prospect.lost_reason,
        "owner": staff_ref(prospect.owner),
        "home_unit_id": prospect.home_unit_id,
        "stage_changed_at": prospect.stage_changed_at,
        "last_contact_at": prospect.last_contact_at,
        "customer_id": prospect.customer_id,
        "version": prospect.version,
        "next_stages": [code for code, _label in stage_choices(prospect.stage)],
    }


def _money(value: Any) -> str:
    return str(value) if value is not None else ""


def _idle_since(signal: Signal) -> str | None:
    """The first day of an idle-deposit window: the evidence holds its length (the same
    every night), the day is counted back from the last day the signal was found."""
    e = signal.evidence or {}
    if "since" in e:
        return str(e["since"])
    days = e.get("days")
    if signal.seen_until is None or not isinstance(days, int):
        return None
    return (signal.seen_until - timedelta(days=days)).isoformat()


def signal_reason(signal: Signal) -> str:
    """The signal in plain words, from its evidence."""
    e = signal.evidence or {}
    code = signal.code
    if code == SignalCode.IDLE_DEPOSIT:
        return _("%(balance)s CNY in demand deposits with no outflow since %(since)s.") % {
            "balance": e.get("balance"),
            "since": _idle_since(signal),
        }
    if code == SignalCode.MATURITY:
        holdings = e.get("holdings") or []
        first = min((h.get("matures_on", "") for h in holdings), default="")
        return _("%(count)d holding(s) worth %(total)s CNY mature from %(first)s.") % {
            "count": len(holdings),
            "total": e.get("total"),
            "first": first,
        }
    if code == SignalCode.SALARY_NO_WEALTH:
        return _(
            "Salary received in %(months)s months (%(total)s CNY) and no wealth-management holding."
        ) % {"months": e.get("months"), "total": e.get("total")}
    if code == SignalCode.LARGE_INFLOW:
        return _("Large inflow of %(total)s CNY.") % {"total": e.get("total")}
    if code == SignalCode.ATTRITION:
        return _("%(count)s transfers to other banks, %(total)s CNY in total.") % {
            "count": e.get("count"),
            "total": e.get("total"),
        }
    if code == SignalCode.BIRTHDAY:
        return _("Birthday on %(day)s.") % {"day": e.get("month_day")}
    if code == SignalCode.SETTLEMENT_GROWTH:
        return _("Settlement volume rose from %(previous)s to %(recent)s CNY.") % {
            "previous": e.get("previous"),
            "recent": e.get("recent"),
        }
    if code == SignalCode.PAYROLL_POTENTIAL:
        return _("%(transfers)s transfers to %(people)s individuals (%(total)s CNY).") % {
            "transfers": e.get("transfers"),
            "people": e.get("people"),
            "total": e.get("total"),
        }
    if code == SignalCode.COUNTERPARTY:
        return _("%(name)s, not a customer: %(count)s transactions, %(volume)s CNY.") % {
            "name": e.get("counterparty"),
            "count": e.get("transactions"),
            "volume": e.get("volume"),
        }
    return ""


def evidence_out(signal: Signal) -> dict[str, Any]:
    """The evidence with its id lists in id order (SQLite cannot order inside aggregates)."""
    evidence = dict(signal.evidence or {})
    if signal.code == SignalCode.IDLE_DEPOSIT:
        evidence["since"] = _idle_since(signal)
    items = evidence.get("transactions")
    if isinstance(items, list):
        evidence["transactions"] = sorted(
            items, key=lambda item: item["id"] if isinstance(item, dict) else item
        )
    holdings = evidence.get("holdings")
    if isinstance(holdings, list):
        evidence["holdings"] = sorted(
            holdings, key=lambda h: (h.get("matures_on", ""), h.get("holding_id", 0))
        )
    return evidence


def signal_out(signal: Signal) -> dict[str, Any]:
    return {
        "id": signal.pk,
        "code": signal.code,
        "label": str(SignalCode(signal.code).label),
        # The latest day it was found: the day of its evidence.
        "as_of": signal.seen_until,
        "first_seen": signal.first_seen,
        "last_seen": signal.seen_until,
        # Still found by its rule's latest run.
        "open": signal.last_seen is None,
        "customer": customer_ref(signal.customer),
        "subject": signal.subject,
        "reason": signal_reason(signal),
        "evidence": evidence_out(signal),
    }


def opportunity_out(opportunity: Opportunity) -> dict[str, Any]:
    return {
        "id": opportunity.pk,
        "title": opportunity.title,
        "customer": customer_ref(opportunity.customer),
        "manager": staff_ref(opportunity.manager),
        "signal_id": opportunity.signal_id,
        "signal_code": opportunity.signal_code,
        "follow_up_on": opportunity.follow_up_on,
        "status": opportunity.status,
        "product": opportunity.product,
        "amount": _money(opportunity.amount),
        "closed_at": opportunity.closed_at,
    }


def name_list_out(name_list: NameList) -> dict[str, Any]:
    return {
        "id": name_list.pk,
        "title": name_list.title,
        "purpose": name_list.purpose,
        "level": name_list.level,
        "issued_by": staff_ref(name_list.issued_by),
        "org_unit_id": name_list.org_unit_id,
        "due_on": name_list.due_on,
        "created_at": name_list.created_at,
        "total": getattr(name_list, "total", None),
        "done": getattr(name_list, "done", None),
    }


def entry_out(entry: NameListEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "customer": customer_ref(entry.customer),
        "prospect": (
            {"id": entry.prospect.pk, "name": prospect_masked_name(entry.prospect)}
            if entry.prospect is not None
            else None
        ),
        "manager": staff_ref(entry.manager),
        "outcome": entry.outcome,
        "outcome_note": entry.outcome_note,
        "outcome_at": entry.outcome_at,
    }
