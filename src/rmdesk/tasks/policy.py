"""Who may see and act on the task queue: administrators."""

from __future__ import annotations

from rmdesk.org.models import Staff
from rmdesk.org.roles import Role


def can_manage_jobs(actor: Staff) -> bool:
    return actor.is_active and (actor.is_superuser or actor.has_role(Role.ADMINISTRATOR))
