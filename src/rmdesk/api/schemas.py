from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    code: str
    message: str
    details: Any = None


class PageMeta(Schema):
    offset: int
    limit: int
    has_more: bool


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=4096)
    name: str = Field(default="", max_length=100)
    days: int | None = Field(default=None, description="Lifetime in days (default 30).")


class TokenIssuedOut(Schema):
    id: int
    token: str = Field(description="The bearer token. It is shown only in this response.")
    name: str
    expires_at: datetime


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
