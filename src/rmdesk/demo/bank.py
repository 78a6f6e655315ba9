"""The synthetic bank: its org tree, staff and customers, at a named scale.

``tiny`` (tests), ``demo`` (``make demo``: a head office, three branches, nine
sub-branches, 60 account managers, 10,000 customers) and ``bench`` (30 branches of
10 sub-branches, 3,000 managers, a million customers). Deterministic: the same
scale and seed build the same bank on the same day.

The org and the named logins go through the org services, like any other write.
Account managers and everything about customers are written set-based, in batches
(see ``generate`` and ``loader``): COPY on PostgreSQL, multi-row inserts on SQLite.
"""

from __future__ import annotations

import gc
import os
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from rmdesk.audit.services import audit_record
from rmdesk.customers.models import (
    CorporateGroup,
    Customer,
    CustomerAssignment,
    Holding,
    Household,
    HouseholdMember,
    KeyPerson,
    Referral,
    TierChange,
    Transaction,
)
from rmdesk.customers.services import tier_thresholds
from rmdesk.demo import people
from rmdesk.demo.assemble import Assembler
from rmdesk.demo.columns import COLUMNS, TABLES
from rmdesk.demo.duties import duties_build
from rmdesk.demo.generate import BankGenerator, Unit, Volumes
from rmdesk.demo.loader import Loader
from rmdesk.demo.places import CITIES, SUBBRANCH_SUFFIXES, City, district_short
from rmdesk.org.models import Department, OrgUnit, Staff, StaffRole
from rmdesk.org.roles import Role
from rmdesk.org.services import department_create, org_unit_create, staff_create

DEFAULT_SEED = 20261129


@dataclass(frozen=True)
class Scale:
    branches: int
    subbranches_per_branch: int
    managers: int
    customers: int
    holdings: int
    transactions: int
    # The duty apps' working day (see ``duties``); False: only the product shelf.
    duties: bool = True


SCALES = {
    "demo": Scale(
        branches=3,
        subbranches_per_branch=3,
        managers=60,
        customers=10_000,
        holdings=30_000,
        transactions=300_000,
    ),
    "bench": Scale(
        branches=30,
        subbranches_per_branch=10,
        managers=3_000,
        customers=1_000_000,
        holdings=3_000_000,
        transactions=10_000_000,
        duties=False,
    ),
    # A small bank for tests and quick looks.
    "tiny": Scale(
        branches=2,
        subbranches_per_branch=2,
        managers=8,
        customers=200,
        holdings=600,
        transactions=6_000,
    ),
}

MODELS: dict[str, type[models.Model]] = {
    "group": CorporateGroup,
    "customer": Customer,
    "household": Household,
    "member": HouseholdMember,
    "key_person": KeyPerson,
    "referral": Referral,
    "assignment": CustomerAssignment,
    "tier_change": TierChange,
    "holding": Holding,
    "transaction": Transaction,
}

DEPARTMENT_NAMES = {
    Department.Kind.RETAIL_FRONT: "个人金融部",
    Department.Kind.CORPORATE_FRONT: "公司金融部",
    Department.Kind.FINANCIAL_MARKETS: "金融市场部",
    Department.Kind.WEALTH_PRODUCT: "财富管理与产品部",
    Department.Kind.RISK: "风险管理部",
    Department.Kind.CREDIT_APPROVAL: "授信审批部",
    Department.Kind.COMPLIANCE: "法律合规部",
    Department.Kind.OPERATIONS: "运营管理部",
    Department.Kind.IT: "信息科技部",
}
HEAD_OFFICE_DEPARTMENTS = (
    Department.Kind.WEALTH_PRODUCT,
    Department.Kind.RISK,
    Department.Kind.CREDIT_APPROVAL,
    Department.Kind.COMPLIANCE,
    Department.Kind.OPERATIONS,
    Department.Kind.IT,
)
BRANCH_DEPARTMENTS = (
    Department.Kind.RETAIL_FRONT,
    Department.Kind.CORPORATE_FRONT,
    Department.Kind.RISK,
    Department.Kind.CREDIT_APPROVAL,
    Department.Kind.OPERATIONS,
)
SUBBRANCH_DEPARTMENTS = (
    Department.Kind.RETAIL_FRONT,
    Department.Kind.CORPORATE_FRONT,
    Department.Kind.OPERATIONS,
)


