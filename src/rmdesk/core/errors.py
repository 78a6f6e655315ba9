"""Domain errors: raised by services, turned into JSON or a page by the edges."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused the request. ``code`` is stable; ``message`` is translated."""

    status = 400

    def __init__(self, message: Any, *, code: str, details: Any = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.details = details


class ConflictError(DomainError):
    """The request lost a race or the record changed underneath it."""

    status = 409
