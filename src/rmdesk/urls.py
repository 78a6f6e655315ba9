from django.contrib import admin
from django.urls import include, path

from rmdesk.api.v1 import api

urlpatterns = [
    path("", include("rmdesk.web.urls")),
    path("customers/", include("rmdesk.customers.urls")),
    path("transfers/", include("rmdesk.customers.transfer_urls")),
    path("audit/", include("rmdesk.audit.urls")),
    path("imports/", include("rmdesk.ingest.urls")),
    path("contact/", include("rmdesk.contact.urls")),
    path("development/", include("rmdesk.development.urls")),
    path("marketing/", include("rmdesk.marketing.urls")),
    path("coordination/", include("rmdesk.coordination.urls")),
    path("notifications/", include("rmdesk.notify.urls")),
    path("quality/", include("rmdesk.quality.urls")),
    path("tasks/", include("rmdesk.tasks.urls")),
    path("home/", include("rmdesk.workbench.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler403 = "rmdesk.web.views.forbidden"
handler404 = "rmdesk.web.views.not_found"
handler500 = "rmdesk.web.views.server_error"
