"""Every route that takes an object id answers by the visibility policy, for every role.

The routes come from the URL resolver and the OpenAPI document, not from a list kept by
hand. Each path parameter names a kind of object; ``KINDS`` says how to make one that
belongs to a given customer, and the expected answer comes from the hand-written oracle
``EXPECTED_VISIBLE`` (conftest.py), never from the selectors under test:

- a read (GET) answers 404 to everyone who may not see the customer, and 200 to everyone
  who may (or 403 where seeing is not leave to act: an edit form for a read-only role;
  or a redirect back to the customer where a form cannot be used now);
- a write (POST, PATCH, PUT, DELETE) by someone who may not see the customer answers
  exactly as the same write on an id that does not exist (the object's existence does
  not leak), and leaves no audit event or access-log entry behind.

A new route whose parameter has no entry in ``KINDS`` or ``UNSCOPED`` fails here, so no
endpoint escapes the policy unnoticed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from rmdesk.api.v1 import api
from rmdesk.audit.models import AccessLog, AuditEvent
from rmdesk.conftest import EXPECTED_VISIBLE, Cast
from rmdesk.customers.models import Customer
from rmdesk.customers.transfers import transfer_request_create
from rmdesk.org.models import Staff
from rmdesk.org.tests.factories import StaffFactory

MISSING_ID = 987_654_321


@dataclass(frozen=True)
class Kind:
    """How to make an object that belongs to ``customer``; None when it cannot have one."""

    make: Callable[[Cast, Customer], int | None]
    # The routes whose parameter names this kind of object (a regular expression over the
    # route's template); the same parameter name may mean other objects elsewhere.
    where: str = ""


def _customer(cast: Cast, customer: Customer) -> int:
    return customer.pk


def _transfer(cast: Cast, customer: Customer) -> int | None:
    # A handover to a newcomer in the customer's own unit: nobody in the cast but the
    # people who see the customer is involved, so the customer oracle holds for it too.
    if customer.primary_manager is None:
        return None
    newcomer = StaffFactory(org_unit=customer.home_unit)
    transfer = transfer_request_create(
        actor=customer.primary_manager,
        from_manager_id=customer.primary_manager.pk,
        to_manager_id=newcomer.pk,
        customer_ids=[customer.pk],
        notes={},
        reason="scope check",
    )
    return transfer.pk


# Each path parameter's kinds of object, the first whose ``where`` matches the route wins.
def _signal(cast: Cast, customer: Customer) -> int:
    from rmdesk.development.models import Signal, SignalCode

    signal = Signal.objects.create(
        customer=customer, code=SignalCode.LARGE_INFLOW, first_seen=timezone.localdate()
    )
    return signal.pk


def _opportunity(cast: Cast, customer: Customer) -> int | None:
    from rmdesk.development.models import Opportunity

    if customer.primary_manager is None:
        return None
    opportunity = Opportunity.objects.create(
        customer=customer,
        manager=customer.primary_manager,
        title="scope check",
        follow_up_on=timezone.localdate(),
    )
    return opportunity.pk


def _sale(cast: Cast, customer: Customer) -> int:
    from rmdesk.marketing.models import Sale
    from rmdesk.marketing.tests.factories import ProductFactory

    sale = Sale.objects.create(
        customer=customer,
        product=ProductFactory(),
        amount=10000,
        channel="branch",
        staff=customer.primary_manager or cast.manager,
        signed_at=timezone.now(),
        suitability={},
        rule_set_version=1,
    )
    return sale.pk


def _interaction(cast: Cast, customer: Customer) -> int | None:
    from rmdesk.contact.models import Interaction

    if customer.primary_manager is None:
        return None
    interaction = Interaction.objects.create(
        customer=customer,
        author=customer.primary_manager,
        channel="phone",
        occurred_at=timezone.now(),
        summary="scope check",
        follow_up_on=timezone.localdate(),
    )
    return interaction.pk


def _visit(cast: Cast, customer: Customer) -> int | None:
    from rmdesk.contact.models import Visit

    if customer.primary_manager is None:
        return None
    start = timezone.now()
    visit = Visit.objects.create(
        manager=customer.primary_manager,
        customer=customer,
        planned_start=start,
        planned_end=start + dt.timedelta(hours=1),
        purpose="scope check",
    )
    return visit.pk


def _service_request(cast: Cast, customer: Customer) -> int:
    from rmdesk.contact.models import ServiceRequest

    request = ServiceRequest.objects.create(
        customer=customer,
        kind="statement",
        description="scope check",
        raised_by=customer.primary_manager or cast.subbranch_head,
    )
    return request.pk


def _plan_entry(cast: Cast, customer: Customer) -> int | None:
    from rmdesk.contact.models import PlanEntry

    if customer.primary_manager is None:
        return None
    entry = PlanEntry.objects.create(
        manager=customer.primary_manager, day=timezone.localdate(), customer=customer, score=1
    )
    return entry.pk


def _prospect(cast: Cast, customer: Customer) -> int | None:
    # Owned by the customer's manager and homed in its unit, a prospect is seen by the
    # same people as the customer (development.access.prospect_q); the pool's differ.
    from rmdesk.development.tests.factories import ProspectFactory

    if customer.primary_manager is None:
        return None
    return int(
        ProspectFactory(
            home_unit=customer.home_unit, owner=customer.primary_manager, mobile="13812345678"
        ).pk
    )


def _dispute(cast: Cast, customer: Customer) -> int | None:
    # A dispute between the customer's lead and a newcomer assisting them: nobody else in
    # the cast is a party, so who sees it follows who sees the customer (its work order
    # goes to the head over the customer's unit, who sees the customer too).
    from rmdesk.quality.disputes import attribution_dispute_raise
    from rmdesk.quality.tests.factories import seed_dispute_type

    if customer.primary_manager is None:
        return None
    seed_dispute_type()
    Customer.objects.filter(pk=customer.pk).update(
        assisting_manager=StaffFactory(org_unit=customer.home_unit)
    )
    dispute = attribution_dispute_raise(
        actor=customer.primary_manager, customer_id=customer.pk, reason="scope check"
    )
    return dispute.pk


KINDS: dict[str, list[Kind]] = {
    "prospect_id": [Kind(_prospect, where=r"/prospects/")],
    "customer_id": [Kind(_customer)],
    "request_id": [
        Kind(_transfer, where=r"/transfers/"),
        Kind(_service_request, where=r"/service-requests/"),
    ],
    "interaction_id": [Kind(_interaction)],
    "visit_id": [Kind(_visit)],
    "entry_id": [Kind(_plan_entry, where=r"/contact-plan/|/contact/plan/")],
    "signal_id": [Kind(_signal)],
    "opportunity_id": [Kind(_opportunity)],
    "sale_id": [Kind(_sale)],
    "dispute_id": [Kind(_dispute)],
}

# Parameters that do not name a customer's record (or whose objects have a visibility
# rule of their own), with where their scope is tested.
UNSCOPED: dict[str, str] = {
    "token_id": "the caller's own API tokens (api/tests/test_tokens.py)",
    "run_id": "import runs, for operations and compliance (ingest/tests/test_api.py)",
    "feed": "a feed name, not an object",
    "staff_id": "people: scorecards and a manager's home by org.policy.staff_q (quality/tests, "
    "workbench/tests/test_homes.py), working-group members (coordination/tests/test_groups.py)",
    "work_order_id": "work orders: raiser, routed department, approvers and the customer's "
    "viewers (coordination/tests/test_work_orders.py)",
    "attachment_id": "a work order's attachments follow the work order",
    "group_id": "working groups: members and the customer's viewers (coordination/tests)",
    "task_id": "a working group's tasks follow the group",
    "pool_id": "resource pools: by org unit subtree (coordination/tests/test_pools.py)",
    "name_list_id": "name lists: issuer and the managers given entries (development/tests)",
    "product_id": "the product shelf is the bank's, not a customer's (marketing/tests)",
    "campaign_id": "campaigns: their issuer's line and the managers given targets "
    "(marketing/tests/test_campaigns.py)",
    "requirement_id": "customer requirements: raiser and the product department (marketing/tests)",
    "job_id": "background jobs, for administrators only (tasks/tests)",
    "feed_id": "a member of staff's own calendar links (contact/tests)",
    "token": "the calendar feed's secret link: an unknown or revoked one is 404 (contact/tests)",
    "entry_id": "name-list entries (development/tests) and campaign entries "
    "(marketing/tests) go to their managers; contact-plan entries are in KINDS",
}

# Routes that reach customers by a rule of their own, not the customer's visibility.
OWN_RULE_ROUTES: dict[str, str] = {
    r"/pool/customers/": "the unclaimed pool: customers without a manager that managers in "
    "scope may claim; a managed customer out of scope is 404 (development/tests/test_pool.py)",
}

PARAM = re.compile(r"\{(\w+)\}|<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    channel: str  # "api" or "page"
    method: str
    template: str
    params: tuple[str, ...]
    body: dict[str, Any] | None = None

    def path(self, ids: dict[str, int]) -> str:
        return PARAM.sub(lambda m: str(ids[m.group(1) or m.group(2)]), self.template)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.template}"


def _example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The smallest value that satisfies ``schema``'s types (not its business rules)."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            return _example(schema[key][0], components)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: _example(schema["properties"][name], components)
            for name in schema.get("required", [])
        }
    if kind == "array":
        return [_example(schema["items"], components)] if schema.get("minItems") else []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    return "x" * max(1, schema.get("minLength", 1))


def api_routes() -> Iterator[Route]:
    document = api.get_openapi_schema()
    components = document.get("components", {}).get("schemas", {})
    for template, operations in document["paths"].items():
        params = tuple(m.group(1) for m in PARAM.finditer(template))
        if not params:
            continue
        for method, operation in operations.items():
            body = None
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = _example(content["application/json"]["schema"], components)
            yield Route("api", method, template, params, body)


def page_routes(
    patterns: list[URLPattern | URLResolver] | None = None, prefix: str = "/"
) -> Iterator[Route]:
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        pattern = str(entry.pattern)
        if pattern.startswith(("api/", "admin/")) or "(?P" in pattern:
            # The API is checked through its OpenAPI document; the admin site is for
            # administrators only (web/tests/test_routes.py, org tests).
            continue
        if isinstance(entry, URLResolver):
            yield from page_routes(entry.url_patterns, prefix + pattern)
            continue
        template = prefix + pattern
        params = tuple(m.group(2) for m in PARAM.finditer(template) if m.group(2))
        if params:
            for method in ("get", "post"):
                yield Route("page", method, template, params)


ROUTES = sorted([*api_routes(), *page_routes()], key=str)


def kind_of(route: Route, param: str) -> Kind | None:
    for kind in KINDS.get(param, []):
        if re.search(kind.where, route.template):
            return kind
    return None


def own_rule(route: Route) -> bool:
    return any(re.search(pattern, route.template) for pattern in OWN_RULE_ROUTES)


def scoped(route: Route) -> bool:
    return not own_rule(route) and all(kind_of(route, param) is not None for param in route.params)


def test_every_object_route_names_a_known_kind_of_object() -> None:
    """RELIABILITY.md B6."""
    unknown = {
        (str(route), param)
        for route in ROUTES
        for param in route.params
        if kind_of(route, param) is None and param not in UNSCOPED and not own_rule(route)
    }
    assert unknown == set(), "add these parameters to KINDS (or UNSCOPED, with the reason)"
    assert len([route for route in ROUTES if scoped(route)]) >= 15


def call(client: Client, route: Route, path: str) -> tuple[int, str]:
    if route.channel == "api" and route.method != "get":
        response = getattr(client, route.method)(
            path, route.body if route.body is not None else {}, content_type="application/json"
        )
    else:
        response = getattr(client, route.method)(path)
    code = ""
    if response.get("Content-Type", "").startswith("application/json"):
        code = response.json().get("code", "") if isinstance(response.json(), dict) else ""
    return response.status_code, code


SCOPED = [route for route in ROUTES if scoped(route)]
# One member of the cast per way of seeing customers (the full matrix of every member and
# every customer is org/tests/test_policy.py's): own, a colleague's, team, sub-branch,
# branch, another branch, the whole bank, and the roles that see no customer.
STAFF = [
    "manager",
    "other_manager",
    "team_lead",
    "subbranch_head",
    "branch_head",
    "other_branch_head",
    "analyst",
    "admin",
    "ops_officer",
]
CUSTOMERS = ["own", "other", "pool", "a2", "far"]


@pytest.mark.parametrize("route", SCOPED, ids=str)
def test_the_route_answers_by_the_visibility_policy(
    route: Route,
    cast: Cast,
    client_for: Callable[[Staff], Client],
    browser_for: Callable[[Staff], Client],
) -> None:
    """RELIABILITY.md B2, B6."""
    objects: dict[str, dict[str, int]] = {}
    for customer_name in CUSTOMERS:
        customer = cast.customers()[customer_name]
        made = {param: kind_of(route, param).make(cast, customer) for param in route.params}  # type: ignore[union-attr]
        if None not in made.values():
            objects[customer_name] = {param: pk for param, pk in made.items() if pk is not None}
    checked = 0
    for staff_name in STAFF:
        staff = cast.staff()[staff_name]
        client = (client_for if route.channel == "api" else browser_for)(staff)
        missing = call(client, route, route.path(dict.fromkeys(route.params, MISSING_ID)))
        if missing[0] == 405:
            continue  # the route does not take this method at all, whatever the object
        for customer_name, ids in objects.items():
            visible = customer_name in EXPECTED_VISIBLE[staff_name]
            before = (AuditEvent.objects.count(), AccessLog.objects.count())
            status, code = call(client, route, route.path(ids))
            where = (staff_name, customer_name, str(route))
            assert status < 500, where
            if route.method == "get" and visible:
                # Seeing a customer is not leave to change it (view-all is not
                # modify-all): a form its viewer may not use answers 403, never 404; a
                # form that cannot be used now sends the viewer back to the customer.
                assert status in {200, 302, 403}, (*where, status, code)
            elif route.method == "get":
                assert status == 404, (*where, status, code)
            elif not visible:
                assert (status, code) == missing, (*where, status, code)
                assert (AuditEvent.objects.count(), AccessLog.objects.count()) == before
            checked += 1
    assert checked > 0 or route.channel == "page"
