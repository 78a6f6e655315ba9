from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from rmdesk.audit.models import AuditEvent
from rmdesk.coordination import services
from rmdesk.coordination.models import Step, TimelineEvent, WorkOrder
from rmdesk.coordination.tests.conftest import Desk
from rmdesk.core.errors import ConflictError, DomainError
from rmdesk.notify.models import Notification

PRICING = {
    "product": "流动资金贷款",
    "standard_rate": "3.45",
    "requested_rate": "3.10",
    "reason": "同业竞争",
}


def raise_pricing(desk: Desk, amount: str = "50", **kwargs: Any) -> WorkOrder:
    return services.work_order_raise(
        actor=desk.cast.manager,
        type_code="pricing_exception",
        title="华信科技贷款利率优惠",
        customer_id=desk.cast.company.pk,
        amount=Decimal(amount),
        fields=PRICING,
        **kwargs,
    )


def act(actor: Any, work_order: WorkOrder, action: str, text: str = "", **kwargs: Any) -> WorkOrder:
    return services.work_order_transition(
        actor=actor, work_order_id=work_order.pk, action=action, text=text, **kwargs
    )


def test_raise_routes_to_the_branch_credit_department_and_builds_the_chain(desk: Desk) -> None:
    work_order = raise_pricing(desk)
    assert work_order.status == WorkOrder.Status.OPEN
    assert work_order.owner_department == desk.credit_dept
    assert work_order.due_at is not None
    steps = list(work_order.steps.order_by("sequence"))
    assert [(s.kind, s.status) for s in steps] == [
        (Step.Kind.HANDLE, Step.Status.ACTIVE),
        (Step.Kind.APPROVE, Step.Status.PENDING),
    ]
    # 50 bp is above the 30 bp threshold: the branch head approves.
    assert steps[1].org_unit == desk.cast.branch_a
    assert steps[1].approver_role == "branch_head"
    kinds = list(work_order.events.values_list("kind", flat=True))
    assert kinds == [TimelineEvent.Kind.CREATED, TimelineEvent.Kind.ROUTED]
    assert AuditEvent.objects.filter(action="coordination.work_order.raised").count() == 1
    # The credit officers are told about the new request.
    assert Notification.objects.filter(recipient=desk.credit_officer).count() == 1


def test_small_pricing_exception_stays_with_the_sub_branch_head(desk: Desk) -> None:
    work_order = raise_pricing(desk, amount="20")
    approval = work_order.steps.get(kind=Step.Kind.APPROVE)
    assert approval.org_unit == desk.cast.sub_a1
    assert approval.approver_role == "subbranch_head"


def test_full_flow_with_information_request(desk: Desk) -> None:
    cast = desk.cast
    work_order = raise_pricing(desk)
    work_order = act(desk.credit_officer, work_order, "request_info", "请补充同业报价")
    assert work_order.status == WorkOrder.Status.INFO_REQUESTED
    assert work_order.due_at is None
    assert work_order.sla_paused_seconds is not None
    work_order = act(cast.manager, work_order, "provide_info", "同业报价 3.05%")
    assert work_order.status == WorkOrder.Status.OPEN
    assert work_order.due_at is not None
    work_order = act(desk.credit_officer, work_order, "submit", "建议同意")
    assert work_order.status == WorkOrder.Status.IN_APPROVAL
    work_order = act(cast.branch_head, work_order, "approve", "同意")
    assert work_order.status == WorkOrder.Status.APPROVED
    assert work_order.closed_at is not None
    assert work_order.current_step is None
    kinds = list(work_order.events.values_list("kind", flat=True))
    assert kinds[-1] == TimelineEvent.Kind.APPROVED
    # The raiser heard of every change made by someone else.
    assert Notification.objects.filter(recipient=cast.manager).count() == 3


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("comment", WorkOrder.Status.OPEN),
        ("request_info", WorkOrder.Status.INFO_REQUESTED),
        ("submit", WorkOrder.Status.IN_APPROVAL),
        ("reject", WorkOrder.Status.REJECTED),
        ("reassign", WorkOrder.Status.OPEN),
        ("escalate", WorkOrder.Status.OPEN),
    ],
)
def test_officer_transitions_from_open(desk: Desk, action: str, status: str) -> None:
    work_order = raise_pricing(desk)
    extra = {"assignee_id": desk.credit_officer2.pk} if action == "reassign" else {}
    result = act(desk.credit_officer, work_order, action, "说明", **extra)
    assert result.status == status
    assert result.version == work_order.version + 1


