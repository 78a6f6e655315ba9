from django.contrib import admin

from rmdesk.contact.models import ContactCadence, NeedCategory, PlanCapacity


@admin.register(NeedCategory)
class NeedCategoryAdmin(admin.ModelAdmin[NeedCategory]):
    list_display = ("code", "name_zh", "name_en", "active", "sort_order")
    list_editable = ("active", "sort_order")


@admin.register(ContactCadence)
class ContactCadenceAdmin(admin.ModelAdmin[ContactCadence]):
    list_display = ("tier", "contact_days", "in_person_days")


@admin.register(PlanCapacity)
class PlanCapacityAdmin(admin.ModelAdmin[PlanCapacity]):
    list_display = ("manager", "per_day")
    raw_id_fields = ("manager",)
