from django.urls import path

from rmdesk.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("search/", views.search, name="search"),
    path("health", views.health, name="health"),
]
