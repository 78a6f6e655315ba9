from django.contrib import admin

from rmdesk.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = [
        "prefix",
        "staff",
        "name",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_select_related = ["staff"]
    readonly_fields = ["prefix", "digest", "staff", "expires_at", "last_used_at"]
    search_fields = ["staff__username", "prefix"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