def demo_password_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-password"


def login_table(scale: Scale | None = None) -> list[tuple[str, str]]:
    scale = scale or SCALES["demo"]
    subbranches = scale.branches * scale.subbranches_per_branch
    return [
        ("admin", "administrator (head office)"),
        ("hq-analyst", "head-office analyst: every customer, read-only"),
        ("compliance-01", "compliance auditor: every customer, read-only; access log"),
        (f"branch-head-01 … {scale.branches:02d}", "branch heads: their branch's subtree"),
        (f"subbranch-head-01 … {subbranches:02d}", "sub-branch heads: their sub-branch"),
        (f"rm-0001 … rm-{scale.managers:04d}", "account managers: their own customers"),
        ("risk-01, credit-01, ops-01, product-01", "department officers"),
        (
            f"ops-sb01 … {subbranches:02d}, credit-br01b, credit-br02a … br{scale.branches:02d}b",
            "operations officers of each sub-branch, credit officers of each branch",
        ),
    ]


@dataclass
class BuiltBank:
    org_units: int
    staff: int
    customers: int
    password: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    duties: dict[str, int] = field(default_factory=dict)


def build(
    *,
    scale: Scale,
    password: str | None = None,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    batch_size: int = 20_000,
    workers: int | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> BuiltBank:
    """Build the bank into an empty database, in one transaction.

    ``workers``: processes generating batches (default: one per core, at most four, for
    banks of 200,000 customers or more; otherwise none). The bank is the same whatever
    the number. ``progress`` is called after each batch with the customers done so far and a line
    saying how far it got. The demo password is written to ``var/demo-password`` once the
    transaction commits.
    """
    password = password or secrets.token_urlsafe(9)
    password_hash = make_password(password)
    # Millions of short-lived objects and no reference cycles: the cyclic collector would
    # only walk the growing heap again and again (about a sixth of the time at bench scale).
    collecting = gc.isenabled()
    gc.disable()
    try:
        today = today or timezone.localdate()
        with transaction.atomic():
            built = _build(
                scale=scale,
                password_hash=password_hash,
                seed=seed,
                today=today,
                batch_size=batch_size,
                workers=default_workers(scale) if workers is None else workers,
                progress=progress or (lambda done, line: None),
            )
            started = time.monotonic()
            duties = duties_build(today=today, seed=seed, full=scale.duties)
            built.duties = dict(duties.counts)
            built.seconds["duties"] = time.monotonic() - started
            built.seconds.update({f"duties: {k}": v for k, v in duties.seconds.items()})
    finally:
        if collecting:
            gc.enable()
    path = demo_password_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password + "\n")
    path.chmod(0o600)
    built.password = password
    return built


def default_workers(scale: Scale) -> int:
    if scale.customers < 200_000:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


@dataclass
class _Org:
    head_office: OrgUnit
    units: list[Unit]
    staff: int


