"""Writes to customers. The customers issue extends these; every write is audited."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.models import AccessLog
from rmdesk.audit.services import access_record, audit_record
from rmdesk.core.errors import ConflictError, DomainError
from rmdesk.core.retry import retried_transaction
from rmdesk.customers import identifiers
from rmdesk.customers.masking import PERSONAL_FIELDS, can_reveal, field_value
from rmdesk.customers.models import (
    DEFAULT_TIER_RULES,
    ZERO,
    Customer,
    CustomerAssignment,
    Holding,
    RevealGrant,
    Tier,
    TierChange,
    TierRule,
)
from rmdesk.customers.search import name_tokens
from rmdesk.customers.selectors import customer_get
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.policy import can_modify_customers
from rmdesk.org.roles import Role


class InvalidFields(DomainError):
    """One or more fields were refused; ``details`` lists each with its code and reason."""

    status = 422


EDITABLE_FIELDS = (
    "display_name",
    "id_type",
    "id_number",
    "mobile",
    "email",
    "province",
    "city",
    "district",
    "address",
    "gender",
    "birth_date",
    "nationality",
    "occupation",
    "employer",
    "marital_status",
    "industry",
    "size",
    "registered_capital",
    "legal_representative",
    "marketing_consent",
    "do_not_contact",
)
_EDITABLE = frozenset(EDITABLE_FIELDS)
TEXT_LIMITS = {
    "province": 32,
    "city": 32,
    "district": 32,
    "address": 200,
    "occupation": 64,
    "employer": 200,
    "industry": 64,
    "legal_representative": 100,
}
CHOICES: dict[str, type[models.TextChoices]] = {
    "id_type": Customer.IdType,
    "gender": Customer.Gender,
    "marital_status": Customer.Marital,
    "size": Customer.Size,
}
_OTHER_ID = re.compile(r"^[A-Z0-9]{5,20}$")


def customer_fields_clean(
    *,
    kind: str,
    data: dict[str, Any],
    current: Customer | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Validate and normalise customer fields; the same rules for pages, API and imports.

    ``current`` is the record being edited (its values fill what ``data`` leaves out
    for the checks that span fields). ``today`` (default: today in the bank's time zone)
    bounds birth dates; an import passes its own, read once. Raises InvalidFields
    listing every refused field.
    """
    if today is None:
        today = timezone.localdate()
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {}

    def refuse(field: str, code: str, reason: Any) -> None:
        errors.append({"field": field, "code": code, "reason": str(reason)})

    unknown = sorted(data.keys() - _EDITABLE)
    for field in unknown:
        refuse(field, "NOT_EDITABLE", _("This field cannot be set here."))

    def value(field: str) -> Any:
        if field in data:
            return data[field]
        return getattr(current, field) if current is not None else None

    for field, raw in data.items():
        if field in unknown:
            continue
        try:
            clean[field] = _clean_one(kind, field, raw, today=today)
        except identifiers.IdentifierError as exc:
            refuse(field, exc.code, exc.message)

    id_type = clean.get("id_type", value("id_type")) or (
        Customer.IdType.USCC if kind == Customer.Kind.CORPORATE else Customer.IdType.RESIDENT_ID
    )
    if "id_number" in clean and clean["id_number"]:
        try:
            clean["id_number"] = _clean_id_number(id_type, str(clean["id_number"]), today=today)
        except identifiers.IdentifierError as exc:
            refuse("id_number", exc.code, exc.message)
        else:
            clean["id_type"] = id_type
    if kind == Customer.Kind.CORPORATE and id_type != Customer.IdType.USCC:
        refuse(
            "id_type",
            "BAD_ID_TYPE",
            _("A company is identified by its unified social credit code."),
        )
    if kind == Customer.Kind.INDIVIDUAL and id_type == Customer.IdType.USCC:
        refuse("id_type", "BAD_ID_TYPE", _("A person cannot have a unified social credit code."))
    number = clean.get("id_number", value("id_number"))
    if (
        not any(e["field"] == "id_number" for e in errors)
        and id_type == Customer.IdType.RESIDENT_ID
        and number
    ):
        born = identifiers.resident_id_birth_date(number)
        gender = identifiers.resident_id_gender(number)
        if "birth_date" in data and clean.get("birth_date") not in (None, born):
            refuse(
                "birth_date",
                "BIRTH_DATE_MISMATCH",
                _("The birth date differs from the identity number's."),
            )
        if "gender" in data and clean.get("gender") not in (None, "", gender):
            refuse("gender", "GENDER_MISMATCH", _("The gender differs from the identity number's."))
        clean["birth_date"], clean["gender"] = born, gender
    if errors:
        raise InvalidFields(_("Some fields are not valid."), code="invalid_fields", details=errors)
    return clean


