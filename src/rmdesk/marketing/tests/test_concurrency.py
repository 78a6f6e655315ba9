"""Two managers sell the last of a quota at the same moment: exactly one sale lands."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from rmdesk.conftest import Cast
from rmdesk.core.errors import DomainError
from rmdesk.customers.models import Customer
from rmdesk.marketing import services
from rmdesk.marketing.models import Product, Sale
from rmdesk.marketing.tests.conftest import Shelf
from rmdesk.marketing.tests.factories import assessment_make

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)


@pytest.mark.django_db(transaction=True)
def test_quota_holds_under_concurrent_sales(cast: Cast, shelf: Shelf) -> None:
    """RELIABILITY.md E1."""
    Customer.objects.filter(pk=cast.other.pk).update(assisting_manager=cast.manager)
    for customer in (cast.own, cast.other):
        assessment_make(customer, level=3)
    Product.objects.filter(pk=shelf.r2.pk).update(quota=Decimal("1000000"))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def sell(customer_id: int) -> None:
        try:
            barrier.wait()
            services.sale_record(
                actor=cast.manager,
                customer_id=customer_id,
                product_id=shelf.r2.pk,
                amount=Decimal("600000"),
                channel="online",
                disclosure_sha256="a" * 64,
            )
            outcomes.append("sold")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sell, args=(c.pk,)) for c in (cast.own, cast.other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["sale_blocked", "sold"]
    assert Sale.objects.count() == 1
    assert Product.objects.get(pk=shelf.r2.pk).quota_used == Decimal("600000")
