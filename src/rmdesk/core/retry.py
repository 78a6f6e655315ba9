"""Transactions PostgreSQL may abort to stay consistent, run again (RELIABILITY.md E6).

PostgreSQL aborts a transaction with ``40001`` (serialization failure: a SERIALIZABLE or
REPEATABLE READ transaction lost to a concurrent one) or ``40P01`` (chosen as a deadlock
victim). Nothing of it was applied, so running the whole transaction again is safe and
usually succeeds. ``retried_transaction`` does that for a service: at most three
attempts with a short random pause between them; after the last the error goes up and
the edges answer 503 with Retry-After (``core.errors``), never a 500.

It retries only the outermost transaction: a service called inside another's
transaction runs as an ordinary savepoint, and the outer service (or nobody) retries.
Side effects must wait for the commit (``transaction.on_commit``), as every service's
do, so an aborted attempt leaves nothing behind.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

ATTEMPTS = 3
RETRIED_SQLSTATES = frozenset({"40001", "40P01"})
SERIALIZABLE = "SERIALIZABLE"


def is_retryable(error: BaseException) -> bool:
    """A serialization failure or a deadlock, as PostgreSQL reports them."""
    cause = error.__cause__ or error
    return getattr(cause, "sqlstate", None) in RETRIED_SQLSTATES


def _pause(attempt: int) -> None:
    # Jittered, growing: the two contenders should not collide again in lockstep.
    time.sleep(random.uniform(0.005, 0.02) * attempt)  # noqa: S311 (not a secret)


def retried_transaction(
    *,
    isolation: str | None = None,
    attempts: int = ATTEMPTS,
    using: str = DEFAULT_DB_ALIAS,
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """``@transaction.atomic`` that runs the transaction again after 40001 / 40P01.

    ``isolation="SERIALIZABLE"`` runs the outermost attempt at that level (PostgreSQL).
    """

    def decorate(inner: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(inner)
        def run(*args: P.args, **kwargs: P.kwargs) -> T:
            connection = connections[using]
            if connection.in_atomic_block:
                with transaction.atomic(using=using):
                    return inner(*args, **kwargs)
            for attempt in range(1, attempts + 1):
                try:
                    with transaction.atomic(using=using):
                        if isolation and connection.vendor == "postgresql":
                            with connection.cursor() as cursor:
                                cursor.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
                        return inner(*args, **kwargs)
                except OperationalError as error:
                    if attempt == attempts or not is_retryable(error):
                        raise
                    sqlstate = getattr(error.__cause__, "sqlstate", "")
                    logger.warning(
                        "%s: transaction aborted (%s), attempt %d of %d",
                        inner.__qualname__,
                        sqlstate,
                        attempt,
                        attempts,
                    )
                    _pause(attempt)
            raise AssertionError("unreachable")  # pragma: no cover

        return run

    return decorate
