"""The shared cast of every test: a small bank with one of each role.

    head office ─┬─ branch A ─┬─ sub-branch A1: manager, other_manager, team_lead, subbranch_head
                 │            └─ sub-branch A2: a2_manager
                 └─ branch B ─── sub-branch B1: far_manager

Customers: own (manager's), other (other_manager's, same sub-branch), pool
(unassigned, A1), a2 (A2), far (B1), company (manager's, corporate).

The people among them have identity numbers, mobiles and e-mail addresses, and the
clients below check every response for them: no page or API answer may carry a cast
member's personal data in full unless that client revealed it first (RELIABILITY.md C1),
and no log line written during a test may carry it at all (C6).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.http import HttpResponseBase
from django.test import Client

from rmdesk.api.services import api_token_create
from rmdesk.customers.models import Customer
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.org.models import Department, OrgUnit, Staff
from rmdesk.org.roles import Role
from rmdesk.org.tests.factories import DepartmentFactory, OrgUnitFactory, StaffFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: pytest.FixtureRequest) -> None:
    """Argon2 is deliberately slow; tests that check hashing opt back in."""
    settings.PASSWORD_HASHERS = [  # type: ignore[attr-defined]
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,  # type: ignore[attr-defined]
    ]


# The cast's personal data in full, by customer: (identity number, mobile, e-mail).
CAST_PERSONAL_DATA = {
    "own": ("110101199003071233", "13800138001", "wang.xiaoming@example.cn"),
    "other": ("110102198505122346", "13900139002", "li.si@example.cn"),
    "pool": ("310101197208303454", "15000150003", "ouyang.nana@example.cn"),
    "a2": ("440305199511114562", "18600186004", "zhao.liu@example.cn"),
    "far": ("110105196012015673", "17700177005", "qian.qi@example.cn"),
}
_watched: list[str] = []


class _PersonalDataInLogs(logging.Handler):
    """Collects every log record that carries a watched value in full (RELIABILITY.md C6):
    its message, its extras and its exception text."""

    _standard = frozenset(vars(logging.makeLogRecord({})))

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not _watched:
            return
        parts = [record.getMessage()]
        parts += [str(value) for key, value in vars(record).items() if key not in self._standard]
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        text = " ".join(parts)
        leaked = [value for value in _watched if value in text]
        if leaked:
            self.leaks.append(f"{record.name} {record.levelname}: {leaked}")


@pytest.fixture(autouse=True)
def _watch_personal_data() -> Iterator[None]:
    """The full values the cast put in the database during this test (none without it);
    no log line written during the test may carry one (the per-request line included)."""
    _watched.clear()
    watcher = _PersonalDataInLogs()
    root, requests = logging.getLogger(), logging.getLogger("rmdesk.request")
    level = requests.level
    root.addHandler(watcher)
    requests.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(watcher)
        requests.setLevel(level)
        _watched.clear()
    if watcher.leaks:
        pytest.fail(f"log lines carried personal data: {watcher.leaks}")


def _personal(name: str) -> dict[str, str]:
    id_number, mobile, email = CAST_PERSONAL_DATA[name]
    _watched.extend([id_number, mobile, email])
    return {"id_type": "resident_id", "id_number": id_number, "mobile": mobile, "email": email}


class WatchfulClient(Client):
    """A test client that fails the test when a response carries a cast member's personal
    data in full, until this client asks to reveal some (after which it may)."""

    revealed = False

    def request(self, **request: Any) -> HttpResponseBase:
        response = super().request(**request)
        if "/reveal" in request.get("PATH_INFO", ""):
            self.revealed = True
        if _watched and not self.revealed and not response.streaming:
            body = response.content.decode("utf-8", "replace")
            leaked = [value for value in _watched if value in body]
            if leaked:
                raise AssertionError(f"{request.get('PATH_INFO')} answered personal data: {leaked}")
        return response


@dataclass
class Cast:
    head_office: OrgUnit
    branch_a: OrgUnit
    branch_b: OrgUnit
    sub_a1: OrgUnit
    sub_a2: OrgUnit
    sub_b1: OrgUnit
    ops_dept: Department
    manager: Staff
    other_manager: Staff
    a2_manager: Staff
    far_manager: Staff
    team_lead: Staff
    subbranch_head: Staff
    branch_head: Staff
    other_branch_head: Staff
    analyst: Staff
    auditor: Staff
    admin: Staff
    ops_officer: Staff
    own: Customer
    other: Customer
    pool: Customer
    a2: Customer
    far: Customer
    company: Customer

    def staff(self) -> dict[str, Staff]:
        return {name: value for name, value in vars(self).items() if isinstance(value, Staff)}

    def customers(self) -> dict[str, Customer]:
        return {name: value for name, value in vars(self).items() if isinstance(value, Customer)}


@pytest.fixture
def cast(db: None) -> Cast:
    ho = OrgUnitFactory(code="HO", name="总行", kind=OrgUnit.Kind.HEAD_OFFICE)
    branch_a = OrgUnitFactory(code="BRA", name="甲分行", kind=OrgUnit.Kind.BRANCH, parent=ho)
    branch_b = OrgUnitFactory(code="BRB", name="乙分行", kind=OrgUnit.Kind.BRANCH, parent=ho)
    sub_a1 = OrgUnitFactory(code="SA1", name="甲一支行", parent=branch_a)
    sub_a2 = OrgUnitFactory(code="SA2", name="甲二支行", parent=branch_a)
    sub_b1 = OrgUnitFactory(code="SB1", name="乙一支行", parent=branch_b)
    ops_dept = DepartmentFactory(org_unit=branch_a, kind=Department.Kind.OPERATIONS)

    subbranch_head = StaffFactory(username="sub-head", org_unit=sub_a1, roles=[Role.SUBBRANCH_HEAD])
    team_lead = StaffFactory(
        username="team-lead",
        org_unit=sub_a1,
        roles=[Role.TEAM_LEAD, Role.ACCOUNT_MANAGER],
        line_manager=subbranch_head,
    )
    manager = StaffFactory(username="rm-own", org_unit=sub_a1, line_manager=team_lead)
    other_manager = StaffFactory(username="rm-other", org_unit=sub_a1, line_manager=subbranch_head)
    a2_manager = StaffFactory(username="rm-a2", org_unit=sub_a2)
    far_manager = StaffFactory(username="rm-far", org_unit=sub_b1)

    return Cast(
        head_office=ho,
        branch_a=branch_a,
        branch_b=branch_b,
        sub_a1=sub_a1,
        sub_a2=sub_a2,
        sub_b1=sub_b1,
        ops_dept=ops_dept,
        manager=manager,
        other_manager=other_manager,
        a2_manager=a2_manager,
        far_manager=far_manager,
        team_lead=team_lead,
        subbranch_head=subbranch_head,
        branch_head=StaffFactory(
            username="branch-head-a", org_unit=branch_a, roles=[Role.BRANCH_HEAD]
        ),
        other_branch_head=StaffFactory(
            username="branch-head-b", org_unit=branch_b, roles=[Role.BRANCH_HEAD]
        ),
        analyst=StaffFactory(username="analyst", org_unit=ho, roles=[Role.HQ_ANALYST]),
        auditor=StaffFactory(username="auditor", org_unit=ho, roles=[Role.COMPLIANCE_AUDITOR]),
        admin=StaffFactory(username="admin", org_unit=ho, roles=[Role.ADMINISTRATOR]),
        ops_officer=StaffFactory(
            username="ops", org_unit=branch_a, roles=[Role.DEPARTMENT_OFFICER], department=ops_dept
        ),
        own=CustomerFactory(
            display_name="王小明", home_unit=sub_a1, primary_manager=manager, **_personal("own")
        ),
        other=CustomerFactory(
            display_name="李四",
            home_unit=sub_a1,
            primary_manager=other_manager,
            **_personal("other"),
        ),
        pool=CustomerFactory(
            display_name="欧阳娜娜", home_unit=sub_a1, primary_manager=None, **_personal("pool")
        ),
        a2=CustomerFactory(
            display_name="赵六", home_unit=sub_a2, primary_manager=a2_manager, **_personal("a2")
        ),
        far=CustomerFactory(
            display_name="钱七", home_unit=sub_b1, primary_manager=far_manager, **_personal("far")
        ),
        company=CustomerFactory(
            display_name="北京华信科技有限公司",
            kind=Customer.Kind.CORPORATE,
            home_unit=sub_a1,
            primary_manager=manager,
        ),
    )


# Who sees which customer: the policy of DESIGN.md written out by hand, as the
# oracle the selectors and endpoints are checked against.
EXPECTED_VISIBLE: dict[str, set[str]] = {
    "manager": {"own", "company"},
    "other_manager": {"other"},
    "a2_manager": {"a2"},
    "far_manager": {"far"},
    # The team lead has no customers of their own; their report `manager` has two.
    "team_lead": {"own", "company"},
    "subbranch_head": {"own", "other", "pool", "company"},
    "branch_head": {"own", "other", "pool", "company", "a2"},
    "other_branch_head": {"far"},
    "analyst": {"own", "other", "pool", "company", "a2", "far"},
    "auditor": {"own", "other", "pool", "company", "a2", "far"},
    "admin": set(),
    "ops_officer": set(),
}


@pytest.fixture
def client_for(db: None) -> Callable[[Staff], Client]:
    """A test client that calls the API with a fresh bearer token of ``staff``."""

    def make(staff: Staff) -> Client:
        issued = api_token_create(staff=staff, days=1)
        return WatchfulClient(HTTP_AUTHORIZATION=f"Bearer {issued.token}")

    return make


@pytest.fixture
def browser_for(db: None) -> Callable[[Staff], Client]:
    """A test client signed in to the web pages as ``staff``."""

    def make(staff: Staff) -> Client:
        client = WatchfulClient()
        client.force_login(staff)
        return client

    return make
