from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rmdesk.ingest.models import Feed


class UploadForm(forms.Form):
    feed = forms.ChoiceField(label=_("Feed"), choices=Feed.choices)
    file = forms.FileField(label=_("File (CSV or XLSX)"))
    dry_run = forms.BooleanField(label=_("Dry run: check and count only"), required=False)

    def __init__(self, *args: Any, feeds: tuple[str, ...] = tuple(Feed.values), **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Only the feeds the uploader may import are offered (and accepted).
        field = self.fields["feed"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
        field.choices = [(value, label) for value, label in Feed.choices if value in feeds]
