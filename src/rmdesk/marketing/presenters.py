"""One shape for pages and the API. Customer names are masked (customers.masking)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from rmdesk.customers.masking import masked_name_of
from rmdesk.marketing.models import Product, Recommendation, Sale


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def product_out(product: Product) -> dict[str, Any]:
    return {
        "id": product.pk,
        "code": product.code,
        "name": product.name,
        "type": product.type,
        "type_label": product.get_type_display(),
        "issuer_type": product.issuer_type,
        "asset_class": product.asset_class,
        "risk_level": product.risk_level,
        "term_days": product.term_days,
        "yield_low": None if product.yield_low is None else f"{product.yield_low:.2f}",
        "yield_high": None if product.yield_high is None else f"{product.yield_high:.2f}",
        "min_amount": money(product.min_amount),
        "increment": money(product.increment),
        "currency": product.currency,
        "sale_starts_at": product.sale_starts_at,
        "sale_ends_at": product.sale_ends_at,
        "quota": money(product.quota),
        "quota_used": money(product.quota_used),
        "target_tiers": list(product.target_tiers or []),
        "qualification_needed": product.qualification_needed,
        "cooling_off_hours": product.cooling_off_hours,
        "status": product.status,
        "status_label": product.get_status_display(),
    }


def sale_out(sale: Sale) -> dict[str, Any]:
    recording = getattr(sale, "recording", None)
    return {
        "id": sale.pk,
        "customer_id": sale.customer_id,
        "customer_name": masked_name_of(sale.customer),
        "product_id": sale.product_id,
        "product_code": sale.product.code,
        "product_name": sale.product.name,
        "risk_level": sale.product.risk_level,
        "amount": money(sale.amount),
        "currency": sale.currency,
        "channel": sale.channel,
        "channel_label": sale.get_channel_display(),
        "staff_id": sale.staff_id,
        "signed_at": sale.signed_at,
        "status": sale.status,
        "status_label": sale.get_status_display(),
        "cooling_off_ends_at": sale.cooling_off_ends_at,
        "follow_up_due_at": sale.follow_up_due_at,
        "cancelled_at": sale.cancelled_at,
        "rule_set_version": sale.rule_set_version,
        "suitability": sale.suitability,
        "recording": (
            {
                "file_name": recording.file_name,
                "sha256": recording.sha256,
                "zone": recording.zone,
                "reviewer_id": recording.reviewer_id,
                "retain_until": recording.retain_until.isoformat(),
            }
            if recording is not None
            else None
        ),
        "above_tolerance": sale.above_tolerance,
    }


def reason_text(code: str) -> str:
    return {
        "liquidity": _("Money maturing soon covers the minimum."),
        "tier": _("Made for the customer's tier."),
        "risk_match": _("Matches the customer's risk tolerance exactly."),
        "familiar": _("The customer already holds this kind of product."),
        "fit": _("Within the customer's risk tolerance and means."),
    }.get(code, code)


def recommendation_out(item: Recommendation) -> dict[str, Any]:
    return {
        "product_id": item.product_id,
        "product_code": item.product.code,
        "product_name": item.product.name,
        "risk_level": item.product.risk_level,
        "score": item.score,
        "rank": item.rank,
        "reason": item.reason,
        "reason_text": reason_text(item.reason),
    }
