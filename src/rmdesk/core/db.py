"""Which database a read goes to: reports may read a replica; everything else the primary.

With ``DATABASE_REPLICA_URL`` set, settings add a ``replica`` database. Report and
analytics selectors (bank-wide aggregates that tolerate a few seconds of replication
lag) read through ``reporting_db()``::

    Customer.objects.using(reporting_db()).values("tier").annotate(n=Count("id"))

Never for reads that decide a write, a permission, or what a user just saved: those
stay on the primary (the default), so a user always sees their own writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Expression, F, QuerySet, Subquery

REPLICA = "replica"


def reporting_db() -> str:
    return REPLICA if REPLICA in settings.DATABASES else "default"


class InSubquery(Expression):
    """``column IN (subquery)`` that PostgreSQL can OR with index scans.

    PostgreSQL plans ``x = ? OR id IN (SELECT …)`` as a filter over every row (a hashed
    subplan cannot join a BitmapOr): a manager's first page then walks the whole bank's
    name index. Written ``id = ANY(ARRAY(SELECT …))`` the subquery runs once, first, and
    each branch of the OR uses its own index. SQLite keeps the plain ``IN``.
    """

    conditional = True

    def __init__(self, column: str, queryset: QuerySet[Any]) -> None:
        super().__init__(output_field=BooleanField())
        self.column: Any = F(column)
        self.subquery: Any = Subquery(queryset)

    def get_source_expressions(self) -> list[Any]:
        return [self.column, self.subquery]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.column, self.subquery = exprs

    def as_sql(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        column_sql, column_params = compiler.compile(self.column)
        subquery_sql, subquery_params = compiler.compile(self.subquery)
        if connection.vendor == "postgresql":
            sql = f"{column_sql} = ANY(ARRAY{subquery_sql})"
        else:
            sql = f"{column_sql} IN {subquery_sql}"
        return sql, (*column_params, *subquery_params)
