"""Export of a customer list to CSV or XLSX (RELIABILITY.md C5; DOMAIN.md §3).

An export is a bulk read of personal data, so it is gated more tightly than the
list it copies:

- only the roles in ``EXPORT_ROW_LIMITS`` may export, each up to its row limit,
  never above ``settings.RMDESK_EXPORT_MAX_ROWS``; a larger selection is refused
  whole (no silent truncation: a cut-off list looks complete);
- each member of staff may export ``settings.RMDESK_EXPORTS_PER_DAY`` times per
  calendar day in the bank's time zone;
- the rows are exactly the customers the actor may see (``customer_visible_to``),
  narrowed by the search box's text, in list order;
- personal fields are always masked: an export never carries a full identity
  number, mobile, e-mail or a person's name (revealing in an export needs an
  approved work order, which rmdesk does not offer yet);
- every exported customer gets an access-log entry and the export one audit
  event, in one transaction; the file leaves only after it commits;
- cell text that a spreadsheet would run as a formula is quoted (CWE-1236).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Choices
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

from rmdesk.audit.models import AccessLog, AuditEvent
from rmdesk.audit.services import access_record_many, audit_record, lock_actor_chain
from rmdesk.core.errors import DomainError
from rmdesk.customers.masking import field_value
from rmdesk.customers.models import Customer, Tier
from rmdesk.customers.search import search_filter
from rmdesk.customers.selectors import customer_visible_to
from rmdesk.org.models import Staff
from rmdesk.org.roles import Role

# Who may export, and how many rows at most. A role that is not here may not
# export, whatever it may see:
# - administrators run the system and see no customers (policy.CUSTOMER_SCOPE);
# - department officers reach customers only through the work routed to them.
# Compliance auditors may: an export is a read, and inspections work from lists
# (sampling, off-line working papers). Their exports are masked and logged like
# everyone's, and the log they read cannot be edited by them (it is append-only).
# A member of staff with several roles gets the largest limit among them.
EXPORT_ROW_LIMITS: dict[str, int] = {
    Role.ACCOUNT_MANAGER: 2_000,
    Role.TEAM_LEAD: 5_000,
    Role.SUBBRANCH_HEAD: 5_000,
    Role.BRANCH_HEAD: 5_000,
    Role.HQ_ANALYST: 5_000,
    Role.COMPLIANCE_AUDITOR: 5_000,
}
DEFAULT_MAX_ROWS = 5_000  # settings.RMDESK_EXPORT_MAX_ROWS caps every role
DEFAULT_EXPORTS_PER_DAY = 20  # settings.RMDESK_EXPORTS_PER_DAY

EXPORTED_ACTION = "customers.customer.exported"
ACCESS_CHANNEL = "export"
# The personal fields an export carries (masked, but still an access to them).
ACCESS_FIELDS = "display_name,id_number,mobile,email"

# Exports never reveal: every personal field goes out masked.
NOTHING_REVEALED: frozenset[str] = frozenset()

# A spreadsheet treats cell text starting with these as a formula (CWE-1236,
# OWASP "CSV injection"); the full-width forms are there because Chinese input
# methods produce them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportTooLarge(DomainError):
    """The selection has more rows than the actor may export at once."""

    status = 422


class ExportQuotaExceeded(DomainError):
    """The actor has used up today's exports."""

    status = 429


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str  # e.g. "customers-20261129-1432.csv"
    content_type: str


def export_row_limit(actor: Staff) -> int | None:
    """How many rows ``actor`` may export at once, or None when they may not export."""
    if not actor.is_active:
        return None
    limits = [EXPORT_ROW_LIMITS[role] for role in actor.role_codes if role in EXPORT_ROW_LIMITS]
    if not limits:
        return None
    cap = int(getattr(settings, "RMDESK_EXPORT_MAX_ROWS", DEFAULT_MAX_ROWS))
    return min(max(limits), cap)


