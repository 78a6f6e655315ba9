from django.urls import path

from rmdesk.tasks import views

app_name = "tasks"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("<int:job_id>/retry/", views.job_retry, name="retry"),
]
