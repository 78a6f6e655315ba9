"""Special working groups (deal teams): members across departments and branches, a
lead, tasks — and, while the group is open, access to its customer for its members.

Every grant and withdrawal of that access is written to the audit log
(``coordination.working_group.access_granted`` / ``access_withdrawn``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.coordination.access import working_group_q
from rmdesk.coordination.models import WorkingGroup, WorkingGroupMember, WorkingGroupTask
from rmdesk.core.errors import DomainError
from rmdesk.customers.models import Customer
from rmdesk.notify.services import notify
from rmdesk.org.models import Staff
from rmdesk.org.policy import can_modify_customers, customer_q


def _grant(actor: Staff, group: WorkingGroup, staff_ids: Iterable[int], granted: bool) -> None:
    if group.customer_id is None:
        return
    for staff_id in sorted(set(staff_ids)):
        audit_record(
            actor=actor,
            action="coordination.working_group."
            + ("access_granted" if granted else "access_withdrawn"),
            target=group,
            data={"staff": staff_id, "customer": group.customer_id},
        )


def _staff(ids: Iterable[int]) -> list[Staff]:
    wanted = sorted(set(ids))
    found = list(Staff.objects.filter(pk__in=wanted, is_active=True))
    if len(found) != len(wanted):
        raise DomainError(
            _("Some members are not active staff."),
            code="invalid_member",
            details={"field": "member_ids", "reason": _("Unknown or inactive staff.")},
        )
    return found


def _lock(actor: Staff, group_id: int, *, lead_only: bool = True) -> WorkingGroup:
    if not WorkingGroup.objects.filter(working_group_q(actor), pk=group_id).exists():
        raise Http404
    group = WorkingGroup.objects.select_for_update().get(pk=group_id)
    if lead_only and group.lead_id != actor.pk:
        raise PermissionDenied
    if group.status != WorkingGroup.Status.OPEN:
        raise DomainError(_("The working group is closed."), code="group_closed")
    return group


@transaction.atomic
def working_group_create(
    *,
    actor: Staff,
    name: str,
    customer_id: int | None = None,
    deal_ref: str = "",
    purpose: str = "",
    member_ids: Iterable[int] = (),
) -> WorkingGroup:
    """Form a group led by ``actor``, who must be able to see and serve its customer.

    Members (and the lead) may see the customer until they leave or the group closes.
    """
    if not can_modify_customers(actor):
        raise PermissionDenied
    name = (name or "").strip()[:200]
    if not name:
        raise DomainError(
            _("Give the group a name."),
            code="invalid_name",
            details={"field": "name", "reason": _("This field is required.")},
        )
    customer = None
    if customer_id is not None:
        customer = Customer.objects.filter(customer_q(actor), pk=customer_id).first()
        if customer is None:
            raise Http404
    if customer is None and not deal_ref.strip():
        raise DomainError(
            _("Name the customer or the deal."),
            code="customer_or_deal",
            details={"field": "customer_id", "reason": _("A customer or a deal is required.")},
        )
    members = _staff([*member_ids, actor.pk])
    group = WorkingGroup.objects.create(
        name=name,
        customer=customer,
        deal_ref=deal_ref.strip()[:200],
        purpose=purpose.strip(),
        lead=actor,
    )
    WorkingGroupMember.objects.bulk_create(
        [
            WorkingGroupMember(
                group=group, staff=member, role=_("Lead") if member.pk == actor.pk else ""
            )
            for member in members
        ]
    )
    audit_record(
        actor=actor,
        action="coordination.working_group.created",
        target=group,
        data={"customer": group.customer_id, "members": sorted(m.pk for m in members)},
    )
    _grant(actor, group, [m.pk for m in members], granted=True)
    notify(
        [m.pk for m in members if m.pk != actor.pk],
        kind="coordination.working_group",
        title=_("You joined the working group %(name)s") % {"name": name},
        url=f"/coordination/groups/{group.pk}/",
        target=group,
    )
    return group


@transaction.atomic
def working_group_member_add(
    *, actor: Staff, group_id: int, staff_id: int, role: str = ""
) -> WorkingGroupMember:
    group = _lock(actor, group_id)
    (member,) = _staff([staff_id])
    if WorkingGroupMember.objects.filter(
        group=group, staff=member, removed_at__isnull=True
    ).exists():
        raise DomainError(_("Already a member."), code="already_member")
    membership = WorkingGroupMember.objects.create(group=group, staff=member, role=role[:100])
    audit_record(
        actor=actor,
        action="coordination.working_group.member_added",
        target=group,
        data={"staff": member.pk},
    )
    _grant(actor, group, [member.pk], granted=True)
    notify(
        [member.pk],
        kind="coordination.working_group",
        title=_("You joined the working group %(name)s") % {"name": group.name},
        url=f"/coordination/groups/{group.pk}/",
        target=group,
    )
    return membership


@transaction.atomic
def working_group_member_remove(*, actor: Staff, group_id: int, staff_id: int) -> None:
    """Take a member out; their access to the group's customer ends now."""
    group = _lock(actor, group_id)
    if staff_id == group.lead_id:
        raise DomainError(_("The lead cannot leave the group; close it."), code="lead_stays")
    removed = WorkingGroupMember.objects.filter(
        group=group, staff_id=staff_id, removed_at__isnull=True
    ).update(removed_at=timezone.now())
    if not removed:
        raise DomainError(_("Not a member."), code="not_member")
    audit_record(
        actor=actor,
        action="coordination.working_group.member_removed",
        target=group,
        data={"staff": staff_id},
    )
    _grant(actor, group, [staff_id], granted=False)


