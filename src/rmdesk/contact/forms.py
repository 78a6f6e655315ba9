"""Forms for the contact pages. They only parse; the rules are in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rmdesk.contact.models import Interaction, PlanEntry, ServiceRequest

LOCAL_DATETIME = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class InteractionForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"), choices=Interaction.Channel.choices, widget=forms.RadioSelect
    )
    occurred_at = forms.DateTimeField(
        label=_("When"), input_formats=LOCAL_DATETIME, widget=DateTimeLocal()
    )
    summary = forms.CharField(
        label=_("Summary"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    needs = forms.MultipleChoiceField(
        label=_("Needs heard"), required=False, widget=forms.CheckboxSelectMultiple
    )
    key_person_id = forms.TypedChoiceField(
        label=_("With"), required=False, coerce=int, empty_value=None
    )
    next_step = forms.CharField(label=_("Next step"), max_length=500, required=False)
    follow_up_on = forms.DateField(label=_("Follow up on"), required=False, widget=DateInput())
    confidentiality = forms.ChoiceField(
        label=_("Confidentiality"),
        choices=Interaction.Confidentiality.choices,
        initial=Interaction.Confidentiality.NORMAL,
    )

    def __init__(
        self,
        *args: Any,
        needs: list[tuple[str, str]],
        key_people: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["needs"].choices = needs  # type: ignore[attr-defined]
        if key_people:
            self.fields["key_person_id"].choices = [  # type: ignore[attr-defined]
                ("", _("The customer")),
                *key_people,
            ]
        else:
            del self.fields["key_person_id"]


class DismissForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[c for c in PlanEntry.Outcome.choices if c[0] != PlanEntry.Outcome.CONTACTED],
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class VisitForm(forms.Form):
    planned_start = forms.DateTimeField(
        label=pgettext_lazy("visit", "From"), input_formats=LOCAL_DATETIME, widget=DateTimeLocal()
    )
    planned_end = forms.DateTimeField(
        label=pgettext_lazy("visit", "Until"), input_formats=LOCAL_DATETIME, widget=DateTimeLocal()
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=300)
    location = forms.CharField(label=_("Place"), max_length=200, required=False)


class CheckInForm(forms.Form):
    lat = forms.DecimalField(required=False, min_value=-90, max_value=90, decimal_places=8)
    lng = forms.DecimalField(required=False, min_value=-180, max_value=180, decimal_places=8)
    accuracy_m = forms.IntegerField(required=False, min_value=0, max_value=100_000)


class ServiceRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ServiceRequest.Kind.choices)
    description = forms.CharField(
        label=_("Description"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    department_id = forms.TypedChoiceField(
        label=_("Hand to department"), required=False, coerce=int, empty_value=None
    )
    due_on = forms.DateField(label=_("Due"), required=False, widget=DateInput())

    def __init__(self, *args: Any, departments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department_id"].choices = [("", "—"), *departments]  # type: ignore[attr-defined]


class ServiceRequestUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ServiceRequest.Status.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class CalendarFeedForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=100, required=False)
