"""Bearer tokens: issue with username and password, list, revoke."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from rmdesk.api import selectors, services
from rmdesk.api.auth import AuthedRequest
from rmdesk.api.models import ApiToken
from rmdesk.api.schemas import ErrorOut, TokenIn, TokenIssuedOut, TokenOut

router = Router(tags=["auth"])


@router.post(
    "/tokens",
    auth=None,
    response={201: TokenIssuedOut, 401: ErrorOut, 400: ErrorOut, 429: ErrorOut},
    summary="Issue a bearer token",
)
def token_issue(request: HttpRequest, payload: TokenIn) -> Status[object]:
    issued = services.api_token_issue(
        request=request,
        username=payload.username,
        password=payload.password,
        name=payload.name,
        days=payload.days,
    )
    return Status(
        201,
        {
            "id": issued.record.pk,
            "token": issued.token,
            "name": issued.record.name,
            "expires_at": issued.record.expires_at,
        },
    )


@router.get("/tokens", response=list[TokenOut], summary="My tokens")
def token_list(request: AuthedRequest) -> list[ApiToken]:
    return selectors.api_token_list(actor=request.auth)


@router.delete("/tokens/{token_id}", response={204: None, 404: ErrorOut}, summary="Revoke a token")
def token_revoke(request: AuthedRequest, token_id: int) -> Status[object]:
    services.api_token_revoke(actor=request.auth, token_id=token_id, request=request)
    return Status(204, None)
