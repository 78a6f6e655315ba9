"""Name lists (名单制): issued with a purpose, dispatched to the owning managers, each
entry closed with an outcome, progress and conversion rolled up the org tree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.customers.models import Customer
from rmdesk.customers.selectors import customer_visible_to
from rmdesk.customers.services import InvalidFields
from rmdesk.development.access import can_issue_name_lists, has_scope, prospect_q
from rmdesk.development.models import NameList, NameListEntry, Outcome, Prospect, Signal
from rmdesk.development.signals import found_on_q, runs_through
from rmdesk.notify.services import notify
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.policy import Scope, can_modify_customers

MAX_ID = 2**63 - 1
MAX_ENTRIES = 100_000


def _invalid(field: str, code: str, reason: object) -> InvalidFields:
    return InvalidFields(
        _("Some fields are not valid."),
        code="invalid_fields",
        details=[{"field": field, "code": code, "reason": str(reason)}],
    )


def name_list_visible_to(actor: Staff) -> QuerySet[NameList]:
    """Lists the actor issued, has entries on, or that concern their team or subtree."""
    if not actor.is_active:
        return NameList.objects.none()
    if has_scope(actor, Scope.ALL):
        return NameList.objects.all()
    entries = NameListEntry.objects.filter(name_list=OuterRef("pk"))
    condition = Q(issued_by=actor) | Q(Exists(entries.filter(manager=actor)))
    if has_scope(actor, Scope.TEAM):
        condition |= Q(Exists(entries.filter(manager__line_manager=actor)))
    if has_scope(actor, Scope.SUBTREE) and actor.org_unit is not None:
        path = actor.org_unit.path
        condition |= Q(org_unit__path__startswith=path) | Q(
            Exists(entries.filter(org_unit__path__startswith=path))
        )
    return NameList.objects.filter(condition)


def name_list_list(*, actor: Staff, limit: int = 100) -> list[NameList]:
    return list(
        name_list_visible_to(actor)
        .select_related("issued_by", "org_unit")
        .annotate(
            total=Count("entries"),
            done=Count("entries", filter=~Q(entries__outcome="")),
        )
        .order_by("-created_at", "-id")[:limit]
    )


def name_list_get(*, actor: Staff, name_list_id: int) -> NameList:
    if not 0 < name_list_id <= MAX_ID:
        raise Http404
    found = (
        name_list_visible_to(actor)
        .select_related("issued_by", "org_unit")
        .filter(pk=name_list_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


def name_list_entries(
    *, actor: Staff, name_list: NameList, mine: bool = False, limit: int = 200
) -> list[NameListEntry]:
    """The entries of a list whose customer or prospect the actor may see (or that are theirs)."""
    rows = name_list.entries.select_related("customer", "prospect", "manager", "org_unit")
    visible = (
        Q(manager=actor)
        | Q(customer__in=customer_visible_to(actor).values("pk"))
        | Q(prospect__in=Prospect.objects.filter(prospect_q(actor)).values("pk"))
    )
    if not has_scope(actor, Scope.ALL) and actor.pk != name_list.issued_by_id:
        rows = rows.filter(visible)
    if mine:
        rows = rows.filter(manager=actor)
    return list(rows.order_by("outcome", "id")[:limit])


def name_list_entries_open(
    *, actor: Staff, manager_id: int, limit: int = 5
) -> tuple[list[NameListEntry], int]:
    """Entries dispatched to a manager that still await an outcome, on lists the actor may
    see, earliest due list first, and how many. Two queries."""
    rows = NameListEntry.objects.filter(
        manager_id=manager_id,
        outcome="",
        name_list__in=name_list_visible_to(actor).values("pk"),
    )
    top = list(
        rows.select_related("name_list", "customer", "prospect").order_by(
            F("name_list__due_on").asc(nulls_last=True), "name_list_id", "id"
        )[:limit]
    )
    return top, rows.count()


def _level(actor: Staff) -> str:
    if has_scope(actor, Scope.ALL) or (
        actor.org_unit is not None and actor.org_unit.kind == OrgUnit.Kind.HEAD_OFFICE
    ):
        return NameList.Level.HEAD_OFFICE
    if has_scope(actor, Scope.SUBTREE):
        return NameList.Level.BRANCH
    return NameList.Level.MANAGER


@transaction.atomic
def name_list_issue(
    *,
    actor: Staff,
    title: str,
    purpose: str,
    customer_ids: list[int] | None = None,
    prospect_ids: list[int] | None = None,
    signal_code: str = "",
    due_on: date | None = None,
) -> NameList:
    """Issue a list of customers and prospects the actor may see, each entry dispatched to
    the manager who owns it (unassigned ones stay with the home unit, undispatched).

    ``signal_code`` adds every visible customer with that signal found by its rule's latest
    run.
    Raises PermissionDenied, InvalidFields (a target not found or not visible, no entries).
    Notifies the managers after commit.
    """
    if not can_issue_name_lists(actor):
        raise PermissionDenied
    title = " ".join(title.split())
    purpose = " ".join(purpose.split())
    if not title or len(title) > 200:
        raise _invalid("title", "REQUIRED", _("A title of at most 200 characters."))
    if not purpose or len(purpose) > 500:
        raise _invalid("purpose", "REQUIRED", _("A purpose of at most 500 characters."))
    customer_ids = sorted({int(i) for i in customer_ids or []})
    prospect_ids = sorted({int(i) for i in prospect_ids or []})
    if len(customer_ids) + len(prospect_ids) > MAX_ENTRIES:
        raise _invalid("customer_ids", "TOO_MANY", _("Too many entries."))
    customers = customer_visible_to(actor)
    customer_rows: list[tuple[int, int | None, int | None, int]] = []
    if customer_ids:
        customer_rows = list(
            customers.filter(pk__in=customer_ids).values_list(
                "pk", "primary_manager_id", "primary_manager__org_unit_id", "home_unit_id"
            )
        )
        missing = sorted(set(customer_ids) - {row[0] for row in customer_rows})
        if missing:
            raise _invalid("customer_ids", "NOT_FOUND", _("Not found: %(ids)s") % {"ids": missing})
    if signal_code:
        through = runs_through()
        day = through.get(signal_code)
        seen = {row[0] for row in customer_rows}
        if day is not None:
            signalled = customers.filter(
                Exists(
                    Signal.objects.filter(
                        found_on_q(day, through), customer=OuterRef("pk"), code=signal_code
                    )
                )
            ).values_list(
                "pk", "primary_manager_id", "primary_manager__org_unit_id", "home_unit_id"
            )
            customer_rows += [row for row in signalled[:MAX_ENTRIES] if row[0] not in seen]
    prospect_rows: list[tuple[int, int | None, int | None, int]] = []
    if prospect_ids:
        prospect_rows = list(
            Prospect.objects.filter(prospect_q(actor), pk__in=prospect_ids).values_list(
                "pk", "owner_id", "owner__org_unit_id", "home_unit_id"
            )
        )
        missing = sorted(set(prospect_ids) - {row[0] for row in prospect_rows})
        if missing:
            raise _invalid("prospect_ids", "NOT_FOUND", _("Not found: %(ids)s") % {"ids": missing})
    if not customer_rows and not prospect_rows:
        raise _invalid("customer_ids", "REQUIRED", _("A list needs at least one entry."))
    assert actor.org_unit is not None  # noqa: S101  (can_issue_name_lists checked it)
    name_list = NameList.objects.create(
        title=title,
        purpose=purpose,
        level=_level(actor),
        issued_by=actor,
        org_unit=actor.org_unit,
        due_on=due_on,
    )
    NameListEntry.objects.bulk_create(
        [
            NameListEntry(
                name_list=name_list,
                customer_id=pk,
                manager_id=manager_id,
                org_unit_id=unit_id or home_id,
            )
            for pk, manager_id, unit_id, home_id in customer_rows
        ]
        + [
            NameListEntry(
                name_list=name_list,
                prospect_id=pk,
                manager_id=manager_id,
                org_unit_id=unit_id or home_id,
            )
            for pk, manager_id, unit_id, home_id in prospect_rows
        ],
        batch_size=2000,
    )
    managers = sorted({row[1] for row in customer_rows + prospect_rows if row[1] is not None})
    audit_record(
        actor=actor,
        action="development.name_list.issued",
        target=name_list,
        data={"entries": len(customer_rows) + len(prospect_rows), "managers": len(managers)},
    )
    transaction.on_commit(
        partial(
            notify,
            managers,
            kind="development.name_list",
            title=str(_("New name list: %(title)s") % {"title": title}),
            body=purpose,
            url=reverse("development:name_list", args=[name_list.pk]),
            dedupe_key=f"development.name_list.{name_list.pk}",
        )
    )
    return name_list


@transaction.atomic
def entry_outcome_record(
    *, actor: Staff, entry_id: int, outcome: str, note: str = ""
) -> NameListEntry:
    """The entry's manager (or a head over the customer) records what came of it.

    Raises Http404 (not theirs to see), PermissionDenied, InvalidFields.
    """
    entry = (
        NameListEntry.objects.select_for_update().filter(pk=entry_id).first()
        if 0 < entry_id <= MAX_ID
        else None
    )
    if entry is None:
        raise Http404
    if entry.manager_id != actor.pk:
        target_visible = (
            customer_visible_to(actor).filter(pk=entry.customer_id).exists()
            if entry.customer_id
            else Prospect.objects.filter(prospect_q(actor), pk=entry.prospect_id or 0).exists()
        )
        if not target_visible:
            raise Http404
        if not can_modify_customers(actor):
            raise PermissionDenied
    if outcome not in Outcome.values:
        raise _invalid("outcome", "BAD_CHOICE", _("Not one of the allowed values."))
    note = " ".join(note.split())
    if len(note) > 500:
        raise _invalid("note", "TOO_LONG", _("Too long."))
    entry.outcome = outcome
    entry.outcome_note = note
    entry.outcome_at = timezone.now()
    entry.save(update_fields=["outcome", "outcome_note", "outcome_at"])
    audit_record(
        actor=actor,
        action="development.name_list.outcome",
        target=entry,
        data={"list": entry.name_list_id, "outcome": outcome},
    )
    return entry


@dataclass
class RollUp:
    unit_id: int
    name: str
    depth: int
    total: int = 0
    done: int = 0
    converted: int = 0

    @property
    def progress(self) -> float:
        return self.done / self.total if self.total else 0.0

    @property
    def conversion(self) -> float:
        return self.converted / self.total if self.total else 0.0


def name_list_rollup(*, name_list: NameList) -> list[RollUp]:
    """Progress and conversion per org unit, each unit counting its whole subtree.

    One aggregate over the entries by unit, one read of the units on their paths.
    """
    counts = {
        row["org_unit_id"]: row
        for row in name_list.entries.values("org_unit_id").annotate(
            total=Count("id"),
            done=Count("id", filter=~Q(outcome="")),
            converted=Count("id", filter=Q(outcome=Outcome.CONVERTED)),
        )
    }
    paths = dict(OrgUnit.objects.filter(pk__in=list(counts)).values_list("pk", "path"))
    ancestor_ids: set[int] = set()
    for path in paths.values():
        ancestor_ids.update(int(part) for part in path.strip("/").split("/") if part)
    units = {
        pk: (name, path, depth)
        for pk, name, path, depth in OrgUnit.objects.filter(pk__in=ancestor_ids).values_list(
            "pk", "name", "path", "depth"
        )
    }
    rows = {pk: RollUp(pk, name, depth) for pk, (name, _path, depth) in units.items()}
    for unit_id, row in counts.items():
        if unit_id is None:
            continue
        for ancestor in (int(p) for p in paths[unit_id].strip("/").split("/") if p):
            rolled = rows[ancestor]
            rolled.total += row["total"]
            rolled.done += row["done"]
            rolled.converted += row["converted"]
    return sorted(rows.values(), key=lambda r: units[r.unit_id][1])


def customer_of(entry: NameListEntry) -> Customer | None:
    return entry.customer
