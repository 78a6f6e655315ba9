"""Simulation: which of rmdesk's queries stay on one Citus shard when customers are sharded.

    .venv/bin/python bench/shard_plan.py --database-url postgres://postgres@127.0.0.1:5432/rmdesk_shardplan

Runs the real workload (the API a manager and a branch head use, and the bank-wide
set-based jobs) against a PostgreSQL database holding a small bank (seeded at the
``tiny`` scale if empty), captures every SQL statement, and classifies each against
the distribution plan in docs/scale.md:

- ``single-shard``: touches customer-distributed tables only through one distribution
  key value (``customer_id = %s`` / ``customers_customer.id = %s``) and joins them on
  that key — Citus routes it to one shard (the router executor);
- ``few-shards``: a key ``IN (…)`` list — routed to the shards holding those keys;
- ``fan-out``: customer-distributed tables without a key filter — sent to every
  shard in parallel (fine for lists by manager, and for the nightly jobs; each shard
  uses its own index);
- ``repartition``: joins two customer-distributed tables on something other than the
  key — needs a repartition join (none should appear);
- ``reference/local``: only reference tables (replicated to every node) and tables
  kept on the coordinator.

Prints a table per action and the fan-out statements, and writes the figures as JSON
(``--json``). See docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

# Distribution plan: table -> distribution column. All are co-located with the customer.
CUSTOMER_COLOCATED = {
    "customers_customer": "id",
    "customers_holding": "customer_id",
    "customers_transaction": "customer_id",
    "customers_householdmember": "customer_id",
    "customers_keyperson": "company_id",
    "customers_referral": "referred_id",
    "customers_tierchange": "customer_id",
    "customers_customerassignment": "customer_id",
    "customers_transferitem": "customer_id",
    "customers_revealgrant": "customer_id",
    # The 360's key people and referrals, mirrored under each customer they concern.
    "customers_customerlink": "customer_id",
    # The duty apps' customer-linked tables join this group as they land
    # (interactions, plan entries, signals, opportunities, work orders …).
}
# Distributed on their own keys, not co-located with customers.
OTHER_DISTRIBUTED = {
    "audit_auditevent": "chain",
    "audit_accesslog": "chain",
}
REFERENCE = {
    # Households and corporate groups are ~10 % and ~1 % of the customer count and
    # change rarely: replicated, they join any customer's shard locally.
    "customers_household",
    "org_orgunit",
    "org_department",
    "org_staff",
    "org_staffrole",
    "customers_tierrule",
    "customers_corporategroup",
}
# Everything else (sessions, tokens, the task queue, imports, notifications, Django's
# own tables) stays on the coordinator as ordinary (or Citus-local) tables.

TABLE = re.compile(
    r'(?:FROM|JOIN|INTO|UPDATE)\s+"(\w+)"(?:\s+(?:AS\s+)?"?([A-Z]\d+)"?)?', re.IGNORECASE
)
COLUMN = r'(?:"(\w+)"|\b([A-Z]\d+))\."(\w+)"'
JOIN_ON = re.compile(COLUMN + r"\s*=\s*\(?" + COLUMN)


def aliases(sql: str) -> dict[str, str]:
    """Each name a table goes by in the statement (itself, and Django's T3/U0 aliases)."""
    found: dict[str, str] = {}
    for table, alias in TABLE.findall(sql):
        found[table] = table
        if alias:
            found[alias] = table
    return found


def tables_in(sql: str) -> set[str]:
    return set(aliases(sql).values())


def pinned(sql: str, names: dict[str, str], table: str, key: str) -> bool:
    """Is ``table`` filtered to one distribution-key value (under any of its names)?"""
    for name, target in names.items():
        if target != table:
            continue
        ref = rf'(?:"{name}"|\b{name})\."{key}"' if name != table else rf'"{name}"\."{key}"'
        # "NOT (key = %s)" excludes one customer: it pins nothing.
        if re.search(r"(?<!NOT \()" + ref + r"\s*(=\s*%s|IN\s+\(%s\))", sql):
            return True
    return False


def classify(sql: str) -> str:
    names = aliases(sql)
    tables = set(names.values())
    if sql.lstrip().upper().startswith("INSERT") and " SELECT " not in sql.upper():
        return (
            "single-shard"
            if tables & (set(CUSTOMER_COLOCATED) | set(OTHER_DISTRIBUTED))
            else ("reference/local")
        )
    group = {t for t in tables if t in CUSTOMER_COLOCATED}
    if not group:
        other = {t for t in tables if t in OTHER_DISTRIBUTED}
        if not other:
            return "reference/local"
        if all(pinned(sql, names, t, OTHER_DISTRIBUTED[t]) for t in other):
            return "single-shard"
        return "fan-out"
    # A customer-distributed table cannot join one distributed some other way.
    if tables & set(OTHER_DISTRIBUTED):
        return "repartition"
    # Every join between two customer-distributed tables must be on both keys.
    for match in JOIN_ON.finditer(sql):
        left = names.get(match.group(1) or match.group(2) or "")
        right = names.get(match.group(4) or match.group(5) or "")
        if left not in CUSTOMER_COLOCATED or right not in CUSTOMER_COLOCATED:
            continue
        if (match.group(3), match.group(6)) != (
            CUSTOMER_COLOCATED[left],
            CUSTOMER_COLOCATED[right],
        ):
            return "repartition"
    if any(pinned(sql, names, t, CUSTOMER_COLOCATED[t]) for t in group):
        return "single-shard"
    for table in group:
        for name, target in names.items():
            if target == table and re.search(
                rf'"?{name}"?\."{CUSTOMER_COLOCATED[table]}"\s+IN\s+\(%s(, %s)+\)', sql
            ):
                return "few-shards"
    return "fan-out"


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
    os.environ.setdefault("RMDESK_VAR_DIR", str(HERE / "var" / "shard_plan"))
    import django

    django.setup()


def ensure_bank() -> None:
    from django.core.management import call_command

    from rmdesk.demo.bank import SCALES, build
    from rmdesk.org.models import OrgUnit

    call_command("migrate", verbosity=0)
    if not OrgUnit.objects.exists():
        print("Seeding the tiny bank ...", flush=True)
        build(scale=SCALES["tiny"])


def actions() -> list[tuple[str, Callable[[], Any]]]:
    from django.test import Client

    from rmdesk.api.services import api_token_create
    from rmdesk.customers import services as customer_services
    from rmdesk.customers.models import Customer, CustomerLink, HouseholdMember
    from rmdesk.org.models import Staff
    from rmdesk.org.roles import Role

    manager = (
        Staff.objects.filter(username__startswith="rm-", customers__isnull=False)
        .order_by("id")
        .first()
    )
    assert manager is not None, "the bank has no manager with customers"
    head = Staff.objects.filter(roles__role=Role.BRANCH_HEAD).order_by("id").first()
    customer = Customer.objects.filter(primary_manager=manager).order_by("id").first()
    assert customer is not None

    def auth(staff: Staff) -> dict[str, str]:
        token = api_token_create(staff=staff, name="shard-plan", days=1).token
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    as_manager = auth(manager)
    client = Client()

    def get(url: str, headers: dict[str, str]) -> Callable[[], Any]:
        def run() -> Any:
            response = client.get(url, **headers)
            assert response.status_code == 200, (url, response.status_code)

        return run

    found: list[tuple[str, Callable[[], Any]]] = [
        ("customer 360", get(f"/api/v1/customers/{customer.pk}", as_manager)),
        ("holdings", get(f"/api/v1/customers/{customer.pk}/holdings", as_manager)),
        ("relationships", get(f"/api/v1/customers/{customer.pk}/relationships", as_manager)),
        ("my customers, first page", get("/api/v1/customers", as_manager)),
        ("search by name", get(f"/api/v1/customers?q={customer.display_name[:2]}", as_manager)),
        ("search by mobile", get(f"/api/v1/customers?q={customer.mobile}", as_manager)),
    ]
    # The 360 of customers with every kind of relationship, asked by their own manager.
    for label, kind in (
        ("360: a person with key roles", CustomerLink.Kind.KEY_ROLE),
        ("360: a company with key people", CustomerLink.Kind.KEY_PERSON),
        ("360: a customer who referred", CustomerLink.Kind.REFERRAL),
    ):
        link = (
            CustomerLink.objects.filter(kind=kind, customer__primary_manager__isnull=False)
            .select_related("customer__primary_manager")
            .order_by("id")
            .first()
        )
        if link is not None:
            owner = link.customer.primary_manager
            assert owner is not None
            found.append((label, get(f"/api/v1/customers/{link.customer_id}", auth(owner))))
    member = (
        HouseholdMember.objects.filter(customer__primary_manager__isnull=False)
        .select_related("customer__primary_manager")
        .order_by("id")
        .first()
    )
    if member is not None and member.customer.primary_manager is not None:
        found.append(
            (
                "360: a household member",
                get(
                    f"/api/v1/customers/{member.customer_id}",
                    auth(member.customer.primary_manager),
                ),
            )
        )
    if head is not None:
        found.append(("branch head's list", get("/api/v1/customers", auth(head))))
    found += [
        (
            "one customer's balances refreshed",
            lambda: customer_services.customer_balances_refresh(customer_ids=[customer.pk]),
        ),
        ("nightly: every balance", customer_services.customer_balances_refresh),
        ("nightly: every tier", customer_services.customer_tiers_refresh),
    ]
    return found


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--json", type=Path, default=None, help="Write the figures here.")
    parser.add_argument("--show", type=int, default=3, help="Fan-out statements shown per action.")
    args = parser.parse_args(argv)
    django_setup(args.database_url)
    ensure_bank()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    classes = ["single-shard", "few-shards", "fan-out", "repartition", "reference/local"]
    report: dict[str, dict[str, int]] = {}
    shown: dict[str, list[str]] = {}
    print(f"\n{'action':<36}" + "".join(f"{c:>17}" for c in classes))
    for name, run in actions():
        with CaptureQueriesContext(connection) as captured:
            run()
        counts: Counter[str] = Counter()
        for query in captured.captured_queries:
            sql = query["sql"]
            if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")):
                continue
            # Parameters are inlined by Django's capture; turn them back into placeholders.
            normal = re.sub(r"(=|IN \(|, )\s*(\d+|'[^']*')", r"\1 %s", sql)
            normal = re.sub(r"IN \(\s*%s", "IN (%s", normal)
            kind = classify(normal)
            counts[kind] += 1
            if kind in {"fan-out", "repartition"}:
                shown.setdefault(name, []).append(sql[:220])
        report[name] = {c: counts[c] for c in classes}
        print(f"{name:<36}" + "".join(f"{counts[c]:>17}" for c in classes))
    print("\nFan-out statements (first of each action):")
    for name, statements in shown.items():
        for sql in statements[: args.show]:
            print(f"  [{name}] {sql}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
