"""Writes to customers. The customers issue extends these; every write is audited."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from rmdesk.audit.models import AccessLog
from rmdesk.audit.services import access_record, audit_record
from rmdesk.customers.models import Customer
from rmdesk.org.models import OrgUnit, Staff


@transaction.atomic
def customer_create(
    *,
    actor: Staff | None,
    customer_no: str,
    kind: Customer.Kind,
    display_name: str,
    home_unit: OrgUnit,
    primary_manager: Staff | None,
) -> Customer:
    customer = Customer.objects.create(
        customer_no=customer_no,
        kind=kind,
        display_name=display_name,
        home_unit=home_unit,
        primary_manager=primary_manager,
    )
    audit_record(
        actor=actor,
        action="customers.customer.created",
        target=customer,
        data={"customer_no": customer_no, "home_unit": home_unit.code},
    )
    return customer


@transaction.atomic
def customer_viewed(
    *, actor: Staff, customer: Customer, channel: str, request: HttpRequest | None
) -> None:
    """Log that ``actor`` opened the customer's detail (page or API)."""
    access_record(
        actor=actor,
        action=AccessLog.Action.VIEW,
        channel=channel,
        target=customer,
        customer_id=customer.pk,
        request=request,
    )