def test_closing_keeps_the_due_date_and_records_a_late_close_as_breached(desk: Desk) -> None:
    on_time = raise_pricing(desk)
    due = on_time.due_at
    closed = act(desk.credit_officer, on_time, "reject", "不符合条件")
    assert closed.status == WorkOrder.Status.REJECTED
    assert (closed.due_at, closed.sla_breached_at) == (due, None)

    late = raise_pricing(desk)
    past = late.created_at - dt.timedelta(hours=1)
    WorkOrder.objects.filter(pk=late.pk).update(due_at=past)
    closed = act(desk.credit_officer, late, "reject", "不符合条件")
    assert (closed.due_at, closed.sla_breached_at) == (past, past)


def test_done_refused_when_approval_is_needed_and_allowed_otherwise(desk: Desk) -> None:
    work_order = raise_pricing(desk)
    with pytest.raises(DomainError) as refused:
        act(desk.credit_officer, work_order, "done")
    assert refused.value.code == "transition_not_allowed"
    service = services.work_order_raise(
        actor=desk.cast.manager,
        type_code="service_request",
        title="补打对账单",
        customer_id=desk.cast.own.pk,
        fields={"request": "补打2026年10月对账单"},
    )
    # No operations desk at the sub-branch: the branch's takes it.
    assert service.owner_department == desk.cast.ops_dept
    assert act(desk.ops_officer, service, "done").status == WorkOrder.Status.DONE
    with pytest.raises(DomainError) as again:
        act(desk.ops_officer, service, "done")
    assert again.value.code == "transition_not_allowed"


@pytest.mark.parametrize(
    "action", ["provide_info", "approve", "done", "submit", "reject", "cancel", "comment"]
)
def test_closed_work_order_refuses_every_change(desk: Desk, action: str) -> None:
    work_order = act(desk.cast.manager, raise_pricing(desk), "cancel")
    with pytest.raises(DomainError) as refused:
        act(desk.credit_officer, work_order, action, "x")
    assert refused.value.code == "transition_not_allowed"


def test_refusals_by_role(desk: Desk) -> None:
    """RELIABILITY.md B8."""
    cast = desk.cast
    work_order = raise_pricing(desk)
    with pytest.raises(DomainError) as wrong_state:
        act(cast.branch_head, work_order, "approve")
    assert wrong_state.value.code == "transition_not_allowed"
    with pytest.raises(PermissionDenied):
        act(cast.manager, work_order, "submit")
    with pytest.raises(PermissionDenied):
        act(desk.credit_officer, work_order, "cancel")
    with pytest.raises(DomainError):
        act(desk.credit_officer, work_order, "provide_info", "x")
    asked = act(desk.credit_officer, work_order, "request_info", "请补充")
    with pytest.raises(PermissionDenied):
        act(desk.credit_officer, asked, "provide_info", "x")
    work_order = act(cast.manager, asked, "provide_info", "已补充")
    with pytest.raises(Http404):
        act(cast.far_manager, work_order, "comment", "hello")
    work_order = act(desk.credit_officer, work_order, "submit")
    # The sub-branch head is not the approver of a 50 bp exception.
    with pytest.raises(PermissionDenied):
        act(cast.subbranch_head, work_order, "approve")
    with pytest.raises(PermissionDenied):
        act(desk.credit_officer, work_order, "approve")


def test_text_required_and_stale_version(desk: Desk) -> None:
    """RELIABILITY.md E2."""
    work_order = raise_pricing(desk)
    with pytest.raises(DomainError) as no_text:
        act(desk.credit_officer, work_order, "request_info", "  ")
    assert no_text.value.code == "text_required"
    with pytest.raises(ConflictError):
        act(desk.credit_officer, work_order, "comment", "x", expected_version=99)
    with pytest.raises(DomainError) as unknown:
        act(desk.credit_officer, work_order, "explode")
    assert unknown.value.code == "unknown_action"


def test_maker_checker_investigator_never_approves(desk: Desk) -> None:
    """审贷分离: the officer who investigated cannot approve, even holding the approver's
    role; neither can the raiser."""
    cast = desk.cast
    from rmdesk.coordination.models import WorkOrderType
    from rmdesk.coordination.tests.factories import ApprovalRuleFactory

    credit = WorkOrderType.objects.get(code="credit_application")
    work_order = services.work_order_raise(
        actor=cast.manager,
        type_code="credit_application",
        title="华信科技流贷",
        customer_id=cast.company.pk,
        amount=Decimal("1000000"),
        fields={
            "product": "流动资金贷款",
            "term_months": 12,
            "collateral": "保证",
            "purpose": "采购",
        },
    )
    assert credit.needs_approval
    assert ApprovalRuleFactory is not None
    steps = list(work_order.steps.order_by("sequence"))
    # Intake by the credit department, sub-branch head sign-off, then branch credit approval.
    assert [s.kind for s in steps] == ["handle", "approve", "approve"]
    assert steps[2].department == desk.credit_dept
    work_order = act(desk.credit_officer, work_order, "submit", "尽调完成")
    work_order = act(cast.subbranch_head, work_order, "approve")
    with pytest.raises(DomainError) as refused:
        act(desk.credit_officer, work_order, "approve")
    assert refused.value.code == "maker_checker"
    work_order = act(desk.credit_officer2, work_order, "approve")
    assert work_order.status == WorkOrder.Status.APPROVED