def _clean_id_number(id_type: str, raw: str, *, today: date) -> str:
    if id_type == Customer.IdType.RESIDENT_ID:
        return identifiers.resident_id(raw, today=today)
    if id_type == Customer.IdType.USCC:
        return identifiers.uscc(raw)
    value = identifiers.normalise_text(raw).upper()
    if not _OTHER_ID.match(value):
        raise identifiers.IdentifierError(
            "BAD_CHARSET", _("Letters and digits only, 5 to 20 of them.")
        )
    return value


def _clean_one(kind: str, field: str, raw: Any, *, today: date) -> Any:
    """One field on its own; cross-field rules are in customer_fields_clean."""
    if field in {"marketing_consent", "do_not_contact"}:
        if not isinstance(raw, bool):
            raise identifiers.IdentifierError("BAD_VALUE", _("Yes or no."))
        return raw
    if raw is None or raw == "":
        if field == "display_name":
            raise identifiers.IdentifierError("REQUIRED", _("A name is required."))
        return None if field in {"birth_date", "registered_capital"} else ""
    if field == "display_name":
        if kind == Customer.Kind.INDIVIDUAL:
            return identifiers.person_name(str(raw))
        return identifiers.person_name(str(raw), max_length=200)
    if field == "id_number":
        return str(raw)  # checked with its type in customer_fields_clean
    if field == "mobile":
        return identifiers.mobile(str(raw))
    if field == "email":
        return identifiers.email(str(raw))
    if field == "birth_date":
        try:
            born = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
        except ValueError as exc:
            raise identifiers.IdentifierError("BAD_DATE", _("A date as YYYY-MM-DD.")) from exc
        if born > today or born.year < 1900:
            raise identifiers.IdentifierError("BAD_BIRTH_DATE", _("Not a possible birth date."))
        return born
    if field == "registered_capital":
        try:
            amount = Decimal(str(raw))
        except InvalidOperation as exc:
            raise identifiers.IdentifierError("BAD_AMOUNT", _("An amount in CNY.")) from exc
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e16"):
            raise identifiers.IdentifierError("BAD_AMOUNT", _("An amount in CNY."))
        return amount.quantize(Decimal("0.01"))
    if field in CHOICES:
        if raw not in CHOICES[field].values:
            raise identifiers.IdentifierError("BAD_CHOICE", _("Not one of the allowed values."))
        return raw
    if field == "nationality":
        text = identifiers.normalise_text(str(raw)).upper()
        if not re.fullmatch(r"[A-Z]{2}", text):
            raise identifiers.IdentifierError("BAD_COUNTRY", _("A two-letter country code."))
        return text
    text = identifiers.normalise_text(str(raw))
    if len(text) > TEXT_LIMITS.get(field, 200):
        raise identifiers.IdentifierError("TOO_LONG", _("Too long."))
    # A printable string holds no control character (Cc is in the Other category).
    if not text.isprintable() and any(unicodedata.category(ch) == "Cc" for ch in text):
        raise identifiers.IdentifierError("BAD_CHARSET", _("Control characters are not allowed."))
    return text


def _derived(customer: Customer) -> None:
    """Fields that follow from others: lookup digests and name tokens."""
    customer.id_digest = (
        identifiers.lookup_digest("id", customer.id_number) if customer.id_number else ""
    )
    customer.mobile_digest = (
        identifiers.lookup_digest("mobile", customer.mobile) if customer.mobile else ""
    )
    customer.search_tokens = name_tokens(customer.display_name)


def _refuse_duplicate_identity(customer: Customer) -> None:
    if not customer.id_digest:
        return
    clash = Customer.objects.filter(id_digest=customer.id_digest).exclude(pk=customer.pk)
    if clash.exists():
        raise ConflictError(
            _("A customer with this identity number already exists."),
            code="duplicate_identity",
            details={"field": "id_number"},
        )


