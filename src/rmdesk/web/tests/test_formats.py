"""Numbers, amounts and dates read in the active language's format, on the pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation

from rmdesk.conftest import Cast
from rmdesk.coordination.models import WorkOrder
from rmdesk.coordination.tests.factories import WorkOrderTypeFactory
from rmdesk.customers.models import Customer
from rmdesk.marketing.tests.factories import ProductFactory
from rmdesk.org.models import Staff

ClientFor = Callable[[Staff], Client]


def render(text: str, **context: object) -> str:
    return Template("{% load humanize %}" + text).render(Context(context))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", "1,234,567.89 · 12,345 · 2026-03-01 · 2026年3月1日 · 2026-03-01 14:05"),
        ("en", "1,234,567.89 · 12,345 · 03/01/2026 · March 1, 2026 · 03/01/2026 14:05"),
    ],
)
def test_each_language_has_its_formats(language: str, expected: str) -> None:
    with translation.override(language):
        text = render(
            '{{ amount|floatformat:"2g" }} · {{ count|intcomma }} · '
            '{{ day|date:"SHORT_DATE_FORMAT" }} · {{ day|date }} · '
            '{{ moment|date:"SHORT_DATETIME_FORMAT" }}',
            amount=Decimal("1234567.891"),
            count=12345,
            day=dt.date(2026, 3, 1),
            moment=dt.datetime(2026, 3, 1, 14, 5),  # noqa: DTZ001 (a wall-clock value)
        )
    assert text == expected


def signed_in(browser_for: ClientFor, staff: Staff, language: str) -> Client:
    client = browser_for(staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


SHORT_DATE = {"zh-hans": "%Y-%m-%d", "en": "%m/%d/%Y"}
SHORT_DATETIME = {"zh-hans": "%Y-%m-%d %H:%M", "en": "%m/%d/%Y %H:%M"}
LANGUAGES = ["zh-hans", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_amounts_are_grouped_on_the_customer_pages(
    cast: Cast, browser_for: ClientFor, language: str
) -> None:
    Customer.objects.filter(pk=cast.own.pk).update(aum=Decimal("123456789.50"))
    client = signed_in(browser_for, cast.manager, language)
    assert "123,456,789.50" in client.get("/customers/").content.decode()
    assert "123,456,789.50" in client.get(f"/customers/{cast.own.pk}/").content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_amounts_are_grouped_on_the_product_shelf(
    cast: Cast, browser_for: ClientFor, language: str
) -> None:
    product = ProductFactory(min_amount=Decimal("1000000.00"), increment=Decimal("10000.00"))
    client = signed_in(browser_for, cast.manager, language)
    assert "1,000,000.00" in client.get("/marketing/").content.decode()
    detail = client.get(f"/marketing/products/{product.pk}/").content.decode()
    assert "1,000,000.00" in detail
    assert "(+10,000.00)" in detail


@pytest.mark.parametrize("language", LANGUAGES)
def test_dates_follow_the_language_on_the_contact_plan(
    cast: Cast, browser_for: ClientFor, language: str
) -> None:
    body = signed_in(browser_for, cast.manager, language).get("/contact/").content.decode()
    heading = body.split("<h1>", 1)[1].split("</h1>", 1)[0]
    today = timezone.localdate()
    assert f"<small>{today.strftime(SHORT_DATE[language])}</small>" in heading


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_work_order_shows_its_amount_and_times_in_the_language(
    cast: Cast, browser_for: ClientFor, language: str
) -> None:
    unit = cast.manager.org_unit
    assert unit is not None
    due = timezone.now() + dt.timedelta(days=3)
    work_order = WorkOrder.objects.create(
        work_order_type=WorkOrderTypeFactory(),
        title="大额存单额度申请",
        customer=cast.own,
        raised_by=cast.manager,
        raised_unit=unit,
        owner_unit=unit,
        amount=Decimal("2500000.00"),
        due_at=due,
    )
    client = signed_in(browser_for, cast.manager, language)
    detail = client.get(f"/coordination/work-orders/{work_order.pk}/").content.decode()
    assert "2,500,000.00" in detail
    listed = client.get("/coordination/?view=all").content.decode()
    assert timezone.localtime(due).strftime(SHORT_DATETIME[language]) in listed
