from django.urls import URLPattern, URLResolver, path

from rmdesk.marketing import views

app_name = "marketing"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.product_list, name="products"),
    path("products/new/", views.product_edit, name="product_new"),
    path("products/<int:product_id>/", views.product_detail, name="product_detail"),
    path("products/<int:product_id>/edit/", views.product_edit, name="product_edit"),
    path("check/", views.check, name="check"),
    path("sales/", views.sale_list, name="sales"),
    path("sales/new/", views.sale_create, name="sale_new"),
    path("sales/<int:sale_id>/cancel/", views.sale_cancel, name="sale_cancel"),
    path("customers/<int:customer_id>/", views.customer, name="customer"),
    path("customers/<int:customer_id>/assess/", views.assess, name="assess"),
    path("customers/<int:customer_id>/evidence/", views.evidence_add, name="evidence_add"),
    path(
        "customers/<int:customer_id>/requirements/", views.requirement_add, name="requirement_add"
    ),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:campaign_id>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:campaign_id>/launch/", views.campaign_launch, name="campaign_launch"),
    path("campaign-entries/<int:entry_id>/touch/", views.campaign_touch, name="campaign_touch"),
    path("plans/", views.plan_list, name="plans"),
    path("requirements/", views.requirement_list, name="requirements"),
    path(
        "requirements/<int:requirement_id>/answer/",
        views.requirement_answer,
        name="requirement_answer",
    ),
]
