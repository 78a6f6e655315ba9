"""The home pages that run the day, one per role."""

from django.urls import URLPattern, URLResolver, path

from rmdesk.workbench import views

app_name = "workbench"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("staff/<int:staff_id>/", views.staff_home, name="staff"),
]
