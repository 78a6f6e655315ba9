from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from rmdesk.customers.models import Customer
from rmdesk.customers.selectors import customer_visible_to
from rmdesk.org.models import OrgUnit, Staff


@pytest.fixture
def var_dir(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.mark.django_db
def test_seed_builds_the_bank_once(var_dir: Path) -> None:
    call_command("seed", "--scale", "tiny", "--password", "tiny-bank-password")
    assert OrgUnit.objects.count() == 1 + 2 + 4
    assert Customer.objects.count() == 200
    assert (var_dir / "demo-password").read_text().strip() == "tiny-bank-password"
    call_command("seed", "--scale", "tiny", "--if-empty")
    assert Customer.objects.count() == 200
    with pytest.raises(CommandError):
        call_command("seed", "--scale", "tiny")


@pytest.mark.django_db
def test_the_documented_logins_exist_and_see_their_scope(var_dir: Path) -> None:
    call_command("seed", "--scale", "tiny", "--password", "tiny-bank-password")
    for username in (
        "admin",
        "hq-analyst",
        "compliance-01",
        "branch-head-01",
        "subbranch-head-01",
        "rm-0001",
        "risk-01",
        "credit-01",
        "ops-01",
        "product-01",
    ):
        assert Staff.objects.filter(username=username).exists(), username
    manager = Staff.objects.get(username="rm-0001")
    mine = customer_visible_to(manager)
    assert mine.exists()
    assert set(mine.values_list("primary_manager", flat=True)) == {manager.pk}
    head = Staff.objects.get(username="branch-head-01")
    assert customer_visible_to(head).count() < Customer.objects.count()
    client = Client()
    response = client.post("/login/", {"username": "rm-0001", "password": "tiny-bank-password"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_seed_is_deterministic(var_dir: Path) -> None:
    call_command("seed", "--scale", "tiny", "--password", "tiny-bank-password")
    first = list(Customer.objects.order_by("customer_no").values_list("display_name", flat=True))
    assert first[0]
    assert len(set(first)) > 100
