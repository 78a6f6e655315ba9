"""Facts about the request that several apps need: the client's address, its id."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address. X-Forwarded-For counts only behind configured trusted proxies.

    With ``TRUSTED_PROXY_COUNT = n`` the address is the n-th entry from the right of
    X-Forwarded-For (the one our outermost proxy saw); anything a client put further
    left is ignored.
    """
    remote = str(request.META.get("REMOTE_ADDR") or "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if part.strip()
    ]
    if len(forwarded) < count:
        return remote
    return forwarded[-count]


def request_id(request: HttpRequest) -> str:
    """One id per request, taken from a proxy's X-Request-ID when it sent a sane one."""
    existing = getattr(request, "_rmdesk_request_id", None)
    if existing:
        return str(existing)
    candidate = str(request.META.get("HTTP_X_REQUEST_ID", ""))[:64]
    if not candidate or not candidate.replace("-", "").isalnum():
        candidate = uuid.uuid4().hex
    request._rmdesk_request_id = candidate  # type: ignore[attr-defined]
    return candidate
