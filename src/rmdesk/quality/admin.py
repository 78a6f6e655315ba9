from django.contrib import admin

from rmdesk.quality.models import (
    AttributionDispute,
    AttributionRule,
    AttributionSplit,
    MetricWeight,
    ScoreRun,
)


@admin.register(MetricWeight)
class MetricWeightAdmin(admin.ModelAdmin[MetricWeight]):
    list_display = ["role", "metric", "weight"]
    list_filter = ["role"]


@admin.register(AttributionRule)
class AttributionRuleAdmin(admin.ModelAdmin[AttributionRule]):
    list_display = ["effective_from", "lead_share"]


@admin.register(ScoreRun)
class ScoreRunAdmin(admin.ModelAdmin[ScoreRun]):
    list_display = ["period_kind", "period_start", "finished_at", "staff_count", "score_count"]
    readonly_fields = [f.name for f in ScoreRun._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    """Changed only through the services, which audit them."""

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(AttributionDispute)
class AttributionDisputeAdmin(_ReadOnly):
    list_display = ["pk", "customer", "lead", "assistant", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["customer", "lead", "assistant", "raised_by", "resolved_by", "work_order"]


@admin.register(AttributionSplit)
class AttributionSplitAdmin(_ReadOnly):
    list_display = ["customer", "lead", "assistant", "lead_share", "effective_from"]
    raw_id_fields = ["customer", "lead", "assistant", "dispute", "set_by"]
