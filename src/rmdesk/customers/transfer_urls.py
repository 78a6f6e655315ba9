from django.urls import path

from rmdesk.customers import transfer_views as views

app_name = "transfers"

urlpatterns = [
    path("", views.transfer_list, name="list"),
    path("new/", views.transfer_create, name="create"),
    path("<int:request_id>/", views.transfer_detail, name="detail"),
    path("<int:request_id>/approve/", views.transfer_approve, name="approve"),
    path("<int:request_id>/reject/", views.transfer_reject, name="reject"),
    path("<int:request_id>/cancel/", views.transfer_cancel, name="cancel"),
    path("history/<int:customer_id>/", views.assignment_history, name="history"),
]