def _new_customer_no() -> str:
    # Customers created in rmdesk (not by the core system) get an R-number; the
    # random tail avoids a counter row that every creation would contend on.
    return f"R{timezone.localdate():%y%m%d}{secrets.randbelow(10**8):08d}"


@transaction.atomic
def customer_create(
    *,
    actor: Staff | None,
    kind: Customer.Kind | str,
    home_unit: OrgUnit,
    primary_manager: Staff | None = None,
    assisting_manager: Staff | None = None,
    customer_no: str | None = None,
    **data: Any,
) -> Customer:
    """Create a customer from validated fields, open its assignment, audit it.

    Permission checks are the caller's (``customer_register`` for people; seeds and
    imports act for the bank). Raises InvalidFields, ConflictError("duplicate_identity").
    """
    if kind not in Customer.Kind.values:
        raise InvalidFields(
            _("Some fields are not valid."),
            code="invalid_fields",
            details=[
                {
                    "field": "kind",
                    "code": "BAD_CHOICE",
                    "reason": str(_("Not one of the allowed values.")),
                }
            ],
        )
    clean = customer_fields_clean(kind=kind, data=data)
    customer = Customer(
        customer_no=customer_no or _new_customer_no(),
        kind=kind,
        home_unit=home_unit,
        primary_manager=primary_manager,
        assisting_manager=assisting_manager,
        **clean,
    )
    _derived(customer)
    _refuse_duplicate_identity(customer)
    if Customer.objects.filter(customer_no=customer.customer_no).exists():
        raise ConflictError(
            _("This customer number is taken."),
            code="duplicate_customer_no",
            details={"field": "customer_no"},
        )
    customer.save(force_insert=True)
    now = timezone.now()
    CustomerAssignment.objects.bulk_create(
        [
            CustomerAssignment(customer=customer, manager=manager, role=role, started_at=now)
            for manager, role in (
                (primary_manager, CustomerAssignment.Role.LEAD),
                (assisting_manager, CustomerAssignment.Role.ASSISTING),
            )
            if manager is not None
        ]
    )
    audit_record(
        actor=actor,
        action="customers.customer.created",
        target=customer,
        data={"customer_no": customer.customer_no, "home_unit": home_unit.code, "kind": kind},
    )
    return customer


def customer_register(
    *,
    actor: Staff,
    kind: str,
    data: dict[str, Any],
    home_unit_id: int | None = None,
    manager_id: int | None = None,
) -> Customer:
    """A member of staff records a new customer.

    An account manager's new customer is theirs, homed in their unit. A head homes it
    in their subtree and may name an account manager there, or leave it in the pool.
    Raises PermissionDenied, InvalidFields, ConflictError.
    """
    if not can_modify_customers(actor) or actor.org_unit is None:
        raise PermissionDenied
    home_unit = actor.org_unit
    if home_unit_id is not None:
        home_unit = _unit_in_scope(actor, home_unit_id, field="home_unit_id")
    manager: Staff | None = actor if actor.has_role(Role.ACCOUNT_MANAGER) else None
    if manager_id is not None:
        manager = _manager_in_scope(actor, manager_id)
    return customer_create(
        actor=actor, kind=kind, home_unit=home_unit, primary_manager=manager, **data
    )


def _unit_in_scope(actor: Staff, unit_id: int, *, field: str) -> OrgUnit:
    assert actor.org_unit is not None  # noqa: S101  (checked by the caller)
    unit = OrgUnit.objects.filter(pk=unit_id, path__startswith=actor.org_unit.path).first()
    if unit is None:
        raise InvalidFields(
            _("Some fields are not valid."),
            code="invalid_fields",
            details=[
                {
                    "field": field,
                    "code": "OUT_OF_SCOPE",
                    "reason": str(_("Not an org unit you serve.")),
                }
            ],
        )
    return unit


def _manager_in_scope(actor: Staff, manager_id: int) -> Staff:
    assert actor.org_unit is not None  # noqa: S101  (checked by the caller)
    manager = (
        Staff.objects.filter(
            pk=manager_id,
            is_active=True,
            roles__role=Role.ACCOUNT_MANAGER,
            org_unit__path__startswith=actor.org_unit.path,
        )
        .distinct()
        .first()
    )
    if manager is None:
        raise InvalidFields(
            _("Some fields are not valid."),
            code="invalid_fields",
            details=[
                {
                    "field": "manager_id",
                    "code": "OUT_OF_SCOPE",
                    "reason": str(_("Not an account manager in your org unit.")),
                }
            ],
        )
    return manager


