"""The demo bank's working day: what the duty apps hold once the bank has run a while.

Built after the customers (``bank.build``), in the same transaction, deterministically
(seeded generators, rows in key order) and relative to the day it runs, so the demo is
always current: a product shelf with sales windows around today; risk assessments;
sales; prospects at every stage, opportunities, the pool and two name lists; months of
interactions, visits and follow-ups; service requests; work orders in every state;
working groups, resource pools, campaigns and a marketing plan.

Where rules matter the stage goes through the apps' own code: every sale is decided by
the suitability engine on the facts as they stood when it was signed (a blocked one is
not written); work orders, pools, working groups, campaigns and plan targets are made
by their services, as at the moment they happened (``_clock``), so routing, approval
chains, SLA clocks, pool holds and audit trails are the ones the pages would produce.
Records that are many (assessments, sales, interactions, prospects…) are built in
Python and written with ``bulk_create``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, Decimal
from typing import Any
from unittest import mock

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Count, Exists, Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from rmdesk.contact.models import (
    Interaction,
    NeedCategory,
    PlanEntry,
    ServiceRequest,
    ServiceRequestEvent,
    Visit,
)
from rmdesk.coordination import access as coordination_access
from rmdesk.coordination.escalation import sla_escalate
from rmdesk.coordination.groups import working_group_create, working_group_task_add
from rmdesk.coordination.models import Step, WorkingGroupTask, WorkOrder
from rmdesk.coordination.pools import pool_allocate, pool_create
from rmdesk.coordination.services import work_order_raise, work_order_transition
from rmdesk.customers import identifiers
from rmdesk.customers.models import Customer, Holding
from rmdesk.demo import identity, people
from rmdesk.demo.loader import Loader
from rmdesk.demo.shelf import shelf_products
from rmdesk.development.models import (
    NameList,
    NameListEntry,
    Opportunity,
    Outcome,
    Prospect,
    SignalCode,
    Stage,
    StageChange,
)
from rmdesk.development.prospects import name_key
from rmdesk.marketing import selectors as marketing_selectors
from rmdesk.marketing import suitability as s
from rmdesk.marketing.models import (
    Assessment,
    Campaign,
    CampaignEntry,
    DualRecording,
    Product,
    QualifiedInvestorEvidence,
    Questionnaire,
    Sale,
    StaffQualification,
)
from rmdesk.marketing.services import (
    campaign_create,
    campaign_launch,
    plan_target_create,
    questionnaire_score,
)
from rmdesk.org.models import Department, OrgUnit, Staff
from rmdesk.org.roles import Role
from rmdesk.org.services import staff_create

ZERO = Decimal("0")
CENT = Decimal("0.01")


@contextmanager
def _clock(moment: dt.datetime) -> Iterator[None]:
    """Run the services as at ``moment``: every ``timezone.now()`` answers it."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@contextmanager
def _stamps_kept(model: type[models.Model]) -> Iterator[None]:
    """Write the rows' own ``created_at`` and ``updated_at`` (a history being back-filled)
    instead of the moment of writing."""
    fields = [model._meta.get_field(name) for name in ("created_at", "updated_at")]
    before = [(f.auto_now, f.auto_now_add) for f in fields]  # type: ignore[union-attr]
    try:
        for f in fields:
            f.auto_now = f.auto_now_add = False  # type: ignore[union-attr]
        yield
    finally:
        for f, (now, add) in zip(fields, before, strict=True):
            f.auto_now, f.auto_now_add = now, add  # type: ignore[union-attr]


@dataclass(frozen=True)
class Person:
    """A customer as the stage reads it."""

    pk: int
    customer_no: str
    kind: str
    birth_date: dt.date | None
    tier: str
    aum: Decimal
    manager_id: int | None
    unit_id: int
    risk_level: int | None
    risk_expires_on: dt.date | None
    consent: bool
    city: str
    address: str
    display_name: str

    @property
    def individual(self) -> bool:
        return self.kind == Customer.Kind.INDIVIDUAL


@dataclass
class AssessmentFacts:
    level: int
    loss_unable: bool
    assessed_at: dt.datetime
    expires_on: dt.date
    branch: bool


@dataclass
class Built:
    counts: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)
    blocked_sales: int = 0


TIER_WEIGHT = {"mass": 1, "silver": 3, "gold": 8, "diamond": 14, "private": 20}
CONTACT_SHARE = {"mass": 0.07, "silver": 0.22, "gold": 0.5, "diamond": 0.8, "private": 0.92}
CITY_CENTRES = {
    "北京市": (Decimal("39.9042"), Decimal("116.4074")),
    "上海市": (Decimal("31.2304"), Decimal("121.4737")),
    "深圳市": (Decimal("22.5431"), Decimal("114.0579")),
}
SOLD_TYPES = frozenset(
    {
        Product.Type.WM_PUBLIC,
        Product.Type.WM_PRIVATE,
        Product.Type.FUND,
        Product.Type.INSURANCE,
        Product.Type.TIME_DEPOSIT,
        Product.Type.STRUCTURED_DEPOSIT,
        Product.Type.GOVERNMENT_BOND,
        Product.Type.PHYSICAL_METAL,
    }
)
SUMMARIES = {
    "wealth_growth": (
        "客户有一笔资金即将到期，希望稳健增值，介绍了{product}。",
        "沟通资产配置，客户偏好中短期固收类产品，关注{product}。",
    ),
    "education": ("客户孩子明年出国读书，咨询教育金规划和购汇额度。",),
    "retirement": ("客户临近退休，讨论养老规划，介绍了年金保险和稳健理财。",),
    "housing_loan": ("客户计划置换住房，咨询房贷利率和提前还款安排。",),
    "business_loan": ("客户经营周转需求，了解小微经营贷的额度和审批时间。",),
    "payroll": ("与企业财务沟通代发工资业务，员工约两百人。",),
    "settlement": ("企业希望开通跨行资金归集和电子回单服务。",),
    "insurance": ("客户关注家庭保障，介绍重疾险并约定下次面谈。",),
    "cross_border": ("客户有海外汇款需求，说明了便利化额度和所需材料。",),
}
NEXT_STEPS = (
    "发送产品说明书，约下周面谈",
    "准备资产配置建议书",
    "提醒客户到期资金续作",
    "电话回访确认客户意向",
    "协调产品经理一起拜访",
)
VISIT_PURPOSES = (
    "年度资产检视",
    "到期资金续作沟通",
    "家庭保障规划面谈",
    "企业结算方案交流",
    "新产品介绍",
    "生日问候及回访",
)
SERVICE_TEXT = {
    ServiceRequest.Kind.CARD_REPLACEMENT: "客户借记卡磁条损坏，申请换卡。",
    ServiceRequest.Kind.STATEMENT: "客户需要近一年的存款证明和流水，用于签证办理。",
    ServiceRequest.Kind.LOAN_ENQUIRY: "客户咨询经营贷续贷条件。",
    ServiceRequest.Kind.COMPLAINT: "客户反映柜台排队时间过长。",
    ServiceRequest.Kind.ADDRESS_CHANGE: "客户更换手机号码和通讯地址。",
    ServiceRequest.Kind.ACCOUNT_CHANGE: "客户申请调整手机银行转账限额。",
    ServiceRequest.Kind.OTHER: "客户询问保管箱租用。",
}
OPPORTUNITY_TITLES = {
    SignalCode.MATURITY: "到期资金续作",
    SignalCode.IDLE_DEPOSIT: "活期资金配置",
    SignalCode.SALARY_NO_WEALTH: "代发客户首次理财",
    SignalCode.LARGE_INFLOW: "大额入账资金配置",
    SignalCode.ATTRITION: "资金外流挽留",
    SignalCode.BIRTHDAY: "生日关怀及资产检视",
    SignalCode.PAYROLL_POTENTIAL: "代发工资业务拓展",
    "": "客户主动咨询",
}
PROSPECT_SOURCES = (
    (Prospect.Source.CUSTOMER_REFERRAL, 22),
    (Prospect.Source.EMPLOYEE_REFERRAL, 8),
    (Prospect.Source.WALK_IN, 18),
    (Prospect.Source.EVENT, 12),
    (Prospect.Source.PAYROLL, 12),
    (Prospect.Source.ONLINE, 14),
    (Prospect.Source.COLD_CALL, 8),
    (Prospect.Source.SIGNAL, 6),
)
STAGE_SHARE = (
    (Stage.NEW, 24),
    (Stage.CONTACTED, 20),
    (Stage.NEEDS_IDENTIFIED, 15),
    (Stage.PROPOSAL, 12),
    (Stage.ACCOUNT_OPENING, 8),
    (Stage.WON, 11),
    (Stage.LOST, 10),
)
PIPELINE = [stage for stage, _ in STAGE_SHARE[:6]]
INDUSTRY_WORDS = ("科技", "贸易", "建材", "餐饮管理", "物流", "医疗器械", "文化传媒", "电子")


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, int]]) -> Any:
    total = sum(weight for _item, weight in weighted)
    roll = rng.random() * total
    for item, weight in weighted:
        roll -= weight
        if roll < 0:
            return item
    return weighted[-1][0]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def duties_build(*, today: dt.date, seed: int, full: bool) -> Built:
    """Write the duty apps' demo data; returns the rows written, by kind, and the
    seconds each part took.

    ``full`` False writes only the product shelf (for the large benchmark bank).
    """
    zone = timezone.get_current_timezone()
    real_now = timezone.now()
    if timezone.localdate(real_now) == today:
        # To the minute: two builds a few seconds apart write the same bank.
        now = real_now.replace(second=0, microsecond=0)
    else:
        now = dt.datetime.combine(today, dt.time(15, 0), tzinfo=zone)
    products = Product.objects.bulk_create(shelf_products(today=today))
    if not full:
        return Built(counts=Counter(product=len(products)))
    stage = _Stage(today=today, now=now, seed=seed, products=products)
    stage.run()
    return stage.built


