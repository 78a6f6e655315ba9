from __future__ import annotations

from rmdesk.org.models import Staff
from rmdesk.org.roles import Role

COMPUTE_ROLES = frozenset({Role.ADMINISTRATOR, Role.HQ_ANALYST})


def can_compute_scorecards(actor: Staff) -> bool:
    """Recomputing a period replaces what everyone sees: administrators and head office."""
    return actor.is_active and bool(actor.role_codes & COMPUTE_ROLES)


def can_configure_scoring(actor: Staff) -> bool:
    """The weights and the period are the bank's setup: administrators."""
    return actor.is_active and (actor.is_superuser or Role.ADMINISTRATOR in actor.role_codes)
