from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevelopmentConfig(AppConfig):
    name = "rmdesk.development"
    label = "development"
    verbose_name = _("Customer development")

    def ready(self) -> None:
        # Registers with the contact plan (contact.planning's registry).
        from rmdesk.development import plan_reasons  # noqa: F401
