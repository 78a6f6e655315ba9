"""Deny by default: every page and API route refuses anonymous callers, except an allowlist.

The routes come from the URL resolver, not from a hand-kept list, so a new route that
forgets its login check fails here.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

# Routes that anonymous callers may reach, as regular expressions over the path.
PUBLIC = [
    r"^/login/$",
    r"^/health$",
    r"^/i18n/setlang/$",
    r"^/admin/login/$",
    r"^/admin/logout/$",
    r"^/api/v1/auth/tokens$",  # POST issues a token; GET still needs one
]


def routes(patterns: list[URLPattern | URLResolver] | None = None, prefix: str = "/") -> list[str]:
    found: list[str] = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        pattern = str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += routes(entry.url_patterns, prefix + pattern.lstrip("^").rstrip("$"))
        else:
            found.append(prefix + pattern.lstrip("^").rstrip("$"))
    # Fill typed converters with a plausible id; drop admin's regex routes and static.
    concrete = []
    for route in found:
        if "(?P" in route or route.startswith("/static/"):
            continue
        concrete.append(re.sub(r"<(?:int|str|path|slug):\w+>|<\w+>", "1", route))
    return sorted(set(concrete))


@pytest.mark.django_db
def test_anonymous_callers_are_refused_everywhere_but_the_allowlist() -> None:
    """RELIABILITY.md B1."""
    checked = 0
    for path in routes():
        if any(re.match(rule, path) for rule in PUBLIC):
            continue
        for method in ("get", "post"):
            response = getattr(Client(), method)(path)
            location = response.get("Location", "")
            refused = response.status_code in {401, 403, 404, 405} or (
                response.status_code == 302 and "login" in location
            )
            assert refused, (method, path, response.status_code, location)
            checked += 1
    assert checked > 40
