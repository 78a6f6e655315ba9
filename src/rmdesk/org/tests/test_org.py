from __future__ import annotations

import pytest

from rmdesk.audit.models import AuditEvent
from rmdesk.org.models import OrgUnit
from rmdesk.org.tests.factories import OrgUnitFactory


@pytest.mark.django_db
def test_units_get_a_materialised_path() -> None:
    root = OrgUnitFactory(kind=OrgUnit.Kind.HEAD_OFFICE)
    branch = OrgUnitFactory(kind=OrgUnit.Kind.BRANCH, parent=root)
    sub = OrgUnitFactory(parent=branch)
    assert root.path == f"/{root.pk}/"
    assert sub.path == f"/{root.pk}/{branch.pk}/{sub.pk}/"
    assert (root.depth, branch.depth, sub.depth) == (0, 1, 2)
    subtree = OrgUnit.objects.filter(path__startswith=branch.path)
    assert set(subtree) == {branch, sub}


@pytest.mark.django_db
def test_creating_a_unit_is_audited() -> None:
    unit = OrgUnitFactory(code="X1")
    event = AuditEvent.objects.get(action="org.org_unit.created", target_id=str(unit.pk))
    assert event.data == {"code": "X1"}
