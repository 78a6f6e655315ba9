"""Forms for the customer pages. They only parse; the rules are in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rmdesk.customers.masking import PERSONAL_FIELDS
from rmdesk.customers.models import Customer

PERSONAL_LABELS = {
    "display_name": _("Name"),
    "id_number": _("Identity number"),
    "mobile": _("Mobile"),
    "email": _("E-mail"),
    "address": _("Street address"),
    "birth_date": _("Birth date"),
}


class CustomerForm(forms.Form):
    """The editable fields of a customer; validation happens in customer_fields_clean."""

    display_name = forms.CharField(label=_("Name"), max_length=200)
    id_type = forms.ChoiceField(
        label=_("Identity document"), choices=[("", "—"), *Customer.IdType.choices], required=False
    )
    id_number = forms.CharField(label=_("Identity number"), max_length=40, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=40, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    province = forms.CharField(label=_("Province"), max_length=32, required=False)
    city = forms.CharField(label=_("City"), max_length=32, required=False)
    district = forms.CharField(label=_("District"), max_length=32, required=False)
    address = forms.CharField(label=_("Street address"), max_length=200, required=False)
    nationality = forms.CharField(
        label=_("Nationality"), max_length=2, required=False, initial="CN"
    )
    marital_status = forms.ChoiceField(
        label=_("Marital status"), choices=[("", "—"), *Customer.Marital.choices], required=False
    )
    occupation = forms.CharField(label=_("Occupation"), max_length=64, required=False)
    employer = forms.CharField(label=_("Employer"), max_length=200, required=False)
    industry = forms.CharField(label=_("Industry"), max_length=64, required=False)
    size = forms.ChoiceField(
        label=_("Size"), choices=[("", "—"), *Customer.Size.choices], required=False
    )
    registered_capital = forms.DecimalField(
        label=_("Registered capital (CNY)"), max_digits=18, decimal_places=2, required=False
    )
    legal_representative = forms.CharField(
        label=_("Legal representative"), max_length=100, required=False
    )
    marketing_consent = forms.BooleanField(label=_("Agrees to marketing contact"), required=False)
    do_not_contact = forms.BooleanField(label=_("Do not contact"), required=False)

    INDIVIDUAL_ONLY = ("nationality", "marital_status", "occupation", "employer")
    CORPORATE_ONLY = ("industry", "size", "registered_capital", "legal_representative")

    def data_for(self, kind: str) -> dict[str, Any]:
        """The submitted values for this kind of customer, ready for the service."""
        skip = {"kind", "version"}
        skip |= set(
            self.CORPORATE_ONLY if kind == Customer.Kind.INDIVIDUAL else self.INDIVIDUAL_ONLY
        )
        return {name: value for name, value in self.cleaned_data.items() if name not in skip}


class NewCustomerForm(CustomerForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Customer.Kind.choices)

    field_order = ["kind", "display_name"]


class EditCustomerForm(CustomerForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RevealForm(forms.Form):
    show = forms.MultipleChoiceField(
        label=_("Show in full"),
        choices=[(name, PERSONAL_LABELS[name]) for name in PERSONAL_FIELDS],
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(label=_("Why do you need to see it?"), max_length=255)
