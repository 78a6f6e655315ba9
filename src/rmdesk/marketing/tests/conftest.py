"""Marketing's own cast additions: a product officer, licences, a shelf."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from rmdesk.conftest import Cast
from rmdesk.marketing.models import Product
from rmdesk.marketing.tests.factories import ProductFactory, qualification_make, seeded_defaults
from rmdesk.org.models import Department, Staff
from rmdesk.org.roles import Role
from rmdesk.org.tests.factories import DepartmentFactory, StaffFactory


@pytest.fixture(autouse=True)
def _seeded_defaults(request: pytest.FixtureRequest) -> None:
    """Tests with a database get the migration's questionnaire and rule set back."""
    if {"db", "transactional_db", "cast"} & set(request.fixturenames):
        request.getfixturevalue("db")
        seeded_defaults()


@dataclass
class Shelf:
    officer: Staff
    r2: Product  # a WM subsidiary's public R2 product, minimum 1
    r4: Product  # a WM subsidiary's public R4 product
    bank_wm: Product  # the bank's own public R2 product, minimum 10,000
    private: Product  # private fixed income R3, minimum 300,000, quota 1,000,000
    fund: Product  # agency fund R4, needs a fund licence
    bond: Product  # a government bond


@pytest.fixture
def shelf(cast: Cast) -> Shelf:
    dept = DepartmentFactory(
        org_unit=cast.head_office, kind=Department.Kind.WEALTH_PRODUCT, name="财富管理部"
    )
    officer = StaffFactory(
        username="product-officer",
        org_unit=cast.head_office,
        roles=[Role.DEPARTMENT_OFFICER],
        department=dept,
    )
    qualification_make(cast.manager, "fund")
    return Shelf(
        officer=officer,
        r2=ProductFactory(code="WM-R2", name="稳健R2", risk_level=2),
        r4=ProductFactory(code="WM-R4", name="进取R4", risk_level=4),
        bank_wm=ProductFactory(
            code="BANK-R2", issuer_type=Product.Issuer.BANK, min_amount=Decimal("10000")
        ),
        private=ProductFactory(
            code="PRIV-R3",
            type=Product.Type.WM_PRIVATE,
            risk_level=3,
            min_amount=Decimal("300000"),
            increment=Decimal("10000"),
            quota=Decimal("1000000"),
        ),
        fund=ProductFactory(
            code="FUND-R4",
            type=Product.Type.FUND,
            issuer_type=Product.Issuer.THIRD_PARTY,
            asset_class=Product.AssetClass.EQUITY,
            risk_level=4,
            qualification_needed=Product.Qualification.FUND,
        ),
        bond=ProductFactory(
            code="GB-1",
            type=Product.Type.GOVERNMENT_BOND,
            issuer_type=Product.Issuer.BANK,
            risk_level=1,
            min_amount=Decimal("100"),
        ),
    )
