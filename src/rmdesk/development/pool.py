"""The unclaimed pool (公海): prospects without an owner and customers without a manager.

Account managers claim from the pool of their own org unit's subtree, up to the claim
limit of the nearest PoolRule; what they leave without contact for the rule's number
of days goes back, every night, set-based.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.audit.services import audit_record
from rmdesk.core.errors import ConflictError, DomainError
from rmdesk.customers.masking import masked_name_of
from rmdesk.customers.models import Customer, CustomerAssignment
from rmdesk.customers.transfers import assignment_open
from rmdesk.development.access import can_claim, prospect_q
from rmdesk.development.models import (
    DEFAULT_CLAIM_LIMIT,
    DEFAULT_RETURN_AFTER_DAYS,
    OPEN_STAGES,
    PoolClaim,
    PoolRule,
    Prospect,
    StageChange,
)
from rmdesk.development.prospects import MAX_ID, prospect_masked_name
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.policy import customer_q


@dataclass(frozen=True)
class Rule:
    claim_limit: int
    return_after_days: int


def pool_rule_for(unit: OrgUnit) -> Rule:
    """The nearest rule on the path from ``unit`` up to the root; the defaults without one."""
    ancestors = [int(part) for part in unit.path.strip("/").split("/") if part]
    rule = (
        PoolRule.objects.filter(org_unit_id__in=ancestors)
        .order_by("-org_unit__depth")
        .values_list("claim_limit", "return_after_days")
        .first()
    )
    if rule is None:
        return Rule(DEFAULT_CLAIM_LIMIT, DEFAULT_RETURN_AFTER_DAYS)
    return Rule(*rule)


@dataclass(frozen=True)
class PoolItem:
    kind: str  # "prospect" or "customer"
    id: int
    name: str
    home_unit: str
    since: datetime | None


def pool_list(*, actor: Staff, limit: int = 50) -> list[PoolItem]:
    """What the actor may claim: unowned open prospects and unmanaged customers homed in
    their subtree, names masked. Two queries."""
    if not can_claim(actor) or actor.org_unit is None:
        return []
    path = actor.org_unit.path
    prospects = (
        Prospect.objects.filter(
            owner__isnull=True, stage__in=OPEN_STAGES, home_unit__path__startswith=path
        )
        .select_related("home_unit")
        .order_by("-last_contact_at", "-id")[:limit]
    )
    customers = (
        Customer.objects.filter(primary_manager__isnull=True, home_unit__path__startswith=path)
        .select_related("home_unit")
        .order_by("display_name", "id")[:limit]
    )
    items = [
        PoolItem("prospect", p.pk, prospect_masked_name(p), p.home_unit.name, p.last_contact_at)
        for p in prospects
    ]
    items += [
        PoolItem("customer", c.pk, masked_name_of(c), c.home_unit.name, None) for c in customers
    ]
    return items


def _claimed_count(manager: Staff) -> int:
    prospects = Prospect.objects.filter(owner=manager, stage__in=OPEN_STAGES).count()
    customers = PoolClaim.objects.filter(manager=manager, released_at__isnull=True).count()
    return prospects + customers


def _check_limit(actor: Staff) -> None:
    # Serialise one manager's claims: two at once cannot both pass the limit.
    Staff.objects.select_for_update().filter(pk=actor.pk).first()
    assert actor.org_unit is not None  # noqa: S101  (can_claim checked it)
    rule = pool_rule_for(actor.org_unit)
    if _claimed_count(actor) >= rule.claim_limit:
        raise DomainError(
            _("You have reached your claim limit of %(limit)d.") % {"limit": rule.claim_limit},
            code="claim_limit",
            details={"limit": rule.claim_limit},
        )


@transaction.atomic
def prospect_claim(*, actor: Staff, prospect_id: int) -> Prospect:
    """Take an unowned prospect of the actor's subtree. Raises Http404, PermissionDenied,
    ConflictError("already_claimed"), DomainError("claim_limit")."""
    if not can_claim(actor) or actor.org_unit is None:
        raise PermissionDenied
    if not 0 < prospect_id <= MAX_ID:
        raise Http404
    _check_limit(actor)
    prospect = (
        Prospect.objects.select_for_update()
        .filter(pk=prospect_id, home_unit__path__startswith=actor.org_unit.path)
        .first()
    )
    if prospect is None or prospect.stage not in OPEN_STAGES:
        raise Http404
    if prospect.owner_id is not None:
        # An owned prospect is in no pool: to anyone who may not see it, it does not exist.
        if not Prospect.objects.filter(prospect_q(actor), pk=prospect.pk).exists():
            raise Http404
        raise ConflictError(_("Someone else claimed it first."), code="already_claimed")
    now = timezone.now()
    prospect.owner = actor
    prospect.last_contact_at = now
    prospect.version += 1
    prospect.save()
    StageChange.objects.create(
        prospect=prospect,
        from_stage=prospect.stage,
        to_stage=prospect.stage,
        actor=actor,
        at=now,
        note="claimed",
    )
    audit_record(actor=actor, action="development.prospect.claimed", target=prospect, data={})
    return prospect


@transaction.atomic
def prospect_release(*, actor: Staff, prospect_id: int) -> Prospect:
    """The owner puts a prospect back in the pool. Raises Http404, PermissionDenied."""
    prospect = Prospect.objects.select_for_update().filter(pk=prospect_id).first()
    if prospect is None or prospect.owner_id != actor.pk:
        raise Http404
    prospect.owner = None
    prospect.version += 1
    prospect.save()
    StageChange.objects.create(
        prospect=prospect,
        from_stage=prospect.stage,
        to_stage=prospect.stage,
        actor=actor,
        at=timezone.now(),
        note="released",
    )
    audit_record(actor=actor, action="development.prospect.released", target=prospect, data={})
    return prospect


@transaction.atomic
def customer_claim(*, actor: Staff, customer_id: int) -> Customer:
    """Become the lead manager of an unmanaged customer of the actor's subtree.

    Raises Http404, PermissionDenied, ConflictError("already_claimed"), DomainError("claim_limit").
    """
    if not can_claim(actor) or actor.org_unit is None:
        raise PermissionDenied
    if not 0 < customer_id <= MAX_ID:
        raise Http404
    _check_limit(actor)
    customer = (
        Customer.objects.select_for_update()
        .filter(pk=customer_id, home_unit__path__startswith=actor.org_unit.path)
        .first()
    )
    if customer is None:
        raise Http404
    if customer.primary_manager_id is not None:
        # A managed customer is in no pool: to anyone who may not see it, it does not exist.
        if not Customer.objects.filter(customer_q(actor), pk=customer.pk).exists():
            raise Http404
        raise ConflictError(_("Someone else claimed it first."), code="already_claimed")
    if customer.assisting_manager_id == actor.pk:
        raise DomainError(_("You already assist this customer."), code="already_assisting")
    now = timezone.now()
    customer.primary_manager = actor
    customer.version += 1
    customer.save(update_fields=["primary_manager", "version", "updated_at"])
    assignment_open(
        customer=customer, manager=actor, role=CustomerAssignment.Role.LEAD, at=now, note="pool"
    )
    PoolClaim.objects.create(customer=customer, manager=actor, claimed_at=now, last_contact_at=now)
    audit_record(actor=actor, action="development.customer.claimed", target=customer, data={})
    return customer


@transaction.atomic
def pool_claim_touch(*, actor: Staff, customer_id: int) -> PoolClaim:
    """Record contact with a customer claimed from the pool (restarts its return clock)."""
    claim = (
        PoolClaim.objects.select_for_update()
        .filter(customer_id=customer_id, manager=actor, released_at__isnull=True)
        .first()
        if 0 < customer_id <= MAX_ID
        else None
    )
    if claim is None:
        raise Http404
    claim.last_contact_at = timezone.now()
    claim.save(update_fields=["last_contact_at"])
    audit_record(actor=actor, action="development.claim.touched", target=claim, data={})
    return claim


def _unit_return_days() -> dict[int, list[int]]:
    """Return-after days → the org units it applies to (the nearest rule wins)."""
    rules = dict(PoolRule.objects.values_list("org_unit_id", "return_after_days"))
    grouped: dict[int, list[int]] = {}
    for unit_id, path in OrgUnit.objects.values_list("pk", "path").iterator(chunk_size=5000):
        days = DEFAULT_RETURN_AFTER_DAYS
        for ancestor in reversed([int(p) for p in path.strip("/").split("/") if p]):
            if ancestor in rules:
                days = rules[ancestor]
                break
        grouped.setdefault(days, []).append(unit_id)
    return grouped


@transaction.atomic
def pool_return_due(*, now: datetime | None = None) -> dict[str, int]:
    """Send back to the pool what was left without contact past its unit's rule.

    Set-based: one UPDATE per distinct number of days (a handful), never a row at a time.
    Idempotent: a second run finds nothing more to return.
    """
    now = now or timezone.now()
    returned_prospects = returned_customers = 0
    first_target: Prospect | Customer | None = None
    for days, unit_ids in _unit_return_days().items():
        cutoff = now - timedelta(days=days)
        due = Prospect.objects.filter(
            owner__isnull=False,
            stage__in=OPEN_STAGES,
            last_contact_at__lt=cutoff,
            home_unit_id__in=unit_ids,
        )
        rows = list(due.values_list("pk", "stage"))
        if rows:
            StageChange.objects.bulk_create(
                [
                    StageChange(
                        prospect_id=pk, from_stage=stage, to_stage=stage, at=now, note="returned"
                    )
                    for pk, stage in rows
                ],
                batch_size=2000,
            )
            if first_target is None:
                first_target = Prospect.objects.get(pk=rows[0][0])
            returned_prospects += due.update(owner=None, version=F("version") + 1)
        claims = PoolClaim.objects.filter(
            released_at__isnull=True,
            last_contact_at__lt=cutoff,
            customer__home_unit_id__in=unit_ids,
        )
        claimed_ids = list(claims.values_list("customer_id", flat=True))
        if claimed_ids:
            # Only where the claimant is still the lead manager: a transfer since wins.
            still_theirs = Exists(
                PoolClaim.objects.filter(
                    customer_id=OuterRef("pk"),
                    manager_id=OuterRef("primary_manager_id"),
                    released_at__isnull=True,
                )
            )
            back = Customer.objects.filter(still_theirs, pk__in=claimed_ids)
            back_ids = list(back.values_list("pk", flat=True))
            CustomerAssignment.objects.filter(
                customer_id__in=back_ids, role=CustomerAssignment.Role.LEAD, ended_at__isnull=True
            ).update(ended_at=now)
            returned_customers += Customer.objects.filter(pk__in=back_ids).update(
                primary_manager=None, version=F("version") + 1
            )
            if first_target is None and back_ids:
                first_target = Customer.objects.get(pk=back_ids[0])
            claims.update(released_at=now)
    if first_target is not None:
        audit_record(
            actor=None,
            action="development.pool.returned",
            target=first_target,
            data={"prospects": returned_prospects, "customers": returned_customers},
        )
    return {"prospects": returned_prospects, "customers": returned_customers}