def can_export_customers(actor: Staff) -> bool:
    """Whether to offer the export at all (the quota is checked when exporting)."""
    return export_row_limit(actor) is not None


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet shows as it is: a leading formula character gets a quote."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _masked(field: str) -> Callable[[Customer], str]:
    def value(customer: Customer) -> str:
        return str(field_value(customer, field, revealed=NOTHING_REVEALED))

    return value


def _amount(value: Decimal) -> str:
    # Amounts are stored with two decimals; this only formats them.
    return f"{value:.2f}"


def _staff_name(staff: Staff | None) -> str:
    return str(staff) if staff is not None else ""


def _labels(choices: type[Choices]) -> Callable[[str], str]:
    """A choice's label in the current language, translated once per file, not once per cell.

    (``get_FOO_display`` translates every label of the field on each call.)
    """
    labels = {str(value): str(label) for value, label in choices.choices}
    return lambda value: labels.get(value, value)


Row = Callable[[Customer], list[str]]


def _row_builder() -> tuple[list[str], Row]:
    """The header, translated in the language of whoever asked for the file, and a row maker."""
    kind = _labels(Customer.Kind)
    id_type = _labels(Customer.IdType)
    tier = _labels(Tier)
    name, id_number, mobile, email = (
        _masked(field) for field in ("display_name", "id_number", "mobile", "email")
    )
    columns: list[tuple[str, Callable[[Customer], str]]] = [
        (_("Customer number"), lambda c: c.customer_no),
        (pgettext("customer", "Kind"), lambda c: kind(c.kind)),
        (pgettext("customer", "Name"), name),
        (_("Identity document"), lambda c: id_type(c.id_type)),
        (_("Identity number"), id_number),
        (_("Mobile"), mobile),
        (_("E-mail"), email),
        (_("City"), lambda c: c.city),
        (_("District"), lambda c: c.district),
        (_("Tier"), lambda c: tier(c.tier)),
        (_("AUM (CNY)"), lambda c: _amount(c.aum)),
        (_("Liabilities (CNY)"), lambda c: _amount(c.liabilities)),
        (_("Home org unit"), lambda c: c.home_unit.name),
        (_("Lead manager"), lambda c: _staff_name(c.primary_manager)),
        (_("Assisting manager"), lambda c: _staff_name(c.assisting_manager)),
    ]
    values = [value for _title, value in columns]
    return [title for title, _value in columns], lambda c: [value(c) for value in values]


# What the columns and the masking rules read; nothing else is fetched. Reading a
# field that is not here costs one query per row, which the tests would catch.
_FETCHED = (
    "customer_no",
    "kind",
    "display_name",
    "id_type",
    "id_number",
    "mobile",
    "email",
    "city",
    "district",
    "tier",
    "aum",
    "liabilities",
    "home_unit__name",
    "primary_manager__username",
    "primary_manager__display_name",
    "assisting_manager__username",
    "assisting_manager__display_name",
)


def _table(customers: Sequence[Customer]) -> list[list[str]]:
    header, row = _row_builder()
    table = [header, *(row(customer) for customer in customers)]
    return [[spreadsheet_safe(cell) for cell in cells] for cells in table]


