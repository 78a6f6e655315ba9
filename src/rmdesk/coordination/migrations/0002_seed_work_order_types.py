"""The work order types of the issue, with default routing and approval rules a bank
then adjusts (DOMAIN.md §5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import migrations

TEXT = "text"

TYPES: list[dict[str, Any]] = [
    {
        "code": "credit_application",
        "name": "授信申请",
        "needs_approval": True,
        "sla_hours": 40,
        "fields": [
            {"name": "product", "label": "授信品种", "type": TEXT, "required": True},
            {"name": "term_months", "label": "期限（月）", "type": "number", "required": True,
             "min": 1, "max": 360},
            {"name": "collateral", "label": "担保方式", "type": "choice", "required": True,
             "choices": ["信用", "保证", "抵押", "质押"]},
            {"name": "purpose", "label": "用途", "type": TEXT, "required": True},
        ],
        "route": ("credit_approval", "branch"),
        "approvals": [
            (1, "0", "sub_branch", "subbranch_head", ""),
            (2, "0", "branch", "", "credit_approval"),
            (2, "5000000", "branch", "branch_head", ""),
            (2, "50000000", "head_office", "", "credit_approval"),
        ],
    },
    {
        "code": "account_opening",
        "name": "开户",
        "sla_hours": 8,
        "fields": [
            {"name": "account_kind", "label": "账户种类", "type": "choice", "required": True,
             "choices": ["基本存款账户", "一般存款账户", "专用存款账户", "个人账户"]},
            {"name": "visit_on", "label": "预约日期", "type": "date"},
        ],
        "route": ("operations", "sub_branch"),
    },
    {
        "code": "pricing_exception",
        "name": "定价例外",
        "needs_approval": True,
        "sla_hours": 16,
        "pool_kind": "pricing_bp",
        "fields": [
            {"name": "product", "label": "产品", "type": TEXT, "required": True},
            {"name": "standard_rate", "label": "标准利率（%）", "type": "decimal", "min": 0,
             "max": 100},
            {"name": "requested_rate", "label": "申请利率（%）", "type": "decimal",
             "required": True, "min": 0, "max": 100},
            {"name": "reason", "label": "理由", "type": TEXT, "required": True},
        ],
        "route": ("credit_approval", "branch"),
        "approvals": [
            (1, "0", "sub_branch", "subbranch_head", ""),
            (1, "30", "branch", "branch_head", ""),
        ],
    },
    {
        "code": "fee_waiver",
        "name": "费用减免",
        "needs_approval": True,
        "sla_hours": 16,
        "fields": [
            {"name": "fee", "label": "费用项目", "type": TEXT, "required": True},
            {"name": "reason", "label": "理由", "type": TEXT, "required": True},
        ],
        "route": ("operations", "sub_branch"),
        "approvals": [
            (1, "0", "sub_branch", "subbranch_head", ""),
            (1, "10000", "branch", "branch_head", ""),
        ],
    },
    {
        "code": "special_product",
        "name": "特殊产品申请",
        "needs_approval": True,
        "sla_hours": 40,
        "fields": [
            {"name": "product", "label": "产品", "type": TEXT, "required": True},
            {"name": "reason", "label": "理由", "type": TEXT, "required": True},
        ],
        "route": ("wealth_product", "head_office"),
        "approvals": [(1, "0", "branch", "branch_head", "")],
    },
    {
        "code": "customer_requirement",
        "name": "客户需求",
        "sla_hours": 40,
        "fields": [
            {"name": "need", "label": "需求", "type": TEXT, "required": True},
        ],
        "route": ("wealth_product", "head_office"),
    },
    {
        "code": "service_request",
        "name": "服务请求",
        "sla_hours": 8,
        "fields": [
            {"name": "request", "label": "请求内容", "type": TEXT, "required": True},
        ],
        "route": ("operations", "sub_branch"),
    },
    {
        "code": "complaint",
        "name": "投诉",
        "sla_hours": 16,
        "fields": [
            {"name": "channel", "label": "渠道", "type": "choice", "required": True,
             "choices": ["网点", "电话", "线上", "监管转办"]},
            {"name": "summary", "label": "投诉内容", "type": TEXT, "required": True},
        ],
        "route": ("compliance", "branch"),
    },
    {
        "code": "customer_transfer",
        "name": "客户移交",
        "needs_approval": True,
        "sla_hours": 16,
        "fields": [
            {"name": "to_manager", "label": "接收客户经理", "type": TEXT, "required": True},
            {"name": "reason", "label": "理由", "type": TEXT, "required": True},
        ],
        "route": ("retail_front", "sub_branch"),
        "approvals": [(1, "0", "sub_branch", "subbranch_head", "")],
    },
    {
        "code": "marketing_expense",
        "name": "营销费用申请",
        "needs_approval": True,
        "sla_hours": 16,
        "pool_kind": "marketing_cny",
        "fields": [
            {"name": "activity", "label": "营销活动", "type": TEXT, "required": True},
        ],
        "route": ("retail_front", "sub_branch"),
        "approvals": [
            (1, "0", "sub_branch", "subbranch_head", ""),
            (1, "50000", "branch", "branch_head", ""),
        ],
    },
]


def seed(apps: Any, schema_editor: Any) -> None:
    WorkOrderType = apps.get_model("coordination", "WorkOrderType")
    RoutingRule = apps.get_model("coordination", "RoutingRule")
    ApprovalRule = apps.get_model("coordination", "ApprovalRule")
    for spec in TYPES:
        kind, _created = WorkOrderType.objects.get_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "fields": spec["fields"],
                "needs_approval": spec.get("needs_approval", False),
                "sla_hours": spec["sla_hours"],
                "pool_kind": spec.get("pool_kind", ""),
            },
        )
        if not _created:
            continue
        department_kind, level = spec["route"]
        RoutingRule.objects.create(
            priority=100, work_order_type=kind, department_kind=department_kind, level=level
        )
        for sequence, threshold, approval_level, role, department in spec.get("approvals", []):
            ApprovalRule.objects.create(
                work_order_type=kind,
                sequence=sequence,
                amount_min=Decimal(threshold),
                level=approval_level,
                approver_role=role,
                department_kind=department,
            )


def unseed(apps: Any, schema_editor: Any) -> None:
    WorkOrderType = apps.get_model("coordination", "WorkOrderType")
    WorkOrderType.objects.filter(code__in=[spec["code"] for spec in TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("coordination", "0001_work_orders_groups_pools")]

    operations = [migrations.RunPython(seed, unseed)]
