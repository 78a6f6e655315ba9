from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rmdesk.customers.models import Tier
from rmdesk.development.models import SignalCode
from rmdesk.marketing.models import (
    Assessment,
    Product,
    QualifiedInvestorEvidence,
    Questionnaire,
    Sale,
)


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Code or name"), required=False, max_length=100)
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Any"))] + Product.Type.choices
    )
    risk_level = forms.TypedChoiceField(
        label=_("Risk"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any")), *[(i, f"R{i}") for i in range(1, 6)]],
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any"))] + Product.Status.choices
    )
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=[("", _("Any"))] + Tier.choices
    )


class ProductForm(forms.ModelForm):  # type: ignore[type-arg]
    target_tiers = forms.MultipleChoiceField(
        label=_("Target tiers"),
        required=False,
        choices=Tier.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Product
        fields = [
            "code",
            "name",
            "type",
            "issuer_type",
            "asset_class",
            "risk_level",
            "term_days",
            "yield_low",
            "yield_high",
            "min_amount",
            "increment",
            "currency",
            "sale_starts_at",
            "sale_ends_at",
            "quota",
            "target_tiers",
            "qualification_needed",
            "cooling_off_hours",
            "status",
        ]
        widgets = {
            "sale_starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "sale_ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }

    def validate_unique(self) -> None:
        """The service says whether the code is taken (ConflictError)."""


class CheckForm(forms.Form):
    customer = forms.TypedChoiceField(label=_("Customer"), coerce=int)
    product = forms.TypedChoiceField(label=_("Product"), coerce=int)
    amount = forms.DecimalField(
        label=_("Amount"), min_value=Decimal("0.01"), max_digits=18, decimal_places=2
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Sale.Channel.choices, initial="branch")

    def __init__(
        self,
        *args: Any,
        customers: list[tuple[int, str]],
        products: list[tuple[int, str]],
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["customer"].choices = customers  # type: ignore[attr-defined]
        self.fields["product"].choices = products  # type: ignore[attr-defined]


class SaleForm(CheckForm):
    risk_warning_signed = forms.BooleanField(
        label=_("The customer read the special risk warning and signed it"), required=False
    )
    recording_file_name = forms.CharField(
        label=_("Recording file name"), required=False, max_length=255
    )
    recording_sha256 = forms.CharField(label=_("Recording SHA-256"), required=False, max_length=64)
    recording_zone = forms.CharField(label=_("Sales zone"), required=False, max_length=100)
    recording_consent = forms.BooleanField(
        label=_("The customer consented to recording"), required=False
    )
    recording_reviewer = forms.IntegerField(
        label=_("Recording reviewed by (staff ID)"), required=False
    )
    second_checker = forms.IntegerField(label=_("Second checker (staff ID)"), required=False)
    witness_name = forms.CharField(label=_("Witness (relative)"), required=False, max_length=100)
    disclosure_sha256 = forms.CharField(
        label=_("Disclosure shown online (SHA-256)"), required=False, max_length=64
    )


class AssessmentForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Assessment.Channel.choices)
    customer_confirmed = forms.BooleanField(
        label=_("The customer answered in person and confirms the answers are their own")
    )

    def __init__(self, *args: Any, questionnaire: Questionnaire, language: str, **kw: Any) -> None:
        super().__init__(*args, **kw)
        lang = "zh-hans" if language.lower().startswith("zh") else "en"
        for question in questionnaire.definition["questions"]:
            self.fields[f"q_{question['code']}"] = forms.ChoiceField(
                label=question["text"].get(lang) or question["text"]["en"],
                choices=[
                    (o["code"], o["text"].get(lang) or o["text"]["en"]) for o in question["options"]
                ],
                widget=forms.RadioSelect,
            )

    def answers(self) -> dict[str, str]:
        return {
            name[2:]: value for name, value in self.cleaned_data.items() if name.startswith("q_")
        }


class EvidenceForm(forms.Form):
    basis = forms.ChoiceField(label=_("Basis"), choices=QualifiedInvestorEvidence.Basis.choices)
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), min_value=0, max_digits=18, decimal_places=2
    )
    experience_years = forms.IntegerField(
        label=_("Years of investment experience"), min_value=0, max_value=100
    )
    document_ref = forms.CharField(label=_("Document reference"), max_length=200)
    evidenced_on = forms.DateField(
        label=_("Evidence dated"), widget=forms.DateInput(attrs={"type": "date"})
    )


class CampaignForm(forms.Form):
    """A campaign and its segment; the same form creates it and edits a draft."""

    name = forms.CharField(label=_("Name"), max_length=200)
    product = forms.TypedChoiceField(
        label=_("Product"), coerce=int, required=False, empty_value=None
    )
    tiers = forms.MultipleChoiceField(
        label=_("Tiers"), choices=Tier.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    aum_min = forms.DecimalField(label=_("AUM from (CNY)"), required=False, min_value=0)
    aum_max = forms.DecimalField(label=_("AUM below (CNY)"), required=False, min_value=0)
    risk_levels = forms.TypedMultipleChoiceField(
        label=_("Risk tolerance"),
        coerce=int,
        choices=[(i, f"C{i}") for i in range(1, 6)],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    signals = forms.MultipleChoiceField(
        label=_("With a recent signal"),
        choices=SignalCode.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    signal_days = forms.IntegerField(
        label=_("Signals of the last (days)"), required=False, min_value=1, max_value=366
    )
    starts_on = forms.DateField(
        label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(label=_("Ends on"), widget=forms.DateInput(attrs={"type": "date"}))
    talking_points = forms.CharField(
        label=_("Talking points"), widget=forms.Textarea, required=False
    )

    def __init__(self, *args: Any, products: list[tuple[int, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["product"].choices = [("", "—"), *products]  # type: ignore[attr-defined]

    def rules(self) -> dict[str, Any]:
        """The segment rules of a valid form, as the services take them."""
        data = self.cleaned_data
        return {
            "tiers": data["tiers"],
            "aum_min": str(data["aum_min"]) if data["aum_min"] is not None else "",
            "aum_max": str(data["aum_max"]) if data["aum_max"] is not None else "",
            "risk_levels": data["risk_levels"],
            "signals": data["signals"],
            "signal_days": data["signal_days"],
        }

    @classmethod
    def initial_of(cls, campaign: Any) -> dict[str, Any]:
        rules = campaign.rules
        return {
            "name": campaign.name,
            "product": campaign.product_id,
            "tiers": rules.get("tiers", []),
            "aum_min": rules.get("aum_min"),
            "aum_max": rules.get("aum_max"),
            "risk_levels": rules.get("risk_levels", []),
            "signals": rules.get("signals", []),
            "signal_days": rules.get("signal_days"),
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "talking_points": campaign.talking_points,
        }


class RequirementForm(forms.Form):
    topic = forms.CharField(label=_("Topic"), max_length=100)
    description = forms.CharField(label=_("What the customer needs"), widget=forms.Textarea)
    amount = forms.DecimalField(
        label=_("Amount in mind (CNY)"),
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=2,
    )
