from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "rmdesk.marketing"
    label = "marketing"
    verbose_name = _("Product marketing")

    def ready(self) -> None:
        # Registers with the contact plan (contact.planning's registry).
        from rmdesk.marketing import plan_exclusions, plan_reasons  # noqa: F401
