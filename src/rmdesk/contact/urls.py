from django.urls import URLPattern, URLResolver, path

from rmdesk.contact import views

app_name = "contact"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("plan/generate/", views.plan_generate, name="plan_generate"),
    path("plan/<int:entry_id>/dismiss/", views.plan_dismiss, name="plan_dismiss"),
    path(
        "customers/<int:customer_id>/interactions/",
        views.customer_interactions,
        name="customer_interactions",
    ),
    path(
        "customers/<int:customer_id>/interactions/new/",
        views.interaction_new,
        name="interaction_new",
    ),
    path(
        "interactions/<int:interaction_id>/follow-up-done/",
        views.follow_up_done,
        name="follow_up_done",
    ),
    path("visits/", views.visit_calendar, name="visits"),
    path("customers/<int:customer_id>/visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:visit_id>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:visit_id>/check-in/", views.visit_check_in, name="visit_check_in"),
    path("visits/<int:visit_id>/cancel/", views.visit_cancel, name="visit_cancel"),
    path("service-requests/", views.service_requests, name="service_requests"),
    path(
        "customers/<int:customer_id>/service-requests/new/",
        views.service_request_new,
        name="service_request_new",
    ),
    path(
        "service-requests/<int:request_id>/",
        views.service_request_detail,
        name="service_request_detail",
    ),
    path("coverage/", views.coverage_page, name="coverage"),
    path("calendar-feeds/", views.calendar_feeds, name="calendar_feeds"),
    path(
        "calendar-feeds/<int:feed_id>/revoke/",
        views.calendar_feed_revoke,
        name="calendar_feed_revoke",
    ),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