def _build(
    *,
    scale: Scale,
    password_hash: str,
    seed: int,
    today: date,
    batch_size: int,
    workers: int,
    progress: Callable[[int, str], None],
) -> BuiltBank:
    seconds: dict[str, float] = {}
    started = time.monotonic()
    org = _build_org(scale=scale, password_hash=password_hash, seed=seed)
    seconds["org"] = time.monotonic() - started

    loader = Loader(connection)
    tables = {name: loader.table(MODELS[name], COLUMNS[name]) for name in TABLES}
    rules = [(tier, int(minimum * 100)) for tier, minimum in tier_thresholds()]
    first_ids = {name: loader.first_id(MODELS[name]) for name in TABLES}
    generator = BankGenerator(
        units=org.units,
        volumes=Volumes(scale.customers, scale.holdings, scale.transactions),
        tier_rules=rules,
        today=today,
        now_text=loader.moment(timezone.now()),
        stamp=loader.stamp,
        first_ids=first_ids,
        seed=seed,
        batch_size=batch_size,
    )
    rows = dict.fromkeys(TABLES, 0)
    for key in ("generate", "assemble", *(f"write {name}" for name in TABLES)):
        seconds[key] = 0.0
    load_started = time.monotonic()
    assembler = Assembler(first_ids=first_ids, id_digest=generator.id_digest)
    with loader.bulk_load(list(MODELS.values())) as rebuilt:
        batches = generator.batches(workers=workers)
        done = 0
        while True:
            mark = time.monotonic()
            batch = next(batches, None)
            seconds["generate"] += time.monotonic() - mark
            if batch is None:
                break
            mark = time.monotonic()
            assembler.finish(batch)
            seconds["assemble"] += time.monotonic() - mark
            for name in TABLES:
                mark = time.monotonic()
                source = batch.transactions if name == "transaction" else batch.rows[name]
                rows[name] += loader.write(tables[name], source)
                seconds[f"write {name}"] += time.monotonic() - mark
            done += batch.customers
            progress(
                done,
                f"{done:,} of {scale.customers:,} customers, "
                f"{rows['transaction']:,} transactions, {time.monotonic() - started:.0f} s",
            )
    seconds["indexes and analyse"] = rebuilt.seconds
    seconds["load"] = time.monotonic() - load_started
    audit_record(
        actor=None,
        action="customers.customer.seeded",
        target=org.head_office,
        data={"customers": rows["customer"], "holdings": rows["holding"]},
    )
    seconds["total"] = time.monotonic() - started
    return BuiltBank(
        org_units=OrgUnit.objects.count(),
        staff=org.staff,
        customers=rows["customer"],
        password="",
        rows=rows,
        seconds=seconds,
    )


