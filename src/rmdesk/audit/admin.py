"""The audit trail in the admin: readable by auditors and administrators, editable by nobody."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rmdesk.audit.models import AccessLog, AuditEvent
from rmdesk.org.models import Staff
from rmdesk.org.policy import can_read_audit_log


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return isinstance(request.user, Staff) and can_read_audit_log(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_username", "action", "target_type", "target_id"]
    list_filter = ["action"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "actor_username",
        "action",
        "channel",
        "customer_id",
        "ip_address",
    ]
    list_filter = ["action", "channel"]
