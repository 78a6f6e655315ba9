"""The customer as a viewer may see it: one shape for the 360 page and the API.

Every personal field passes through the masking table here, so the page and the
JSON cannot disagree about what a role sees.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.customers.masking import PERSONAL_FIELDS, field_value, mask_account_no
from rmdesk.customers.models import (
    Customer,
    CustomerAssignment,
    Holding,
    HouseholdMember,
    KeyPerson,
)
from rmdesk.customers.selectors import Customer360, Related, Relationships
from rmdesk.org.models import Staff

ROLE_LABELS: dict[str, Any] = {
    **dict(HouseholdMember.Role.choices),
    **dict(KeyPerson.Role.choices),
    **dict(Customer.GroupRole.choices),
    **dict(CustomerAssignment.Role.choices),
    "customer": _("Customer"),
    "staff": _("Staff"),
}


def staff_ref(staff: Staff | None) -> dict[str, Any] | None:
    if staff is None:
        return None
    return {"id": staff.pk, "username": staff.username, "display_name": staff.display_name}


def customer_summary(
    customer: Customer, *, revealed: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The fields a list row shows."""
    return {
        "id": customer.pk,
        "customer_no": customer.customer_no,
        "kind": customer.kind,
        "display_name": field_value(customer, "display_name", revealed=revealed),
        "name_masked": "display_name" not in revealed and customer.kind != Customer.Kind.CORPORATE,
        "tier": customer.tier,
        "tier_label": str(customer.get_tier_display()),
        "aum": customer.aum,
        "home_unit": {
            "id": customer.home_unit.pk,
            "code": customer.home_unit.code,
            "name": customer.home_unit.name,
            "kind": customer.home_unit.kind,
        },
        "primary_manager": staff_ref(customer.primary_manager),
        "assisting_manager": staff_ref(customer.assisting_manager),
        "version": customer.version,
    }


def holding_out(holding: Holding) -> dict[str, Any]:
    return {
        "id": holding.pk,
        "account_no": mask_account_no(holding.account_no),
        "product_type": holding.product_type,
        "product_code": holding.product_code,
        "product_name": holding.product_name,
        "currency": holding.currency,
        "balance": holding.balance,
        "balance_cny": holding.balance_cny,
        "opened_on": holding.opened_on,
        "matures_on": holding.matures_on,
        "is_liability": holding.is_liability,
    }


def related_out(entry: Related) -> dict[str, Any]:
    return {
        "customer_id": entry.customer_id,
        "name": entry.name,
        "kind": entry.kind,
        "role": entry.role,
        "role_label": str(ROLE_LABELS.get(entry.role, entry.role)),
        "detail": entry.detail,
    }


def relationships_out(rel: Relationships) -> dict[str, Any]:
    return {
        "household": rel.household_name,
        "household_members": [related_out(r) for r in rel.household],
        "group": rel.group_name,
        "group_members": [related_out(r) for r in rel.group],
        "key_people": [related_out(r) for r in rel.key_people],
        "key_roles": [related_out(r) for r in rel.key_roles],
        "referred_by": [related_out(r) for r in rel.referred_by],
        "referrals": [related_out(r) for r in rel.referrals],
    }


def customer_360_out(view: Customer360) -> dict[str, Any]:
    customer = view.customer
    personal = {
        name: field_value(customer, name, revealed=view.revealed) for name in PERSONAL_FIELDS
    }
    return {
        **customer_summary(customer, revealed=view.revealed),
        "identity": {
            "id_type": customer.id_type,
            "id_number": personal["id_number"],
            "gender": customer.gender,
            "birth_date": personal["birth_date"],
            "nationality": customer.nationality,
            "occupation": customer.occupation,
            "employer": customer.employer,
            "marital_status": customer.marital_status,
        },
        "contact": {
            "mobile": personal["mobile"],
            "email": personal["email"],
            "province": customer.province,
            "city": customer.city,
            "district": customer.district,
            "address": personal["address"],
            "marketing_consent": customer.marketing_consent,
            "do_not_contact": customer.do_not_contact,
        },
        "company": {
            "industry": customer.industry,
            "size": customer.size,
            "registered_capital": customer.registered_capital,
            "legal_representative": customer.legal_representative,
            "group": view.relationships.group_name,
            "group_role": customer.group_role,
        }
        if customer.kind == Customer.Kind.CORPORATE
        else None,
        "masked_fields": sorted(set(PERSONAL_FIELDS) - view.revealed),
        "can_reveal": view.can_reveal,
        "liabilities": customer.liabilities,
        "tier_since": customer.tier_since,
        "risk_level": customer.risk_level,
        "risk_expires_on": customer.risk_expires_on,
        "risk_expired": customer.risk_expires_on is not None
        and customer.risk_expires_on < timezone.localdate(),
        "holdings": {
            "by_type": [
                {
                    "product_type": group.product_type,
                    "label": group.label,
                    "count": group.count,
                    "total_cny": group.total_cny,
                    "is_liability": group.is_liability,
                }
                for group in view.holding_groups
            ],
            "maturing": [holding_out(h) for h in view.maturities],
        },
        "relationships": relationships_out(view.relationships),
        "tier_history": [
            {
                "from_tier": t.from_tier,
                "to_tier": t.to_tier,
                "aum": t.aum,
                "changed_at": t.changed_at,
            }
            for t in view.tier_changes
        ],
        "assignments": [
            {
                "manager": staff_ref(a.manager),
                "role": a.role,
                "role_label": str(ROLE_LABELS.get(a.role, a.role)),
                "started_at": a.started_at,
                "ended_at": a.ended_at,
                "note": a.note,
            }
            for a in view.assignments
        ],
    }
