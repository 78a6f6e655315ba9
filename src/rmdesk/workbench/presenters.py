"""The home's figures as plain dicts: what the API returns and the pages show."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from rmdesk.contact.presenters import customer_ref, reasons_out, staff_ref
from rmdesk.coordination.selectors import AGE_BUCKETS, sla_state
from rmdesk.customers.masking import masked_name_of
from rmdesk.development.models import Stage
from rmdesk.development.prospects import prospect_masked_name
from rmdesk.marketing.models import PlanTarget
from rmdesk.workbench.selectors import (
    DepartmentHome,
    HeadOfficeHome,
    Home,
    ManagerHome,
    TeamHome,
)

SLA_LABELS = {
    "breached": _("SLA breached"),
    "due_soon": _("Due soon"),
    "on_time": _("On time"),
}


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 1.0


def _work_order(work_order: Any, now: Any) -> dict[str, Any]:
    return {
        "id": work_order.pk,
        "title": work_order.title,
        "status": work_order.status,
        "status_label": str(work_order.get_status_display()),
        "type": str(work_order.work_order_type),
        "customer": customer_ref(work_order.customer) if work_order.customer else None,
        "created_at": work_order.created_at,
        "due_at": work_order.due_at,
        "sla_state": sla_state(work_order, now),
        "sla_label": str(SLA_LABELS[sla_state(work_order, now)]),
    }


def manager_out(home: ManagerHome, now: Any) -> dict[str, Any]:
    counts = home.plan_counts
    return {
        "staff": staff_ref(home.staff),
        "day": home.day,
        "plan": {
            "open": counts.get("open", 0),
            "done": counts.get("done", 0),
            "dismissed": counts.get("dismissed", 0),
            "items": [
                {
                    "id": entry.pk,
                    "customer": customer_ref(entry.customer),
                    "score": entry.score,
                    "reasons": [
                        {"code": r["code"], "label": r["label"], "detail": str(r["detail"])}
                        for r in reasons_out(entry)
                    ],
                }
                for entry in home.plan
            ],
        },
        "follow_ups": {
            "count": home.follow_ups_count,
            "items": [
                {
                    "id": item.pk,
                    "customer": customer_ref(item.customer),
                    "follow_up_on": item.follow_up_on,
                    "next_step": item.next_step,
                }
                for item in home.follow_ups
            ],
        },
        "visits": {
            "count": home.visits_count,
            "items": [
                {
                    "id": visit.pk,
                    "customer": customer_ref(visit.customer),
                    "planned_start": visit.planned_start,
                    "purpose": visit.purpose,
                }
                for visit in home.visits
            ],
        },
        "opportunities": {
            "count": home.opportunities_open,
            "due": home.opportunities_due,
            "items": [
                {
                    "id": item.pk,
                    "customer": customer_ref(item.customer),
                    "title": item.title,
                    "follow_up_on": item.follow_up_on,
                    "amount": item.amount,
                }
                for item in home.opportunities
            ],
        },
        "name_list_entries": {
            "count": home.name_list_open,
            "items": [
                {
                    "id": entry.pk,
                    "name_list_id": entry.name_list_id,
                    "name_list": entry.name_list.title,
                    "due_on": entry.name_list.due_on,
                    "customer_id": entry.customer_id,
                    "prospect_id": entry.prospect_id,
                    "name": masked_name_of(entry.customer)
                    if entry.customer is not None
                    else prospect_masked_name(entry.prospect)
                    if entry.prospect is not None
                    else "",
                }
                for entry in home.name_list_entries
            ],
        },
        "work_orders": {
            "count": home.work_orders_waiting,
            "items": [_work_order(item, now) for item in home.work_orders],
        },
        "campaign_targets": {
            "open": home.campaign_counts.get("targeted", 0)
            + home.campaign_counts.get("touched", 0),
            "targeted": home.campaign_counts.get("targeted", 0),
            "touched": home.campaign_counts.get("touched", 0),
            "converted": home.campaign_counts.get("converted", 0),
            "items": [
                {
                    "id": entry.pk,
                    "campaign_id": entry.campaign_id,
                    "campaign": entry.campaign.name,
                    "customer": customer_ref(entry.customer),
                    "stage": entry.stage,
                    "stage_label": str(entry.get_stage_display()),
                    "touches": entry.touches,
                }
                for entry in home.campaign_targets
            ],
        },
        "plan_progress": [
            {
                "id": item.target.pk,
                "metric": item.target.metric,
                "metric_label": str(PlanTarget.Metric(item.target.metric).label),
                "period_start": item.target.period_start,
                "period_end": item.target.period_end,
                "target": item.target.target,
                "achieved": item.achieved,
                "share": round(item.share, 4),
            }
            for item in home.progress
        ],
        "scorecard": {
            "period": home.period.label,
            "computed": home.scorecard.run is not None,
            "overall": home.scorecard.overall,
            "behind": home.scorecard.behind,
            "figures": home.scorecard.figures,
        },
    }


def team_out(home: TeamHome) -> dict[str, Any]:
    coverage = home.coverage
    by_manager = {row.key: row for row in coverage.managers}
    overall = {row.staff.pk: row for row in home.board}
    sla = {
        "open": sum(row["open"] for row in home.breaches),
        "overdue": sum(row["overdue"] for row in home.breaches),
        "breached": sum(row["breached"] for row in home.breaches),
        "departments": [
            {
                "department_id": row["department_id"],
                "department": row["department"],
                "open": row["open"],
                "overdue": row["overdue"],
                "breached": row["breached"],
                "breach_rate": row["breach_rate"],
            }
            for row in home.breaches[:10]
        ],
    }
    return {
        "day": home.day,
        "coverage": {
            "total": coverage.bank.total,
            "within": coverage.bank.within,
            "share": round(coverage.bank.share, 4),
            "managers": [
                {
                    "id": row.key,
                    "label": row.label,
                    "total": row.total,
                    "within": row.within,
                    "share": round(row.share, 4),
                }
                for row in coverage.managers[:30]
            ],
        },
        "pipeline": {
            "stages": [
                {"stage": stage, "label": str(Stage(stage).label), "count": count}
                for stage, count in home.stages.items()
            ],
            "opportunities_open": home.opportunity_totals["open"],
            "opportunities_amount": home.opportunity_totals["amount"],
        },
        "campaigns": home.campaigns,
        "sla": sla,
        "pools": [
            {
                "id": row["pool"].pk,
                "label": str(row["pool"]),
                "limit": row["limit"],
                "used": row["used"],
                "allocated": row["allocated"],
                "share": round(row["share"], 4),
            }
            for row in home.pools
        ],
        "scorecards": {
            "period": home.period.label,
            "computed": home.run is not None,
            "rows": [
                {
                    "staff": staff_ref(row.staff),
                    "overall": row.overall,
                    "behind": len(row.behind),
                }
                for row in home.board[:30]
            ],
        },
        "members": [
            {
                "staff": staff_ref(member),
                "coverage": round(by_manager[member.pk].share, 4)
                if member.pk in by_manager
                else None,
                "overall": overall[member.pk].overall if member.pk in overall else None,
            }
            for member in home.members
        ],
    }


def department_out(home: DepartmentHome) -> dict[str, Any]:
    queue = home.queue
    return {
        "total": queue.total,
        "breached": queue.by_state["breached"],
        "due_soon": queue.by_state["due_soon"],
        "on_time": queue.by_state["on_time"],
        "ages": [
            {"label": label, **counts}
            for (_upper, label), counts in zip(AGE_BUCKETS, queue.counts, strict=True)
        ],
        "items": [_work_order(item, home.now) for item in queue.items],
    }


def head_office_out(home: HeadOfficeHome) -> dict[str, Any]:
    def row_out(row: Any) -> dict[str, Any]:
        return {
            "id": row.unit.pk,
            "name": row.unit.name,
            "customers": row.customers,
            "aum": Decimal(row.aum),
            "coverage": round(row.coverage, 4),
            "prospects_open": row.prospects_open,
            "work_open": row.work_open,
            "breached": row.breached,
        }

    totals = home.totals
    return {
        "branches": [row_out(row) for row in home.branches],
        "bank": {
            "customers": totals["customers"],
            "aum": Decimal(totals["aum"]),
            "coverage": _share(totals["covered"], totals["to_cover"]),
            "prospects_open": totals["prospects_open"],
            "work_open": totals["work_open"],
            "breached": totals["breached"],
        },
    }


def home_out(home: Home, now: Any) -> dict[str, Any]:
    return {
        "staff": staff_ref(home.actor),
        "day": home.day,
        "homes": home.kinds,
        "manager": manager_out(home.manager, now) if home.manager else None,
        "team": team_out(home.team) if home.team else None,
        "department": department_out(home.department) if home.department else None,
        "head_office": head_office_out(home.head_office) if home.head_office else None,
    }
