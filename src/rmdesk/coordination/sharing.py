"""Customer access shared through working groups, for ``org.policy.customer_q``.

Kept apart from ``access`` (which imports the policy) so the policy can import it
without a cycle: it depends on the coordination models only.
"""

from __future__ import annotations

from django.db.models import Q

from rmdesk.coordination.models import WorkingGroup, WorkingGroupMember
from rmdesk.core.db import InSubquery
from rmdesk.org.models import Staff


def working_group_customer_ids_q(actor: Staff, *, prefix: str = "") -> Q:
    """The customers ``actor`` may see through the open working groups they belong to.

    Meant to be OR-ed into ``org.policy.customer_q``: ``customer_q(actor, prefix=p) |
    working_group_customer_ids_q(actor, prefix=p)``. Membership ends (and the access
    with it) when the member is removed or the group closes; inactive staff get nothing.
    """
    if not actor.is_active:
        return Q(pk__in=[])
    customers = WorkingGroupMember.objects.filter(
        staff=actor,
        removed_at__isnull=True,
        group__status=WorkingGroup.Status.OPEN,
        group__customer__isnull=False,
    ).values("group__customer_id")
    return Q(InSubquery(f"{prefix}pk", customers))