def _build_org(*, scale: Scale, password_hash: str, seed: int) -> _Org:
    """The tree, its departments, the named logins (through the services), then the
    account managers (in bulk, one audit event for them all)."""
    rng = random.Random(seed - 1)
    staff_count = 0
    employee_no = iter(range(100_001, 10**7))

    def add(
        *,
        username: str,
        unit: OrgUnit,
        roles: list[Role],
        department: Department | None = None,
        line_manager: Staff | None = None,
    ) -> Staff:
        nonlocal staff_count
        staff_count += 1
        staff = staff_create(
            actor=None,
            username=username,
            display_name=people.staff_name(rng),
            org_unit=unit,
            roles=roles,
            department=department,
            line_manager=line_manager,
            employee_no=f"E{next(employee_no)}",
        )
        Staff.objects.filter(pk=staff.pk).update(password=password_hash)
        return staff

    head_office = org_unit_create(
        actor=None, code="HO", name="总行", kind=OrgUnit.Kind.HEAD_OFFICE, parent=None
    )
    ho_depts = {
        kind: department_create(
            actor=None, org_unit=head_office, kind=kind, name=DEPARTMENT_NAMES[kind]
        )
        for kind in HEAD_OFFICE_DEPARTMENTS
    }
    admin = add(
        username="admin",
        unit=head_office,
        roles=[Role.ADMINISTRATOR],
        department=ho_depts[Department.Kind.IT],
    )
    Staff.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    add(username="hq-analyst", unit=head_office, roles=[Role.HQ_ANALYST])
    add(
        username="compliance-01",
        unit=head_office,
        roles=[Role.COMPLIANCE_AUDITOR],
        department=ho_depts[Department.Kind.COMPLIANCE],
    )
    add(
        username="product-01",
        unit=head_office,
        roles=[Role.DEPARTMENT_OFFICER],
        department=ho_depts[Department.Kind.WEALTH_PRODUCT],
    )

    subbranches: list[tuple[OrgUnit, City, int, dict[str, Department], Staff]] = []
    for b in range(1, scale.branches + 1):
        city = CITIES[(b - 1) % len(CITIES)]
        branch = org_unit_create(
            actor=None,
            code=f"BR{b:02d}",
            name=f"{city.short}分行",
            kind=OrgUnit.Kind.BRANCH,
            parent=head_office,
        )
        depts = {
            kind: department_create(
                actor=None, org_unit=branch, kind=kind, name=DEPARTMENT_NAMES[kind]
            )
            for kind in BRANCH_DEPARTMENTS
        }
        add(username=f"branch-head-{b:02d}", unit=branch, roles=[Role.BRANCH_HEAD])
        if b == 1:
            for username, kind in (
                ("risk-01", Department.Kind.RISK),
                ("credit-01", Department.Kind.CREDIT_APPROVAL),
                ("ops-01", Department.Kind.OPERATIONS),
            ):
                add(
                    username=username,
                    unit=branch,
                    roles=[Role.DEPARTMENT_OFFICER],
                    department=depts[kind],
                )
        for s in range(scale.subbranches_per_branch):
            n = len(subbranches) + 1
            district = s % len(city.districts)
            suffix = SUBBRANCH_SUFFIXES[(s // len(city.districts)) % len(SUBBRANCH_SUFFIXES)]
            sub = org_unit_create(
                actor=None,
                code=f"SB{n:02d}",
                name=f"{city.short}{district_short(city.districts[district][1])}{suffix}支行",
                kind=OrgUnit.Kind.SUB_BRANCH,
                parent=branch,
            )
            sub_depts: dict[str, Department] = {
                kind: department_create(
                    actor=None, org_unit=sub, kind=kind, name=DEPARTMENT_NAMES[kind]
                )
                for kind in SUBBRANCH_DEPARTMENTS
            }
            head = add(username=f"subbranch-head-{n:02d}", unit=sub, roles=[Role.SUBBRANCH_HEAD])
            subbranches.append((sub, city, district, sub_depts, head))

    # Account managers, dealt round the sub-branches; one in five serves companies.
    managers: list[Staff] = []
    for m in range(1, scale.managers + 1):
        sub, _city, _district, sub_depts, head = subbranches[(m - 1) % len(subbranches)]
        kind = Department.Kind.CORPORATE_FRONT if m % 5 == 0 else Department.Kind.RETAIL_FRONT
        managers.append(
            Staff(
                username=f"rm-{m:04d}",
                display_name=people.staff_name(rng),
                org_unit=sub,
                department=sub_depts[kind],
                line_manager=head,
                employee_no=f"E{next(employee_no)}",
                password=password_hash,
            )
        )
    Staff.objects.bulk_create(managers, batch_size=1000)
    StaffRole.objects.bulk_create(
        [StaffRole(staff=manager, role=Role.ACCOUNT_MANAGER) for manager in managers],
        batch_size=1000,
    )
    staff_count += len(managers)
    audit_record(
        actor=None,
        action="org.staff.seeded",
        target=head_office,
        data={"role": Role.ACCOUNT_MANAGER, "count": len(managers)},
    )

    by_unit: dict[int, list[Staff]] = {}
    for manager in managers:
        by_unit.setdefault(manager.org_unit_id or 0, []).append(manager)
    units = []
    for sub, city, district, sub_depts, _head in subbranches:
        mine = by_unit.get(sub.pk, [])
        corporate = sub_depts[Department.Kind.CORPORATE_FRONT].pk
        units.append(
            Unit(
                id=sub.pk,
                city=city,
                district=district,
                retail=tuple(m.pk for m in mine if m.department_id != corporate),
                corporate=tuple(m.pk for m in mine if m.department_id == corporate),
            )
        )
    return _Org(head_office=head_office, units=units, staff=staff_count)
