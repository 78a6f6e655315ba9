"""Coverage: how many customers with a cadence were contacted within it, per manager and
rolled up the tree (team, sub-branch, branch, head office).

One aggregate query over the customers the viewer may see (so a head sees their
subtree, a manager their own book), grouped by lead manager; the roll-up then adds
those per-manager rows (thousands at most, never a row per customer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Case, Count, DateTimeField, OuterRef, Q, Subquery, Value, When

from rmdesk.contact.models import Interaction
from rmdesk.contact.planning import contact_cadences, day_start
from rmdesk.customers.models import Customer
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.policy import customer_q


@dataclass
class CoverageRow:
    kind: str  # "manager", "team", "sub_branch", "branch", "head_office", "outlet", "bank"
    key: int
    label: str
    total: int = 0
    within: int = 0
    never: int = 0
    depth: int = 0
    children: list[int] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return self.total - self.within

    @property
    def share(self) -> float:
        """Share contacted within cadence, 0..1 (1 when there is no one to contact)."""
        return self.within / self.total if self.total else 1.0

    def add(self, other: CoverageRow) -> None:
        self.total += other.total
        self.within += other.within
        self.never += other.never


@dataclass
class Coverage:
    as_of: date
    managers: list[CoverageRow]
    teams: list[CoverageRow]
    units: list[CoverageRow]
    bank: CoverageRow


def _since_case(as_of: date) -> tuple[Case | None, list[str]]:
    whens = []
    tiers = []
    for tier, (days, _in_person) in contact_cadences().items():
        if days:
            tiers.append(tier)
            whens.append(When(tier=tier, then=Value(day_start(as_of - timedelta(days=days - 1)))))
    if not whens:
        return None, []
    return Case(*whens, output_field=DateTimeField()), tiers


def _since_value(since: datetime) -> Value:
    return Value(since, output_field=DateTimeField())


def coverage_compute(*, actor: Staff, as_of: date) -> Coverage:
    """Coverage on ``as_of`` of the customers ``actor`` may see. Three queries."""
    since, tiers = _since_case(as_of)
    per_manager: dict[int, CoverageRow] = {}
    if since is not None:
        last = Subquery(
            Interaction.objects.filter(customer=OuterRef("pk"))
            .order_by("-occurred_at")
            .values("occurred_at")[:1]
        )
        rows = (
            Customer.objects.filter(
                customer_q(actor), primary_manager__isnull=False, tier__in=tiers
            )
            .annotate(last=last, since=since)
            .values("primary_manager_id")
            .annotate(
                total=Count("pk"),
                within=Count("pk", filter=Q(last__gte=since)),
                never=Count("pk", filter=Q(last__isnull=True)),
            )
            .order_by("primary_manager_id")
        )
        for found in rows:
            per_manager[found["primary_manager_id"]] = CoverageRow(
                kind="manager",
                key=found["primary_manager_id"],
                label="",
                total=found["total"],
                within=found["within"],
                never=found["never"],
            )
    staff = {
        member.pk: member
        for member in Staff.objects.filter(pk__in=list(per_manager)).select_related(
            "org_unit", "line_manager"
        )
    }
    teams: dict[int, CoverageRow] = {}
    units: dict[int, CoverageRow] = {}
    bank = CoverageRow(kind="bank", key=0, label="")
    for manager_id, row in per_manager.items():
        member = staff[manager_id]
        row.label = str(member)
        bank.add(row)
        if member.line_manager is not None:
            team = teams.setdefault(
                member.line_manager_id or 0,
                CoverageRow(
                    kind="team", key=member.line_manager_id or 0, label=str(member.line_manager)
                ),
            )
            team.add(row)
            team.children.append(manager_id)
        if member.org_unit is not None:
            for unit_id in (int(part) for part in member.org_unit.path.strip("/").split("/")):
                unit = units.setdefault(unit_id, CoverageRow(kind="", key=unit_id, label=""))
                unit.add(row)
                if unit_id == member.org_unit_id:
                    unit.children.append(manager_id)
    for org_unit in OrgUnit.objects.filter(pk__in=list(units)):
        units[org_unit.pk].kind = org_unit.kind
        units[org_unit.pk].label = org_unit.name
        units[org_unit.pk].depth = org_unit.depth
    by_path = sorted(units.values(), key=lambda u: (u.depth, u.label, u.key))
    return Coverage(
        as_of=as_of,
        managers=sorted(per_manager.values(), key=lambda r: (r.share, -r.total, r.key)),
        teams=sorted(teams.values(), key=lambda r: (r.share, r.label, r.key)),
        units=by_path,
        bank=bank,
    )
