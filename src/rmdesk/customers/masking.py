"""Which customer fields are personal data, how each is masked, and who may reveal it.

One table drives every channel — pages, API, search results, exports — so a field
cannot leak through a door that forgot a rule (PIPL art. 51; JR/T 0171-2020).
Personal fields are masked for every role by default. The customer's own managers
(lead and assisting) and compliance auditors may reveal a field for a short time,
with a reason; each reveal is written to the access log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Q
from django.utils import timezone

from rmdesk.core.masking import mask_card, mask_id_number, mask_middle, mask_mobile, mask_name
from rmdesk.customers.models import Customer, RevealGrant
from rmdesk.org.models import Staff
from rmdesk.org.roles import Role


def mask_email(value: str) -> str:
    """zhang.san@example.com → z*********@example.com."""
    local, _, domain = value.partition("@")
    if not domain:
        return mask_middle(value, keep_start=1, keep_end=0)
    return (local[:1] + "*" * max(len(local) - 1, 1)) + "@" + domain


def _mask_customer_name(customer: Customer) -> str:
    # A company's name is public; only people's names are personal data.
    if customer.kind == Customer.Kind.CORPORATE:
        return customer.display_name
    return mask_name(customer.display_name)


def _mask_id(customer: Customer) -> str:
    # Credit codes identify companies, not people.
    if customer.id_type == Customer.IdType.USCC:
        return customer.id_number
    if customer.id_type in ("", Customer.IdType.RESIDENT_ID):
        return mask_id_number(customer.id_number)
    # Passports and permits are short: keep one character at each end only.
    return mask_middle(customer.id_number, keep_start=1, keep_end=1)


def _mask_address(customer: Customer) -> str:
    # Up to the district: the street address is hidden.
    return "" if not customer.address else "****"


def _mask_birth_date(customer: Customer) -> str:
    return f"{customer.birth_date:%Y}-**-**" if customer.birth_date else ""


# field → (how to read the full value, how to mask it). Prospects carry the same
# fields under the same names (all but e-mail and address) and mask them the same way.
PERSONAL_FIELDS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], str]]] = {
    "display_name": (lambda c: c.display_name, _mask_customer_name),
    "id_number": (lambda c: c.id_number, _mask_id),
    "mobile": (lambda c: c.mobile, lambda c: mask_mobile(c.mobile)),
    "email": (lambda c: c.email, lambda c: mask_email(c.email) if c.email else ""),
    "address": (lambda c: c.address, _mask_address),
    "birth_date": (
        lambda c: c.birth_date.isoformat() if c.birth_date else "",
        _mask_birth_date,
    ),
}

REVEAL_ROLES = frozenset({Role.COMPLIANCE_AUDITOR})


def may_reveal(actor: Staff, managers: Iterable[int | None]) -> bool:
    """A record's own managers and compliance may reveal; everyone else sees masks.

    The one rule for customers and prospects (whose manager is their owner). The caller
    has already checked that ``actor`` may see the record at all.
    """
    if not actor.is_active:
        return False
    if actor.pk in set(managers):
        return True
    return bool(actor.role_codes & REVEAL_ROLES)


def can_reveal(actor: Staff, customer: Customer) -> bool:
    return may_reveal(actor, (customer.primary_manager_id, customer.assisting_manager_id))


def revealed_fields(actor: Staff, customer_ids: Iterable[int]) -> dict[int, set[str]]:
    """The fields each customer has revealed to ``actor`` right now (one query)."""
    ids = list(customer_ids)
    if not ids:
        return {}
    granted: dict[int, set[str]] = {}
    for customer_id, field in RevealGrant.objects.filter(
        Q(staff=actor, customer_id__in=ids, expires_at__gt=timezone.now())
    ).values_list("customer_id", "field"):
        granted.setdefault(customer_id, set()).add(field)
    return granted


def field_value(record: Any, field: str, *, revealed: set[str] | frozenset[str]) -> Any:
    """The value of a personal field of a customer or prospect as this viewer may see it."""
    full, masked = PERSONAL_FIELDS[field]
    return full(record) if field in revealed else masked(record)


def masked_name_of(customer: Customer) -> str:
    return _mask_customer_name(customer)


def mask_account_no(value: str) -> str:
    return mask_card(value)
