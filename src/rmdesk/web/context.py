from __future__ import annotations

from django.http import HttpRequest

from rmdesk.ingest.permissions import can_import
from rmdesk.org.models import Staff
from rmdesk.org.policy import can_read_audit_log


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    staff = user if isinstance(user, Staff) else None
    return {
        "can_read_audit_log": staff is not None and can_read_audit_log(staff),
        "can_import": staff is not None and can_import(staff),
    }
