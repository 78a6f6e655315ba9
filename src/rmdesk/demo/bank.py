"""The demo bank: a head office, three branches, nine sub-branches, their staff and customers.

Deterministic: the same scale builds the same bank. Customers are written in
batches (set-based), and staff share one password hash, so the demo scale builds
in seconds.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from rmdesk.audit.services import audit_record
from rmdesk.customers.models import Customer
from rmdesk.org.models import Department, OrgUnit, Staff
from rmdesk.org.roles import Role
from rmdesk.org.services import department_create, org_unit_create, staff_create


@dataclass(frozen=True)
class Scale:
    branches: int
    subbranches_per_branch: int
    managers: int
    customers: int


SCALES = {
    "demo": Scale(branches=3, subbranches_per_branch=3, managers=60, customers=10_000),
    # A small bank for tests and quick looks.
    "tiny": Scale(branches=2, subbranches_per_branch=2, managers=8, customers=200),
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
    "彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方")
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志"
    "红玉萍文辉鹏飞宇晨思雨欣怡子涵浩然梓轩一诺佳琪"
)
CITIES = (
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "成都",
    "武汉",
    "西安",
    "苏州",
    "天津",
    "重庆",
)
FIRM_WORDS = (
    "华信",
    "恒通",
    "瑞丰",
    "鑫源",
    "宏达",
    "新锐",
    "嘉禾",
    "远航",
    "中科",
    "博远",
    "联创",
    "金桥",
)
INDUSTRIES = ("科技", "贸易", "制造", "物流", "建设", "医药", "食品", "能源", "咨询", "电子")
BRANCH_CITIES = ("北京", "上海", "深圳", "杭州", "成都")
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
DISTRICTS = ("中心", "东城", "西城", "南城", "北城", "开发区", "高新区")


def demo_password_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-password"


def login_table() -> list[tuple[str, str]]:
    return [
        ("admin", "administrator (head office)"),
        ("hq-analyst", "head-office analyst: every customer, read-only"),
        ("compliance-01", "compliance auditor: every customer, read-only; access log"),
        ("branch-head-01 … 03", "branch heads: their branch's subtree"),
        ("subbranch-head-01 … 09", "sub-branch heads: their sub-branch"),
        ("rm-0001 … rm-0060", "account managers: their own customers"),
        ("risk-01, credit-01, ops-01, product-01", "department officers"),
    ]


def person_name(rng: random.Random) -> str:
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.02 else rng.choice(SURNAMES)
    given = "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))
    return surname + given


def company_name(rng: random.Random) -> str:
    return f"{rng.choice(CITIES)}{rng.choice(FIRM_WORDS)}{rng.choice(INDUSTRIES)}有限公司"


@dataclass
class BuiltBank:
    org_units: int
    staff: int
    customers: int
    password: str


def build(*, scale: Scale, password: str | None = None, seed: int = 20261129) -> BuiltBank:
    """Build the bank into an empty database, in one transaction."""
    rng = random.Random(seed)
    password = password or secrets.token_urlsafe(9)
    password_hash = make_password(password)
    with transaction.atomic():
        built = _build(rng=rng, scale=scale, password_hash=password_hash)
    path = demo_password_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password + "\n")
    path.chmod(0o600)
    built.password = password
    return built


def _staff(
    *,
    username: str,
    unit: OrgUnit,
    roles: list[Role],
    password_hash: str,
    rng: random.Random,
    department: Department | None = None,
    line_manager: Staff | None = None,
) -> Staff:
    staff = staff_create(
        actor=None,
        username=username,
        display_name=person_name(rng),
        org_unit=unit,
        roles=roles,
        department=department,
        line_manager=line_manager,
        employee_no=f"E{rng.randrange(10**6, 10**7)}",
    )
    Staff.objects.filter(pk=staff.pk).update(password=password_hash)
    return staff


def _build(*, rng: random.Random, scale: Scale, password_hash: str) -> BuiltBank:
    head_office = org_unit_create(
        actor=None, code="HO", name="总行", kind=OrgUnit.Kind.HEAD_OFFICE, parent=None
    )
    ho_depts = {
        kind: department_create(
            actor=None, org_unit=head_office, kind=kind, name=DEPARTMENT_NAMES[kind]
        )
        for kind in (
            Department.Kind.WEALTH_PRODUCT,
            Department.Kind.RISK,
            Department.Kind.CREDIT_APPROVAL,
            Department.Kind.COMPLIANCE,
            Department.Kind.OPERATIONS,
            Department.Kind.IT,
        )
    }
    count = 0

    def add(**kwargs: object) -> Staff:
        nonlocal count
        count += 1
        return _staff(password_hash=password_hash, rng=rng, **kwargs)  # type: ignore[arg-type]

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

    subbranches: list[OrgUnit] = []
    heads: dict[int, Staff] = {}
    for b in range(1, scale.branches + 1):
        city = BRANCH_CITIES[(b - 1) % len(BRANCH_CITIES)]
        branch = org_unit_create(
            actor=None,
            code=f"BR{b:02d}",
            name=f"{city}分行",
            kind=OrgUnit.Kind.BRANCH,
            parent=head_office,
        )
        depts = {
            kind: department_create(
                actor=None, org_unit=branch, kind=kind, name=DEPARTMENT_NAMES[kind]
            )
            for kind in (
                Department.Kind.RETAIL_FRONT,
                Department.Kind.CORPORATE_FRONT,
                Department.Kind.RISK,
                Department.Kind.CREDIT_APPROVAL,
                Department.Kind.OPERATIONS,
            )
        }
        add(username=f"branch-head-{b:02d}", unit=branch, roles=[Role.BRANCH_HEAD])
        if b == 1:
            add(
                username="risk-01",
                unit=branch,
                roles=[Role.DEPARTMENT_OFFICER],
                department=depts[Department.Kind.RISK],
            )
            add(
                username="credit-01",
                unit=branch,
                roles=[Role.DEPARTMENT_OFFICER],
                department=depts[Department.Kind.CREDIT_APPROVAL],
            )
            add(
                username="ops-01",
                unit=branch,
                roles=[Role.DEPARTMENT_OFFICER],
                department=depts[Department.Kind.OPERATIONS],
            )
        for s in range(1, scale.subbranches_per_branch + 1):
            n = len(subbranches) + 1
            sub = org_unit_create(
                actor=None,
                code=f"SB{n:02d}",
                name=f"{city}{DISTRICTS[s % len(DISTRICTS)]}支行",
                kind=OrgUnit.Kind.SUB_BRANCH,
                parent=branch,
            )
            for kind in (
                Department.Kind.RETAIL_FRONT,
                Department.Kind.CORPORATE_FRONT,
                Department.Kind.OPERATIONS,
            ):
                department_create(actor=None, org_unit=sub, kind=kind, name=DEPARTMENT_NAMES[kind])
            heads[sub.pk] = add(
                username=f"subbranch-head-{n:02d}", unit=sub, roles=[Role.SUBBRANCH_HEAD]
            )
            subbranches.append(sub)

    # Account managers, dealt round the sub-branches; one in five serves companies.
    managers_by_unit: dict[int, list[Staff]] = {sub.pk: [] for sub in subbranches}
    for m in range(1, scale.managers + 1):
        sub = subbranches[(m - 1) % len(subbranches)]
        kind = Department.Kind.CORPORATE_FRONT if m % 5 == 0 else Department.Kind.RETAIL_FRONT
        manager = add(
            username=f"rm-{m:04d}",
            unit=sub,
            roles=[Role.ACCOUNT_MANAGER],
            department=Department.objects.get(org_unit=sub, kind=kind),
            line_manager=heads[sub.pk],
        )
        managers_by_unit[sub.pk].append(manager)

    customers = []
    for i in range(1, scale.customers + 1):
        sub = rng.choice(subbranches)
        corporate = rng.random() < 0.12
        # About one customer in twenty waits unassigned in the sub-branch's pool.
        owner = rng.choice(managers_by_unit[sub.pk]) if rng.random() >= 0.05 else None
        customers.append(
            Customer(
                customer_no=f"C{i:010d}",
                kind=Customer.Kind.CORPORATE if corporate else Customer.Kind.INDIVIDUAL,
                display_name=company_name(rng) if corporate else person_name(rng),
                home_unit=sub,
                primary_manager=owner,
            )
        )
    Customer.objects.bulk_create(customers, batch_size=2000)
    audit_record(
        actor=None,
        action="customers.customer.seeded",
        target=head_office,
        data={"customers": scale.customers},
    )
    return BuiltBank(
        org_units=OrgUnit.objects.count(), staff=count, customers=scale.customers, password=""
    )
