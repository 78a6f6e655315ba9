"""Prospects: capture with duplicate detection, the pipeline, and winning them.

Identifiers are validated with the customer rules (customers.services
``customer_fields_clean``) and digested with the customer keys, so matches against
customers and other prospects are exact lookups on digests.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.core.errors import ConflictError, DomainError
from rmdesk.customers import identifiers
from rmdesk.customers.masking import field_value, masked_name_of, may_reveal
from rmdesk.customers.models import Customer, Referral
from rmdesk.customers.selectors import customer_visible_to
from rmdesk.customers.services import (
    InvalidFields,
    customer_create,
    customer_fields_clean,
    reveal_logged,
)
from rmdesk.development.access import can_work_prospects, prospect_q
from rmdesk.development.models import (
    OPEN_STAGES,
    AccountOpeningRequest,
    Prospect,
    Stage,
    StageChange,
)
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.roles import Role

MAX_ID = 2**63 - 1

# The pipeline: where a prospect may go from each stage. Forward one step, back one
# step from the late stages, lost from anywhere open, and a lost prospect reopened.
TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.NEW: frozenset({Stage.CONTACTED, Stage.LOST}),
    Stage.CONTACTED: frozenset({Stage.NEEDS_IDENTIFIED, Stage.LOST}),
    Stage.NEEDS_IDENTIFIED: frozenset({Stage.PROPOSAL, Stage.CONTACTED, Stage.LOST}),
    Stage.PROPOSAL: frozenset({Stage.ACCOUNT_OPENING, Stage.NEEDS_IDENTIFIED, Stage.LOST}),
    Stage.ACCOUNT_OPENING: frozenset({Stage.WON, Stage.PROPOSAL, Stage.LOST}),
    Stage.WON: frozenset(),
    Stage.LOST: frozenset({Stage.NEW}),
}

PROSPECT_FIELDS = ("display_name", "id_number", "mobile", "birth_date", "city")
REFERRAL_SOURCES = {
    Prospect.Source.CUSTOMER_REFERRAL: "referrer_customer_id",
    Prospect.Source.EMPLOYEE_REFERRAL: "referrer_staff_id",
}


def _invalid(field_name: str, code: str, reason: Any) -> InvalidFields:
    return InvalidFields(
        _("Some fields are not valid."),
        code="invalid_fields",
        details=[{"field": field_name, "code": code, "reason": str(reason)}],
    )


def name_key(name: str) -> str:
    """The name as duplicate detection compares it: NFKC, lower case, no spaces."""
    return "".join(unicodedata.normalize("NFKC", name).lower().split())


# --- reads -----------------------------------------------------------------------------


def prospect_visible_to(actor: Staff) -> QuerySet[Prospect]:
    return Prospect.objects.filter(prospect_q(actor))


def prospect_list(
    *,
    actor: Staff,
    stage: str | None = None,
    owner_id: int | None = None,
    pool: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> tuple[list[Prospect], bool]:
    """A page of visible prospects, newest stage change first; (rows, has_more)."""
    rows = prospect_visible_to(actor).select_related("owner", "home_unit")
    if stage:
        rows = rows.filter(stage=stage)
    if owner_id is not None:
        rows = rows.filter(owner_id=owner_id)
    if pool:
        rows = rows.filter(owner__isnull=True, stage__in=OPEN_STAGES)
    found = list(rows.order_by("-stage_changed_at", "-id")[offset : offset + limit + 1])
    return found[:limit], len(found) > limit


def prospect_board(*, actor: Staff, owner_only: bool = True) -> dict[str, list[Prospect]]:
    """Open prospects by stage, plus the last 20 won and lost: one query."""
    rows = prospect_visible_to(actor).select_related("owner")
    if owner_only:
        rows = rows.filter(owner=actor)
    board: dict[str, list[Prospect]] = {stage: [] for stage in Stage.values}
    for prospect in rows.filter(stage__in=OPEN_STAGES).order_by("-stage_changed_at")[:500]:
        board[prospect.stage].append(prospect)
    for prospect in rows.filter(stage__in=[Stage.WON, Stage.LOST]).order_by("-stage_changed_at")[
        :40
    ]:
        if len(board[prospect.stage]) < 20:
            board[prospect.stage].append(prospect)
    return board


def prospect_stage_counts(*, actor: Staff) -> dict[str, int]:
    """How many visible prospects stand at each stage. One grouped query."""
    counts = {stage: 0 for stage in Stage.values}
    for row in prospect_visible_to(actor).values("stage").annotate(n=Count("pk")).order_by():
        counts[row["stage"]] = row["n"]
    return counts


def open_prospects_by_unit(*, actor: Staff, units: list[OrgUnit]) -> dict[int, int]:
    """Visible prospects still in the pipeline homed under each of ``units`` (their
    subtrees). One query, a conditional count per unit."""
    if not units:
        return {}
    counts = (
        prospect_visible_to(actor)
        .filter(stage__in=OPEN_STAGES)
        .aggregate(
            **{
                f"u{unit.pk}": Count("pk", filter=Q(home_unit__path__startswith=unit.path))
                for unit in units
            }
        )
    )
    return {unit.pk: int(counts[f"u{unit.pk}"]) for unit in units}


def prospect_get(*, actor: Staff, prospect_id: int) -> Prospect:
    """One visible prospect; out of scope and missing are both Http404."""
    if not 0 < prospect_id <= MAX_ID:
        raise Http404
    found = (
        prospect_visible_to(actor)
        .select_related("owner", "home_unit", "referrer_customer", "referrer_staff", "customer")
        .filter(pk=prospect_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


def prospect_history(*, prospect: Prospect) -> list[StageChange]:
    return list(prospect.history.select_related("actor").order_by("-at", "-id")[:50])


# --- duplicate detection ---------------------------------------------------------------


@dataclass
class Match:
    """An existing record that looks like the new prospect, as the actor may see it."""

    kind: str  # "customer" or "prospect"
    id: int | None  # None when the actor may not open it
    name: str  # masked for people
    keys: list[str] = field(default_factory=list)
    owner: str = ""  # "you", "another manager", "unassigned"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "keys": self.keys,
            "owner": self.owner,
        }


def _owner_label(actor: Staff, owner_id: int | None) -> str:
    if owner_id is None:
        return "unassigned"
    return "you" if owner_id == actor.pk else "another_manager"


def duplicate_matches(
    *, actor: Staff, clean: dict[str, Any], exclude_prospect_id: int | None = None
) -> list[Match]:
    """Customers and open prospects matching on mobile, identity number or credit code,
    or name with birth date or city. Two queries, each on indexed digests and names."""
    id_digest = clean.get("id_digest", "")
    mobile_digest = clean.get("mobile_digest", "")
    key = clean["name_key"]
    display_name = clean["display_name"]
    birth_date, city = clean.get("birth_date"), clean.get("city", "")

    def conditions(name_field: str, use_key: bool) -> list[tuple[str, Q]]:
        named = Q(**{name_field: key if use_key else display_name})
        found: list[tuple[str, Q]] = []
        if id_digest:
            found.append(("id_number", Q(id_digest=id_digest)))
        if mobile_digest:
            found.append(("mobile", Q(mobile_digest=mobile_digest)))
        if birth_date:
            found.append(("name_birth_date", named & Q(birth_date=birth_date)))
        if city:
            found.append(("name_city", named & Q(city=city)))
        return found

    matches: list[Match] = []
    customer_conditions = conditions("display_name", False)
    if customer_conditions:
        combined = Q(pk__in=[])
        for _key, condition in customer_conditions:
            combined |= condition
        found = list(Customer.objects.filter(combined).order_by("pk")[:20])
        visible = (
            set(
                customer_visible_to(actor)
                .filter(pk__in=[c.pk for c in found])
                .values_list("pk", flat=True)
            )
            if found
            else set()
        )
        for customer in found:
            keys = [name for name, _c in customer_conditions if _matches(customer, name, clean)]
            matches.append(
                Match(
                    kind="customer",
                    id=customer.pk if customer.pk in visible else None,
                    name=masked_name_of(customer),
                    keys=keys,
                    owner=_owner_label(actor, customer.primary_manager_id),
                )
            )
    prospect_conditions = conditions("name_key", True)
    if prospect_conditions:
        combined = Q(pk__in=[])
        for _key, condition in prospect_conditions:
            combined |= condition
        rows = Prospect.objects.filter(combined, stage__in=OPEN_STAGES)
        if exclude_prospect_id is not None:
            rows = rows.exclude(pk=exclude_prospect_id)
        found_prospects = list(rows.order_by("pk")[:20])
        visible = (
            set(
                prospect_visible_to(actor)
                .filter(pk__in=[p.pk for p in found_prospects])
                .values_list("pk", flat=True)
            )
            if found_prospects
            else set()
        )
        for prospect in found_prospects:
            matches.append(
                Match(
                    kind="prospect",
                    id=prospect.pk if prospect.pk in visible else None,
                    name=_masked_prospect_name(prospect),
                    keys=[
                        name for name, _c in prospect_conditions if _matches(prospect, name, clean)
                    ],
                    owner=_owner_label(actor, prospect.owner_id),
                )
            )
    return matches


def _matches(record: Customer | Prospect, key: str, clean: dict[str, Any]) -> bool:
    if key == "id_number":
        return bool(clean.get("id_digest")) and record.id_digest == clean["id_digest"]
    if key == "mobile":
        return bool(clean.get("mobile_digest")) and record.mobile_digest == clean["mobile_digest"]
    same_name = (
        record.name_key == clean["name_key"]
        if isinstance(record, Prospect)
        else record.display_name == clean["display_name"]
    )
    if key == "name_birth_date":
        return same_name and record.birth_date == clean.get("birth_date")
    return same_name and bool(clean.get("city")) and record.city == clean.get("city")


def _masked_prospect_name(prospect: Prospect) -> str:
    return str(field_value(prospect, "display_name", revealed=frozenset()))


def prospect_masked_name(prospect: Prospect) -> str:
    return _masked_prospect_name(prospect)


# --- personal data -----------------------------------------------------------------------

# A prospect's personal fields: masked in every channel, shown only by a reveal.
PERSONAL = ("display_name", "id_number", "mobile", "birth_date")


def can_reveal_prospect(actor: Staff, prospect: Prospect) -> bool:
    """The customers' rule with the owner as the manager: the owner and compliance."""
    return may_reveal(actor, (prospect.owner_id,))


