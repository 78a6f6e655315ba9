"""A customer requirement rides a work order to the product department when there is one."""

from __future__ import annotations

import pytest

from rmdesk.conftest import Cast
from rmdesk.coordination.models import WorkOrder
from rmdesk.coordination.tests.factories import seed_defaults
from rmdesk.marketing import services
from rmdesk.org.models import Department
from rmdesk.org.tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _work_order_types(db: None) -> None:
    # A transactional test elsewhere may have flushed the seeded types: put them back.
    seed_defaults()


def test_routed_to_the_product_department_at_head_office(cast: Cast) -> None:
    products = DepartmentFactory(org_unit=cast.head_office, kind=Department.Kind.WEALTH_PRODUCT)
    requirement = services.requirement_record(
        actor=cast.manager, customer_id=cast.own.pk, topic="USD-WM", description="美元理财"
    )
    assert requirement.work_order is not None
    assert requirement.work_order.work_order_type.code == "customer_requirement"
    assert requirement.work_order.owner_department == products
    assert requirement.work_order.fields == {"need": "美元理财"}


def test_without_a_route_the_requirement_is_kept_all_the_same(cast: Cast) -> None:
    requirement = services.requirement_record(
        actor=cast.manager, customer_id=cast.own.pk, topic="USD-WM", description="美元理财"
    )
    assert requirement.pk is not None
    assert requirement.work_order is None
    assert not WorkOrder.objects.exists()
