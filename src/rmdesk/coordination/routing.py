"""Where a work order goes and who must approve it, from the rules the bank configures."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from rmdesk.coordination.access import HEAD_ROLES
from rmdesk.coordination.models import ApprovalRule, Level, RoutingRule, WorkOrderType
from rmdesk.core.errors import DomainError
from rmdesk.customers.models import Customer
from rmdesk.org.models import Department, OrgUnit, Staff

LEVEL_KIND = {
    Level.SUB_BRANCH: OrgUnit.Kind.SUB_BRANCH,
    Level.BRANCH: OrgUnit.Kind.BRANCH,
    Level.HEAD_OFFICE: OrgUnit.Kind.HEAD_OFFICE,
}


def ancestors(unit: OrgUnit) -> list[OrgUnit]:
    """``unit`` and the units above it, nearest first (one query)."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    by_id = {node.pk: node for node in OrgUnit.objects.filter(pk__in=ids)}
    return [by_id[pk] for pk in reversed(ids) if pk in by_id]


def unit_at_level(chain: list[OrgUnit], level: str) -> list[OrgUnit]:
    """The units from ``level`` upwards: the level's unit first, then its ancestors."""
    if level == Level.RAISER_UNIT:
        return chain
    kind = LEVEL_KIND[Level(level)]
    for index, unit in enumerate(chain):
        if unit.kind == kind:
            return chain[index:]
    # The raiser sits above the level (a branch officer asking for "the sub-branch"):
    # their own unit is the nearest one.
    return chain


@dataclass(frozen=True)
class Route:
    """Where a work order goes: a department, or (``department`` None) the heads of
    ``unit``."""

    rule: RoutingRule
    department: Department | None
    unit: OrgUnit


def units_with_heads(unit_ids: list[int]) -> set[int]:
    """Which of the units have an active head (one query)."""
    return set(
        Staff.objects.filter(
            is_active=True, org_unit_id__in=unit_ids, roles__role__in=sorted(HEAD_ROLES)
        ).values_list("org_unit_id", flat=True)
    )


def _matches(rule: RoutingRule, amount: Decimal | None, customer: Customer | None) -> bool:
    if rule.amount_min is not None and (amount is None or amount < rule.amount_min):
        return False
    if rule.amount_max is not None and (amount is None or amount >= rule.amount_max):
        return False
    if rule.customer_tier and (customer is None or customer.tier != rule.customer_tier):
        return False
    return not (rule.customer_kind and (customer is None or customer.kind != rule.customer_kind))


def route(
    *,
    work_order_type: WorkOrderType,
    amount: Decimal | None,
    customer: Customer | None,
    raised_unit: OrgUnit,
) -> Route:
    """The first matching active rule by priority, and the department or head it names.

    A rule's department is looked for at its level (the sub-branch, branch or head office
    of the raiser, or of the customer when the rule counts from the customer's home unit)
    and, when that unit has none of that kind, at the nearest unit above; the same for a
    rule that names the unit's head. Raises DomainError("no_route"),
    DomainError("no_department") or DomainError("no_head").
    """
    chain = ancestors(raised_unit)
    chain_ids = [unit.pk for unit in chain]
    chains: dict[str, list[OrgUnit]] = {RoutingRule.Anchor.RAISER: chain}
    rules = RoutingRule.objects.filter(
        Q(work_order_type=work_order_type) | Q(work_order_type__isnull=True),
        Q(org_unit__isnull=True) | Q(org_unit_id__in=chain_ids),
        is_active=True,
    ).order_by("priority", "id")
    for rule in rules:
        if not _matches(rule, amount, customer):
            continue
        anchor_chain = chain
        if rule.anchor == RoutingRule.Anchor.CUSTOMER and customer is not None:
            if rule.anchor not in chains:
                chains[rule.anchor] = ancestors(customer.home_unit)
            anchor_chain = chains[rule.anchor]
        candidates = unit_at_level(anchor_chain, rule.level)
        if rule.target == RoutingRule.Target.UNIT_HEAD:
            headed = units_with_heads([unit.pk for unit in candidates])
            for unit in candidates:
                if unit.pk in headed:
                    return Route(rule=rule, department=None, unit=unit)
            raise DomainError(
                _("No head was found for this request's unit or the units above it."),
                code="no_head",
            )
        departments = {
            department.org_unit_id: department
            for department in Department.objects.filter(
                org_unit_id__in=[unit.pk for unit in candidates], kind=rule.department_kind
            ).select_related("org_unit")
        }
        for unit in candidates:
            if unit.pk in departments:
                department = departments[unit.pk]
                return Route(rule=rule, department=department, unit=department.org_unit)
        raise DomainError(
            _("No %(department)s department was found for this request's unit.")
            % {"department": rule.get_department_kind_display()},
            code="no_department",
        )
    raise DomainError(
        _("No routing rule matches this request; ask the administrator to add one."),
        code="no_route",
    )


@dataclass(frozen=True)
class ApprovalLink:
    rule: ApprovalRule
    org_unit: OrgUnit
    department: Department | None


def approval_chain(
    *, work_order_type: WorkOrderType, amount: Decimal | None, raised_unit: OrgUnit
) -> list[ApprovalLink]:
    """The approval steps a work order needs, in order.

    Rules are grouped by ``sequence`` (one link each); within a link the rule with the
    highest threshold the amount reaches applies, so a larger amount climbs the tree.
    Raises DomainError("no_approver") when a link names a department that does not exist.
    """
    value = amount if amount is not None else Decimal("0")
    chosen: dict[int, ApprovalRule] = {}
    for rule in ApprovalRule.objects.filter(
        work_order_type=work_order_type, is_active=True, amount_min__lte=value
    ).order_by("sequence", "amount_min"):
        chosen[rule.sequence] = rule
    if not chosen:
        return []
    chain = ancestors(raised_unit)
    links: list[ApprovalLink] = []
    for sequence in sorted(chosen):
        rule = chosen[sequence]
        candidates = unit_at_level(chain, rule.level)
        if rule.department_kind:
            department = (
                Department.objects.filter(
                    org_unit_id__in=[unit.pk for unit in candidates], kind=rule.department_kind
                )
                .select_related("org_unit")
                .order_by("-org_unit__depth")
                .first()
            )
            if department is None:
                raise DomainError(
                    _("No approving department was found for this request."), code="no_approver"
                )
            links.append(
                ApprovalLink(rule=rule, org_unit=department.org_unit, department=department)
            )
        else:
            links.append(ApprovalLink(rule=rule, org_unit=candidates[0], department=None))
    return links
