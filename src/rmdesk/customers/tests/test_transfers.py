"""Customer transfers: requests, maker-checker approval, the assignment history.

The cast (see conftest): manager, other_manager, team_lead and subbranch_head in
sub-branch A1; a2_manager in A2; branch_head over A1 and A2; far_manager and
other_branch_head in branch B. ``own`` and ``company`` are manager's customers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404
from django.test import Client
from django.utils import timezone

from rmdesk.audit.models import AuditEvent
from rmdesk.conftest import Cast
from rmdesk.core.errors import ConflictError, DomainError
from rmdesk.customers import transfers
from rmdesk.customers.models import Customer, CustomerAssignment, TransferItem, TransferRequest
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.org.models import Staff
from rmdesk.org.roles import Role
from rmdesk.org.tests.factories import StaffFactory

ClientFor = Callable[[Staff], Client]

Lead = CustomerAssignment.Role.LEAD
Assisting = CustomerAssignment.Role.ASSISTING


def request_transfer(
    cast: Cast,
    *,
    actor: Staff | None = None,
    from_manager: Staff | None = None,
    to: Staff | None = None,
    customers: tuple[Customer, ...] | None = None,
    notes: dict[int, str] | None = None,
    **kwargs: Any,
) -> TransferRequest:
    customers = customers if customers is not None else (cast.own, cast.company)
    return transfers.transfer_request_create(
        actor=actor or cast.manager,
        from_manager_id=(from_manager or cast.manager).pk,
        to_manager_id=(to or cast.other_manager).pk,
        customer_ids=[c.pk for c in customers],
        notes=notes if notes is not None else {cast.own.pk: "喜欢电话联系，晚六点后"},
        reason="岗位调整",
        **kwargs,
    )


def audits(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def fresh(customer: Customer) -> Customer:
    return Customer.objects.get(pk=customer.pk)


def open_rows(customer: Customer) -> dict[str, int]:
    return dict(
        CustomerAssignment.objects.filter(customer=customer, ended_at__isnull=True).values_list(
            "role", "manager_id"
        )
    )


# --- Requesting ----------------------------------------------------------------------


def test_manager_requests_a_handover_of_their_own_customers(cast: Cast) -> None:
    transfer = request_transfer(cast)
    assert transfer.status == TransferRequest.Status.PENDING
    assert (transfer.requested_by, transfer.from_manager, transfer.to_manager) == (
        cast.manager,
        cast.manager,
        cast.other_manager,
    )
    notes = dict(TransferItem.objects.filter(request=transfer).values_list("customer_id", "note"))
    assert notes == {cast.own.pk: "喜欢电话联系，晚六点后", cast.company.pk: ""}
    # Nothing moves before approval.
    assert fresh(cast.own).primary_manager == cast.manager
    [event] = audits("customers.transfer.requested")
    assert event.target_id == str(transfer.pk)
    assert event.data["customers"] == 2
    assert event.actor == cast.manager


@pytest.mark.parametrize("who", ["team_lead", "subbranch_head", "branch_head"])
def test_a_head_of_the_manager_may_request(cast: Cast, who: str) -> None:
    transfer = request_transfer(cast, actor=cast.staff()[who])
    assert transfer.requested_by == cast.staff()[who]
    assert transfer.from_manager == cast.manager


def test_a_head_hands_over_a_leavers_customers(cast: Cast) -> None:
    cast.manager.is_active = False
    cast.manager.save()
    transfer = request_transfer(cast, actor=cast.subbranch_head)
    assert transfer.from_manager == cast.manager


@pytest.mark.parametrize("who", ["other_manager", "a2_manager", "analyst", "auditor", "admin"])
def test_others_may_not_request_a_managers_handover(cast: Cast, who: str) -> None:
    with pytest.raises(PermissionDenied):
        request_transfer(cast, actor=cast.staff()[who], to=cast.a2_manager)
    assert not TransferRequest.objects.exists()


def test_a_head_of_another_branch_gets_not_found(cast: Cast) -> None:
    with pytest.raises(Http404):
        request_transfer(cast, actor=cast.other_branch_head)


def test_out_of_scope_customers_are_not_found(cast: Cast) -> None:
    # other_manager's customer, and a customer of another branch: invisible to manager.
    """RELIABILITY.md B6."""
    for stranger in (cast.other, cast.far):
        with pytest.raises(Http404):
            request_transfer(cast, customers=(cast.own, stranger))
    with pytest.raises(Http404):
        transfers.transfer_request_create(
            actor=cast.manager,
            from_manager_id=cast.manager.pk,
            to_manager_id=cast.other_manager.pk,
            customer_ids=[cast.own.pk, 999_999_999, 2**70],
            notes={},
            reason="x",
        )
    assert not TransferRequest.objects.exists()


def test_customers_not_led_by_the_from_manager_are_refused(cast: Cast) -> None:
    # The sub-branch head sees `other` and `pool`, but manager does not lead them.
    with pytest.raises(DomainError) as refused:
        request_transfer(
            cast, actor=cast.subbranch_head, customers=(cast.own, cast.other, cast.pool)
        )
    assert refused.value.code == "not_led_by_from_manager"
    assert refused.value.details["customer_ids"] == sorted([cast.other.pk, cast.pool.pk])
    assert not TransferRequest.objects.exists()


def test_an_assisted_customer_is_not_the_assistants_to_hand_over(cast: Cast) -> None:
    assisted = CustomerFactory(
        home_unit=cast.sub_a1, primary_manager=cast.other_manager, assisting_manager=cast.manager
    )
    with pytest.raises(DomainError) as refused:
        request_transfer(cast, customers=(assisted,), to=cast.team_lead)
    assert refused.value.code == "not_led_by_from_manager"


def test_a_customer_in_a_pending_request_is_refused_until_it_is_decided(cast: Cast) -> None:
    first = request_transfer(cast, customers=(cast.own,))
    with pytest.raises(ConflictError) as refused:
        request_transfer(cast, customers=(cast.company, cast.own), to=cast.team_lead)
    assert refused.value.code == "already_pending"
    assert refused.value.status == 409
    assert refused.value.details == [
        {"customer_id": cast.own.pk, "customer_no": cast.own.customer_no, "request_id": first.pk}
    ]
    transfers.transfer_request_cancel(actor=cast.manager, request_id=first.pk)
    assert request_transfer(cast, customers=(cast.own,)).status == "pending"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"to": "manager"}, "same_manager"),
        ({"to": "ops_officer"}, "not_an_account_manager"),
        ({"to": "subbranch_head"}, "not_an_account_manager"),
        ({"to": "inactive"}, "not_an_account_manager"),
        ({"assisting": "other_manager"}, "assisting_is_lead"),
        ({"assisting": "ops_officer"}, "not_an_account_manager"),
        ({"customers": ()}, "no_customers"),
        ({"customers": "twice"}, "duplicate_customer"),
        ({"reason": "   "}, "reason_required"),
        ({"reason": "长" * 501}, "too_long"),
        ({"note": "长" * 501}, "too_long"),
    ],
)
def test_bad_requests_are_refused_with_a_stable_code(
    cast: Cast, change: dict[str, str], code: str
) -> None:
    inactive = StaffFactory(org_unit=cast.sub_a1)
    inactive.is_active = False
    inactive.save()
    people = {**cast.staff(), "inactive": inactive}
    ids = [cast.own.pk]
    if change.get("customers") == "twice":
        ids = [cast.own.pk, cast.own.pk]
    elif "customers" in change:
        ids = []
    with pytest.raises(DomainError) as refused:
        transfers.transfer_request_create(
            actor=cast.manager,
            from_manager_id=cast.manager.pk,
            to_manager_id=people[change.get("to", "other_manager")].pk,
            to_assisting_manager_id=(
                people[change["assisting"]].pk if "assisting" in change else None
            ),
            customer_ids=ids,
            notes={cast.own.pk: change.get("note", "")},
            reason=change.get("reason", "岗位调整"),
        )
    assert refused.value.code == code
    assert str(refused.value.message)
    assert not TransferRequest.objects.exists()


def test_a_request_is_bounded(cast: Cast) -> None:
    with pytest.raises(DomainError) as refused:
        transfers.transfer_request_create(
            actor=cast.manager,
            from_manager_id=cast.manager.pk,
            to_manager_id=cast.other_manager.pk,
            customer_ids=list(range(1, transfers.MAX_CUSTOMERS + 2)),
            notes={},
            reason="x",
        )
    assert refused.value.code == "too_many_customers"


def test_an_unknown_from_manager_is_refused(cast: Cast) -> None:
    with pytest.raises(DomainError) as refused:
        request_transfer(cast, actor=cast.subbranch_head, from_manager=Staff(pk=999_999))
    assert refused.value.code == "unknown_manager"


# --- Approving -----------------------------------------------------------------------


def test_the_sub_branch_head_approves_and_the_customers_move(cast: Cast) -> None:
    transfer = request_transfer(cast)
    before = {c.pk: fresh(c).version for c in (cast.own, cast.company)}
    old_lead_rows = list(
        CustomerAssignment.objects.filter(customer__in=[cast.own, cast.company], role=Lead)
    )

    approved = transfers.transfer_request_approve(
        actor=cast.subbranch_head, request_id=transfer.pk, note="同意"
    )

    assert approved.status == TransferRequest.Status.APPROVED
    assert (approved.decided_by, approved.decision_note) == (cast.subbranch_head, "同意")
    assert approved.decided_at is not None
    for customer in (cast.own, cast.company):
        moved = fresh(customer)
        assert moved.primary_manager == cast.other_manager
        assert moved.assisting_manager is None
        assert moved.version == before[customer.pk] + 1
        assert open_rows(customer) == {Lead: cast.other_manager.pk}
    for row in old_lead_rows:
        row.refresh_from_db()
        assert row.ended_at == approved.decided_at
        assert row.manager == cast.manager
    new_row = CustomerAssignment.objects.get(customer=cast.own, ended_at__isnull=True)
    assert (new_row.transfer, new_row.note) == (approved, "喜欢电话联系，晚六点后")
    [event] = audits("customers.transfer.approved")
    assert event.actor == cast.subbranch_head
    assert event.data["customers"] == 2
    assert event.data["assignments_opened"] == 2


def test_approval_names_a_new_assisting_manager(cast: Cast) -> None:
    assistant = StaffFactory(org_unit=cast.sub_a1)
    transfer = request_transfer(cast, to_assisting_manager_id=assistant.pk)
    transfers.transfer_request_approve(actor=cast.subbranch_head, request_id=transfer.pk)
    for customer in (cast.own, cast.company):
        moved = fresh(customer)
        assert (moved.primary_manager, moved.assisting_manager) == (cast.other_manager, assistant)
        assert open_rows(customer) == {Lead: cast.other_manager.pk, Assisting: assistant.pk}
    assert (
        AuditEvent.objects.get(action="customers.transfer.approved").data["assisting_changed"] == 2
    )


def test_the_old_manager_may_stay_on_as_assisting_manager(cast: Cast) -> None:
    transfer = request_transfer(
        cast, customers=(cast.own,), to_assisting_manager_id=cast.manager.pk
    )
    transfers.transfer_request_approve(actor=cast.subbranch_head, request_id=transfer.pk)
    moved = fresh(cast.own)
    assert (moved.primary_manager, moved.assisting_manager) == (cast.other_manager, cast.manager)


def test_without_a_new_assisting_manager_customers_keep_theirs_unless_it_is_the_new_lead(
    cast: Cast,
) -> None:
    assistant = StaffFactory(org_unit=cast.sub_a1)
    keeps = CustomerFactory(
        home_unit=cast.sub_a1, primary_manager=cast.manager, assisting_manager=assistant
    )
    promoted = CustomerFactory(
        home_unit=cast.sub_a1, primary_manager=cast.manager, assisting_manager=cast.other_manager
    )
    kept_row = CustomerAssignment.objects.get(customer=keeps, role=Assisting)
    transfer = request_transfer(cast, customers=(keeps, promoted), notes={})
    transfers.transfer_request_approve(actor=cast.subbranch_head, request_id=transfer.pk)

    assert (fresh(keeps).primary_manager, fresh(keeps).assisting_manager) == (
        cast.other_manager,
        assistant,
    )
    kept_row.refresh_from_db()
    assert kept_row.ended_at is None  # an unchanged role keeps its history row
    assert (fresh(promoted).primary_manager, fresh(promoted).assisting_manager) == (
        cast.other_manager,
        None,
    )
    assert open_rows(promoted) == {Lead: cast.other_manager.pk}
    assert CustomerAssignment.objects.get(customer=promoted, role=Assisting).ended_at is not None


@pytest.mark.parametrize("who", ["manager", "other_manager", "team_lead"])
def test_the_people_involved_and_team_leads_cannot_approve(cast: Cast, who: str) -> None:
    transfer = request_transfer(cast)
    with pytest.raises(PermissionDenied):
        transfers.transfer_request_approve(actor=cast.staff()[who], request_id=transfer.pk)
    with pytest.raises(PermissionDenied):
        transfers.transfer_request_reject(actor=cast.staff()[who], request_id=transfer.pk)
    assert fresh(cast.own).primary_manager == cast.manager


def test_a_head_never_approves_their_own_request(cast: Cast) -> None:
    transfer = request_transfer(cast, actor=cast.subbranch_head)
    with pytest.raises(PermissionDenied):
        transfers.transfer_request_approve(actor=cast.subbranch_head, request_id=transfer.pk)
    transfers.transfer_request_approve(actor=cast.branch_head, request_id=transfer.pk)
    assert fresh(cast.own).primary_manager == cast.other_manager


def test_a_head_who_receives_the_customers_cannot_approve(cast: Cast) -> None:
    playing_head = StaffFactory(
        org_unit=cast.sub_a1, roles=[Role.SUBBRANCH_HEAD, Role.ACCOUNT_MANAGER]
    )
    transfer = request_transfer(cast, to=playing_head)
    with pytest.raises(PermissionDenied):
        transfers.transfer_request_approve(actor=playing_head, request_id=transfer.pk)


@pytest.mark.parametrize("who", ["a2_manager", "far_manager", "other_branch_head", "admin"])
def test_strangers_get_not_found_on_decisions(cast: Cast, who: str) -> None:
    transfer = request_transfer(cast)
    for service in (
        transfers.transfer_request_approve,
        transfers.transfer_request_reject,
        transfers.transfer_request_cancel,
    ):
        with pytest.raises(Http404):
            service(actor=cast.staff()[who], request_id=transfer.pk)


def test_a_move_across_sub_branches_needs_the_branch_head(cast: Cast) -> None:
    transfer = request_transfer(cast, to=cast.a2_manager)
    with pytest.raises(PermissionDenied):
        transfers.transfer_request_approve(actor=cast.subbranch_head, request_id=transfer.pk)
    transfers.transfer_request_approve(actor=cast.branch_head, request_id=transfer.pk)
    assert fresh(cast.own).primary_manager == cast.a2_manager


def test_a_move_across_branches_needs_a_head_above_both(cast: Cast) -> None:
    transfer = request_transfer(cast, to=cast.far_manager)
    # Each branch head sees the request (it concerns their branch) but holds only half.
    for head in (cast.branch_head, cast.other_branch_head):
        with pytest.raises(PermissionDenied):
            transfers.transfer_request_approve(actor=head, request_id=transfer.pk)
    head_office_head = StaffFactory(org_unit=cast.head_office, roles=[Role.BRANCH_HEAD])
    transfers.transfer_request_approve(actor=head_office_head, request_id=transfer.pk)
    assert fresh(cast.own).primary_manager == cast.far_manager


def test_the_new_assisting_managers_unit_must_be_in_the_deciders_subtree(cast: Cast) -> None:
    transfer = request_transfer(cast, to_assisting_manager_id=cast.a2_manager.pk)
    with pytest.raises(PermissionDenied):
        transfers.transfer_request_approve(actor=cast.subbranch_head, request_id=transfer.pk)
    transfers.transfer_request_approve(actor=cast.branch_head, request_id=transfer.pk)


@pytest.mark.parametrize("first", ["approve", "reject", "cancel"])
def test_a_decided_request_cannot_be_decided_again(cast: Cast, first: str) -> None:
    transfer = request_transfer(cast)
    if first == "cancel":
        transfers.transfer_request_cancel(actor=cast.manager, request_id=transfer.pk)
    else:
        decide = getattr(transfers, f"transfer_request_{first}")
        decide(actor=cast.subbranch_head, request_id=transfer.pk)
    for service in (transfers.transfer_request_approve, transfers.transfer_request_reject):
        with pytest.raises(ConflictError) as refused:
            service(actor=cast.branch_head, request_id=transfer.pk)
        assert refused.value.code == "not_pending"
    with pytest.raises(ConflictError):
        transfers.transfer_request_cancel(actor=cast.manager, request_id=transfer.pk)


def test_approval_refuses_customers_that_changed_hands_meanwhile(cast: Cast) -> None:
    transfer = request_transfer(cast)
    Customer.objects.filter(pk=cast.company.pk).update(primary_manager=cast.team_lead)
    with pytest.raises(ConflictError) as refused:
        transfers.transfer_request_approve(actor=cast.subbranch_head, request_id=transfer.pk)
    assert refused.value.code == "customers_changed"
    assert refused.value.details["customer_ids"] == [cast.company.pk]
    # All or nothing: the other customer did not move either.
    assert fresh(cast.own).primary_manager == cast.manager
    assert TransferRequest.objects.get(pk=transfer.pk).status == "pending"
    assert not audits("customers.transfer.approved")


def test_approval_refuses_a_new_manager_who_left_meanwhile(cast: Cast) -> None:
    transfer = request_transfer(cast)
    cast.other_manager.is_active = False
    cast.other_manager.save()
    with pytest.raises(DomainError) as refused:
        transfers.transfer_request_approve(actor=cast.subbranch_head, request_id=transfer.pk)
    assert refused.value.code == "not_an_account_manager"


def test_rejection_moves_nothing_and_is_audited(cast: Cast) -> None:
    transfer = request_transfer(cast)
    rejected = transfers.transfer_request_reject(
        actor=cast.subbranch_head, request_id=transfer.pk, note="客户不同意"
    )
    assert (rejected.status, rejected.decided_by, rejected.decision_note) == (
        "rejected",
        cast.subbranch_head,
        "客户不同意",
    )
    assert fresh(cast.own).primary_manager == cast.manager
    assert open_rows(cast.own) == {Lead: cast.manager.pk}
    assert len(audits("customers.transfer.rejected")) == 1


def test_only_the_requester_cancels(cast: Cast) -> None:
    transfer = request_transfer(cast, actor=cast.team_lead)
    for who in ("manager", "subbranch_head"):
        with pytest.raises(PermissionDenied):
            transfers.transfer_request_cancel(actor=cast.staff()[who], request_id=transfer.pk)
    cancelled = transfers.transfer_request_cancel(actor=cast.team_lead, request_id=transfer.pk)
    assert cancelled.status == "cancelled"
    assert len(audits("customers.transfer.cancelled")) == 1


def test_approving_a_large_request_takes_a_fixed_number_of_queries(
    cast: Cast, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    many = tuple(
        CustomerFactory(home_unit=cast.sub_a1, primary_manager=cast.manager) for _ in range(40)
    )
    transfer = request_transfer(cast, customers=many, notes={})
    with django_assert_max_num_queries(20):
        transfers.transfer_request_approve(actor=cast.subbranch_head, request_id=transfer.pk)
    assert Customer.objects.filter(primary_manager=cast.other_manager).count() == 41


# --- Reading -------------------------------------------------------------------------

# Who sees a request from manager to other_manager (both in A1), made by manager.
SEES_A1_REQUEST = {
    "manager": True,
    "other_manager": True,
    "team_lead": True,  # manager reports to them
    "subbranch_head": True,
    "branch_head": True,
    "analyst": True,
    "auditor": True,
    "a2_manager": False,
    "far_manager": False,
    "other_branch_head": False,
    "admin": False,
    "ops_officer": False,
}


@pytest.mark.parametrize("who", sorted(SEES_A1_REQUEST))
def test_who_sees_a_request(cast: Cast, who: str) -> None:
    transfer = request_transfer(cast)
    actor = cast.staff()[who]
    listed = [r.pk for r in transfers.transfer_list(actor=actor)]
    assert listed == ([transfer.pk] if SEES_A1_REQUEST[who] else [])
    if SEES_A1_REQUEST[who]:
        assert transfers.transfer_get(actor=actor, request_id=transfer.pk) == transfer
    else:
        with pytest.raises(Http404):
            transfers.transfer_get(actor=actor, request_id=transfer.pk)


def test_the_new_assisting_manager_and_the_receiving_heads_see_the_request(cast: Cast) -> None:
    transfer = request_transfer(
        cast, to=cast.a2_manager, to_assisting_manager_id=cast.far_manager.pk
    )
    for actor in (cast.a2_manager, cast.far_manager, cast.branch_head):
        assert [r.pk for r in transfers.transfer_list(actor=actor)] == [transfer.pk]


def test_the_list_shows_pending_first_and_filters_by_status(cast: Cast) -> None:
    decided = request_transfer(cast, customers=(cast.own,))
    transfers.transfer_request_reject(actor=cast.subbranch_head, request_id=decided.pk)
    pending = request_transfer(cast, customers=(cast.company,))
    later = request_transfer(
        cast,
        actor=cast.other_manager,
        from_manager=cast.other_manager,
        to=cast.manager,
        customers=(cast.other,),
        notes={},
    )
    listed = [r.pk for r in transfers.transfer_list(actor=cast.subbranch_head)]
    assert listed == [later.pk, pending.pk, decided.pk]
    rejected = transfers.transfer_list(actor=cast.subbranch_head, status="rejected")
    assert [r.pk for r in rejected] == [decided.pk]
    page = transfers.transfer_page(actor=cast.subbranch_head, limit=2)
    assert page.has_more
    assert [(row.item_count, row.can_decide) for row in page.rows] == [(1, True), (1, True)]
    assert [row.can_decide for row in transfers.transfer_page(actor=cast.manager).rows] == [
        False,
        False,
        False,
    ]


def test_the_detail_masks_names_and_says_what_the_viewer_may_do(cast: Cast) -> None:
    transfer = request_transfer(cast)
    view = transfers.transfer_detail(actor=cast.subbranch_head, request_id=transfer.pk)
    names = {line.customer_no: line.display_name for line in view.lines}
    assert names == {
        cast.own.customer_no: "王*明",
        cast.company.customer_no: "北京华信科技有限公司",
    }
    assert (view.can_decide, view.can_cancel) == (True, False)
    mine = transfers.transfer_detail(actor=cast.manager, request_id=transfer.pk)
    assert (mine.can_decide, mine.can_cancel) == (False, True)
    # The requester sees masked names too: the request is not the 360 view.
    assert {line.display_name for line in mine.lines} == {"王*明", "北京华信科技有限公司"}


def test_assignment_history_is_newest_first_and_scoped(cast: Cast) -> None:
    transfer = request_transfer(cast)
    transfers.transfer_request_approve(actor=cast.subbranch_head, request_id=transfer.pk)
    rows = transfers.assignment_history(actor=cast.other_manager, customer_id=cast.own.pk)
    assert [(r.manager, r.role, r.ended_at is None) for r in rows] == [
        (cast.other_manager, Lead, True),
        (cast.manager, Lead, False),
    ]
    assert rows[0].transfer == transfer
    with pytest.raises(Http404):
        transfers.assignment_history(actor=cast.manager, customer_id=cast.own.pk)


def test_assignment_open_opens_one_row_per_role(cast: Cast) -> None:
    customer = CustomerFactory(home_unit=cast.sub_a1)
    now = timezone.now()
    row = transfers.assignment_open(customer=customer, manager=cast.manager, role=Lead, at=now)
    assert (row.started_at, row.ended_at, row.transfer) == (now, None, None)
    with pytest.raises(IntegrityError):
        transfers.assignment_open(customer=customer, manager=cast.other_manager, role=Lead, at=now)


# --- API -----------------------------------------------------------------------------


def api_body(cast: Cast, *customers: Customer, **extra: Any) -> dict[str, Any]:
    return {
        "from_manager_id": cast.manager.pk,
        "to_manager_id": cast.other_manager.pk,
        "reason": "岗位调整",
        "items": [{"customer_id": c.pk, "note": "按时回访"} for c in customers],
        **extra,
    }


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


def test_api_create_answers_201_and_masks_nothing_it_does_not_show(
    cast: Cast, client_for: ClientFor
) -> None:
    response = post(client_for(cast.manager), "/api/v1/transfers", api_body(cast, cast.own))
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert body["from_manager"]["id"] == cast.manager.pk
    assert body["to_assisting_manager"] is None
    assert TransferItem.objects.get(request_id=body["id"]).note == "按时回访"


@pytest.mark.parametrize(
    ("who", "customer", "status", "code"),
    [
        ("manager", "other", 404, "not_found"),
        ("manager", "far", 404, "not_found"),
        ("subbranch_head", "other", 400, "not_led_by_from_manager"),
        ("other_manager", "own", 403, "permission_denied"),
    ],
)
def test_api_create_refusals(
    cast: Cast, client_for: ClientFor, who: str, customer: str, status: int, code: str
) -> None:
    response = post(
        client_for(cast.staff()[who]),
        "/api/v1/transfers",
        api_body(cast, cast.customers()[customer], to_manager_id=cast.team_lead.pk),
    )
    assert response.status_code == status
    assert response.json()["code"] == code


def test_api_create_validation_and_conflicts(cast: Cast, client_for: ClientFor) -> None:
    client = client_for(cast.manager)
    empty = post(client, "/api/v1/transfers", api_body(cast))
    assert (empty.status_code, empty.json()["code"]) == (422, "validation_error")
    assert post(client, "/api/v1/transfers", api_body(cast, cast.own)).status_code == 201
    again = post(client, "/api/v1/transfers", api_body(cast, cast.own))
    assert (again.status_code, again.json()["code"]) == (409, "already_pending")
    same = post(
        client, "/api/v1/transfers", api_body(cast, cast.company, to_manager_id=cast.manager.pk)
    )
    assert (same.status_code, same.json()["code"]) == (400, "same_manager")


def test_api_approval_moves_the_customer_between_managers(
    cast: Cast, client_for: ClientFor
) -> None:
    old, new = client_for(cast.manager), client_for(cast.other_manager)
    created = post(old, "/api/v1/transfers", api_body(cast, cast.own)).json()
    assert old.get(f"/api/v1/customers/{cast.own.pk}").status_code == 200
    assert new.get(f"/api/v1/customers/{cast.own.pk}").status_code == 404

    # No body at all: the note is optional.
    refused = old.post(f"/api/v1/transfers/{created['id']}/approve", "", "application/json")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    head = client_for(cast.subbranch_head)
    approved = post(head, f"/api/v1/transfers/{created['id']}/approve", {"note": "同意"})
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["decided_by"]["id"]) == (
        "approved",
        cast.subbranch_head.pk,
    )
    again = post(head, f"/api/v1/transfers/{created['id']}/approve")
    assert (again.status_code, again.json()["code"]) == (409, "not_pending")

    assert old.get(f"/api/v1/customers/{cast.own.pk}").status_code == 404
    assert new.get(f"/api/v1/customers/{cast.own.pk}").status_code == 200
    history = new.get(f"/api/v1/transfers/history/{cast.own.pk}")
    assert history.status_code == 200
    assert [(row["manager"]["id"], row["ended_at"] is None) for row in history.json()] == [
        (cast.other_manager.pk, True),
        (cast.manager.pk, False),
    ]
    assert history.json()[0]["transfer_id"] == created["id"]
    assert old.get(f"/api/v1/transfers/history/{cast.own.pk}").status_code == 404


def test_api_the_assisting_manager_sees_the_customer(cast: Cast, client_for: ClientFor) -> None:
    assistant = StaffFactory(org_unit=cast.sub_a1)
    client = client_for(assistant)
    assert client.get(f"/api/v1/customers/{cast.own.pk}").status_code == 404
    created = post(
        client_for(cast.manager),
        "/api/v1/transfers",
        api_body(cast, cast.own, to_assisting_manager_id=assistant.pk),
    ).json()
    post(client_for(cast.subbranch_head), f"/api/v1/transfers/{created['id']}/approve")
    assert client.get(f"/api/v1/customers/{cast.own.pk}").status_code == 200


def test_api_cross_sub_branch_approval(cast: Cast, client_for: ClientFor) -> None:
    created = post(
        client_for(cast.manager),
        "/api/v1/transfers",
        api_body(cast, cast.own, to_manager_id=cast.a2_manager.pk),
    ).json()
    url = f"/api/v1/transfers/{created['id']}/approve"
    assert post(client_for(cast.subbranch_head), url).status_code == 403
    assert post(client_for(cast.branch_head), url).status_code == 200


def test_api_reject_and_cancel(cast: Cast, client_for: ClientFor) -> None:
    manager = client_for(cast.manager)
    first = post(manager, "/api/v1/transfers", api_body(cast, cast.own)).json()
    second = post(manager, "/api/v1/transfers", api_body(cast, cast.company)).json()
    rejected = post(client_for(cast.subbranch_head), f"/api/v1/transfers/{first['id']}/reject")
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    not_mine = post(client_for(cast.subbranch_head), f"/api/v1/transfers/{second['id']}/cancel")
    assert not_mine.status_code == 403
    cancelled = post(manager, f"/api/v1/transfers/{second['id']}/cancel")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    stranger = post(client_for(cast.far_manager), f"/api/v1/transfers/{second['id']}/cancel")
    assert (stranger.status_code, stranger.json()["code"]) == (404, "not_found")


def test_api_detail_masks_personal_names(cast: Cast, client_for: ClientFor) -> None:
    created = post(
        client_for(cast.manager), "/api/v1/transfers", api_body(cast, cast.own, cast.company)
    ).json()
    for who in (cast.manager, cast.other_manager, cast.subbranch_head, cast.analyst):
        response = client_for(who).get(f"/api/v1/transfers/{created['id']}")
        assert response.status_code == 200
        body = response.content.decode()
        assert "王小明" not in body
        names = {item["display_name"] for item in response.json()["items"]}
        assert names == {"王*明", "北京华信科技有限公司"}
    head = client_for(cast.subbranch_head).get(f"/api/v1/transfers/{created['id']}").json()
    assert (head["can_decide"], head["can_cancel"]) == (True, False)
    assert client_for(cast.far_manager).get(f"/api/v1/transfers/{created['id']}").status_code == 404
    assert client_for(cast.manager).get("/api/v1/transfers/999999999").status_code == 404


def test_api_list_filters_and_keeps_a_fixed_query_count(
    cast: Cast, client_for: ClientFor, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    for _ in range(12):
        customer = CustomerFactory(home_unit=cast.sub_a1, primary_manager=cast.manager)
        request_transfer(cast, customers=(customer,), notes={})
    client = client_for(cast.subbranch_head)
    client.get("/api/v1/transfers?limit=1")
    with django_assert_max_num_queries(7):
        small = client.get("/api/v1/transfers?limit=1")
    with django_assert_max_num_queries(7):
        large = client.get("/api/v1/transfers?limit=12")
    assert small.status_code == large.status_code == 200
    assert len(large.json()["items"]) == 12
    assert all(item["can_decide"] and item["item_count"] == 1 for item in large.json()["items"])
    assert client.get("/api/v1/transfers?status=approved").json()["items"] == []
    bad = client.get("/api/v1/transfers?status=maybe")
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    assert client_for(cast.far_manager).get("/api/v1/transfers").json()["items"] == []


def test_api_needs_authentication(cast: Cast) -> None:
    assert Client().get("/api/v1/transfers").status_code == 401


# --- Pages ---------------------------------------------------------------------------


def test_pages_require_sign_in(cast: Cast) -> None:
    for url in (
        "/transfers/",
        "/transfers/new/",
        "/transfers/1/",
        f"/transfers/history/{cast.own.pk}/",
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_list_page_offers_decisions_to_heads_only(
    cast: Cast, browser_for: Callable[[Staff], Client]
) -> None:
    transfer = request_transfer(cast)
    approve = f"/transfers/{transfer.pk}/approve/"
    head_page = browser_for(cast.subbranch_head).get("/transfers/")
    assert head_page.status_code == 200
    assert approve in head_page.content.decode()
    mine = browser_for(cast.manager).get("/transfers/").content.decode()
    assert approve not in mine
    assert f"/transfers/{transfer.pk}/cancel/" in mine
    assert (
        f"/transfers/{transfer.pk}/"
        not in browser_for(cast.far_manager).get("/transfers/").content.decode()
    )
    assert (
        browser_for(cast.manager).get("/transfers/", {"status": "bogus", "offset": "x"}).status_code
        == 200
    )


def test_create_page_sends_a_request(cast: Cast, browser_for: Callable[[Staff], Client]) -> None:
    browser = browser_for(cast.manager)
    form = browser.get("/transfers/new/")
    assert form.status_code == 200
    assert "csrfmiddlewaretoken" in form.content.decode()
    response = browser.post(
        "/transfers/new/",
        {
            "from_manager": cast.manager.pk,
            "to_manager": cast.other_manager.pk,
            "to_assisting_manager": "",
            "reason": "岗位调整",
            "customers": f"{cast.own.customer_no} 喜欢电话联系\n\n{cast.company.customer_no}\n",
        },
    )
    transfer = TransferRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/transfers/{transfer.pk}/"
    notes = dict(TransferItem.objects.filter(request=transfer).values_list("customer_id", "note"))
    assert notes == {cast.own.pk: "喜欢电话联系", cast.company.pk: ""}


def test_create_page_explains_refusals(cast: Cast, browser_for: Callable[[Staff], Client]) -> None:
    browser = browser_for(cast.manager)
    data = {
        "from_manager": cast.manager.pk,
        "to_manager": cast.other_manager.pk,
        "reason": "岗位调整",
        "customers": f"{cast.own.customer_no}\n{cast.far.customer_no}",
    }
    unknown = browser.post("/transfers/new/", data)
    assert unknown.status_code == 400
    assert cast.far.customer_no in unknown.content.decode()
    request_transfer(cast, customers=(cast.own,))
    pending = browser.post("/transfers/new/", {**data, "customers": cast.own.customer_no})
    assert pending.status_code == 400
    assert cast.own.customer_no in pending.content.decode()
    assert TransferRequest.objects.count() == 1


def test_detail_page_and_decision(cast: Cast, browser_for: Callable[[Staff], Client]) -> None:
    transfer = request_transfer(cast)
    head = browser_for(cast.subbranch_head)
    page = head.get(f"/transfers/{transfer.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "王*明" in text
    assert "王小明" not in text
    assert f"/transfers/{transfer.pk}/approve/" in text
    assert browser_for(cast.far_manager).get(f"/transfers/{transfer.pk}/").status_code == 404

    refused = browser_for(cast.manager).post(f"/transfers/{transfer.pk}/approve/")
    assert refused.status_code == 403
    done = head.post(f"/transfers/{transfer.pk}/approve/", {"note": "同意"}, follow=True)
    assert done.status_code == 200
    assert fresh(cast.own).primary_manager == cast.other_manager
    again = head.post(f"/transfers/{transfer.pk}/reject/", {"back": "list"})
    assert (again.status_code, again["Location"]) == (302, "/transfers/")
    assert TransferRequest.objects.get(pk=transfer.pk).status == "approved"
    assert head.get(f"/transfers/{transfer.pk}/approve/").status_code == 405


def test_cancel_from_the_page(cast: Cast, browser_for: Callable[[Staff], Client]) -> None:
    transfer = request_transfer(cast)
    response = browser_for(cast.manager).post(f"/transfers/{transfer.pk}/cancel/")
    assert response.status_code == 302
    assert TransferRequest.objects.get(pk=transfer.pk).status == "cancelled"


def test_history_page(cast: Cast, browser_for: Callable[[Staff], Client]) -> None:
    page = browser_for(cast.manager).get(f"/transfers/history/{cast.own.pk}/")
    assert page.status_code == 200
    assert cast.own.customer_no in page.content.decode()
    assert "王小明" not in page.content.decode()
    assert browser_for(cast.manager).get(f"/transfers/history/{cast.far.pk}/").status_code == 404


# --- Races (PostgreSQL: real row locks between connections) --------------------------


def _race(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` at once on their own connections; return each result or exception."""
    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # the test inspects it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs concurrent connections with row locks",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_apply_once(cast: Cast) -> None:
    transfer = request_transfer(cast)
    version = fresh(cast.own).version
    results = _race(
        lambda: transfers.transfer_request_approve(
            actor=cast.subbranch_head, request_id=transfer.pk
        ),
        lambda: transfers.transfer_request_approve(actor=cast.branch_head, request_id=transfer.pk),
        lambda: transfers.transfer_request_cancel(actor=cast.manager, request_id=transfer.pk),
    )
    winners = [r for r in results if isinstance(r, TransferRequest)]
    losers = [r for r in results if not isinstance(r, TransferRequest)]
    assert len(winners) == 1, results
    assert all(isinstance(r, ConflictError) and r.code == "not_pending" for r in losers), results
    moved = fresh(cast.own)
    if winners[0].status == "approved":
        assert moved.version == version + 1
        assert CustomerAssignment.objects.filter(customer=cast.own, role=Lead).count() == 2
    else:
        assert moved.version == version


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs concurrent connections with row locks",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_one_customer_make_one_request(cast: Cast) -> None:
    results = _race(
        lambda: request_transfer(cast, customers=(cast.own,)),
        lambda: request_transfer(cast, customers=(cast.own, cast.company), to=cast.team_lead),
    )
    assert TransferRequest.objects.count() == 1, results
    assert sum(isinstance(r, ConflictError) and r.code == "already_pending" for r in results) == 1
