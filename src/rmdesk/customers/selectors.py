"""Reads of customers, always through the visibility policy."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from rmdesk.core.masking import mask_name
from rmdesk.customers.models import Customer
from rmdesk.org.models import Staff
from rmdesk.org.policy import customer_q, sees_personal_data_unmasked


def customer_visible_to(actor: Staff) -> QuerySet[Customer]:
    """Every customer ``actor`` may see, and nothing else."""
    return Customer.objects.filter(customer_q(actor))


@dataclass(frozen=True)
class CustomerPage:
    items: list[Customer]
    offset: int
    limit: int
    has_more: bool


def customer_list(*, actor: Staff, q: str = "", offset: int = 0, limit: int = 25) -> CustomerPage:
    """A page of visible customers in name order, optionally filtered by part of the name
    or an exact customer number.

    No count: one query fetches ``limit + 1`` rows to know whether there is more.
    """
    customers = customer_visible_to(actor).select_related("home_unit", "primary_manager")
    q = q.strip()
    if q:
        customers = customers.filter(display_name__icontains=q) | customers.filter(customer_no=q)
    rows = list(customers.order_by("display_name", "id")[offset : offset + limit + 1])
    return CustomerPage(items=rows[:limit], offset=offset, limit=limit, has_more=len(rows) > limit)


def customer_get(*, actor: Staff, customer_id: int) -> Customer:
    """One visible customer. Out of scope and non-existent are the same: Http404."""
    try:
        return (
            customer_visible_to(actor)
            .select_related("home_unit", "primary_manager")
            .get(pk=customer_id)
        )
    except (Customer.DoesNotExist, ValueError, OverflowError) as exc:
        raise Http404 from exc


def customer_display_name(*, actor: Staff, customer: Customer) -> str:
    """The name as ``actor`` may see it: in full for the customer's own manager and for
    companies, masked for everyone else."""
    if customer.kind == Customer.Kind.CORPORATE or sees_personal_data_unmasked(
        actor, primary_manager_id=customer.primary_manager_id
    ):
        return customer.display_name
    return mask_name(customer.display_name)
