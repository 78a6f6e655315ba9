"""Which database a read goes to: reports may read a replica; everything else the primary.

With ``DATABASE_REPLICA_URL`` set, settings add a ``replica`` database. Report and
analytics selectors (bank-wide aggregates that tolerate a few seconds of replication
lag) read through ``reporting_db()``::

    Customer.objects.using(reporting_db()).values("tier").annotate(n=Count("id"))

Never for reads that decide a write, a permission, or what a user just saved: those
stay on the primary (the default), so a user always sees their own writes.
"""

from __future__ import annotations

from django.conf import settings

REPLICA = "replica"


def reporting_db() -> str:
    return REPLICA if REPLICA in settings.DATABASES else "default"