def _csv(table: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(table)
    # The BOM makes Excel read UTF-8 (and so Chinese) instead of the local code page.
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx(table: list[list[str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Customers")[:31])
    for row in table:
        # XML cannot hold most control characters; openpyxl would refuse the file.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_FORMATS: dict[str, tuple[Callable[[list[list[str]]], bytes], str, str]] = {
    "csv": (_csv, "csv", CSV_TYPE),
    "xlsx": (_xlsx, "xlsx", XLSX_TYPE),
}


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def _exports_today(actor: Staff, *, per_day: int) -> int:
    """How many exports ``actor`` made since midnight in the bank's zone, counting up to per_day.

    Reads at most ``per_day`` rows through audit_auditevent_target: the export
    event targets the exporting staff member (an export has no one customer).
    """
    since = _start_of_day(timezone.localdate(timezone=timezone.get_default_timezone()))
    return (
        AuditEvent.objects.filter(
            target_type=Staff._meta.label_lower,
            target_id=str(actor.pk),
            action=EXPORTED_ACTION,
            created_at__gte=since,
        )
        .order_by("-id")[:per_day]
        .count()
    )


def _check_quota(actor: Staff) -> None:
    per_day = int(getattr(settings, "RMDESK_EXPORTS_PER_DAY", DEFAULT_EXPORTS_PER_DAY))
    if _exports_today(actor, per_day=per_day) >= per_day:
        raise ExportQuotaExceeded(
            ngettext(
                "You may export %(count)d time a day; try again tomorrow.",
                "You may export %(count)d times a day; try again tomorrow.",
                per_day,
            )
            % {"count": per_day},
            code="export_quota",
            details={"limit": per_day},
        )


def _select(actor: Staff, q: str, limit: int) -> list[Customer]:
    """The rows of the export in list order, or ExportTooLarge. One query, no COUNT."""
    selection = (
        customer_visible_to(actor)
        .select_related("home_unit", "primary_manager", "assisting_manager")
        .only(*_FETCHED)
    )
    condition = search_filter(q)
    if condition is not None:
        selection = selection.filter(condition)
    # One row more than the limit says "too many" without counting the rest.
    customers = list(selection.order_by("display_name", "id")[: limit + 1])
    if len(customers) > limit:
        raise ExportTooLarge(
            ngettext(
                "You may export at most %(limit)d customer at once; narrow the search.",
                "You may export at most %(limit)d customers at once; narrow the search.",
                limit,
            )
            % {"limit": limit},
            code="export_too_large",
            # At least this many: how many more there are is not counted.
            details={"limit": limit, "rows": limit + 1},
        )
    return customers


def customer_export(
    *, actor: Staff, q: str = "", fmt: str = "csv", request: HttpRequest | None = None
) -> ExportFile:
    """The customers ``actor`` may see (narrowed by the search text ``q``) as a CSV or XLSX file.

    Personal fields are masked. Writes one access-log entry per exported customer
    and one ``customers.customer.exported`` audit event (rows, format, whether a
    search was given; never the search text, which may be a mobile or an identity
    number) in one transaction; the file is returned only once it has committed,
    so there is no file without its log and no log without a file.

    Raises PermissionDenied (the actor's roles may not export),
    DomainError("export_format"), ExportQuotaExceeded("export_quota", status 429),
    ExportTooLarge("export_too_large", status 422). A refused export leaves no trace
    and does not count against the quota.
    """
    limit = export_row_limit(actor)
    if limit is None:
        raise PermissionDenied
    if fmt not in _FORMATS:
        raise DomainError(
            _("Choose CSV or XLSX."), code="export_format", details={"formats": sorted(_FORMATS)}
        )
    render, extension, content_type = _FORMATS[fmt]
    # Fail fast, before reading anything; checked again under the lock below.
    _check_quota(actor)

    customers = _select(actor, q, limit)
    now = timezone.now()
    # Built before the transaction: SQLite takes its write lock at BEGIN, and
    # rendering 5,000 rows takes seconds that no other writer should wait for.
    content = render(_table(customers))

    with transaction.atomic():
        # The actor's access-log chain lock also serialises their exports, so two
        # at once cannot both take the last one of the day.
        lock_actor_chain(AccessLog, actor)
        _check_quota(actor)
        access_record_many(
            actor=actor,
            action=AccessLog.Action.EXPORT,
            channel=ACCESS_CHANNEL,
            customers=customers,
            request=request,
            fields=ACCESS_FIELDS,
        )
        # The event targets the exporting staff member: an export has no one
        # customer (the access log names each), and the quota reads it back.
        audit_record(
            actor=actor,
            action=EXPORTED_ACTION,
            target=actor,
            data={"rows": len(customers), "format": fmt, "q_given": bool(q.strip())},
            request=request,
        )

    local = timezone.localtime(now, timezone.get_default_timezone())
    return ExportFile(
        content=content,
        filename=f"customers-{local:%Y%m%d-%H%M}.{extension}",
        content_type=content_type,
    )
