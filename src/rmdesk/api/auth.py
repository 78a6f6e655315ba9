"""How API calls prove who they are: a bearer token, or the web session with CSRF."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from rmdesk.api.services import api_token_authenticate
from rmdesk.org.models import Staff


class AuthedRequest(HttpRequest):
    """What API handlers receive: ``auth`` is the staff member making the call."""

    auth: Staff


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Staff | None:
        staff = api_token_authenticate(token)
        if staff is not None:
            request.user = staff
        return staff


class ActiveSession(SessionAuth):
    """The signed-in web user; unsafe methods must carry the CSRF token."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Staff | None:
        user = request.user
        if user.is_authenticated and user.is_active and isinstance(user, Staff):
            return user
        return None


API_AUTH = [BearerToken(), ActiveSession()]