class _Stage:
    def __init__(
        self, *, today: dt.date, now: dt.datetime, seed: int, products: list[Product]
    ) -> None:
        self.today = today
        self.now = now
        self.zone = timezone.get_current_timezone()
        self.seed = seed
        self.products = products
        self.by_code = {p.code: p for p in products}
        self.built = Built()
        self.loader = Loader(connection)
        self.built.counts["product"] = len(products)

    def rng(self, salt: int) -> random.Random:
        return random.Random(self.seed * 1000 + salt)

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.zone)

    def past(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        """A moment on ``day`` that has happened: today's moments stop short of now."""
        moment = self.at(day, hour, minute)
        if moment >= self.now:
            moment = self.now - dt.timedelta(minutes=5 + (hour * 7 + minute) % 50)
        return moment

    def days_ago(self, n: int) -> dt.date:
        return self.today - dt.timedelta(days=n)

    def save(
        self, model: type[models.Model], rows: list[Any], stamps: list[dt.datetime] | None = None
    ) -> list[Any]:
        """bulk_create ``rows``; with ``stamps``, created (and last changed) at those moments."""
        if stamps is None:
            saved = model.objects.bulk_create(rows, batch_size=1000)  # type: ignore[attr-defined]
        else:
            for row, stamp in zip(rows, stamps, strict=True):
                row.created_at = stamp
                row.updated_at = stamp
            with _stamps_kept(model):
                saved = model.objects.bulk_create(rows, batch_size=1000)  # type: ignore[attr-defined]
        self.built.counts[model._meta.model_name or ""] += len(saved)
        return list(saved)

    def write(
        self, model: type[models.Model], columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> None:
        """Append many rows whose keys nothing here needs, the way the bank's own tables
        are written (``Loader``: COPY on PostgreSQL, executemany on SQLite)."""
        first = self.loader.first_id(model)
        table = self.loader.table(model, ("id", *columns))
        written = self.loader.write(table, ((first + i, *row) for i, row in enumerate(rows)))
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(statement)
        self.built.counts[model._meta.model_name or ""] += written

    # --- the bank as it is --------------------------------------------------------------

    def load(self) -> None:
        rows = Customer.objects.order_by("pk").values_list(
            "pk",
            "customer_no",
            "kind",
            "birth_date",
            "tier",
            "aum",
            "primary_manager_id",
            "home_unit_id",
            "risk_level",
            "risk_expires_on",
            "marketing_consent",
            "city",
            "address",
            "display_name",
        )
        self.customers = [Person(*row) for row in rows]
        self.book: dict[int, list[Person]] = defaultdict(list)
        for person in self.customers:
            if person.manager_id is not None:
                self.book[person.manager_id].append(person)
        self.managers = list(
            Staff.objects.filter(roles__role=Role.ACCOUNT_MANAGER, is_active=True)
            .select_related("org_unit", "department")
            .order_by("pk")
        )
        self.staff = {
            s.username: s
            for s in Staff.objects.filter(is_active=True)
            .exclude(roles__role=Role.ACCOUNT_MANAGER)
            .select_related("org_unit", "department")
            .prefetch_related("roles")
        }
        self.units = {unit.pk: unit for unit in OrgUnit.objects.all()}
        self.heads: dict[int, Staff] = {}
        for member in self.staff.values():
            if member.org_unit_id is not None and member.has_role(
                Role.SUBBRANCH_HEAD, Role.BRANCH_HEAD
            ):
                self.heads[member.org_unit_id] = member
        self.departments = {
            (d.org_unit_id, d.kind): d for d in Department.objects.select_related("org_unit")
        }
        self.password = (
            Staff.objects.filter(username="rm-0001").values_list("password", flat=True).first()
            or Staff.objects.order_by("pk").values_list("password", flat=True).first()
        )
        self.rm1 = next((m for m in self.managers if m.username == "rm-0001"), self.managers[0])

    def units_of_customers(self) -> list[int]:
        return [person.unit_id for person in self.customers]

    def head_of(self, unit_id: int) -> Staff:
        return self.heads[unit_id]

    def branch_of(self, unit_id: int) -> OrgUnit:
        unit = self.units[unit_id]
        while unit.kind != OrgUnit.Kind.BRANCH and unit.parent_id is not None:
            unit = self.units[unit.parent_id]
        return unit

    # --- the whole stage ----------------------------------------------------------------

    def run(self) -> None:
        for phase in (
            self.load,
            self.officers,
            self.qualifications,
            self.assessments,
            self.evidence,
            self.pools,
            self.campaigns_launch,
            self.sales,
            self.interactions,
            self.plan_history,
            self.visits,
            self.service_requests,
            self.prospects,
            self.opportunities,
            self.name_lists,
            self.work_orders,
            self.working_groups,
            self.campaigns_progress,
            self.plan_targets,
        ):
            started = time.monotonic()
            phase()
            self.built.seconds[phase.__name__] = time.monotonic() - started

    # --- staff ----------------------------------------------------------------------------

    def officers(self) -> None:
        """Operations officers in every sub-branch and two credit officers per branch, who
        work the requests routed to their departments."""
        rng = self.rng(1)
        employee = 900_001
        made: list[Staff] = []
        branches = sorted(
            (u for u in self.units.values() if u.kind == OrgUnit.Kind.BRANCH), key=lambda u: u.code
        )
        wanted: list[tuple[str, OrgUnit, str]] = []
        for branch in branches:
            number = int(branch.code[2:])
            for suffix in ("a", "b"):
                if number == 1 and suffix == "a" and "credit-01" in self.staff:
                    continue
                wanted.append(
                    (f"credit-br{number:02d}{suffix}", branch, Department.Kind.CREDIT_APPROVAL)
                )
        for unit in sorted(self.units.values(), key=lambda u: u.code):
            if unit.kind == OrgUnit.Kind.SUB_BRANCH:
                wanted.append((f"ops-sb{int(unit.code[2:]):02d}", unit, Department.Kind.OPERATIONS))
        for username, unit, kind in wanted:
            department = self.departments.get((unit.pk, kind))
            if department is None:
                continue
            member = staff_create(
                actor=None,
                username=username,
                display_name=people.staff_name(rng),
                org_unit=unit,
                roles=[Role.DEPARTMENT_OFFICER],
                department=department,
                line_manager=self.heads.get(unit.pk),
                employee_no=f"E{employee}",
            )
            employee += 1
            made.append(member)
        Staff.objects.filter(pk__in=[m.pk for m in made]).update(password=self.password)
        for member in Staff.objects.filter(pk__in=[m.pk for m in made]).select_related(
            "org_unit", "department"
        ):
            self.staff[member.username] = member
        self.built.counts["officer"] = len(made)

    def qualifications(self) -> None:
        """Sales licences: every manager holds the wealth, fund and insurance ones; a few
        are close to renewal and one manager's fund licence has lapsed."""
        rng = self.rng(2)
        rows = []
        self.licences: dict[int, list[tuple[str, dt.date, dt.date]]] = defaultdict(list)
        for index, manager in enumerate(self.managers):
            for kind in ("wealth", "fund", "insurance"):
                valid_from = self.days_ago(400 + int(rng.random() * 1500))
                expires = self.today + dt.timedelta(days=40 + int(rng.random() * 1000))
                if index % 17 == 3 and kind == "insurance":
                    expires = self.today + dt.timedelta(days=5 + index % 20)
                if index % 29 == 2 and kind == "fund":
                    expires = self.days_ago(10)
                self.licences[manager.pk].append((kind, valid_from, expires))
                rows.append(
                    StaffQualification(
                        staff=manager,
                        kind=kind,
                        licence_no=f"{kind[:2].upper()}{manager.employee_no[1:]}{index:03d}",
                        valid_from=valid_from,
                        expires_on=expires,
                    )
                )
        self.save(StaffQualification, rows)

    # --- risk assessments -------------------------------------------------------------

    def answer_sets(
        self, questionnaire: Questionnaire
    ) -> dict[tuple[str, int], list[dict[str, str]]]:
        """Answers, by (age answer, level they score to), drawn once for the bank."""
        rng = self.rng(3)
        questions = questionnaire.definition["questions"]
        found: dict[tuple[str, int], list[dict[str, str]]] = defaultdict(list)
        for _attempt in range(1_500):
            boldness = rng.random()
            answers = {}
            for question in questions:
                options = question["options"]
                position = min(
                    len(options) - 1, int((rng.random() * 0.55 + boldness * 0.6) * len(options))
                )
                answers[question["code"]] = options[position]["code"]
            for age in ("a", "b", "c", "d"):
                answers = {**answers, "age": age}
                _score, level, _loss = questionnaire_score(questionnaire, answers)
                bucket = found[(age, level)]
                if len(bucket) < 40:
                    bucket.append(answers)
        return found

    def assessments(self) -> None:
        """Most individual customers answered the questionnaire at some point in the last
        fourteen months: some have expired, some expire within a month. A customer the
        core system already rates keeps that level."""
        questionnaire = Questionnaire.objects.get(active=True)
        sets = self.answer_sets(questionnaire)
        rng = self.rng(4)
        rows: list[tuple[Any, ...]] = []
        self.assessed: dict[int, AssessmentFacts] = {}
        levels = ((1, 10), (2, 30), (3, 34), (4, 18), (5, 8))
        for person in self.customers:
            if not person.individual:
                continue
            if person.risk_level is not None and person.risk_expires_on is not None:
                assessed_on = s.anniversary(person.risk_expires_on, years=-1)
                wanted = person.risk_level
            elif rng.random() < 0.72:
                assessed_on = self.days_ago(1 + int(rng.random() * 420))
                wanted = _pick(rng, levels)
            else:
                continue
            assessed_on = min(assessed_on, self.days_ago(1))
            age = s.age_on(person.birth_date, assessed_on) if person.birth_date else 40
            age_answer = "a" if age < 30 else "b" if age <= 50 else "c" if age < 65 else "d"
            if age_answer == "d":
                wanted = min(wanted, 3)
            candidates = sets.get((age_answer, wanted)) or next(
                sets[(age_answer, level)]
                for level in sorted(range(1, 6), key=lambda n: abs(n - wanted))
                if sets.get((age_answer, level))
            )
            answers = candidates[int(rng.random() * len(candidates))]
            score, level, loss_unable = questionnaire_score(questionnaire, answers)
            branch = rng.random() < 0.75 or person.tier in ("diamond", "private")
            manager_id = person.manager_id
            at = self.past(assessed_on, 9 + int(rng.random() * 8), int(rng.random() * 60))
            expires = s.anniversary(assessed_on)
            moment = self.loader.moment(at)
            rows.append(
                (
                    person.pk,
                    questionnaire.pk,
                    json.dumps(answers),
                    score,
                    level,
                    loss_unable,
                    Assessment.Channel.BRANCH if branch else Assessment.Channel.ONLINE,
                    manager_id if branch else None,
                    moment,
                    moment,
                    expires.isoformat(),
                    moment,
                    moment,
                )
            )
            self.assessed[person.pk] = AssessmentFacts(level, loss_unable, at, expires, branch)
        self.write(
            Assessment,
            (
                "customer_id",
                "questionnaire_id",
                "answers",
                "score",
                "risk_level",
                "loss_unable",
                "channel",
                "staff_id",
                "customer_confirmed_at",
                "assessed_at",
                "expires_on",
                "created_at",
                "updated_at",
            ),
            rows,
        )
        # The customer's risk fields follow their latest assessment (as assessment_record
        # keeps them), in one statement.
        latest = Assessment.objects.filter(customer=OuterRef("pk")).order_by("-assessed_at", "-pk")
        Customer.objects.filter(Exists(latest)).update(
            risk_level=Subquery(latest.values("risk_level")[:1]),
            risk_expires_on=Subquery(latest.values("expires_on")[:1]),
        )

    def evidence(self) -> None:
        """Qualified-investor evidence for the wealthy customers who have shown it."""
        rng = self.rng(5)
        rows = []
        self.qualified: dict[int, dt.date] = {}
        for person in self.customers:
            facts = self.assessed.get(person.pk)
            if facts is None or person.manager_id is None or person.aum < 3_000_000:
                continue
            if facts.level < 3 or rng.random() < 0.2:
                continue
            basis = (
                QualifiedInvestorEvidence.Basis.FINANCIAL_ASSETS
                if person.aum >= 5_000_000
                else QualifiedInvestorEvidence.Basis.NET_FINANCIAL_ASSETS
            )
            on = self.days_ago(30 + int(rng.random() * 300))
            rows.append(
                QualifiedInvestorEvidence(
                    customer_id=person.pk,
                    basis=basis,
                    amount=person.aum,
                    experience_years=2 + int(rng.random() * 12),
                    document_ref=f"资产证明 {person.customer_no}-{on:%Y%m}",
                    evidenced_on=on,
                    recorded_by_id=person.manager_id,
                )
            )
            self.qualified[person.pk] = on
        self.save(QualifiedInvestorEvidence, rows)

    # --- sales --------------------------------------------------------------------------

    def sales(self) -> None:
        """Subscriptions over the last four months, each decided by the suitability engine
        on the facts of its moment; a blocked one is not written. Recent sales of private
        products and insurance are still in their cooling-off; a few were cancelled."""
        rng = self.rng(6)
        rules = self.rules = marketing_selectors.rules_current()
        sellable = [
            p for p in self.products if p.type in SOLD_TYPES and p.status == Product.Status.ON_SALE
        ]
        wishes: list[tuple[dt.datetime, Person, Product, str]] = []
        midnight = self.at(self.today, 0)
        four_months = dt.timedelta(days=120)
        for person in self.customers:
            facts = self.assessed.get(person.pk)
            if facts is None or person.manager_id is None or facts.expires_on <= self.today:
                continue
            share = {"mass": 0.06, "silver": 0.14, "gold": 0.3, "diamond": 0.45, "private": 0.6}
            if person.manager_id == self.rm1.pk:
                share = dict.fromkeys(share, 0.7)
            if rng.random() >= share.get(person.tier, 0.1):
                continue
            for _n in range(1 + int(rng.random() * 2.4)):
                # Up to last night, so the sales do not depend on the hour of seeding.
                earliest = max(facts.assessed_at + dt.timedelta(days=1), midnight - four_months)
                span = (midnight - earliest).total_seconds()
                if span <= 3600:
                    continue
                signed = earliest + dt.timedelta(seconds=int(rng.random() * (span - 3600)))
                local = signed.astimezone(self.zone)
                if not 9 <= local.hour < 18:
                    signed = self.at(
                        local.date(), 10 + int(rng.random() * 7), int(rng.random() * 60)
                    )
                product = sellable[int(rng.random() * len(sellable))]
                if product.min_amount > person.aum / 2:
                    product = sellable[int(rng.random() * len(sellable))]
                    if product.min_amount > person.aum / 2:
                        continue
                channel = _pick(rng, (("branch", 55), ("online", 40), ("terminal", 5)))
                wishes.append((signed, person, product, channel))
        # The demo manager's day: sales signed this morning, still in their cooling-off.
        mine = [
            p
            for p in self.book.get(self.rm1.pk, [])
            if p.pk in self.assessed and self.assessed[p.pk].expires_on > self.today
        ]
        mine.sort(key=lambda p: (-p.aum, p.pk))
        for hours, code in ((3, "WMV-FI365"), (2, "IN-CI20"), (1, "WMP-FI180"), (4, "IN-ANN10")):
            for person in mine[:12]:
                if self.assessed[person.pk].level >= self.by_code[code].risk_level:
                    wishes.append(
                        (self.now - dt.timedelta(hours=hours), person, self.by_code[code], "branch")
                    )
                    break
        wishes.sort(key=lambda wish: (wish[0], wish[1].pk, wish[2].code))

        quota_used = {p.pk: ZERO for p in self.products}
        held: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
        bank_wm: set[int] = set()
        rows: list[Sale] = []
        recordings: list[tuple[int, DualRecording]] = []
        staff_facts = {
            m.pk: s.StaffFacts(staff_id=m.pk, qualifications=tuple(self.licences[m.pk]))
            for m in self.managers
        }
        for signed, person, product, channel in wishes:
            facts = self.assessed[person.pk]
            amount = self.amount(rng, person, product)
            evidence_on = self.qualified.get(person.pk)
            customer = s.CustomerFacts(
                customer_id=person.pk,
                is_individual=person.individual,
                birth_date=person.birth_date,
                risk_level=facts.level,
                risk_expires_on=facts.expires_on,
                loss_unable=facts.loss_unable,
                has_branch_assessment=facts.branch,
                qualified_evidenced_on=evidence_on
                if evidence_on and evidence_on <= signed.date()
                else None,
                has_bank_wm_purchase=person.pk in bank_wm,
                held_in_product=held[(person.pk, product.pk)],
            )
            decision = s.suitability_check(
                s.Facts(
                    customer=customer,
                    product=replace(
                        marketing_selectors.product_facts(product),
                        quota_used=quota_used[product.pk],
                    ),
                    staff=staff_facts[person.manager_id or 0],
                    amount=amount,
                    currency=product.currency,
                    channel=channel,
                    now=signed,
                    rules=rules,
                )
            )
            if not decision.allowed:
                self.built.blocked_sales += 1
                continue
            needs = decision.requirement_codes
            head = self.head_of(person.unit_id)
            cancelled_at = None
            if decision.cooling_off_ends_at is not None and rng.random() < 0.06:
                cancelled_at = signed + dt.timedelta(hours=2 + int(rng.random() * 20))
                if cancelled_at >= min(self.now, decision.cooling_off_ends_at):
                    cancelled_at = None
            elderly = s.ELDERLY_STEPS in needs
            sale = Sale(
                customer_id=person.pk,
                product=product,
                amount=amount,
                currency=product.currency,
                channel=channel,
                staff_id=person.manager_id or 0,
                second_checker=head if elderly else None,
                witness_name=f"{person.display_name[:1]}（子女）" if elderly else "",
                signed_at=signed,
                suitability=decision.as_json(),
                rule_set_version=decision.rule_set_version,
                disclosure_sha256=(
                    _sha(f"disclosure {product.code} {signed:%Y%m%d}")
                    if s.ONLINE_DISCLOSURE in needs
                    else ""
                ),
                cooling_off_ends_at=decision.cooling_off_ends_at,
                status=Sale.Status.CANCELLED if cancelled_at else Sale.Status.ACTIVE,
                cancelled_at=cancelled_at,
            )
            rows.append(sale)
            if s.DUAL_RECORDING in needs:
                name = f"DR{signed.astimezone(self.zone):%Y%m%d%H%M}-{person.customer_no}.mp4"
                years = product.recording_retention_years or rules.recording_retention_years
                recordings.append(
                    (
                        len(rows) - 1,
                        DualRecording(
                            file_name=name,
                            sha256=_sha(name),
                            zone=f"{self.units[person.unit_id].name}理财销售专区",
                            consent=True,
                            reviewer=head,
                            retain_until=s.anniversary(
                                signed.astimezone(self.zone).date(), years=years
                            ),
                        ),
                    )
                )
            if cancelled_at is None:
                quota_used[product.pk] += amount
                held[(person.pk, product.pk)] += amount
                if product.issuer_type == Product.Issuer.BANK and product.type in s.WM_TYPES:
                    bank_wm.add(person.pk)
        saved = self.save(Sale, rows, [sale.signed_at for sale in rows])
        for index, recording in recordings:
            recording.sale = saved[index]
        self.save(DualRecording, [recording for _index, recording in recordings])
        for product in self.products:
            product.quota_used = quota_used[product.pk]
        Product.objects.bulk_update(self.products, ["quota_used"])
        self.sold = saved

    def amount(self, rng: random.Random, person: Person, product: Product) -> Decimal:
        """A plausible amount for the customer's means, on the product's steps."""
        minimum = max(
            product.min_amount,
            self.rules.regulatory_minimum(
                issuer=product.issuer_type,
                product_type=product.type,
                asset_class=product.asset_class,
            ),
        )
        wanted = max(Decimal(person.aum) * Decimal(str(0.04 + rng.random() * 0.2)), Decimal(5000))
        if product.type == Product.Type.INSURANCE:
            wanted = Decimal(3000 + int(rng.random() * 40) * 1000)
        if product.type == Product.Type.GOVERNMENT_BOND:
            wanted = min(wanted, Decimal(300_000))
        wanted = max(wanted, minimum)
        steps = ((wanted - minimum) / product.increment).to_integral_value(rounding=ROUND_DOWN)
        # Round figures: people subscribe 50,000, not 50,137.
        unit = max(product.increment, Decimal(1000)) if minimum >= 1000 else Decimal(1000)
        value = minimum + steps * product.increment
        rounded = (value / unit).to_integral_value(rounding=ROUND_DOWN) * unit
        if rounded >= minimum and (rounded - minimum) % product.increment == 0:
            value = rounded
        return value.quantize(CENT)

    # --- campaigns --------------------------------------------------------------------

    def campaigns_launch(self) -> None:
        """Two campaigns launched some weeks ago: a head-office one for the wealthy, and a
        branch's fund campaign; their target lists are frozen by the launch service."""
        officer = self.staff.get("product-01")
        head = self.staff.get("branch-head-01")
        self.campaigns: list[Campaign] = []
        plans: list[tuple[Staff, str, dict[str, Any], str, int, str]] = []
        if officer is not None:
            plans.append(
                (
                    officer,
                    "岁末稳健理财季",
                    {"tiers": ["gold", "diamond", "private"]},
                    "WMP-FI180",
                    24,
                    "到期资金续作优先推荐睿盈180天；强调业绩比较基准不代表收益承诺。",
                )
            )
        if head is not None and head.org_unit_id is not None:
            plans.append(
                (
                    head,
                    f"{self.units[head.org_unit_id].name}债基定投推广月",
                    {"tiers": ["silver", "gold"], "org_unit_id": head.org_unit_id},
                    "FD-BD01",
                    10,
                    "面向稳健型客户介绍债券基金定投，每月最低十元起。",
                )
            )
        for actor, name, rules, code, days, points in plans:
            launched = self.past(self.days_ago(days), 9, 30)
            with _clock(launched):
                campaign = campaign_create(
                    actor=actor,
                    name=name,
                    rules=rules,
                    starts_on=self.days_ago(days),
                    ends_on=self.today + dt.timedelta(days=40),
                    product_id=self.by_code[code].pk,
                    talking_points=points,
                    materials="产品说明书、风险揭示书（已审批）",
                )
                campaign = campaign_launch(actor=actor, campaign_id=campaign.pk)
            self.campaigns.append(campaign)
        self.built.counts["campaign"] = len(self.campaigns)
        self.built.counts["campaignentry"] = CampaignEntry.objects.count()

    def campaigns_progress(self) -> None:
        """Targets contacted since the launch count as touched; those who bought the
        campaign's product since, as converted (both set-based)."""
        for campaign in self.campaigns:
            entries = CampaignEntry.objects.filter(campaign=campaign)
            touches = Interaction.objects.filter(
                customer=OuterRef("customer"), occurred_at__gte=campaign.launched_at
            )
            entries.update(
                touches=Coalesce(
                    Subquery(
                        touches.order_by()
                        .values("customer")
                        .annotate(n=Count("pk"))
                        .values("n")[:1]
                    ),
                    0,
                ),
                last_touched_at=Subquery(
                    touches.order_by()
                    .values("customer")
                    .annotate(m=Max("occurred_at"))
                    .values("m")[:1]
                ),
            )
            entries.filter(touches__gt=0).update(stage=CampaignEntry.Stage.TOUCHED)
            bought = Sale.objects.filter(
                customer=OuterRef("customer"),
                product=campaign.product,
                status=Sale.Status.ACTIVE,
                signed_at__gte=campaign.launched_at,
            ).order_by("signed_at", "pk")
            entries.filter(Exists(bought)).update(
                stage=CampaignEntry.Stage.CONVERTED,
                converted_sale=Subquery(bought.values("pk")[:1]),
            )

    # --- contact ----------------------------------------------------------------------

    def interactions(self) -> None:
        """Three months of contacts, heavier for the better tiers; one for each sale.
        Some left follow-ups: done, overdue, or due today."""
        rng = self.rng(7)
        needs = {n.code: n for n in NeedCategory.objects.filter(active=True)}
        codes = sorted(needs)
        rows: list[Interaction] = []
        tags: list[list[int]] = []
        channels_by_tier = {
            "private": (("visit", 30), ("branch_meeting", 20), ("phone", 30), ("wechat", 20)),
            "diamond": (("visit", 20), ("branch_meeting", 20), ("phone", 35), ("wechat", 25)),
        }
        ordinary = (
            ("phone", 45),
            ("wechat", 30),
            ("branch_meeting", 15),
            ("email", 5),
            ("video", 5),
        )
        shelf_names = [p.name for p in self.products if p.type in SOLD_TYPES]
        for person in self.customers:
            if person.manager_id is None:
                continue
            share = CONTACT_SHARE.get(person.tier, 0.1)
            if person.manager_id == self.rm1.pk:
                share = min(1.0, share * 1.6)
            if rng.random() >= share:
                continue
            for _n in range(1 + int(rng.random() * 3.5)):
                day = self.days_ago(int(rng.random() * 92))
                channel = _pick(rng, channels_by_tier.get(person.tier, ordinary))
                if not person.individual and channel == "wechat":
                    channel = "visit"
                code = codes[int(rng.random() * len(codes))] if codes else ""
                if not person.individual:
                    code = ("payroll", "settlement", "business_loan")[int(rng.random() * 3)]
                template = SUMMARIES.get(code, ("与客户沟通近况。",))
                summary = template[int(rng.random() * len(template))].format(
                    product=shelf_names[int(rng.random() * len(shelf_names))]
                )
                when = self.past(day, 9 + int(rng.random() * 9), int(rng.random() * 60))
                follow_up = None
                done_at = None
                next_step = ""
                if rng.random() < 0.28:
                    next_step = NEXT_STEPS[int(rng.random() * len(NEXT_STEPS))]
                    follow_up = when.astimezone(self.zone).date() + dt.timedelta(
                        days=3 + int(rng.random() * 18)
                    )
                    if follow_up < self.today and rng.random() < 0.8:
                        done_at = self.past(follow_up, 16, int(rng.random() * 60))
                rows.append(
                    Interaction(
                        customer_id=person.pk,
                        author_id=person.manager_id,
                        channel=channel,
                        occurred_at=when,
                        summary=summary,
                        confidentiality=(
                            Interaction.Confidentiality.RESTRICTED
                            if rng.random() < 0.02
                            else Interaction.Confidentiality.NORMAL
                        ),
                        next_step=next_step,
                        follow_up_on=follow_up,
                        follow_up_done_at=done_at,
                    )
                )
                heard = [needs[code].pk] if code in needs and rng.random() < 0.8 else []
                if heard and rng.random() < 0.25:
                    extra = needs[codes[int(rng.random() * len(codes))]].pk
                    if extra not in heard:
                        heard.append(extra)
                tags.append(heard)
        # The demo manager's follow-ups: four due today, two overdue, from recent contacts.
        recent = sorted(
            (row for row in rows if row.author_id == self.rm1.pk and row.occurred_at < self.now),
            key=lambda row: (row.occurred_at, row.customer_id),
            reverse=True,
        )[:6]
        for index, row in enumerate(recent):
            row.next_step = NEXT_STEPS[index % len(NEXT_STEPS)]
            row.follow_up_on = self.today - dt.timedelta(days=0 if index < 4 else 2)
            row.follow_up_done_at = None
        for sale in getattr(self, "sold", []):
            rows.append(
                Interaction(
                    customer_id=sale.customer_id,
                    author_id=sale.staff_id,
                    channel="branch_meeting" if sale.channel == "branch" else "phone",
                    occurred_at=sale.signed_at - dt.timedelta(minutes=30),
                    summary=f"为客户办理{sale.product.name}认购，金额{sale.amount:,.0f}元，已完成风险揭示。",
                )
            )
            tags.append([needs["wealth_growth"].pk] if "wealth_growth" in needs else [])
        saved = self.save(Interaction, rows, [row.occurred_at for row in rows])
        self.write(
            Interaction.needs.through,
            ("interaction_id", "needcategory_id"),
            [(row.pk, need) for row, heard in zip(saved, tags, strict=True) for need in heard],
        )

    def plan_history(self) -> None:
        """The contact plans of the last two working weeks and what came of them: most
        entries contacted, some dismissed, a few left open (tonight's plan carries them)."""
        rng = self.rng(15)
        reasons = (
            ("contact_overdue", "超过联系周期未联系"),
            ("follow_up_due", "跟进事项到期"),
            ("maturity", "产品即将到期"),
            ("risk_expiry", "风险测评即将到期"),
            ("opportunity_follow_up", "商机待跟进"),
        )
        rows: list[PlanEntry] = []
        stamps: list[dt.datetime] = []
        days = [self.days_ago(n) for n in range(1, 15) if self.days_ago(n).weekday() < 5]
        for manager in self.managers:
            book = self.book.get(manager.pk, [])
            if not book:
                continue
            for day in days:
                chosen = {book[int(rng.random() * len(book))].pk for _n in range(6)}
                for customer_id in sorted(chosen):
                    code, detail = reasons[int(rng.random() * len(reasons))]
                    roll = rng.random()
                    status, outcome, closed = PlanEntry.Status.OPEN, "", None
                    if roll < 0.75:
                        status, outcome = PlanEntry.Status.DONE, PlanEntry.Outcome.CONTACTED
                    elif roll < 0.9:
                        status, outcome = PlanEntry.Status.DISMISSED, PlanEntry.Outcome.NOT_RELEVANT
                    if status != PlanEntry.Status.OPEN:
                        closed = self.past(day, 10 + int(rng.random() * 8), int(rng.random() * 60))
                    rows.append(
                        PlanEntry(
                            manager=manager,
                            day=day,
                            customer_id=customer_id,
                            score=30 + int(rng.random() * 60),
                            reasons=[{"code": code, "detail": detail, "evidence": {}}],
                            status=status,
                            outcome=outcome,
                            closed_at=closed,
                        )
                    )
                    stamps.append(self.at(day, 6))
        self.save(PlanEntry, rows, stamps)

    def visits(self) -> None:
        """Each manager's calendar: visits done with a check-in, some cancelled, some ahead;
        the demo manager has three today."""
        rng = self.rng(8)
        rows: list[Visit] = []
        for manager in self.managers:
            book = sorted(self.book.get(manager.pk, []), key=lambda p: (-p.aum, p.pk))[:40]
            if not book:
                continue
            plan: list[tuple[dt.date, int, int]] = []
            for _n in range(6):
                plan.append(
                    (self.days_ago(1 + int(rng.random() * 40)), 9 + int(rng.random() * 8), 0)
                )
            for _n in range(3):
                plan.append(
                    (
                        self.today + dt.timedelta(days=1 + int(rng.random() * 14)),
                        9 + int(rng.random() * 8),
                        30,
                    )
                )
            if manager.pk == self.rm1.pk:
                plan += [(self.today, 10, 0), (self.today, 14, 0), (self.today, 16, 30)]
            for index, (day, hour, minute) in enumerate(plan):
                person = book[(index * 7 + int(rng.random() * 5)) % len(book)]
                start = self.at(day, hour, minute)
                end = start + dt.timedelta(hours=1)
                status = Visit.Status.PLANNED
                checked = None
                lat = lng = None
                if end <= self.now:
                    status = Visit.Status.CANCELLED if rng.random() < 0.1 else Visit.Status.DONE
                if status == Visit.Status.DONE:
                    checked = start + dt.timedelta(minutes=int(rng.random() * 10))
                    centre = CITY_CENTRES.get(person.city, CITY_CENTRES["北京市"])
                    lat = (centre[0] + Decimal(int(rng.random() * 2000) - 1000) / 20000).quantize(
                        Decimal("0.000001")
                    )
                    lng = (centre[1] + Decimal(int(rng.random() * 2000) - 1000) / 20000).quantize(
                        Decimal("0.000001")
                    )
                rows.append(
                    Visit(
                        manager=manager,
                        customer_id=person.pk,
                        planned_start=start,
                        planned_end=end,
                        purpose=VISIT_PURPOSES[int(rng.random() * len(VISIT_PURPOSES))],
                        location=person.address[:200],
                        status=status,
                        checked_in_at=checked,
                        check_in_lat=lat,
                        check_in_lng=lng,
                        check_in_accuracy_m=15 + int(rng.random() * 40) if checked else None,
                    )
                )
        stamps = [min(v.planned_start - dt.timedelta(days=3), self.now) for v in rows]
        self.save(Visit, rows, stamps)

    def service_requests(self) -> None:
        """Requests customers made in the last six weeks, in every state, with their
        history; some of the open ones are past their date."""
        rng = self.rng(9)
        rows: list[ServiceRequest] = []
        stamps: list[dt.datetime] = []
        events: list[list[tuple[str, str, dt.datetime, int]]] = []
        kinds = [
            (ServiceRequest.Kind.CARD_REPLACEMENT, 20),
            (ServiceRequest.Kind.STATEMENT, 25),
            (ServiceRequest.Kind.LOAN_ENQUIRY, 12),
            (ServiceRequest.Kind.COMPLAINT, 6),
            (ServiceRequest.Kind.ADDRESS_CHANGE, 15),
            (ServiceRequest.Kind.ACCOUNT_CHANGE, 15),
            (ServiceRequest.Kind.OTHER, 7),
        ]
        statuses = (
            ("new", 18),
            ("in_progress", 25),
            ("waiting", 10),
            ("done", 38),
            ("cancelled", 9),
        )
        for manager in self.managers:
            book = self.book.get(manager.pk, [])
            if not book:
                continue
            count = max(2, len(book) // 60) + (4 if manager.pk == self.rm1.pk else 0)
            for _n in range(count):
                person = book[int(rng.random() * len(book))]
                kind = _pick(rng, kinds)
                status = _pick(rng, statuses)
                opened = self.past(
                    self.days_ago(int(rng.random() * 42)),
                    9 + int(rng.random() * 8),
                    int(rng.random() * 60),
                )
                department = self.departments.get((person.unit_id, Department.Kind.OPERATIONS))
                officer = self.staff.get(f"ops-sb{int(self.units[person.unit_id].code[2:]):02d}")
                assignee = officer if status != "new" else None
                due = opened.astimezone(self.zone).date() + dt.timedelta(
                    days=2 + int(rng.random() * 8)
                )
                closed = None
                history = [("", "new", opened, manager.pk)]
                moved = opened + dt.timedelta(hours=3)
                if status in ("in_progress", "waiting", "done") and moved < self.now and officer:
                    history.append(("new", "in_progress", moved, officer.pk))
                if status == "waiting" and officer:
                    history.append(
                        ("in_progress", "waiting", moved + dt.timedelta(hours=20), officer.pk)
                    )
                if status in ("done", "cancelled"):
                    closed = min(opened + dt.timedelta(days=1 + int(rng.random() * 5)), self.now)
                    actor = officer.pk if officer and status == "done" else manager.pk
                    history.append((history[-1][1], status, closed, actor))
                rows.append(
                    ServiceRequest(
                        customer_id=person.pk,
                        kind=kind,
                        description=SERVICE_TEXT[kind],
                        status=status,
                        department=department,
                        assignee=assignee,
                        due_on=due,
                        raised_by=manager,
                        closed_at=closed,
                    )
                )
                stamps.append(opened)
                events.append([h for h in history if h[2] <= self.now])
        saved = self.save(ServiceRequest, rows, stamps)
        self.save(
            ServiceRequestEvent,
            [
                ServiceRequestEvent(
                    request=request, actor_id=actor, at=at, from_status=before, to_status=after
                )
                for request, history in zip(saved, events, strict=True)
                for before, after, at, actor in history
            ],
        )

    # --- development --------------------------------------------------------------------

    def prospects(self) -> None:
        """Each manager's pipeline at every stage, with where the prospects came from, and
        an unclaimed pool per sub-branch."""
        rng = self.rng(10)
        rows: list[Prospect] = []
        histories: list[list[tuple[str, str, dt.datetime, int | None]]] = []
        stamps: list[dt.datetime] = []
        sub_branches = sorted(
            (u for u in self.units.values() if u.kind == OrgUnit.Kind.SUB_BRANCH),
            key=lambda u: u.code,
        )
        owners: list[tuple[Staff | None, OrgUnit]] = []
        for manager in self.managers:
            per = 12 if manager.pk == self.rm1.pk else 8
            owners += [(manager, self.units[manager.org_unit_id or 0])] * per
        for unit in sub_branches:
            owners += [(None, unit)] * 6
        by_unit_staff: dict[int, list[Staff]] = defaultdict(list)
        for manager in self.managers:
            by_unit_staff[manager.org_unit_id or 0].append(manager)
        forced = list(PIPELINE) + [Stage.LOST]
        unit_city: dict[int, str] = {}
        for person in self.customers:
            unit_city.setdefault(person.unit_id, person.city)
        rm1_seen = 0
        for owner, unit in owners:
            if owner is None:
                stage = Stage.NEW if rng.random() < 0.6 else Stage.CONTACTED
            elif owner.pk == self.rm1.pk and rm1_seen < len(forced):
                stage = forced[rm1_seen]
                rm1_seen += 1
            else:
                stage = _pick(rng, STAGE_SHARE)
            corporate = rng.random() < (
                0.5
                if owner
                and owner.department
                and owner.department.kind == Department.Kind.CORPORATE_FRONT
                else 0.12
            )
            book = self.book.get(owner.pk, []) if owner else []
            city = unit_city.get(unit.pk, "")
            if corporate:
                industry = INDUSTRY_WORDS[int(rng.random() * len(INDUSTRY_WORDS))]
                name = f"{city[:2]}{people.brand(rng)}{industry}有限公司"
                mobile = ""
            else:
                name = people.staff_name(rng)
                mobile = identifiers.mobile(identity.mobile(rng))
            source = _pick(rng, PROSPECT_SOURCES)
            if corporate and source == Prospect.Source.CUSTOMER_REFERRAL:
                source = Prospect.Source.PAYROLL
            referrer_customer = None
            referrer_staff = None
            if source == Prospect.Source.CUSTOMER_REFERRAL and book:
                referrer_customer = book[int(rng.random() * len(book))].pk
            elif source == Prospect.Source.CUSTOMER_REFERRAL:
                source = Prospect.Source.WALK_IN
            if source == Prospect.Source.EMPLOYEE_REFERRAL:
                colleagues = [
                    m for m in by_unit_staff[unit.pk] if owner is None or m.pk != owner.pk
                ]
                if colleagues:
                    referrer_staff = colleagues[int(rng.random() * len(colleagues))].pk
                else:
                    source = Prospect.Source.EVENT
            created = self.past(
                self.days_ago(3 + int(rng.random() * 80)),
                9 + int(rng.random() * 8),
                int(rng.random() * 60),
            )
            path = (
                PIPELINE[: PIPELINE.index(stage) + 1]
                if stage != Stage.LOST
                else PIPELINE[: 1 + int(rng.random() * 3)] + [Stage.LOST]
            )
            history: list[tuple[str, str, dt.datetime, int | None]] = []
            at = created
            span = max((self.now - created).total_seconds(), 3600)
            for index, step in enumerate(path):
                if index:
                    at = at + dt.timedelta(
                        seconds=span / (len(path) + 1) * (0.6 + rng.random() * 0.4)
                    )
                history.append(
                    (path[index - 1] if index else "", step, at, owner.pk if owner else None)
                )
            last_contact = at
            if owner is not None and stage in PIPELINE[:5]:
                # Kept warm: touched within the pool's return window, a few nearly out of it.
                last_contact = max(at, self.now - dt.timedelta(days=int(rng.random() * 28)))
            customer_id = None
            if stage == Stage.WON and book:
                customer_id = book[int(rng.random() * len(book))].pk
            elif stage == Stage.WON:
                stage = Stage.ACCOUNT_OPENING
                history = history[:-1]
            rows.append(
                Prospect(
                    kind=Prospect.Kind.CORPORATE if corporate else Prospect.Kind.INDIVIDUAL,
                    display_name=name,
                    mobile=mobile,
                    mobile_digest=identifiers.lookup_digest("mobile", mobile) if mobile else "",
                    city=city,
                    name_key=name_key(name),
                    home_unit=unit,
                    owner=owner,
                    source=source,
                    referrer_customer_id=referrer_customer,
                    referrer_staff_id=referrer_staff,
                    stage=stage,
                    stage_changed_at=history[-1][2],
                    last_contact_at=last_contact,
                    lost_reason=(
                        _pick(rng, [(r, 1) for r in Prospect.LostReason.values if r != "duplicate"])
                        if stage == Stage.LOST
                        else ""
                    ),
                    note="客户经理推荐" if referrer_staff else "",
                    customer_id=customer_id,
                    version=len(history),
                )
            )
            stamps.append(created)
            histories.append(history)
        saved = self.save(Prospect, rows, stamps)
        self.prospect_rows = saved
        self.write(
            StageChange,
            ("prospect_id", "from_stage", "to_stage", "actor_id", "at", "note"),
            [
                (prospect.pk, before, after, actor, self.loader.moment(at), "")
                for prospect, history in zip(saved, histories, strict=True)
                for before, after, at, actor in history
            ],
        )

    def opportunities(self) -> None:
        """Open opportunities with follow-up dates around today, and the ones won and lost
        in the last two months."""
        rng = self.rng(11)
        rows: list[Opportunity] = []
        stamps: list[dt.datetime] = []
        codes = list(OPPORTUNITY_TITLES)
        names = [p.name for p in self.products if p.type in SOLD_TYPES]
        for manager in self.managers:
            book = sorted(self.book.get(manager.pk, []), key=lambda p: (-p.aum, p.pk))
            if not book:
                continue
            plan = ["open"] * 9 + ["won"] * 4 + ["lost"] * 3
            if manager.pk == self.rm1.pk:
                plan = ["open"] * 14 + ["won"] * 5 + ["lost"] * 3
            for index, status in enumerate(plan):
                person = book[(index * 3 + int(rng.random() * 4)) % min(len(book), 60)]
                code = codes[int(rng.random() * len(codes))]
                created = self.past(
                    self.days_ago(2 + int(rng.random() * 60)), 10, int(rng.random() * 60)
                )
                follow = created.astimezone(self.zone).date() + dt.timedelta(
                    days=3 + int(rng.random() * 20)
                )
                if status == "open" and manager.pk == self.rm1.pk and index < 5:
                    follow = self.today - dt.timedelta(days=2 if index < 2 else 0)
                elif status == "open":
                    follow = self.today + dt.timedelta(days=int(rng.random() * 21) - 5)
                closed = None
                note = ""
                if status != "open":
                    closed = min(created + dt.timedelta(days=2 + int(rng.random() * 20)), self.now)
                    note = "客户已认购" if status == "won" else "客户暂无需求"
                product = names[int(rng.random() * len(names))]
                amount = (
                    (Decimal(person.aum) * Decimal("0.2")).quantize(Decimal(1000))
                    if person.aum
                    else None
                )
                rows.append(
                    Opportunity(
                        customer_id=person.pk,
                        signal_code=code,
                        manager=manager,
                        title=f"{OPPORTUNITY_TITLES[code]}：{product}",
                        follow_up_on=follow,
                        status=status,
                        product=product,
                        amount=amount if amount and amount > 0 else None,
                        close_note=note,
                        closed_at=closed,
                    )
                )
                stamps.append(created)
        self.save(Opportunity, rows, stamps)

    def name_lists(self) -> None:
        """A head-office list of customers whose term deposits mature within six weeks,
        and a branch's list for its silver and gold customers with no wealth products,
        each entry dispatched to the customer's manager; some outcomes are in."""
        rng = self.rng(12)
        head_office = next(u for u in self.units.values() if u.parent_id is None)
        issuer = self.staff.get("product-01") or self.staff["admin"]
        maturing = (
            Holding.objects.filter(
                status=Holding.Status.ACTIVE,
                product_type__in=[Holding.ProductType.TIME_DEPOSIT, Holding.ProductType.WEALTH],
                matures_on__range=(self.today, self.today + dt.timedelta(days=42)),
            )
            .values("customer")
            .annotate(first=Min("matures_on"))
            .order_by("first", "customer")
            .values_list("customer", flat=True)[:400]
        )
        people_by_pk = {p.pk: p for p in self.customers}
        lists: list[tuple[NameList, list[int], list[Prospect]]] = []
        lists.append(
            (
                NameList(
                    title=f"{self.today:%Y年%m月}定期及理财到期客户挽留名单",
                    purpose="到期资金续作：逐户联系，了解资金去向，推荐在售固收类产品。",
                    level=NameList.Level.HEAD_OFFICE,
                    issued_by=issuer,
                    org_unit=head_office,
                    due_on=self.today + dt.timedelta(days=21),
                ),
                list(maturing),
                [],
            )
        )
        head = self.staff.get("branch-head-01")
        if head is not None and head.org_unit_id is not None:
            branch = self.units[head.org_unit_id]
            subtree = {u.pk for u in self.units.values() if u.path.startswith(branch.path)}
            has_wealth = set(
                Holding.objects.filter(
                    status=Holding.Status.ACTIVE,
                    product_type__in=[Holding.ProductType.WEALTH, Holding.ProductType.FUND],
                ).values_list("customer", flat=True)
            )
            chosen = [
                p.pk
                for p in self.customers
                if p.unit_id in subtree
                and p.tier in ("silver", "gold")
                and p.individual
                and p.pk not in has_wealth
            ][:200]
            prospects = [
                p
                for p in self.prospect_rows
                if p.home_unit_id in subtree
                and p.stage in (Stage.CONTACTED, Stage.NEEDS_IDENTIFIED)
            ][:25]
            lists.append(
                (
                    NameList(
                        title=f"{branch.name}代发客户财富提升名单",
                        purpose="有代发或稳定收入、尚无理财的客户：介绍稳健理财与基金定投。",
                        level=NameList.Level.BRANCH,
                        issued_by=head,
                        org_unit=branch,
                        due_on=self.today + dt.timedelta(days=35),
                    ),
                    chosen,
                    prospects,
                )
            )
        saved = self.save(NameList, [name_list for name_list, _c, _p in lists])
        outcomes = [
            (Outcome.CONTACTED, 30),
            (Outcome.INTERESTED, 20),
            (Outcome.CONVERTED, 12),
            (Outcome.DECLINED, 18),
            (Outcome.UNREACHABLE, 15),
            (Outcome.NOT_APPLICABLE, 5),
        ]
        manager_unit = {m.pk: m.org_unit_id for m in self.managers}
        entries: list[NameListEntry] = []
        for name_list, (_l, customer_ids, prospects) in zip(saved, lists, strict=True):
            issued = self.past(self.days_ago(12), 9)
            targets: list[tuple[int | None, Prospect | None, int | None]] = [
                (pk, None, people_by_pk[pk].manager_id) for pk in customer_ids
            ] + [(None, p, p.owner_id) for p in prospects]
            for customer_id, prospect, manager_id in targets:
                outcome = ""
                outcome_at = None
                if manager_id is not None and rng.random() < 0.4:
                    outcome = _pick(rng, outcomes)
                    outcome_at = issued + dt.timedelta(
                        seconds=int(rng.random() * (self.now - issued).total_seconds())
                    )
                entries.append(
                    NameListEntry(
                        name_list=name_list,
                        customer_id=customer_id,
                        prospect=prospect,
                        manager_id=manager_id,
                        org_unit_id=manager_unit.get(manager_id) if manager_id else None,
                        outcome=outcome,
                        outcome_note="已电话沟通" if outcome else "",
                        outcome_at=outcome_at,
                    )
                )
        self.save(NameListEntry, entries)

    # --- coordination -----------------------------------------------------------------

    def pools(self) -> None:
        """This year's pricing-concession and marketing budgets, carved from head office
        down to the branches and their sub-branches by the pool services."""
        admin = self.staff["admin"]
        head_office = next(u for u in self.units.values() if u.parent_id is None)
        period = str(self.today.year)
        branches = [u for u in self.units.values() if u.kind == OrgUnit.Kind.BRANCH]
        subs = [u for u in self.units.values() if u.kind == OrgUnit.Kind.SUB_BRANCH]
        moment = self.at(dt.date(self.today.year, 1, 6), 10)
        grants = (
            ("pricing_bp", Decimal(300), Decimal(120)),
            ("marketing_cny", Decimal(600_000), Decimal(150_000)),
        )
        for kind, per_branch, per_sub in grants:
            shares = {
                branch.pk: max(
                    per_branch, per_sub * sum(1 for u in subs if u.parent_id == branch.pk)
                )
                for branch in branches
            }
            total = sum(shares.values(), ZERO) * Decimal("1.25")
            with _clock(min(moment, self.now)):
                top = pool_create(
                    actor=admin,
                    org_unit_id=head_office.pk,
                    kind=kind,
                    period=period,
                    limit_amount=total,
                )
                for branch in sorted(branches, key=lambda u: u.code):
                    share = shares[branch.pk]
                    child = pool_allocate(
                        actor=admin, pool_id=top.pk, org_unit_id=branch.pk, amount=share
                    )
                    head = self.heads.get(branch.pk)
                    for sub in sorted(
                        (u for u in subs if u.parent_id == branch.pk), key=lambda u: u.code
                    ):
                        if head is not None:
                            pool_allocate(
                                actor=head, pool_id=child.pk, org_unit_id=sub.pk, amount=per_sub
                            )
        self.built.counts["resourcepool"] = len(branches) * 2 + len(subs) * 2 + 2

    def work_orders(self) -> None:
        """Requests raised over the last three weeks by the managers, routed by the rules,
        and moved by the officers and heads who own each step: every state, several types,
        and some left past their SLA (the escalation sweep then runs, as every night)."""
        rng = self.rng(13)
        specs: list[tuple[dt.datetime, Staff, str, str]] = []
        states = (
            "open",
            "breached",
            "info_requested",
            "in_approval",
            "approved",
            "rejected",
            "done",
            "cancelled",
        )
        kinds = {
            "open": ("service_request", "account_opening", "credit_application", "fee_waiver"),
            "breached": ("service_request", "complaint", "pricing_exception", "credit_application"),
            "info_requested": ("credit_application", "fee_waiver"),
            "in_approval": ("credit_application", "pricing_exception", "marketing_expense"),
            "approved": (
                "credit_application",
                "pricing_exception",
                "fee_waiver",
                "marketing_expense",
            ),
            "rejected": ("fee_waiver", "credit_application"),
            "done": ("service_request", "account_opening", "customer_requirement"),
            "cancelled": ("service_request", "fee_waiver"),
        }
        raisers = [m for m in self.managers if self.book.get(m.pk)]
        busy = [self.rm1] + raisers[: max(1, len(raisers) // 3)]
        # Every type of each state once, then each state's commonest type again.
        rounds = [(state, kinds[state]) for state in states]
        rounds += [(state, kinds[state][:1]) for state in states]
        for index, (state, types) in enumerate(rounds):
            for turn, type_code in enumerate(types):
                raiser = busy[(index + turn) % len(busy)] if (index + turn) % 3 else self.rm1
                if state == "breached":
                    days = 6 + int(rng.random() * 10)
                elif state == "open":
                    days = 0
                else:
                    days = 1 + int(rng.random() * 18)
                raised = self.past(
                    self.days_ago(days), 9 + int(rng.random() * 7), int(rng.random() * 60)
                )
                if days == 0:
                    raised = self.now - dt.timedelta(minutes=30 + int(rng.random() * 90))
                specs.append((raised, raiser, type_code, state))
        specs.sort(key=lambda spec: (spec[0], spec[1].pk, spec[2]))
        made = 0
        for raised, raiser, type_code, state in specs:
            book = self.book[raiser.pk]
            person = book[int(rng.random() * len(book))]
            amount, fields, title = self.request_of(rng, type_code, person, raiser)
            with _clock(raised):
                order = work_order_raise(
                    actor=raiser,
                    type_code=type_code,
                    title=title,
                    customer_id=person.pk,
                    amount=amount,
                    fields=fields,
                    text="请协助办理，谢谢。",
                )
            made += 1
            path = {
                "open": [],
                "breached": [],
                "info_requested": ["request_info"],
                "in_approval": ["submit"],
                "approved": ["submit", "approve", "approve", "approve", "approve"],
                "rejected": ["reject"],
                "done": ["done"],
                "cancelled": ["cancel"],
            }[state]
            moment = raised
            for action in path:
                order.refresh_from_db()
                if order.is_closed:
                    break
                actor = self.actor_for(order, action)
                if actor is None:
                    break
                moment = min(
                    moment + dt.timedelta(hours=2 + int(rng.random() * 20)),
                    self.now - dt.timedelta(minutes=10),
                )
                with _clock(moment):
                    work_order_transition(
                        actor=actor,
                        work_order_id=order.pk,
                        action=action,
                        text={
                            "request_info": "请补充近两年财务报表及担保材料。",
                            "reject": "不符合当前准入政策。",
                        }.get(action, ""),
                    )
        self.built.counts["workorder"] = made
        sla_escalate(now=self.now)

    def request_of(
        self, rng: random.Random, type_code: str, person: Person, raiser: Staff
    ) -> tuple[Decimal | None, dict[str, Any], str]:
        name = person.customer_no
        if type_code == "credit_application":
            amount = Decimal(500_000 + int(rng.random() * 80) * 100_000)
            product = "流动资金贷款" if not person.individual else "个人经营贷款"
            return (
                amount,
                {
                    "product": product,
                    "term_months": 12 + 12 * int(rng.random() * 3),
                    "collateral": "抵押",
                    "purpose": "补充日常经营周转",
                },
                f"{name} {product}{amount / 10000:,.0f}万元",
            )
        if type_code == "pricing_exception":
            bp = Decimal(10 + int(rng.random() * 30))
            return (
                bp,
                {
                    "product": "一年期定期存款",
                    "standard_rate": "1.35",
                    "requested_rate": str(Decimal("1.35") + bp / 100),
                    "reason": "客户他行报价更高，存款规模较大",
                },
                f"{name} 定期存款利率上浮{bp}bp",
            )
        if type_code == "fee_waiver":
            amount = Decimal(200 + int(rng.random() * 50) * 100)
            return (
                amount,
                {"fee": "跨行汇款手续费", "reason": "高净值客户年度减免"},
                f"{name} 手续费减免",
            )
        if type_code == "marketing_expense":
            amount = Decimal(3_000 + int(rng.random() * 30) * 1_000)
            return (
                amount,
                {"activity": "客户答谢沙龙"},
                f"{self.units[raiser.org_unit_id or 0].name}客户答谢沙龙费用",
            )
        if type_code == "account_opening":
            return (
                None,
                {
                    "account_kind": "个人账户",
                    "visit_on": (self.today + dt.timedelta(days=2)).isoformat(),
                },
                f"{name} 预约开户",
            )
        if type_code == "complaint":
            return None, {"channel": "网点", "summary": "柜台排队时间过长"}, f"{name} 服务投诉"
        if type_code == "customer_requirement":
            return None, {"need": "希望有三年期以上的保本型产品"}, f"{name} 产品需求"
        return None, {"request": "开立存款证明"}, f"{name} 存款证明"

    def actor_for(self, order: WorkOrder, action: str) -> Staff | None:
        """Who takes ``action`` on the order now: the raiser, an officer of the step's
        department other than the raiser, or the approver the step names."""
        if action == "cancel":
            return order.raised_by
        step = (
            Step.objects.filter(pk=order.current_step_id).first()
            if order.current_step_id is not None
            else None
        )
        if step is None:
            return None
        candidates = Staff.objects.filter(is_active=True).exclude(pk=order.raised_by_id)
        if action == "approve":
            if step.department_id is not None:
                candidates = candidates.filter(department_id=step.department_id).exclude(
                    pk__in=coordination_access.investigator_ids(order)
                )
            else:
                candidates = candidates.filter(
                    org_unit_id=step.org_unit_id, roles__role=step.approver_role
                )
        elif step.department_id is not None:
            candidates = candidates.filter(department_id=step.department_id)
        else:
            return None
        return candidates.select_related("org_unit", "department").order_by("pk").first()

    def working_groups(self) -> None:
        """Two deal teams: the demo manager's for a family's wealth plan, and a corporate
        manager's for a credit deal, each with tasks done and to do."""
        rng = self.rng(14)
        plans: list[tuple[Staff, str, str, list[str]]] = [
            (
                self.rm1,
                "家族财富传承方案",
                "为客户设计家族信托与保险组合方案",
                ["product-01", "credit-01"],
            )
        ]
        corporate = next(
            (
                m
                for m in self.managers
                if m.department is not None
                and m.department.kind == Department.Kind.CORPORATE_FRONT
                and self.book.get(m.pk)
            ),
            None,
        )
        if corporate is not None:
            plans.append(
                (
                    corporate,
                    "供应链融资综合服务方案",
                    "牵头行内授信、结算与代发联动",
                    ["credit-01", "ops-01"],
                )
            )
        tasks = ("收集客户资料", "完成尽职调查", "出具方案初稿", "与客户确认方案", "提交审批")
        made = 0
        for lead, name, purpose, members in plans:
            book = sorted(self.book[lead.pk], key=lambda p: (-p.aum, p.pk))
            customer = book[0]
            member_ids = [self.staff[u].pk for u in members if u in self.staff]
            formed = self.past(self.days_ago(20), 10)
            with _clock(formed):
                group = working_group_create(
                    actor=lead,
                    name=(
                        f"{customer.display_name[:1]}氏{name}"
                        if customer.individual
                        else f"{customer.display_name[:12]}{name}"
                    ),
                    customer_id=customer.pk,
                    purpose=purpose,
                    member_ids=member_ids,
                )
                owners = [lead.pk, *member_ids]
                for index, title in enumerate(tasks):
                    working_group_task_add(
                        actor=lead,
                        group_id=group.pk,
                        title=title,
                        owner_id=owners[index % len(owners)],
                        due_on=self.today + dt.timedelta(days=index * 4 - 8),
                    )
            done = list(WorkingGroupTask.objects.filter(group=group).order_by("pk")[:2])
            for task in done:
                task.done_at = self.past(self.days_ago(int(rng.random() * 8) + 1), 16)
            WorkingGroupTask.objects.bulk_update(done, ["done_at"])
            made += 1
        self.built.counts["workinggroup"] = made

    # --- marketing plan -----------------------------------------------------------------

    def plan_targets(self) -> None:
        """This quarter's objectives for each branch, cascaded to its managers by the
        plan service (in shares of their books)."""
        quarter = (self.today.month - 1) // 3
        start = dt.date(self.today.year, quarter * 3 + 1, 1)
        end_month = quarter * 3 + 3
        end = (
            dt.date(self.today.year + 1, 1, 1)
            if end_month == 12
            else dt.date(self.today.year, end_month + 1, 1)
        ) - dt.timedelta(days=1)
        per_branch = Counter(self.branch_of(unit_id).pk for unit_id in self.units_of_customers())
        made = 0
        for unit in sorted(self.units.values(), key=lambda u: u.code):
            if unit.kind != OrgUnit.Kind.BRANCH or unit.pk not in self.heads:
                continue
            head = self.heads[unit.pk]
            customers = per_branch[unit.pk]
            for metric, target, product_type in (
                ("sales", Decimal(max(customers, 50)) * 12_000, ""),
                ("sales", Decimal(max(customers, 50)) * 4_000, Product.Type.FUND),
                ("aum_growth", Decimal(max(customers, 50)) * 20_000, ""),
                ("new_customers", Decimal(max(customers // 40, 5)), ""),
            ):
                with _clock(self.past(start, 9) if start < self.today else self.now):
                    plan_target_create(
                        actor=head,
                        org_unit_id=unit.pk,
                        metric=metric,
                        period_start=start,
                        period_end=end,
                        target=target,
                        product_type=product_type,
                    )
                made += 1
        self.built.counts["plantarget"] = made
