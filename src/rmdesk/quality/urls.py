from django.urls import path

from rmdesk.quality import dispute_views, views

app_name = "quality"

urlpatterns = [
    path("", views.my_scorecard, name="mine"),
    path("staff/<int:staff_id>/", views.staff_scorecard, name="staff"),
    path("board/", views.board, name="board"),
    path("board.csv", views.board_export, name="board_export"),
    path("settings/", views.settings_page, name="settings"),
    path("attribution/", dispute_views.attribution, name="attribution"),
    path("attribution/<int:customer_id>/dispute/", dispute_views.dispute_new, name="dispute_new"),
    path("disputes/", dispute_views.dispute_list, name="disputes"),
    path("disputes/<int:dispute_id>/", dispute_views.dispute_detail, name="dispute"),
    path(
        "disputes/<int:dispute_id>/resolve/",
        dispute_views.dispute_resolve,
        name="dispute_resolve",
    ),
    path(
        "disputes/work-order/<int:work_order_id>/",
        dispute_views.dispute_for_work_order,
        name="dispute_for_work_order",
    ),
]
