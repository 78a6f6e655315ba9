from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "rmdesk.coordination"
    label = "coordination"
    verbose_name = _("Internal coordination")

    def ready(self) -> None:
        from rmdesk.coordination.sharing import working_group_customer_ids_q
        from rmdesk.org.policy import sharing_rule

        # Members of an open working group see its customer (DESIGN.md: sharing widens).
        sharing_rule(lambda actor, prefix: working_group_customer_ids_q(actor, prefix=prefix))
