"""The home pages that run the day, one per role."""

from django.urls import path

app_name = "workbench"

urlpatterns: list[object] = []
