from __future__ import annotations

from ninja import Schema


class OrgUnitRef(Schema):
    id: int
    code: str
    name: str
    kind: str


class StaffRef(Schema):
    id: int
    username: str
    display_name: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    org_unit: OrgUnitRef | None
    department: str | None
    roles: list[str]
    can_read_audit_log: bool
