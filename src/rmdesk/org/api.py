from __future__ import annotations

from ninja import Router

from rmdesk.api.auth import AuthedRequest
from rmdesk.org.policy import can_read_audit_log
from rmdesk.org.schemas import MeOut

router = Router(tags=["me"])


@router.get("/me", response=MeOut, summary="Who I am and what my roles grant")
def me(request: AuthedRequest) -> dict[str, object]:
    staff = request.auth
    return {
        "id": staff.pk,
        "username": staff.username,
        "display_name": staff.display_name,
        "org_unit": staff.org_unit,
        "department": staff.department.name if staff.department else None,
        "roles": sorted(staff.role_codes),
        "can_read_audit_log": can_read_audit_log(staff),
    }
