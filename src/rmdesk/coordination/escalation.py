"""SLA breaches: escalate overdue work up the owner's chain, set-based.

One sweep finds every work order whose clock ran out (``due_at <= now``) and whose
next escalation is due, raises all their levels in one UPDATE, writes their timeline
events in one INSERT, records the run (and audits it) once, and tells each one's
superior. Re-running it at the same moment
changes nothing: ``next_escalation_at`` moves past ``now`` in the same UPDATE.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.coordination.access import work_order_q
from rmdesk.coordination.models import (
    CLOCK_STATUSES,
    OPEN_STATUSES,
    EscalationRun,
    TimelineEvent,
    WorkOrder,
)
from rmdesk.coordination.services import superiors_of
from rmdesk.notify.services import notify
from rmdesk.org.models import Department, OrgUnit, Staff

MAX_SINGLE_MESSAGES = 100


def escalation_interval() -> dt.timedelta:
    """How long after an escalation the next one comes if the work is still overdue."""
    return dt.timedelta(hours=getattr(settings, "RMDESK_ESCALATION_HOURS", 24))


@transaction.atomic
def sla_escalate(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Escalate every breached, still-running work order by one level. Idempotent at a
    given ``now``. Returns ``{"escalated": n}``.

    The selection, the UPDATE, the timeline INSERT, the heads' lookup and the audit entry
    are one statement each whatever the number of work orders; notifications go out
    grouped by recipient (a head told about several breaches gets one message).
    """
    now = now or timezone.now()
    due = WorkOrder.objects.filter(status__in=CLOCK_STATUSES, due_at__lte=now).filter(
        Q(next_escalation_at__isnull=True) | Q(next_escalation_at__lte=now)
    )
    ids = list(due.select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return {"escalated": 0}
    WorkOrder.objects.filter(pk__in=ids).update(
        escalation_level=F("escalation_level") + 1,
        next_escalation_at=now + escalation_interval(),
        sla_breached_at=Coalesce(F("sla_breached_at"), now),
        version=F("version") + 1,
        updated_at=now,
    )
    escalated = list(
        WorkOrder.objects.filter(pk__in=ids)
        .select_related("owner_unit")
        .only(
            "pk",
            "title",
            "escalation_level",
            "raised_by_id",
            "owner_unit__path",
        )
        .order_by("pk")
    )
    TimelineEvent.objects.bulk_create(
        [
            TimelineEvent(
                work_order=work_order,
                kind=TimelineEvent.Kind.ESCALATED,
                actor=None,
                text=_("SLA breached"),
                data={"level": work_order.escalation_level, "automatic": True},
                created_at=now,
            )
            for work_order in escalated
        ],
        batch_size=1000,
    )
    superiors = superiors_of(escalated)
    run = EscalationRun.objects.create(
        ran_at=now,
        escalated=len(escalated),
        work_orders=[[wo.pk, wo.escalation_level, sorted(superiors[wo.pk])] for wo in escalated],
    )
    audit_record(
        actor=None,
        action="coordination.work_order.escalated",
        target=run,
        data={"count": len(escalated), "work_orders": [wo.pk for wo in escalated][:1000]},
    )
    _notify_breaches(escalated, superiors, run)
    return {"escalated": len(escalated)}


def _notify_breaches(
    escalated: list[WorkOrder], superiors: dict[int, set[int]], run: EscalationRun
) -> None:
    """One message per recipient: about the work order when there is one, else a count."""
    by_recipient: dict[int, list[WorkOrder]] = defaultdict(list)
    for work_order in escalated:
        for staff_id in superiors[work_order.pk] | {work_order.raised_by_id}:
            by_recipient[staff_id].append(work_order)
    groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for staff_id, work_orders in by_recipient.items():
        groups[tuple(wo.pk for wo in work_orders)].append(staff_id)
    single = {wo.pk: wo for wo in escalated}
    many: list[int] = []
    # A backlog (the first sweep after an outage) gets one summary message per person
    # rather than hundreds of notify calls inside the transaction.
    backlog = len(groups) > MAX_SINGLE_MESSAGES
    for key, recipients in groups.items():
        if len(key) == 1 and not backlog:
            work_order = single[key[0]]
            notify(
                recipients,
                kind="coordination.sla_breach",
                title=f"#{work_order.pk} {_('SLA breached')}: {work_order.title}",
                body=_("Escalation level %(level)s") % {"level": work_order.escalation_level},
                url=f"/coordination/work-orders/{work_order.pk}/",
                target=work_order,
                dedupe_key=f"coordination.breach:{work_order.pk}:{work_order.escalation_level}",
            )
        else:
            many.extend(recipients)
    if many:
        notify(
            many,
            kind="coordination.sla_breach",
            title=_("Several requests you follow breached their SLA and were escalated"),
            url="/coordination/?view=all&open=1",
            target=run,
            dedupe_key=f"coordination.breach-run:{run.pk}",
        )


def breach_report(*, actor: Staff) -> list[dict[str, Any]]:
    """Per owner department, over the work ``actor`` may see: open work, overdue work,
    and how much of it breached its SLA (one grouped query over the work orders, then
    the departments' names)."""
    now = timezone.now()
    grouped = list(
        WorkOrder.objects.filter(work_order_q(actor))
        .values("owner_department_id", "owner_unit_id")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            overdue=Count("pk", filter=Q(status__in=CLOCK_STATUSES, due_at__lte=now)),
            breached=Count("pk", filter=Q(sla_breached_at__isnull=False)),
            escalated=Count("pk", filter=Q(escalation_level__gt=0)),
        )
        .order_by()
    )
    departments = dict(
        Department.objects.filter(
            pk__in={row["owner_department_id"] for row in grouped} - {None}
        ).values_list("pk", "name")
    )
    units = dict(
        OrgUnit.objects.filter(pk__in={row["owner_unit_id"] for row in grouped}).values_list(
            "pk", "name"
        )
    )
    report = []
    for row in grouped:
        total = row["total"] or 0
        report.append(
            {
                "department_id": row["owner_department_id"],
                "department": f"{units.get(row['owner_unit_id'], '')} "
                f"{departments.get(row['owner_department_id'], '')}".strip(),
                "total": total,
                "open": row["open"],
                "overdue": row["overdue"],
                "breached": row["breached"],
                "escalated": row["escalated"],
                "breach_rate": round(row["breached"] / total, 4) if total else 0.0,
            }
        )
    report.sort(key=lambda item: (-item["breach_rate"], item["department"]))
    return report
