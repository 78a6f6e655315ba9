from django.contrib import admin

from rmdesk.quality.models import AttributionRule, MetricWeight, ScoreRun


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
