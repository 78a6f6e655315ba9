"""The work order type that carries an attribution dispute to the head of the sub-branch
that owns the customer (a routing rule to the unit's head, counted from the customer)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

CODE = "attribution_dispute"


def seed(apps: Any, schema_editor: Any) -> None:
    WorkOrderType = apps.get_model("coordination", "WorkOrderType")
    RoutingRule = apps.get_model("coordination", "RoutingRule")
    kind, created = WorkOrderType.objects.get_or_create(
        code=CODE,
        defaults={
            "name": "业绩分成异议",
            "description": "客户经理对共管客户的业绩分成提出异议，由客户所属支行行长裁定。",
            "fields": [
                {"name": "reason", "label": "异议理由", "type": "text", "required": True},
                {
                    "name": "proposed_lead_share",
                    "label": "建议主办分成",
                    "type": "decimal",
                    "required": False,
                    "min": 0,
                    "max": 1,
                },
            ],
            "needs_approval": False,
            "sla_hours": 24,
        },
    )
    if created:
        RoutingRule.objects.create(
            priority=10,
            work_order_type=kind,
            target="unit_head",
            anchor="customer",
            department_kind="",
            level="sub_branch",
        )


def unseed(apps: Any, schema_editor: Any) -> None:
    WorkOrderType = apps.get_model("coordination", "WorkOrderType")
    WorkOrderType.objects.filter(code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0002_attribution_disputes_and_settings"),
        ("coordination", "0004_routing_to_unit_heads"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
