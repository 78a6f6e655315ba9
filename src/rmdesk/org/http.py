from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from rmdesk.org.models import Staff


def acting_staff(request: HttpRequest) -> Staff:
    """The signed-in staff member behind a page request (views are behind login_required)."""
    user = request.user
    if not isinstance(user, Staff) or not user.is_active:
        raise PermissionDenied
    return user
