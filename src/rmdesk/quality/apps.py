from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "rmdesk.quality"
    label = "quality"
    verbose_name = _("Account manager quality")

    def ready(self) -> None:
        # The figures read from the duty apps register themselves on import.
        from rmdesk.quality import duty_metrics  # noqa: F401
