"""Writes to the organisation: the tree, departments, staff and their roles."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from rmdesk.audit.services import audit_record
from rmdesk.org.models import Department, OrgUnit, Staff, StaffRole
from rmdesk.org.roles import Role


@transaction.atomic
def org_unit_create(
    *,
    actor: Staff | None,
    code: str,
    name: str,
    kind: OrgUnit.Kind,
    parent: OrgUnit | None,
) -> OrgUnit:
    """Add a node under ``parent`` (None for the head office) and give it its path."""
    unit = OrgUnit.objects.create(code=code, name=name, kind=kind, parent=parent, path=f"~{code}")
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.depth = parent.depth + 1 if parent else 0
    unit.save(update_fields=["path", "depth"])
    audit_record(actor=actor, action="org.org_unit.created", target=unit, data={"code": code})
    return unit


@transaction.atomic
def department_create(
    *, actor: Staff | None, org_unit: OrgUnit, kind: Department.Kind, name: str
) -> Department:
    department = Department.objects.create(org_unit=org_unit, kind=kind, name=name)
    audit_record(
        actor=actor, action="org.department.created", target=department, data={"kind": kind}
    )
    return department


@transaction.atomic
def staff_create(
    *,
    actor: Staff | None,
    username: str,
    display_name: str,
    org_unit: OrgUnit,
    roles: Iterable[Role],
    password: str | None = None,
    department: Department | None = None,
    line_manager: Staff | None = None,
    employee_no: str = "",
) -> Staff:
    staff = Staff(
        username=username,
        display_name=display_name,
        org_unit=org_unit,
        department=department,
        line_manager=line_manager,
        employee_no=employee_no,
    )
    if password is None:
        staff.set_unusable_password()
    else:
        staff.set_password(password)
    staff.is_staff = Role.ADMINISTRATOR in set(roles)
    staff.save()
    role_list = sorted(set(roles))
    StaffRole.objects.bulk_create([StaffRole(staff=staff, role=role) for role in role_list])
    audit_record(
        actor=actor,
        action="org.staff.created",
        target=staff,
        data={"username": username, "roles": role_list, "org_unit": org_unit.code},
    )
    return staff


@transaction.atomic
def staff_set_roles(*, actor: Staff | None, staff: Staff, roles: Iterable[Role]) -> Staff:
    role_list = sorted(set(roles))
    StaffRole.objects.filter(staff=staff).exclude(role__in=role_list).delete()
    existing = set(StaffRole.objects.filter(staff=staff).values_list("role", flat=True))
    StaffRole.objects.bulk_create(
        [StaffRole(staff=staff, role=role) for role in role_list if role not in existing]
    )
    staff.__dict__.pop("role_codes", None)
    audit_record(actor=actor, action="org.staff.roles_set", target=staff, data={"roles": role_list})
    return staff
