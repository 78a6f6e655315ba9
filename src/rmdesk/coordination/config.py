"""The bank's configuration of coordination: work order types, routing and approval rules,
and the business calendar. Administrators only; every change is audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.coordination.access import can_manage_routing
from rmdesk.coordination.formfields import definitions_check
from rmdesk.coordination.models import (
    ApprovalRule,
    BusinessDay,
    Level,
    RoutingRule,
    WorkOrderType,
)
from rmdesk.core.errors import DomainError
from rmdesk.customers.models import Customer, Tier
from rmdesk.org.models import Department, OrgUnit, Staff
from rmdesk.org.roles import Role


def _require(actor: Staff) -> None:
    if not can_manage_routing(actor):
        raise PermissionDenied


def _choice(value: str, allowed: list[str], field: str, *, blank: bool = False) -> str:
    if (blank and value == "") or value in allowed:
        return value
    raise DomainError(
        _("Not a valid value."),
        code="invalid_config",
        details={"field": field, "reason": _("Choose one of the options.")},
    )


@transaction.atomic
def work_order_type_save(
    *,
    actor: Staff,
    code: str,
    name: str,
    fields: Any,
    needs_approval: bool = False,
    sla_hours: int = 16,
    pool_kind: str = "",
    description: str = "",
    is_active: bool = True,
) -> WorkOrderType:
    """Create a type, or change the one with this code. The form fields are checked."""
    _require(actor)
    definitions = definitions_check(fields)
    if not name.strip() or not 1 <= sla_hours <= 2000:
        raise DomainError(
            _("Not a valid value."),
            code="invalid_config",
            details={
                "field": "name" if not name.strip() else "sla_hours",
                "reason": _("Not a valid value."),
            },
        )
    _choice(pool_kind, WorkOrderType.PoolKind.values, "pool_kind", blank=True)
    work_order_type, created = WorkOrderType.objects.update_or_create(
        code=code,
        defaults={
            "name": name.strip()[:100],
            "fields": definitions,
            "needs_approval": needs_approval,
            "sla_hours": sla_hours,
            "pool_kind": pool_kind,
            "description": description,
            "is_active": is_active,
        },
    )
    audit_record(
        actor=actor,
        action="coordination.work_order_type." + ("created" if created else "changed"),
        target=work_order_type,
        data={"code": code, "needs_approval": needs_approval, "sla_hours": sla_hours},
    )
    return work_order_type


@transaction.atomic
def routing_rule_create(
    *,
    actor: Staff,
    type_code: str | None,
    department_kind: str,
    level: str,
    priority: int = 100,
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
    customer_tier: str = "",
    customer_kind: str = "",
    org_unit_id: int | None = None,
    sla_hours: int | None = None,
    target: str = RoutingRule.Target.DEPARTMENT,
    anchor: str = RoutingRule.Anchor.RAISER,
) -> RoutingRule:
    """Add a rule sending matching work to a department, or to the head of the unit at
    ``level`` (``target="unit_head"``, no department), counted from the raiser's unit or
    the customer's home unit (``anchor``)."""
    _require(actor)
    work_order_type = None
    if type_code:
        work_order_type = WorkOrderType.objects.filter(code=type_code).first()
        if work_order_type is None:
            raise DomainError(
                _("Unknown work order type."),
                code="invalid_config",
                details={"field": "type", "reason": _("Unknown work order type.")},
            )
    _choice(target, RoutingRule.Target.values, "target")
    _choice(anchor, RoutingRule.Anchor.values, "anchor")
    if target == RoutingRule.Target.UNIT_HEAD:
        if department_kind:
            raise DomainError(
                _("A rule for the head of a unit names no department."),
                code="invalid_config",
                details={"field": "department_kind", "reason": _("Leave it empty.")},
            )
    else:
        _choice(department_kind, Department.Kind.values, "department_kind")
    _choice(level, Level.values, "level")
    _choice(customer_tier, Tier.values, "customer_tier", blank=True)
    _choice(customer_kind, Customer.Kind.values, "customer_kind", blank=True)
    if amount_min is not None and amount_max is not None and amount_max <= amount_min:
        raise DomainError(
            _("Not a valid value."),
            code="invalid_config",
            details={"field": "amount_max", "reason": _("Not a valid value.")},
        )
    unit = None
    if org_unit_id is not None:
        unit = OrgUnit.objects.filter(pk=org_unit_id).first()
        if unit is None:
            raise DomainError(
                _("Not a valid value."),
                code="invalid_config",
                details={"field": "org_unit_id", "reason": _("Not a valid value.")},
            )
    rule = RoutingRule.objects.create(
        priority=priority,
        work_order_type=work_order_type,
        amount_min=amount_min,
        amount_max=amount_max,
        customer_tier=customer_tier,
        customer_kind=customer_kind,
        org_unit=unit,
        department_kind=department_kind,
        level=level,
        sla_hours=sla_hours,
        target=target,
        anchor=anchor,
    )
    audit_record(
        actor=actor,
        action="coordination.routing_rule.created",
        target=rule,
        data={
            "type": type_code,
            "department_kind": department_kind,
            "level": level,
            "target": target,
            "anchor": anchor,
        },
    )
    return rule


@transaction.atomic
def approval_rule_create(
    *,
    actor: Staff,
    type_code: str,
    sequence: int,
    amount_min: Decimal,
    level: str,
    approver_role: str = "",
    department_kind: str = "",
    sla_hours: int | None = None,
) -> ApprovalRule:
    _require(actor)
    work_order_type = WorkOrderType.objects.filter(code=type_code).first()
    if work_order_type is None:
        raise DomainError(
            _("Unknown work order type."),
            code="invalid_config",
            details={"field": "type", "reason": _("Unknown work order type.")},
        )
    _choice(level, Level.values, "level")
    _choice(approver_role, Role.values, "approver_role", blank=True)
    _choice(department_kind, Department.Kind.values, "department_kind", blank=True)
    if bool(approver_role) == bool(department_kind):
        raise DomainError(
            _("Name either an approver role or an approving department."),
            code="invalid_config",
            details={"field": "approver_role", "reason": _("One of the two, not both.")},
        )
    rule = ApprovalRule.objects.create(
        work_order_type=work_order_type,
        sequence=sequence,
        amount_min=amount_min,
        level=level,
        approver_role=approver_role,
        department_kind=department_kind,
        sla_hours=sla_hours,
    )
    audit_record(
        actor=actor,
        action="coordination.approval_rule.created",
        target=rule,
        data={"type": type_code, "sequence": sequence, "amount_min": str(amount_min)},
    )
    return rule


@transaction.atomic
def business_day_set(
    *, actor: Staff, day: dt.date, is_working: bool, note: str = ""
) -> BusinessDay:
    """Mark a holiday (``is_working=False``) or a make-up working day."""
    _require(actor)
    entry, _created = BusinessDay.objects.update_or_create(
        day=day, defaults={"is_working": is_working, "note": note[:100]}
    )
    audit_record(
        actor=actor,
        action="coordination.business_day.set",
        target=entry,
        data={"day": day.isoformat(), "is_working": is_working},
    )
    return entry
