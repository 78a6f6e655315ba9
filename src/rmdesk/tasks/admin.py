from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from rmdesk.tasks.models import Job, ScheduleRun
from rmdesk.tasks.services import job_retry


@admin.register(Job)
class JobAdmin(admin.ModelAdmin[Job]):
    list_display = ["id", "name", "queue", "status", "attempts", "run_after", "finished_at"]
    list_filter = ["status", "queue", "name"]
    search_fields = ["name", "unique_key"]
    readonly_fields = [field.name for field in Job._meta.fields]
    ordering = ["-id"]
    actions = ["retry_dead"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False

    @admin.action(description=_("Retry the selected dead jobs"))
    def retry_dead(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        retried = 0
        for job in queryset.filter(status=Job.Status.DEAD).order_by("pk"):
            job_retry(actor=request.user, job_id=job.pk)  # type: ignore[arg-type]
            retried += 1
        self.message_user(request, _("%(n)d jobs queued again.") % {"n": retried})


@admin.register(ScheduleRun)
class ScheduleRunAdmin(admin.ModelAdmin[ScheduleRun]):
    list_display = ["task", "period", "job", "created_at"]
    list_filter = ["task"]
    ordering = ["-id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ScheduleRun | None = None) -> bool:
        return False