@retried_transaction()
def customer_update(
    *, actor: Staff, customer_id: int, version: int, data: dict[str, Any]
) -> Customer:
    """Edit a customer the actor may see and change, if nobody changed it since ``version``.

    Locks the row. Raises Http404 (not visible), PermissionDenied (read-only role),
    ConflictError("stale_version") with the current version, InvalidFields.
    """
    found = customer_get(actor=actor, customer_id=customer_id)
    customer = Customer.objects.select_for_update().get(pk=found.pk)
    if not can_modify_customers(actor):
        raise PermissionDenied
    if version != customer.version:
        raise ConflictError(
            _("Someone changed this customer since you opened it. Reload and try again."),
            code="stale_version",
            details={"current_version": customer.version},
        )
    clean = customer_fields_clean(kind=customer.kind, data=data, current=customer)
    changed = sorted(name for name, value in clean.items() if getattr(customer, name) != value)
    if not changed:
        return customer
    for name in changed:
        setattr(customer, name, clean[name])
    _derived(customer)
    _refuse_duplicate_identity(customer)
    customer.version += 1
    customer.save()
    # Field names only: the values may be personal data.
    audit_record(
        actor=actor,
        action="customers.customer.updated",
        target=customer,
        data={"fields": changed, "version": customer.version},
    )
    return customer


@dataclass(frozen=True)
class Revealed:
    values: dict[str, Any]
    expires_at: datetime


def reveal_logged(
    *,
    actor: Staff,
    target: models.Model,
    customer_id: int | None,
    known: Iterable[str],
    fields: list[str],
    reason: str,
    request: HttpRequest | None,
    channel: str,
) -> list[str]:
    """Check a reveal's fields and reason and write its one access-log entry (an unmask).

    Shared by every record with personal fields (customers, prospects); the caller has
    checked scope and ``may_reveal``. Returns the fields to show, sorted. Raises
    InvalidFields (unknown field, no field, no reason).
    """
    allowed = set(known)
    errors = [
        {
            "field": "fields",
            "code": "BAD_CHOICE",
            "reason": str(_("Unknown field: %(name)s") % {"name": name}),
        }
        for name in fields
        if name not in allowed
    ]
    reason = " ".join(reason.split())
    if len(reason) < 4:
        errors.append(
            {"field": "reason", "code": "REQUIRED", "reason": str(_("Say why you need to see it."))}
        )
    if not fields:
        errors.append(
            {"field": "fields", "code": "REQUIRED", "reason": str(_("Name the fields to reveal."))}
        )
    if errors:
        raise InvalidFields(_("Some fields are not valid."), code="invalid_fields", details=errors)
    wanted = sorted(set(fields))
    access_record(
        actor=actor,
        action=AccessLog.Action.UNMASK,
        channel=channel,
        target=target,
        customer_id=customer_id,
        request=request,
        fields=",".join(wanted),
        reason=reason[:255],
    )
    return wanted


@transaction.atomic
def customer_reveal(
    *,
    actor: Staff,
    customer_id: int,
    fields: list[str],
    reason: str,
    request: HttpRequest | None,
    channel: str,
) -> Revealed:
    """Show personal fields in full, for a short time, with a reason; logged as an unmask.

    Raises Http404 (not visible), PermissionDenied (role may not reveal),
    InvalidFields (unknown field, no reason).
    """
    customer = customer_get(actor=actor, customer_id=customer_id)
    if not can_reveal(actor, customer):
        raise PermissionDenied
    wanted = reveal_logged(
        actor=actor,
        target=customer,
        customer_id=customer.pk,
        known=PERSONAL_FIELDS,
        fields=fields,
        reason=reason,
        request=request,
        channel=channel,
    )
    expires_at = timezone.now() + timedelta(seconds=settings.RMDESK_REVEAL_SECONDS)
    RevealGrant.objects.bulk_create(
        [
            RevealGrant(staff=actor, customer=customer, field=name, expires_at=expires_at)
            for name in wanted
        ]
    )
    everything = frozenset(wanted)
    return Revealed(
        values={name: field_value(customer, name, revealed=everything) for name in wanted},
        expires_at=expires_at,
    )


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


