from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevelopmentConfig(AppConfig):
    name = "rmdesk.development"
    label = "development"
    verbose_name = _("Customer development")

    def ready(self) -> None:
        # Registers with the contact plan (contact.planning's registry).
        from rmdesk.coordination.services import ON_CLOSED
        from rmdesk.development import plan_reasons  # noqa: F401
        from rmdesk.development.prospects import work_order_closed

        # An account opening carried by a work order is done when the work order is.
        if work_order_closed not in ON_CLOSED:
            ON_CLOSED.append(work_order_closed)

        # A transactions import marks the customer-days it changes for the signals' summary.
        from rmdesk.development.flow import mark_changed_transactions
        from rmdesk.ingest.hooks import before_merge
        from rmdesk.ingest.models import Feed

        before_merge(Feed.TRANSACTIONS, mark_changed_transactions)
