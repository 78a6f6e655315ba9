"""The global search: one box over customers, prospects, work orders and products.

Each kind is read through its own app's visibility selector, so a record the actor
may not see is never a hit, and through the same masking its app's lists use. Every
kind costs one query whatever the number of hits: the first few rows, plus one to
know whether there is more.

Customers are found through the customers app's indexed search (name tokens, exact
mobile / identity number / credit code, customer number). Like the customers list,
a search writes no access-log entry: its rows carry masked fields only; opening a
customer is what is logged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rmdesk.core.errors import DomainError
from rmdesk.customers import identifiers
from rmdesk.customers import presenters as customer_presenters
from rmdesk.customers.selectors import customer_list
from rmdesk.org.models import Staff

MAX_LENGTH = 100
# Hits shown per kind on the mixed page, and when the page shows one kind only.
FEW = 5
MANY = 50

KINDS = {
    "customers": gettext_lazy("Customers"),
    "prospects": gettext_lazy("Prospects"),
    "work_orders": gettext_lazy("Work orders"),
    "products": gettext_lazy("Products"),
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WORK_ORDER_NO = re.compile(r"^#?(\d{1,18})$")


class SearchInvalid(DomainError):
    """The search text or the kinds were refused; ``details`` names the field and reason."""

    status = 422


def search_text_clean(text: str | None) -> str:
    """The text to search for: NFKC (full-width letters and digits become plain ones),
    control characters dropped, runs of spaces collapsed. Empty means "nothing to search".

    Raises SearchInvalid when longer than MAX_LENGTH characters.
    """
    cleaned = " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFKC", text or "")).split())
    if len(cleaned) > MAX_LENGTH:
        raise SearchInvalid(
            _("Some fields are not valid."),
            code="invalid_fields",
            details=[
                {
                    "field": "q",
                    "reason": _("Search for at most %(limit)d characters.") % {"limit": MAX_LENGTH},
                }
            ],
        )
    return cleaned


def search_kinds_clean(text: str | None) -> tuple[str, ...]:
    """The kinds asked for, from a comma-separated list; empty means every kind.

    Raises SearchInvalid naming the unknown kinds.
    """
    asked = [part.strip() for part in (text or "").split(",") if part.strip()]
    unknown = [part for part in asked if part not in KINDS]
    if unknown:
        raise SearchInvalid(
            _("Some fields are not valid."),
            code="invalid_fields",
            details=[
                {
                    "field": "kinds",
                    "reason": _("Unknown kind: %(kinds)s. Use any of: %(known)s.")
                    % {"kinds": ", ".join(unknown[:5])[:200], "known": ", ".join(KINDS)},
                }
            ],
        )
    return tuple(kind for kind in KINDS if kind in asked) or tuple(KINDS)


@dataclass(frozen=True)
class Hit:
    id: int
    title: str
    detail: str
    url: str


@dataclass(frozen=True)
class KindResult:
    kind: str
    label: str
    hits: list[Hit]
    has_more: bool
    # Where to see every hit of this kind: the app's own list, filtered by the search,
    # or this search narrowed to the kind when the app's list has no search of its own.
    more_url: str
    own_list: bool = True
    # The pages ask for more by POST to this path (the search text in the body, never in
    # a URL: it may be a mobile or an identity number); empty: ``more_url`` is a link.
    more_path: str = ""
    more_kinds: str = ""


def _more(hits: list[Hit], limit: int) -> tuple[list[Hit], bool]:
    return hits[:limit], len(hits) > limit


def _search_page(q: str, kind: str) -> str:
    return reverse("web:search") + "?" + urlencode({"q": q, "kinds": kind})


def _customers(actor: Staff, q: str, limit: int) -> KindResult:
    page = customer_list(actor=actor, q=q, limit=limit)
    hits = []
    for customer in page.items:
        row = customer_presenters.customer_summary(customer)
        hits.append(
            Hit(
                id=customer.pk,
                title=row["display_name"],
                detail=f"{customer.customer_no} · {row['tier_label']} · {customer.home_unit.name}",
                url=reverse("customers:detail", args=[customer.pk]),
            )
        )
    more_url = reverse("customers:list") + "?" + urlencode({"q": q})
    return KindResult(
        "customers",
        str(KINDS["customers"]),
        hits,
        page.has_more,
        more_url,
        more_path=reverse("customers:list"),
    )


def _prospect_filter(q: str) -> Q:
    from rmdesk.development.prospects import name_key

    for kind, parse, field in (
        ("mobile", identifiers.mobile, "mobile_digest"),
        ("id", identifiers.resident_id, "id_digest"),
        ("id", identifiers.uscc, "id_digest"),
    ):
        try:
            value = parse(q)
        except identifiers.IdentifierError:
            continue
        return Q(**{field: identifiers.lookup_digest(kind, value)})
    return Q(name_key__contains=name_key(q))


def _prospects(actor: Staff, q: str, limit: int) -> KindResult:
    from rmdesk.development.presenters import prospect_out
    from rmdesk.development.prospects import prospect_visible_to

    rows = list(
        prospect_visible_to(actor)
        .filter(_prospect_filter(q))
        .select_related("owner")
        .order_by("-stage_changed_at", "-id")[: limit + 1]
    )
    hits = []
    for prospect in rows:
        row = prospect_out(prospect, actor=actor)
        owner = row["owner"]["display_name"] if row["owner"] else _("In the pool")
        hits.append(
            Hit(
                id=prospect.pk,
                title=row["display_name"],
                detail=f"{row['stage_label']} · {owner}",
                url=reverse("development:prospect", args=[prospect.pk]),
            )
        )
    hits, has_more = _more(hits, limit)
    # The pipeline has no search of its own: more prospects are listed here.
    more = _search_page(q, "prospects")
    return KindResult(
        "prospects",
        str(KINDS["prospects"]),
        hits,
        has_more,
        more,
        own_list=False,
        more_path=reverse("web:search"),
        more_kinds="prospects",
    )


def _work_orders(actor: Staff, q: str, limit: int) -> KindResult:
    from rmdesk.coordination.selectors import work_orders_visible_to

    condition = Q(title__icontains=q)
    number = _WORK_ORDER_NO.match(q.replace(" ", ""))
    if number and int(number.group(1)) <= 2**63 - 1:
        condition |= Q(pk=int(number.group(1)))
    rows = list(
        work_orders_visible_to(actor)
        .filter(condition)
        .select_related("work_order_type")
        .order_by("-id")[: limit + 1]
    )
    hits = [
        Hit(
            id=work_order.pk,
            title=f"#{work_order.pk} {work_order.title}",
            detail=f"{work_order.work_order_type.name} · {work_order.get_status_display()}",
            url=reverse("coordination:detail", args=[work_order.pk]),
        )
        for work_order in rows
    ]
    hits, has_more = _more(hits, limit)
    # The work-order list has no search of its own: more work orders are listed here.
    more = _search_page(q, "work_orders")
    return KindResult(
        "work_orders",
        str(KINDS["work_orders"]),
        hits,
        has_more,
        more,
        own_list=False,
        more_path=reverse("web:search"),
        more_kinds="work_orders",
    )


def _products(actor: Staff, q: str, limit: int) -> KindResult:
    from rmdesk.marketing.selectors import product_list

    rows = list(product_list(actor=actor, q=q)[: limit + 1])
    hits = [
        Hit(
            id=product.pk,
            title=f"{product.code} {product.name}",
            detail=f"{product.get_type_display()} · R{product.risk_level} · "
            f"{product.get_status_display()}",
            url=reverse("marketing:product_detail", args=[product.pk]),
        )
        for product in rows
    ]
    hits, has_more = _more(hits, limit)
    more_url = reverse("marketing:products") + "?" + urlencode({"q": q})
    return KindResult("products", str(KINDS["products"]), hits, has_more, more_url)


SEARCHES = {
    "customers": _customers,
    "prospects": _prospects,
    "work_orders": _work_orders,
    "products": _products,
}


def search_everything(
    *, actor: Staff, q: str, kinds: tuple[str, ...] = tuple(KINDS), limit: int = FEW
) -> list[KindResult]:
    """The first ``limit`` hits of each kind ``actor`` may see, in the order of KINDS.

    ``q`` is already cleaned (search_text_clean) and not empty. One query per kind.
    """
    return [SEARCHES[kind](actor, q, limit) for kind in KINDS if kind in kinds]