def _scope(customer_ids: Iterable[int] | RawSQL | None) -> QuerySet[Customer]:
    customers = Customer.objects.all()
    if isinstance(customer_ids, RawSQL):
        customers = customers.filter(pk__in=customer_ids)
    elif customer_ids is not None:
        customers = customers.filter(pk__in=list(customer_ids))
    return customers


@transaction.atomic
def customer_balances_refresh(*, customer_ids: Iterable[int] | RawSQL | None = None) -> int:
    """Recompute AUM and liabilities from active holdings, set-based; returns rows updated.

    ``customer_ids=None`` refreshes the whole bank in one statement.
    """
    active = Holding.objects.filter(customer=OuterRef("pk"), status=Holding.Status.ACTIVE)

    def total(holdings: QuerySet[Holding]) -> Coalesce:
        summed = holdings.values("customer").annotate(total=Sum("balance_cny")).values("total")
        return Coalesce(Subquery(summed), Value(ZERO), output_field=DecimalField())

    return _scope(customer_ids).update(
        aum=total(active.exclude(product_type__in=Holding.LIABILITY_TYPES)),
        liabilities=total(active.filter(product_type__in=Holding.LIABILITY_TYPES)),
    )


def tier_thresholds() -> list[tuple[str, Decimal]]:
    """The bank's tiers as (tier, from AUM), highest first; the defaults if none are set."""
    rules = list(TierRule.objects.order_by("-min_aum").values_list("tier", "min_aum"))
    return rules or [(tier, min_aum) for tier, min_aum, _hold in reversed(DEFAULT_TIER_RULES)]


def tier_case() -> Case:
    """The tier each AUM falls in, by the bank's current rules (highest threshold first)."""
    return Case(
        *[When(aum__gte=min_aum, then=Value(tier)) for tier, min_aum in tier_thresholds()],
        default=Value(Tier.MASS),
        output_field=CharField(),
    )


@transaction.atomic
def customer_tiers_refresh(*, customer_ids: Iterable[int] | RawSQL | None = None) -> int:
    """Move customers to the tier their AUM now falls in and record each move; returns moves.

    Set-based whatever the number of customers: one statement records the moves in the
    tier history and one moves the customers (on PostgreSQL a single ``UPDATE … FROM …
    RETURNING`` feeding the history's ``INSERT``). ``customer_ids`` may be ids or an SQL
    subquery of ids (an import passes the customers it touched). Tiers follow the AUM
    held now. (Monthly averages and downgrade hold periods need daily balances, which
    arrive with the core-system feeds.)
    """
    now = timezone.now()
    case, case_params = _tier_sql("c.aum")
    if customer_ids is None:
        scope, scope_params = "1 = 1", ()
    else:
        ids, scope_params = _scope(customer_ids).values("pk").query.sql_with_params()
        scope = f"c.id IN ({ids})"
    moving = (
        f"SELECT c.id, c.tier AS from_tier, {case} AS to_tier, c.aum"  # noqa: S608 (no input)
        f" FROM customers_customer c WHERE {scope}"
    )
    moving_params = [*case_params, *scope_params]
    history = "INSERT INTO customers_tierchange (customer_id, from_tier, to_tier, aum, changed_at)"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH moved AS (UPDATE customers_customer t SET tier = m.to_tier,"  # noqa: S608
                f" tier_since = %s FROM ({moving}) m"
                " WHERE t.id = m.id AND m.to_tier <> m.from_tier"
                " RETURNING t.id, m.from_tier, m.to_tier, m.aum)"
                f" {history} SELECT id, from_tier, to_tier, aum, %s FROM moved",
                [now.date(), *moving_params, now],
            )
            moved = int(cursor.rowcount)
        else:
            # SQLite has no data-modifying CTE: the same two sets, one writer at a time.
            cursor.execute(
                f"{history} SELECT m.id, m.from_tier, m.to_tier, m.aum, %s"  # noqa: S608
                f" FROM ({moving}) m WHERE m.to_tier <> m.from_tier",
                [now, *moving_params],
            )
            moved = int(cursor.rowcount)
            cursor.execute(
                f"UPDATE customers_customer SET tier = m.to_tier, tier_since = %s"  # noqa: S608
                f" FROM ({moving}) m WHERE customers_customer.id = m.id"
                " AND m.to_tier <> m.from_tier",
                [now.date(), *moving_params],
            )
    if moved:
        first = TierChange.objects.filter(changed_at=now).select_related("customer").first()
        if first is not None:
            audit_record(
                actor=None,
                action="customers.tier.refreshed",
                target=first.customer,
                data={"moved": moved},
            )
    return moved


