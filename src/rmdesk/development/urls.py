from django.urls import URLPattern, URLResolver, path

from rmdesk.development import views

app_name = "development"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.board, name="board"),
    path("prospects/new/", views.prospect_new, name="prospect_new"),
    path("prospects/<int:prospect_id>/", views.prospect_detail, name="prospect"),
    path("prospects/<int:prospect_id>/move/", views.prospect_move, name="prospect_move"),
    path("prospects/<int:prospect_id>/touch/", views.prospect_touch, name="prospect_touch"),
    path("prospects/<int:prospect_id>/reveal/", views.prospect_reveal, name="prospect_reveal"),
    path("pool/", views.pool_page, name="pool"),
    path("lists/", views.name_lists, name="name_lists"),
    path("lists/<int:name_list_id>/", views.name_list_detail, name="name_list"),
    path("signals/", views.signal_page, name="signals"),
    path("opportunities/", views.opportunity_page, name="opportunities"),
    path("charts/", views.chart_page, name="charts"),
]
