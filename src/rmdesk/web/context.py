from __future__ import annotations

from django.http import HttpRequest

from rmdesk.org.models import Staff
from rmdesk.org.policy import can_read_audit_log


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    return {"can_read_audit_log": isinstance(user, Staff) and can_read_audit_log(user)}