def _tier_sql(aum: str) -> tuple[str, list[Any]]:
    """The tier ``aum`` (an SQL expression) falls in, by the bank's current rules."""
    thresholds = tier_thresholds()
    whens = " ".join(f"WHEN {aum} >= CAST(%s AS NUMERIC) THEN %s" for _rule in thresholds)
    params: list[Any] = [value for tier, min_aum in thresholds for value in (min_aum, tier)]
    params.append(Tier.MASS.value)
    return (f"CASE {whens} ELSE %s END" if thresholds else "%s"), params


@transaction.atomic
def customer_holdings_refresh(*, customer_ids: Iterable[int] | RawSQL) -> int:
    """AUM, liabilities and tier of these customers from their active holdings, in one
    pass: each customer row is written once, and only if something changed; every tier
    move is recorded in the tier history. Returns the number of tier moves.

    The same figures as ``customer_balances_refresh`` then ``customer_tiers_refresh``
    (tested), for the imports that touch many customers at once.
    """
    now = timezone.now()
    ids, scope_params = _scope(customer_ids).values("pk").query.sql_with_params()
    liability = ", ".join("%s" for _type in Holding.LIABILITY_TYPES)
    liability_params = [str(value) for value in sorted(Holding.LIABILITY_TYPES)]
    tier, tier_params = _tier_sql("x.aum")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS customers_refresh")
        cursor.execute(
            "CREATE TEMP TABLE customers_refresh AS SELECT x.*, "  # noqa: S608 (no input)
            f"{tier} AS to_tier FROM (SELECT c.id, c.tier AS from_tier, c.aum AS old_aum,"
            " c.liabilities AS old_liabilities,"
            f" COALESCE(SUM(CASE WHEN h.product_type IN ({liability}) THEN NULL"
            " ELSE h.balance_cny END), 0) AS aum,"
            f" COALESCE(SUM(CASE WHEN h.product_type IN ({liability}) THEN h.balance_cny END),"
            " 0) AS liabilities"
            " FROM customers_customer c LEFT JOIN customers_holding h"
            " ON h.customer_id = c.id AND h.status = %s"
            f" WHERE c.id IN ({ids}) GROUP BY c.id, c.tier, c.aum, c.liabilities) x",
            [
                *tier_params,
                *liability_params,
                *liability_params,
                Holding.Status.ACTIVE.value,
                *scope_params,
            ],
        )
        cursor.execute(
            "INSERT INTO customers_tierchange (customer_id, from_tier, to_tier, aum, changed_at)"
            " SELECT id, from_tier, to_tier, aum, %s FROM customers_refresh"
            " WHERE to_tier <> from_tier",
            [now],
        )
        moved = int(cursor.rowcount)
        cursor.execute(
            "UPDATE customers_customer SET aum = r.aum, liabilities = r.liabilities,"
            " tier = r.to_tier, tier_since = CASE WHEN r.to_tier <> r.from_tier THEN %s"
            " ELSE customers_customer.tier_since END"
            " FROM customers_refresh r WHERE customers_customer.id = r.id"
            " AND (r.aum <> r.old_aum OR r.liabilities <> r.old_liabilities"
            " OR r.to_tier <> r.from_tier)",
            [now.date()],
        )
        cursor.execute("DROP TABLE customers_refresh")
    if moved:
        first = TierChange.objects.filter(changed_at=now).select_related("customer").first()
        if first is not None:
            audit_record(
                actor=None,
                action="customers.tier.refreshed",
                target=first.customer,
                data={"moved": moved},
            )
    return moved


def customer_search_reindex(*, batch_size: int = 5000) -> int:
    """Recompute tokens and digests for every customer, in key order, one batch per transaction.

    Restartable: each batch commits on its own and the result does not depend on order.
    """
    done = 0
    last = 0
    fields = ["id", "display_name", "id_number", "mobile"]
    while True:
        with transaction.atomic():
            rows = list(
                Customer.objects.filter(pk__gt=last).order_by("pk").only(*fields)[:batch_size]
            )
            if not rows:
                return done
            for customer in rows:
                _derived(customer)
            Customer.objects.bulk_update(
                rows, ["id_digest", "mobile_digest", "search_tokens"], batch_size=1000
            )
        done += len(rows)
        last = rows[-1].pk
