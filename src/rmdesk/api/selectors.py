"""Reads of API tokens: a member of staff sees their own, never the secret."""

from __future__ import annotations

from rmdesk.api.models import ApiToken
from rmdesk.org.models import Staff


def api_token_list(*, actor: Staff, limit: int = 200) -> list[ApiToken]:
    return list(ApiToken.objects.filter(staff=actor).order_by("-id")[:limit])
