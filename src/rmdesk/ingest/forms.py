from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rmdesk.ingest.models import Feed


class UploadForm(forms.Form):
    feed = forms.ChoiceField(label=_("Feed"), choices=Feed.choices)
    file = forms.FileField(label=_("File (CSV or XLSX)"))
    dry_run = forms.BooleanField(label=_("Dry run: check and count only"), required=False)