def prospect_reveal(
    *,
    actor: Staff,
    prospect_id: int,
    fields: list[str],
    reason: str,
    request: HttpRequest | None,
    channel: str,
) -> dict[str, Any]:
    """The chosen personal fields in full, with a reason; one access-log entry (unmask).

    Raises Http404 (not visible), PermissionDenied (may not reveal), InvalidFields.
    """
    prospect = prospect_get(actor=actor, prospect_id=prospect_id)
    if not can_reveal_prospect(actor, prospect):
        raise PermissionDenied
    with transaction.atomic():
        wanted = reveal_logged(
            actor=actor,
            target=prospect,
            customer_id=prospect.customer_id,
            known=PERSONAL,
            fields=fields,
            reason=reason,
            request=request,
            channel=channel,
        )
    shown = frozenset(wanted)
    return {name: field_value(prospect, name, revealed=shown) for name in wanted}


# --- writes ----------------------------------------------------------------------------


def _clean(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Validate a prospect's fields with the customer rules; add digests and the name key."""
    if kind not in Prospect.Kind.values:
        raise _invalid("kind", "BAD_CHOICE", _("Not one of the allowed values."))
    given = {name: data[name] for name in PROSPECT_FIELDS if name in data}
    clean = customer_fields_clean(kind=kind, data=given)
    number = clean.get("id_number") or ""
    clean["id_type"] = clean.get("id_type", "") if number else ""
    clean["id_digest"] = identifiers.lookup_digest("id", number) if number else ""
    mobile = clean.get("mobile") or ""
    clean["mobile_digest"] = identifiers.lookup_digest("mobile", mobile) if mobile else ""
    clean["name_key"] = name_key(clean["display_name"])
    clean.setdefault("city", "")
    return clean


def _text(value: str, *, field_name: str, limit: int = 500) -> str:
    text = " ".join(value.split())
    if len(text) > limit:
        raise _invalid(field_name, "TOO_LONG", _("Too long."))
    return text


@dataclass(frozen=True)
class Created:
    """What a capture did: created a prospect, or merged into an existing record."""

    prospect: Prospect | None
    merged_into: dict[str, Any] | None = None


@transaction.atomic
def prospect_capture(
    *,
    actor: Staff,
    kind: str,
    data: dict[str, Any],
    source: str,
    referrer_customer_id: int | None = None,
    referrer_staff_id: int | None = None,
    note: str = "",
    confirm_duplicate: bool = False,
    merge_into: dict[str, int] | None = None,
    owner_id: int | None = None,
) -> Created:
    """Record a new prospect owned by the actor (or put in the pool by a head).

    When it looks like an existing customer or prospect, nothing is written unless the
    caller chose: ``confirm_duplicate`` creates it anyway, ``merge_into`` ({"customer_id"}
    or {"prospect_id"}) folds it into a record the actor may see. Either choice is
    audited with the matches. Raises PermissionDenied, InvalidFields,
    ConflictError("duplicate_suspected", details={"matches": [...]}).
    """
    if not can_work_prospects(actor) or actor.org_unit is None:
        raise PermissionDenied
    clean = _clean(kind, data)
    if source not in Prospect.Source.values:
        raise _invalid("source", "BAD_CHOICE", _("Not one of the allowed values."))
    referrer_customer = referrer_staff = None
    if source == Prospect.Source.CUSTOMER_REFERRAL:
        if referrer_customer_id is None:
            raise _invalid("referrer_customer_id", "REQUIRED", _("Name the referring customer."))
        referrer_customer = (
            customer_visible_to(actor).filter(pk=referrer_customer_id).first()
            if 0 < referrer_customer_id <= MAX_ID
            else None
        )
        if referrer_customer is None:
            raise _invalid("referrer_customer_id", "NOT_FOUND", _("No such customer of yours."))
    if source == Prospect.Source.EMPLOYEE_REFERRAL:
        if referrer_staff_id is None:
            raise _invalid("referrer_staff_id", "REQUIRED", _("Name the referring employee."))
        referrer_staff = (
            Staff.objects.filter(pk=referrer_staff_id, is_active=True).first()
            if 0 < referrer_staff_id <= MAX_ID
            else None
        )
        if referrer_staff is None:
            raise _invalid("referrer_staff_id", "NOT_FOUND", _("No such employee."))
    note = _text(note, field_name="note")
    owner: Staff | None = actor if actor.has_role(Role.ACCOUNT_MANAGER) else None
    if owner_id is not None:
        owner = _manager_in_subtree(actor, owner_id)

    matches = duplicate_matches(actor=actor, clean=clean)
    summary = [m.as_dict() for m in matches]
    if merge_into:
        return Created(None, _merge(actor, clean, merge_into, summary))
    if matches and not confirm_duplicate:
        raise ConflictError(
            _("This looks like an existing customer or prospect. Merge, or confirm to proceed."),
            code="duplicate_suspected",
            details={"matches": summary},
        )
    now = timezone.now()
    prospect = Prospect.objects.create(
        kind=kind,
        display_name=clean["display_name"],
        id_type=clean.get("id_type", ""),
        id_number=clean.get("id_number") or "",
        id_digest=clean["id_digest"],
        mobile=clean.get("mobile") or "",
        mobile_digest=clean["mobile_digest"],
        birth_date=clean.get("birth_date"),
        city=clean["city"],
        name_key=clean["name_key"],
        home_unit=owner.org_unit if owner is not None and owner.org_unit else actor.org_unit,
        owner=owner,
        source=source,
        referrer_customer=referrer_customer,
        referrer_staff=referrer_staff,
        stage_changed_at=now,
        last_contact_at=now,
        note=note,
    )
    StageChange.objects.create(prospect=prospect, to_stage=Stage.NEW, actor=actor, at=now)
    audit_record(
        actor=actor,
        action="development.prospect.created",
        target=prospect,
        data={"source": source, "kind": kind, "duplicates_confirmed": summary},
    )
    return Created(prospect)


def _manager_in_subtree(actor: Staff, manager_id: int) -> Staff:
    assert actor.org_unit is not None  # noqa: S101  (checked by the caller)
    manager = (
        Staff.objects.filter(
            pk=manager_id,
            is_active=True,
            roles__role=Role.ACCOUNT_MANAGER,
            org_unit__path__startswith=actor.org_unit.path,
        )
        .select_related("org_unit")
        .first()
        if 0 < manager_id <= MAX_ID
        else None
    )
    if manager is None:
        raise _invalid("owner_id", "OUT_OF_SCOPE", _("Not an account manager in your org unit."))
    return manager


def _merge(
    actor: Staff, clean: dict[str, Any], merge_into: dict[str, int], matches: list[dict[str, Any]]
) -> dict[str, Any]:
    """Fold the capture into a record the actor may see; fills the prospect's blanks."""
    if "customer_id" in merge_into:
        customer_id = merge_into["customer_id"]
        customer = customer_visible_to(actor).filter(pk=customer_id).first()
        if customer is None or not any(
            m["kind"] == "customer" and m["id"] == customer_id for m in matches
        ):
            raise _invalid("merge_into", "NOT_A_MATCH", _("Merge only into a record that matched."))
        audit_record(
            actor=actor,
            action="development.prospect.merged",
            target=customer,
            data={"into": "customer", "matches": matches},
        )
        return {"kind": "customer", "id": customer.pk}
    prospect_id = merge_into.get("prospect_id", 0)
    if not any(m["kind"] == "prospect" and m["id"] == prospect_id for m in matches):
        raise _invalid("merge_into", "NOT_A_MATCH", _("Merge only into a record that matched."))
    prospect = prospect_visible_to(actor).select_for_update().filter(pk=prospect_id).first()
    if prospect is None:
        raise _invalid("merge_into", "NOT_A_MATCH", _("Merge only into a record that matched."))
    changed = []
    for name in ("id_type", "id_number", "id_digest", "mobile", "mobile_digest", "city"):
        if not getattr(prospect, name) and clean.get(name):
            setattr(prospect, name, clean[name])
            changed.append(name)
    if prospect.birth_date is None and clean.get("birth_date"):
        prospect.birth_date = clean["birth_date"]
        changed.append("birth_date")
    if changed:
        prospect.version += 1
        prospect.save()
    audit_record(
        actor=actor,
        action="development.prospect.merged",
        target=prospect,
        data={"into": "prospect", "fields": [n for n in changed if "digest" not in n]},
    )
    return {"kind": "prospect", "id": prospect.pk}


def _lock(actor: Staff, prospect_id: int) -> Prospect:
    """The visible prospect, row-locked; Http404 if out of scope, PermissionDenied if read-only."""
    prospect_get(actor=actor, prospect_id=prospect_id)
    prospect = Prospect.objects.select_for_update().get(pk=prospect_id)
    if not can_work_prospects(actor):
        raise PermissionDenied
    return prospect


@transaction.atomic
def prospect_transition(
    *,
    actor: Staff,
    prospect_id: int,
    to_stage: str,
    lost_reason: str = "",
    note: str = "",
    version: int | None = None,
) -> Prospect:
    """Move a prospect along the pipeline (TRANSITIONS). Winning it creates the customer.

    Locks the prospect. Raises Http404, PermissionDenied, ConflictError("stale_version"),
    DomainError("transition_refused" | "owner_required"), InvalidFields (lost without
    a reason; the customer's own validation on winning).
    """
    prospect = _lock(actor, prospect_id)
    if version is not None and version != prospect.version:
        raise ConflictError(
            _("Someone changed this prospect since you opened it. Reload and try again."),
            code="stale_version",
            details={"current_version": prospect.version},
        )
    if to_stage not in TRANSITIONS.get(prospect.stage, frozenset()):
        raise DomainError(
            _("A prospect cannot move from %(from)s to %(to)s.")
            % {"from": Stage(prospect.stage).label, "to": to_stage},
            code="transition_refused",
            details={"field": "stage", "from": prospect.stage, "to": to_stage},
        )
    note = _text(note, field_name="note")
    if to_stage == Stage.LOST:
        if lost_reason not in Prospect.LostReason.values:
            raise _invalid("lost_reason", "REQUIRED", _("Say why the prospect was lost."))
        prospect.lost_reason = lost_reason
    else:
        prospect.lost_reason = ""
    now = timezone.now()
    if to_stage == Stage.WON:
        _win(actor, prospect, now)
    StageChange.objects.create(
        prospect=prospect,
        from_stage=prospect.stage,
        to_stage=to_stage,
        actor=actor,
        at=now,
        note=note,
    )
    from_stage = prospect.stage
    prospect.stage = to_stage
    prospect.stage_changed_at = now
    prospect.last_contact_at = now
    prospect.version += 1
    prospect.save()
    audit_record(
        actor=actor,
        action="development.prospect.moved",
        target=prospect,
        data={"from": from_stage, "to": to_stage, "lost_reason": prospect.lost_reason},
    )
    return prospect


def _win(actor: Staff, prospect: Prospect, now: Any) -> None:
    """Create the customer (the customers rules apply), credit the referral, open the account."""
    if prospect.owner is None:
        raise DomainError(
            _("Claim the prospect before winning it: a customer needs a manager."),
            code="owner_required",
        )
    data: dict[str, Any] = {"display_name": prospect.display_name}
    if prospect.id_number:
        data["id_number"] = prospect.id_number
        if prospect.id_type:
            data["id_type"] = prospect.id_type
    if prospect.mobile:
        data["mobile"] = prospect.mobile
    if prospect.city:
        data["city"] = prospect.city
    if prospect.birth_date and not (
        prospect.id_number and prospect.id_type == Customer.IdType.RESIDENT_ID
    ):
        data["birth_date"] = prospect.birth_date
    customer = customer_create(
        actor=actor,
        kind=prospect.kind,
        home_unit=prospect.owner.org_unit or prospect.home_unit,
        primary_manager=prospect.owner,
        **data,
    )
    prospect.customer = customer
    if prospect.referrer_customer_id or prospect.referrer_staff_id:
        referral = Referral.objects.create(
            referred=customer,
            referrer_customer_id=prospect.referrer_customer_id,
            referrer_staff_id=prospect.referrer_staff_id,
            referred_on=timezone.localdate(),
            note=str(_("Won prospect #%(id)s") % {"id": prospect.pk}),
        )
        audit_record(
            actor=actor,
            action="development.referral.credited",
            target=referral,
            data={"prospect": prospect.pk},
        )
    from rmdesk.coordination.services import work_order_raise_quietly

    work_order = work_order_raise_quietly(
        actor=actor,
        type_code="account_opening",
        title=str(_("Account opening for a won prospect")),
        customer_id=customer.pk,
        fields={"account_kind": "个人账户" if prospect.kind == "individual" else "基本存款账户"},
        text=prospect.note,
    )
    opening = AccountOpeningRequest.objects.create(
        prospect=prospect, customer=customer, manager=prospect.owner, work_order=work_order
    )
    audit_record(
        actor=actor,
        action="development.account_opening.requested",
        target=opening,
        data={
            "customer_no": customer.customer_no,
            "work_order": work_order.pk if work_order else None,
        },
    )


@transaction.atomic
def prospect_touch(*, actor: Staff, prospect_id: int, note: str) -> Prospect:
    """Record a contact with the prospect: it keeps the prospect out of the pool's return."""
    prospect = _lock(actor, prospect_id)
    note = _text(note, field_name="note")
    if not note:
        raise _invalid("note", "REQUIRED", _("Say what happened."))
    now = timezone.now()
    StageChange.objects.create(
        prospect=prospect,
        from_stage=prospect.stage,
        to_stage=prospect.stage,
        actor=actor,
        at=now,
        note=note,
    )
    prospect.last_contact_at = now
    prospect.save(update_fields=["last_contact_at", "updated_at"])
    audit_record(actor=actor, action="development.prospect.touched", target=prospect, data={})
    return prospect


def stage_choices(stage: str) -> list[tuple[str, str]]:
    return [(s, str(Stage(s).label)) for s in Stage.values if s in TRANSITIONS.get(stage, ())]


def work_order_closed(work_order: Any, actor: Staff) -> None:
    """The account-opening work order closed: done or approved opens the account."""
    if work_order.status in ("done", "approved"):
        AccountOpeningRequest.objects.filter(
            work_order=work_order, status=AccountOpeningRequest.Status.OPEN
        ).update(status=AccountOpeningRequest.Status.DONE, updated_at=timezone.now())
