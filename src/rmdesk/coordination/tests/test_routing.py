from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from rmdesk.coordination import config
from rmdesk.coordination.models import RoutingRule
from rmdesk.coordination.routing import route
from rmdesk.coordination.tests.conftest import Desk
from rmdesk.coordination.tests.factories import RoutingRuleFactory, WorkOrderTypeFactory
from rmdesk.core.errors import DomainError
from rmdesk.customers.models import Customer, Tier
from rmdesk.org.models import Department, Staff
from rmdesk.org.tests.factories import DepartmentFactory


@pytest.fixture
def departments(desk: Desk) -> dict[str, Department]:
    cast = desk.cast
    return {
        "sub_ops": DepartmentFactory(org_unit=cast.sub_a1, kind=Department.Kind.OPERATIONS),
        "branch_ops": cast.ops_dept,
        "branch_credit": desk.credit_dept,
        "ho_product": DepartmentFactory(
            org_unit=cast.head_office, kind=Department.Kind.WEALTH_PRODUCT, name="产品部"
        ),
        "b_risk": DepartmentFactory(org_unit=cast.branch_b, kind=Department.Kind.RISK),
    }


def where(
    work_order_type: object, amount: str | None, customer: Customer, desk: Desk
) -> Department:
    return route(
        work_order_type=work_order_type,  # type: ignore[arg-type]
        amount=Decimal(amount) if amount else None,
        customer=customer,
        raised_unit=customer.home_unit,
    ).department


def test_first_match_by_priority_amount_tier_and_subtree(
    desk: Desk, departments: dict[str, Department]
) -> None:
    cast = desk.cast
    kind = WorkOrderTypeFactory()
    RoutingRuleFactory(
        work_order_type=kind, priority=500, department_kind="operations", level="sub_branch"
    )
    RoutingRuleFactory(
        work_order_type=kind,
        priority=100,
        amount_min=Decimal("1000000"),
        department_kind="credit_approval",
        level="branch",
    )
    RoutingRuleFactory(
        work_order_type=kind,
        priority=50,
        customer_tier=Tier.PRIVATE,
        department_kind="wealth_product",
        level="head_office",
    )
    RoutingRuleFactory(
        work_order_type=kind,
        priority=10,
        org_unit=cast.branch_b,
        department_kind="risk",
        level="branch",
    )
    RoutingRuleFactory(
        work_order_type=kind,
        priority=200,
        amount_max=Decimal("100"),
        department_kind="operations",
        level="branch",
    )
    assert where(kind, "500", cast.own, desk) == departments["sub_ops"]
    assert where(kind, "50", cast.own, desk) == departments["branch_ops"]  # below 100 wins at 200
    assert where(kind, "1000000", cast.own, desk) == departments["branch_credit"]
    assert where(kind, "999999.99", cast.own, desk) == departments["sub_ops"]
    Customer.objects.filter(pk=cast.other.pk).update(tier=Tier.PRIVATE)
    cast.other.refresh_from_db()
    assert where(kind, "5000000", cast.other, desk) == departments["ho_product"]
    # Raised within branch B's subtree: its rule comes first.
    assert where(kind, "5000000", cast.far, desk) == departments["b_risk"]
    # A rule of any type applies after the type's own rules fail.
    other_kind = WorkOrderTypeFactory()
    with pytest.raises(DomainError) as none:
        where(other_kind, None, cast.own, desk)
    assert none.value.code == "no_route"
    RoutingRuleFactory(
        work_order_type=None, priority=999, department_kind="operations", level="branch"
    )
    assert where(other_kind, None, cast.own, desk) == departments["branch_ops"]


def test_inactive_rules_are_skipped_and_missing_department_refused(desk: Desk) -> None:
    kind = WorkOrderTypeFactory()
    RoutingRuleFactory(
        work_order_type=kind, priority=1, department_kind="it", level="branch", is_active=True
    )
    with pytest.raises(DomainError) as missing:
        where(kind, None, desk.cast.own, desk)
    assert missing.value.code == "no_department"
    RoutingRule.objects.filter(work_order_type=kind).update(is_active=False)
    RoutingRuleFactory(
        work_order_type=kind, priority=2, department_kind="operations", level="branch"
    )
    assert where(kind, None, desk.cast.own, desk) == desk.cast.ops_dept


def test_configuration_by_administrators(desk: Desk, client_for: Callable[[Staff], Client]) -> None:
    cast = desk.cast
    with pytest.raises(PermissionDenied):
        config.work_order_type_save(actor=cast.manager, code="x", name="x", fields=[])
    with pytest.raises(DomainError) as bad:
        config.work_order_type_save(
            actor=cast.admin, code="x", name="x", fields=[{"name": "A B", "type": "text"}]
        )
    assert bad.value.code == "invalid_field_definition"
    admin = client_for(cast.admin)
    created = admin.post(
        "/api/v1/work-order-types",
        json.dumps(
            {
                "code": "gift_request",
                "name": "礼品申请",
                "needs_approval": True,
                "pool_kind": "gift_cny",
                "fields": [{"name": "gift", "label": "礼品", "type": "text", "required": True}],
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    rule = admin.post(
        "/api/v1/routing-rules",
        json.dumps({"type": "gift_request", "department_kind": "operations", "level": "branch"}),
        content_type="application/json",
    )
    assert rule.status_code == 201
    approval = admin.post(
        "/api/v1/approval-rules",
        json.dumps(
            {"type": "gift_request", "level": "sub_branch", "approver_role": "subbranch_head"}
        ),
        content_type="application/json",
    )
    assert approval.status_code == 201
    both = admin.post(
        "/api/v1/approval-rules",
        json.dumps(
            {
                "type": "gift_request",
                "level": "branch",
                "approver_role": "branch_head",
                "department_kind": "risk",
            }
        ),
        content_type="application/json",
    )
    assert both.status_code == 400
    assert both.json()["details"]["field"] == "approver_role"
    holiday = admin.put(
        "/api/v1/business-calendar",
        json.dumps({"day": "2026-12-31", "is_working": False, "note": "元旦前"}),
        content_type="application/json",
    )
    assert holiday.status_code == 200
    denied = client_for(cast.manager).post(
        "/api/v1/routing-rules",
        json.dumps({"department_kind": "operations", "level": "branch"}),
        content_type="application/json",
    )
    assert denied.status_code == 403
    # The new type is usable at once.
    from rmdesk.coordination import services

    work_order = services.work_order_raise(
        actor=cast.manager,
        type_code="gift_request",
        title="春节礼品",
        customer_id=cast.own.pk,
        amount=Decimal("300"),
        fields={"gift": "茶叶"},
    )
    assert work_order.owner_department == cast.ops_dept
    assert work_order.hold_state == ""  # no gift pool configured: nothing held
