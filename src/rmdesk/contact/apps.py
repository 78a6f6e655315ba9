from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactConfig(AppConfig):
    name = "rmdesk.contact"
    label = "contact"
    verbose_name = _("Customer contact")

    def ready(self) -> None:
        from rmdesk.contact.services import work_order_closed
        from rmdesk.coordination.services import ON_CLOSED

        # A service request carried by a work order closes when the work order does.
        if work_order_closed not in ON_CLOSED:
            ON_CLOSED.append(work_order_closed)
