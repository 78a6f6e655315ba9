"""Who may import files and see the runs: operations officers and administrators."""

from __future__ import annotations

from rmdesk.org.models import Department, Staff
from rmdesk.org.roles import Role


def can_import(actor: Staff) -> bool:
    """Administrators, and department officers of an operations department."""
    if not actor.is_active:
        return False
    if actor.is_superuser or actor.has_role(Role.ADMINISTRATOR):
        return True
    return (
        actor.has_role(Role.DEPARTMENT_OFFICER)
        and actor.department_id is not None
        and Department.objects.filter(
            pk=actor.department_id, kind=Department.Kind.OPERATIONS
        ).exists()
    )
