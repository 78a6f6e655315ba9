from django.urls import path

from rmdesk.ingest import views

app_name = "ingest"

urlpatterns = [
    path("", views.run_list, name="list"),
    path("<int:run_id>/", views.run_detail, name="detail"),
    path("<int:run_id>/errors.csv", views.run_errors, name="errors"),
    path("<int:run_id>/progress/", views.run_progress, name="progress"),
]