def test_raiser_who_is_the_approver_cannot_approve(desk: Desk) -> None:
    cast = desk.cast
    work_order = services.work_order_raise(
        actor=cast.subbranch_head,
        type_code="fee_waiver",
        title="免收账户管理费",
        customer_id=cast.own.pk,
        amount=Decimal("200"),
        fields={"fee": "账户管理费", "reason": "优质客户"},
    )
    work_order = act(cast.ops_officer, work_order, "submit")
    with pytest.raises(DomainError) as refused:
        act(cast.subbranch_head, work_order, "approve")
    assert refused.value.code == "maker_checker"


def test_approval_thresholds_climb_the_tree(desk: Desk) -> None:
    cast = desk.cast
    fields = {"product": "流动资金贷款", "term_months": 12, "collateral": "抵押", "purpose": "扩产"}
    chains = {}
    for amount in ("1000000", "5000000", "60000000"):
        work_order = (
            services.work_order_raise(
                actor=cast.manager,
                type_code="credit_application",
                title=f"授信 {amount}",
                customer_id=cast.company.pk,
                amount=Decimal(amount),
                fields=fields,
            )
            if amount != "60000000"
            else None
        )
        if work_order is not None:
            last = work_order.steps.order_by("-sequence").first()
            assert last is not None
            chains[amount] = (last.org_unit, last.approver_role, last.department_id)
    assert chains["1000000"] == (cast.branch_a, "", desk.credit_dept.pk)
    assert chains["5000000"] == (cast.branch_a, "branch_head", None)
    # Head office has no credit-approval department in this bank: refused, nothing written.
    before = WorkOrder.objects.count()
    with pytest.raises(DomainError) as refused:
        services.work_order_raise(
            actor=cast.manager,
            type_code="credit_application",
            title="大额授信",
            customer_id=cast.company.pk,
            amount=Decimal("60000000"),
            fields=fields,
        )
    assert refused.value.code == "no_approver"
    assert WorkOrder.objects.count() == before


def test_invalid_fields_are_listed(desk: Desk) -> None:
    with pytest.raises(DomainError) as refused:
        services.work_order_raise(
            actor=desk.cast.manager,
            type_code="pricing_exception",
            title="x",
            customer_id=desk.cast.own.pk,
            amount=Decimal("10"),
            fields={"requested_rate": "120", "colour": "red"},
        )
    assert refused.value.code == "invalid_fields"
    fields = {item["field"] for item in refused.value.details}
    assert fields == {"colour", "product", "requested_rate", "reason"}
    assert WorkOrder.objects.count() == 0


def test_customer_out_of_scope_is_404_and_prospect_allowed(desk: Desk) -> None:
    """RELIABILITY.md B6."""
    with pytest.raises(Http404):
        services.work_order_raise(
            actor=desk.cast.manager,
            type_code="account_opening",
            title="开户",
            customer_id=desk.cast.far.pk,
            fields={"account_kind": "个人账户"},
        )
    with pytest.raises(DomainError) as neither:
        services.work_order_raise(
            actor=desk.cast.manager,
            type_code="account_opening",
            title="开户",
            fields={"account_kind": "个人账户"},
        )
    assert neither.value.code == "customer_or_prospect"
    prospect = services.work_order_raise(
        actor=desk.cast.manager,
        type_code="account_opening",
        title="新客户开户",
        prospect_ref="张先生 138****0000",
        fields={"account_kind": "个人账户", "visit_on": "2026-12-01"},
    )
    assert prospect.fields == {"account_kind": "个人账户", "visit_on": "2026-12-01"}


def test_reassign_within_department_only(desk: Desk) -> None:
    """RELIABILITY.md B8."""
    work_order = raise_pricing(desk)
    with pytest.raises(DomainError) as refused:
        act(desk.credit_officer, work_order, "reassign", assignee_id=desk.cast.ops_officer.pk)
    assert refused.value.code == "invalid_assignee"
    moved = act(desk.credit_officer, work_order, "reassign", department_id=desk.cast.ops_dept.pk)
    assert moved.owner_department == desk.cast.ops_dept
    assert moved.steps.get(sequence=1).department == desk.cast.ops_dept


@pytest.mark.parametrize("who", ["analyst", "auditor"])
def test_bank_wide_readers_change_nothing(desk: Desk, who: str) -> None:
    """RELIABILITY.md B5."""
    work_order = raise_pricing(desk)
    with pytest.raises(PermissionDenied):
        act(getattr(desk.cast, who), work_order, "comment", "看看")
