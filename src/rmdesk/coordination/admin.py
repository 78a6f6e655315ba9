"""Configuration the bank edits: types, routing and approval rules, the calendar."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from rmdesk.coordination.formfields import definitions_check
from rmdesk.coordination.models import (
    ApprovalRule,
    BusinessDay,
    RoutingRule,
    WorkOrderType,
)
from rmdesk.core.errors import DomainError


class WorkOrderTypeForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = WorkOrderType
        fields = [
            "code",
            "name",
            "description",
            "fields",
            "needs_approval",
            "sla_hours",
            "pool_kind",
            "is_active",
        ]

    def clean_fields(self) -> Any:
        value = self.cleaned_data["fields"]
        try:
            return definitions_check(value)
        except DomainError as error:
            raise forms.ValidationError(f"{error.message} {error.details or ''}") from error


@admin.register(WorkOrderType)
class WorkOrderTypeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = WorkOrderTypeForm
    list_display = ("code", "name", "needs_approval", "sla_hours", "pool_kind", "is_active")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "priority",
        "work_order_type",
        "amount_min",
        "amount_max",
        "customer_tier",
        "org_unit",
        "department_kind",
        "level",
        "is_active",
    )
    list_filter = ("work_order_type", "is_active")


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "work_order_type",
        "sequence",
        "amount_min",
        "level",
        "approver_role",
        "department_kind",
        "is_active",
    )
    list_filter = ("work_order_type",)


@admin.register(BusinessDay)
class BusinessDayAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("day", "is_working", "note")
