from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client

from rmdesk.audit.models import AuditEvent
from rmdesk.coordination import groups
from rmdesk.coordination.tests.conftest import Desk
from rmdesk.core.errors import DomainError
from rmdesk.customers.models import Customer
from rmdesk.org.models import Staff
from rmdesk.org.policy import customer_q


def visible(actor: Staff) -> set[int]:
    """The customers the policy lets ``actor`` see (working groups included)."""
    return set(Customer.objects.filter(customer_q(actor)).values_list("pk", flat=True))


def test_access_granted_while_open_and_withdrawn(desk: Desk) -> None:
    """RELIABILITY.md B4."""
    cast = desk.cast
    assert cast.company.pk not in visible(cast.far_manager)
    group = groups.working_group_create(
        actor=cast.manager,
        name="华信银团贷款",
        customer_id=cast.company.pk,
        member_ids=[cast.far_manager.pk, desk.credit_officer.pk],
    )
    assert cast.company.pk in visible(cast.far_manager)
    assert cast.company.pk in visible(desk.credit_officer)
    assert visible(cast.far_manager) - {cast.company.pk} == {cast.far.pk}  # nothing else
    granted = AuditEvent.objects.filter(action="coordination.working_group.access_granted")
    assert {e.data["staff"] for e in granted} == {
        cast.manager.pk,
        cast.far_manager.pk,
        desk.credit_officer.pk,
    }
    groups.working_group_member_remove(
        actor=cast.manager, group_id=group.pk, staff_id=cast.far_manager.pk
    )
    assert cast.company.pk not in visible(cast.far_manager)
    assert AuditEvent.objects.filter(
        action="coordination.working_group.access_withdrawn", data__staff=cast.far_manager.pk
    ).exists()
    groups.working_group_member_add(
        actor=cast.manager, group_id=group.pk, staff_id=cast.far_manager.pk
    )
    assert cast.company.pk in visible(cast.far_manager)
    groups.working_group_close(actor=cast.manager, group_id=group.pk)
    assert cast.company.pk not in visible(cast.far_manager)
    assert cast.company.pk not in visible(desk.credit_officer)
    assert (
        AuditEvent.objects.filter(action="coordination.working_group.access_withdrawn").count() == 4
    )  # far once on removal, then the three members on closing


def test_inactive_member_sees_nothing(desk: Desk) -> None:
    cast = desk.cast
    groups.working_group_create(
        actor=cast.manager, name="组", customer_id=cast.company.pk, member_ids=[cast.far_manager.pk]
    )
    cast.far_manager.is_active = False
    assert visible(cast.far_manager) == set()


def test_only_the_lead_manages_and_members_add_tasks(desk: Desk) -> None:
    cast = desk.cast
    group = groups.working_group_create(
        actor=cast.manager, name="组", customer_id=cast.company.pk, member_ids=[cast.far_manager.pk]
    )
    with pytest.raises(PermissionDenied):
        groups.working_group_member_add(
            actor=cast.far_manager, group_id=group.pk, staff_id=cast.a2_manager.pk
        )
    with pytest.raises(Http404):
        groups.working_group_get(actor=cast.a2_manager, group_id=group.pk)
    task = groups.working_group_task_add(
        actor=cast.far_manager, group_id=group.pk, title="出具额度方案", owner_id=cast.manager.pk
    )
    with pytest.raises(DomainError) as not_member:
        groups.working_group_task_add(
            actor=cast.manager, group_id=group.pk, title="x", owner_id=cast.a2_manager.pk
        )
    assert not_member.value.code == "invalid_owner"
    done = groups.working_group_task_done(actor=cast.manager, group_id=group.pk, task_id=task.pk)
    assert done.done_at is not None
    with pytest.raises(Http404):
        groups.working_group_create(
            actor=cast.manager, name="越权", customer_id=cast.far.pk, member_ids=[]
        )
    with pytest.raises(DomainError) as lead:
        groups.working_group_member_remove(
            actor=cast.manager, group_id=group.pk, staff_id=cast.manager.pk
        )
    assert lead.value.code == "lead_stays"


def test_groups_api(desk: Desk, client_for: Callable[[Staff], Client]) -> None:
    cast = desk.cast
    lead = client_for(cast.manager)
    response = lead.post(
        "/api/v1/working-groups",
        json.dumps(
            {"name": "银团", "customer_id": cast.company.pk, "member_ids": [cast.far_manager.pk]}
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    group_id = response.json()["id"]
    assert {m["staff_id"] for m in response.json()["members"]} == {
        cast.manager.pk,
        cast.far_manager.pk,
    }
    assert client_for(cast.far_manager).get(f"/api/v1/working-groups/{group_id}").status_code == 200
    assert client_for(cast.a2_manager).get(f"/api/v1/working-groups/{group_id}").status_code == 404
    removed = lead.delete(f"/api/v1/working-groups/{group_id}/members/{cast.far_manager.pk}")
    assert removed.status_code == 204
    assert client_for(cast.far_manager).get(f"/api/v1/working-groups/{group_id}").status_code == 404
    closed = lead.post(f"/api/v1/working-groups/{group_id}/close")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"


def test_a_working_group_opens_and_closes_the_customer_page(
    desk: Desk, client_for: Callable[[Staff], Client]
) -> None:
    """The sharing rule registered with org.policy, through the customer API."""
    cast = desk.cast
    far = client_for(cast.far_manager)
    url = f"/api/v1/customers/{cast.company.pk}"
    assert far.get(url).status_code == 404
    group = groups.working_group_create(
        actor=cast.manager,
        name="银团",
        customer_id=cast.company.pk,
        member_ids=[cast.far_manager.pk],
    )
    assert far.get(url).status_code == 200
    groups.working_group_close(actor=cast.manager, group_id=group.pk)
    assert far.get(url).status_code == 404
