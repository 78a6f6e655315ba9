from django.contrib import admin

from rmdesk.notify.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "title"]
    raw_id_fields = ["recipient"]
