from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rmdesk.core.models import BaseModel


class Customer(BaseModel):
    """A customer of the bank: a person or a company, homed in one org unit."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        CORPORATE = "corporate", _("Corporate")

    customer_no = models.CharField(_("customer number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    display_name = models.CharField(_("name"), max_length=200)
    home_unit = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.PROTECT,
        related_name="customers",
        verbose_name=_("home org unit"),
    )
    primary_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("account manager"),
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            # A manager's book in list order: WHERE primary_manager_id = ? ORDER BY name, id.
            models.Index(
                fields=["primary_manager", "display_name", "id"], name="customers_cust_manager_name"
            ),
            # A subtree's customers in list order: WHERE home_unit_id IN (…) ORDER BY name, id.
            models.Index(
                fields=["home_unit", "display_name", "id"], name="customers_cust_unit_name"
            ),
            # The whole bank in list order (view-all roles).
            models.Index(fields=["display_name", "id"], name="customers_cust_name"),
        ]

    def __str__(self) -> str:
        return self.customer_no
