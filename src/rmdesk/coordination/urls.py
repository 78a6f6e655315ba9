from django.urls import URLPattern, URLResolver, path

from rmdesk.coordination import views

app_name = "coordination"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.work_order_list, name="list"),
    path("work-orders/new/", views.work_order_new, name="new"),
    path("work-orders/new/fields/", views.work_order_type_fields, name="type_fields"),
    path("work-orders/<int:work_order_id>/", views.work_order_detail, name="detail"),
    path("work-orders/<int:work_order_id>/act/", views.work_order_act, name="act"),
    path("work-orders/<int:work_order_id>/attach/", views.work_order_attach, name="attach"),
    path(
        "work-orders/<int:work_order_id>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("groups/", views.group_list, name="groups"),
    path("groups/<int:group_id>/", views.group_detail, name="group"),
    path("groups/<int:group_id>/act/", views.group_act, name="group_act"),
    path("pools/", views.pool_list, name="pools"),
    path("pools/<int:pool_id>/", views.pool_detail, name="pool"),
]
