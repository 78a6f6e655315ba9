from django.contrib import admin

from rmdesk.customers.models import Customer, TierRule


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin[Customer]):
    """Administrators manage reference data; the admin never lists customers' names."""

    list_display = ["customer_no", "kind", "home_unit", "primary_manager"]
    list_select_related = ["home_unit", "primary_manager"]
    show_full_result_count = False
    search_fields = ["=customer_no"]
    raw_id_fields = ["primary_manager"]

    def has_view_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(TierRule)
class TierRuleAdmin(admin.ModelAdmin[TierRule]):
    """The bank's tier thresholds. A change applies at the next tier refresh."""

    list_display = ["tier", "min_aum", "hold_months"]
    ordering = ["min_aum"]
