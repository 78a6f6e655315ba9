from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "rmdesk.quality"
    label = "quality"
    verbose_name = _("Account manager quality")

    def ready(self) -> None:
        # The figures read from the duty apps register themselves on import.
        from rmdesk.coordination.services import ON_CLOSED, RELATED_PAGES
        from rmdesk.quality import duty_metrics  # noqa: F401
        from rmdesk.quality.disputes import WORK_ORDER_TYPE, work_order_closed, work_order_page

        # A dispute follows its work order when the head closes it from coordination.
        if work_order_closed not in ON_CLOSED:
            ON_CLOSED.append(work_order_closed)
        RELATED_PAGES[WORK_ORDER_TYPE] = work_order_page
