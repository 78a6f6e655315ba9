from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from rmdesk.org.models import Department, OrgUnit, Staff, StaffRole


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin[OrgUnit]):
    list_display = ["code", "name", "kind", "parent", "path"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    readonly_fields = ["path", "depth"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["name", "kind", "org_unit"]
    list_filter = ["kind"]
    list_select_related = ["org_unit"]


class StaffRoleInline(admin.TabularInline[StaffRole, Staff]):
    model = StaffRole
    extra = 0


@admin.register(Staff)
class StaffAdmin(UserAdmin[Staff]):
    list_display = ["username", "display_name", "org_unit", "department", "is_active"]
    list_filter = ["is_active", "roles__role"]
    list_select_related = ["org_unit", "department__org_unit"]
    search_fields = ["username", "display_name", "employee_no"]
    inlines = [StaffRoleInline]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (
            _("Bank"),
            {"fields": ("display_name", "employee_no", "org_unit", "department", "line_manager")},
        ),
    )
    raw_id_fields = ["line_manager"]