@transaction.atomic
def working_group_close(*, actor: Staff, group_id: int) -> WorkingGroup:
    """Close the group; every member's access to its customer ends with it."""
    group = _lock(actor, group_id)
    members = list(
        WorkingGroupMember.objects.filter(group=group, removed_at__isnull=True).values_list(
            "staff_id", flat=True
        )
    )
    group.status = WorkingGroup.Status.CLOSED
    group.closed_at = timezone.now()
    group.save(update_fields=["status", "closed_at", "updated_at"])
    audit_record(actor=actor, action="coordination.working_group.closed", target=group)
    _grant(actor, group, members, granted=False)
    return group


@transaction.atomic
def working_group_task_add(
    *, actor: Staff, group_id: int, title: str, owner_id: int, due_on: dt.date | None = None
) -> WorkingGroupTask:
    group = _lock(actor, group_id, lead_only=False)
    if not WorkingGroupMember.objects.filter(
        group=group, staff_id=actor.pk, removed_at__isnull=True
    ).exists():
        raise PermissionDenied
    if not WorkingGroupMember.objects.filter(
        group=group, staff_id=owner_id, removed_at__isnull=True
    ).exists():
        raise DomainError(
            _("A task's owner is a member of the group."),
            code="invalid_owner",
            details={"field": "owner_id", "reason": _("Not a member of the group.")},
        )
    title = (title or "").strip()[:200]
    if not title:
        raise DomainError(
            _("Describe the task."),
            code="invalid_title",
            details={"field": "title", "reason": _("This field is required.")},
        )
    task = WorkingGroupTask.objects.create(
        group=group, title=title, owner_id=owner_id, due_on=due_on
    )
    audit_record(
        actor=actor,
        action="coordination.working_group.task_added",
        target=group,
        data={"task": task.pk, "owner": owner_id},
    )
    if owner_id != actor.pk:
        notify(
            [owner_id],
            kind="coordination.working_group",
            title=_("New task: %(title)s") % {"title": title},
            url=f"/coordination/groups/{group.pk}/",
            target=group,
        )
    return task


@transaction.atomic
def working_group_task_done(*, actor: Staff, group_id: int, task_id: int) -> WorkingGroupTask:
    group = _lock(actor, group_id, lead_only=False)
    task = WorkingGroupTask.objects.select_for_update().filter(pk=task_id, group=group).first()
    if task is None:
        raise Http404
    if actor.pk not in (task.owner_id, group.lead_id):
        raise PermissionDenied
    if task.done_at is None:
        task.done_at = timezone.now()
        task.save(update_fields=["done_at", "updated_at"])
        audit_record(
            actor=actor,
            action="coordination.working_group.task_done",
            target=group,
            data={"task": task.pk},
        )
    return task


def working_groups_visible_to(actor: Staff) -> QuerySet[WorkingGroup]:
    return WorkingGroup.objects.filter(working_group_q(actor))


def working_group_list(*, actor: Staff, limit: int = 100) -> list[WorkingGroup]:
    return list(
        working_groups_visible_to(actor)
        .select_related("lead", "customer")
        .order_by("status", "-id")[:limit]
    )


def working_group_get(*, actor: Staff, group_id: int) -> WorkingGroup:
    group = (
        working_groups_visible_to(actor)
        .select_related("lead", "customer")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=WorkingGroupMember.objects.filter(removed_at__isnull=True)
                .select_related("staff__department", "staff__org_unit")
                .order_by("id"),
                to_attr="live_members",
            ),
            Prefetch(
                "tasks",
                queryset=WorkingGroupTask.objects.select_related("owner"),
                to_attr="task_list",
            ),
        )
        .filter(pk=group_id)
        .first()
    )
    if group is None:
        raise Http404
    return group
