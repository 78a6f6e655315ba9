"""The daily plan: each reason at its boundary, capacity, consent, carry-forward, dismissal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import F, QuerySet, Value

from rmdesk.conftest import Cast
from rmdesk.contact import planning, services
from rmdesk.contact.models import (
    ContactCadence,
    Interaction,
    PlanCapacity,
    PlanEntry,
    ServiceRequest,
)
from rmdesk.contact.tests.factories import (
    HoldingFactory,
    InteractionFactory,
    ServiceRequestFactory,
    TransactionFactory,
)
from rmdesk.core.errors import ConflictError
from rmdesk.customers.models import Customer, Tier, Transaction
from rmdesk.customers.tests.factories import CustomerFactory

DAY = dt.date(2026, 6, 15)


def plan(manager_id: int, day: dt.date = DAY) -> dict[int, list[str]]:
    return {
        e.customer_id: [r["code"] for r in e.reasons]
        for e in PlanEntry.objects.filter(manager_id=manager_id, day=day)
    }


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return planning.day_start(day) + dt.timedelta(hours=hour)


def tiered(
    cast: Cast, tier: str, *, risk_expires_on: dt.date | None = None, **kwargs: Any
) -> Customer:
    customer = CustomerFactory(home_unit=cast.sub_a1, primary_manager=cast.manager, **kwargs)
    Customer.objects.filter(pk=customer.pk).update(tier=tier, risk_expires_on=risk_expires_on)
    customer.refresh_from_db()
    return customer


@pytest.fixture(autouse=True)
def _quiet_cast(cast: Cast) -> Iterator[None]:
    return


# --- each reason at its boundary -----------------------------------------------------


@pytest.mark.django_db
def test_contact_overdue_at_the_cadence_boundary(cast: Cast) -> None:
    due = tiered(cast, Tier.PRIVATE)
    fresh = tiered(cast, Tier.PRIVATE)
    never = tiered(cast, Tier.GOLD)
    mass = tiered(cast, Tier.MASS)
    # Private banking: monthly (30 days). Contacted 30 days before: due; 29 days: not.
    InteractionFactory(
        customer=due, author=cast.manager, occurred_at=at(DAY - dt.timedelta(days=30), 23)
    )
    InteractionFactory(
        customer=fresh, author=cast.manager, occurred_at=at(DAY - dt.timedelta(days=29), 0)
    )
    InteractionFactory(
        customer=fresh,
        author=cast.manager,
        channel="visit",
        occurred_at=at(DAY - dt.timedelta(days=29), 0),
    )
    planning.plans_generate(day=DAY)
    entries = plan(cast.manager.pk)
    assert "contact_overdue" in entries[due.pk]
    assert fresh.pk not in entries
    assert "contact_overdue" in entries[never.pk]
    assert mass.pk not in entries
    reason = PlanEntry.objects.get(customer=due, day=DAY).reasons
    overdue = next(r for r in reason if r["code"] == "contact_overdue")
    assert overdue["evidence"]["last_contact"] == (DAY - dt.timedelta(days=30)).isoformat()


@pytest.mark.django_db
def test_in_person_cadence_counts_only_meetings(cast: Cast) -> None:
    customer = tiered(cast, Tier.PRIVATE)
    InteractionFactory(
        customer=customer, author=cast.manager, occurred_at=at(DAY - dt.timedelta(days=1))
    )
    planning.plans_generate(day=DAY)
    assert plan(cast.manager.pk)[customer.pk] == ["in_person_overdue"]


@pytest.mark.django_db
def test_configured_cadence_replaces_the_defaults(cast: Cast) -> None:
    customer = tiered(cast, Tier.SILVER)
    private = tiered(cast, Tier.PRIVATE)
    ContactCadence.objects.create(tier=Tier.SILVER, contact_days=10)
    planning.plans_generate(day=DAY)
    entries = plan(cast.manager.pk)
    assert entries[customer.pk] == ["contact_overdue"]
    assert private.pk not in entries  # no row for private banking: no rule once configured


@pytest.mark.django_db
def test_maturity_within_seven_days(cast: Cast) -> None:
    soon = tiered(cast, Tier.MASS, marketing_consent=True)
    late = tiered(cast, Tier.MASS, marketing_consent=True)
    past = tiered(cast, Tier.MASS, marketing_consent=True)
    HoldingFactory(customer=soon, matures_on=DAY + dt.timedelta(days=7))
    HoldingFactory(customer=late, matures_on=DAY + dt.timedelta(days=8))
    HoldingFactory(customer=past, matures_on=DAY - dt.timedelta(days=1))
    planning.plans_generate(day=DAY)
    entries = plan(cast.manager.pk)
    assert entries == {soon.pk: ["maturity"]}
    reason = PlanEntry.objects.get(customer=soon).reasons[0]
    assert reason["evidence"] == {
        "matures_on": (DAY + dt.timedelta(days=7)).isoformat(),
        "count": "1",
        "amount_cny": "100000",
    }


@pytest.mark.django_db
def test_birthday_on_the_day_only(cast: Cast) -> None:
    today = tiered(cast, Tier.MASS, birth_date=dt.date(1980, 6, 15))
    tiered(cast, Tier.MASS, birth_date=dt.date(1980, 6, 16))
    planning.plans_generate(day=DAY)
    assert plan(cast.manager.pk) == {today.pk: ["birthday"]}


@pytest.mark.django_db
def test_leap_day_birthday_on_28_february(cast: Cast) -> None:
    leap = tiered(cast, Tier.MASS, birth_date=dt.date(1988, 2, 29))
    planning.plans_generate(day=dt.date(2027, 2, 28))
    assert plan(cast.manager.pk, dt.date(2027, 2, 28)) == {leap.pk: ["birthday"]}


@pytest.mark.django_db
def test_large_inflow_and_outflow_in_the_window(cast: Cast, settings: Any) -> None:
    settings.RMDESK_CONTACT_FLOW_DAYS = 7
    settings.RMDESK_CONTACT_LARGE_AMOUNT = "200000"
    inflow = tiered(cast, Tier.MASS, marketing_consent=True)
    old_inflow = tiered(cast, Tier.MASS, marketing_consent=True)
    outflow = tiered(cast, Tier.MASS, marketing_consent=True)
    small_out = tiered(cast, Tier.MASS, marketing_consent=True)
    TransactionFactory(
        customer=inflow, booked_on=DAY - dt.timedelta(days=7), amount=Decimal("800000.50")
    )
    TransactionFactory(customer=old_inflow, booked_on=DAY - dt.timedelta(days=8))
    TransactionFactory(
        customer=outflow,
        kind=Transaction.Kind.TRANSFER_OUT_OTHER_BANK,
        amount=Decimal("-200000.00"),
        booked_on=DAY,
    )
    TransactionFactory(
        customer=small_out,
        kind=Transaction.Kind.TRANSFER_OUT_OTHER_BANK,
        amount=Decimal("-199999.99"),
        booked_on=DAY,
    )
    planning.plans_generate(day=DAY)
    assert plan(cast.manager.pk) == {
        inflow.pk: ["large_inflow"],
        outflow.pk: ["outflow_other_bank"],
    }
    reason = PlanEntry.objects.get(customer=inflow).reasons[0]
    assert reason["detail"] == "800000"


@pytest.mark.django_db
def test_risk_assessment_expiring_within_30_days(cast: Cast) -> None:
    edge = tiered(cast, Tier.MASS, risk_expires_on=DAY + dt.timedelta(days=30))
    tiered(cast, Tier.MASS, risk_expires_on=DAY + dt.timedelta(days=31))
    planning.plans_generate(day=DAY)
    assert plan(cast.manager.pk) == {edge.pk: ["risk_expiry"]}


@pytest.mark.django_db
def test_follow_up_due_until_done(cast: Cast) -> None:
    customer = tiered(cast, Tier.MASS)
    ahead = tiered(cast, Tier.MASS)
    due = InteractionFactory(
        customer=customer,
        author=cast.manager,
        follow_up_on=DAY,
        occurred_at=at(DAY - dt.timedelta(days=3)),
    )
    InteractionFactory(
        customer=ahead,
        author=cast.manager,
        follow_up_on=DAY + dt.timedelta(days=1),
        occurred_at=at(DAY - dt.timedelta(days=3)),
    )
    planning.plans_generate(day=DAY)
    assert plan(cast.manager.pk) == {customer.pk: ["follow_up_due"]}
    Interaction.objects.filter(pk=due.pk).update(follow_up_done_at=at(DAY, 1))
    planning.plans_generate(day=DAY)
    assert plan(cast.manager.pk) == {}


@pytest.mark.django_db
def test_open_service_request(cast: Cast) -> None:
    customer = tiered(cast, Tier.MASS)
    closed = tiered(cast, Tier.MASS)
    ServiceRequestFactory(customer=customer, raised_by=cast.manager)
    ServiceRequestFactory(
        customer=closed, raised_by=cast.manager, status=ServiceRequest.Status.DONE
    )
    planning.plans_generate(day=DAY)
    assert plan(cast.manager.pk) == {customer.pk: ["service_request_open"]}


# --- consent, capacity, exclusions -------------------------------------------------------


@pytest.mark.django_db
def test_do_not_contact_excludes_everything(cast: Cast) -> None:
    customer = tiered(cast, Tier.PRIVATE, do_not_contact=True, birth_date=dt.date(1980, 6, 15))
    ServiceRequestFactory(customer=customer, raised_by=cast.manager)
    planning.plans_generate(day=DAY)
    assert customer.pk not in plan(cast.manager.pk)


@pytest.mark.django_db
def test_without_marketing_consent_only_service_reasons_remain(cast: Cast) -> None:
    customer = tiered(cast, Tier.MASS, marketing_consent=False, birth_date=dt.date(1980, 6, 15))
    only_marketing = tiered(cast, Tier.MASS, marketing_consent=False)
    HoldingFactory(customer=customer, matures_on=DAY)
    HoldingFactory(customer=only_marketing, matures_on=DAY)
    planning.plans_generate(day=DAY)
    assert plan(cast.manager.pk) == {customer.pk: ["birthday"]}


@pytest.mark.django_db
def test_capacity_keeps_the_strongest_then_lowest_id(cast: Cast, settings: Any) -> None:
    settings.RMDESK_CONTACT_PLAN_CAPACITY = 2
    weak = [tiered(cast, Tier.MASS, birth_date=dt.date(1980, 6, 15)) for _ in range(3)]
    strong = tiered(cast, Tier.MASS, birth_date=dt.date(1980, 6, 15))
    ServiceRequestFactory(customer=strong, raised_by=cast.manager)
    written = planning.plans_generate(day=DAY)
    assert written == 2
    assert set(plan(cast.manager.pk)) == {strong.pk, weak[0].pk}
    entry = PlanEntry.objects.get(customer=strong)
    assert entry.score == 60
    assert [r["code"] for r in entry.reasons] == ["service_request_open", "birthday"]
    PlanCapacity.objects.create(manager=cast.manager, per_day=3)
    planning.plans_generate(day=DAY)
    assert set(plan(cast.manager.pk)) == {strong.pk, weak[0].pk, weak[1].pk}


@pytest.mark.django_db
def test_registered_exclusion_wins(cast: Cast) -> None:
    customer = tiered(cast, Tier.MASS, birth_date=dt.date(1980, 6, 15))
    try:

        @planning.plan_exclusion("test.cooling_off")
        def cooling_off(ctx: planning.PlanContext) -> QuerySet[Any]:
            return ctx.customers.filter(pk=customer.pk).annotate(cid=F("pk")).values("cid")

        planning.plans_generate(day=DAY)
        assert plan(cast.manager.pk) == {}
    finally:
        planning.EXCLUSIONS.pop("test.cooling_off", None)


@pytest.mark.django_db
def test_registered_reason_is_used(cast: Cast) -> None:
    customer = tiered(cast, Tier.MASS)
    try:

        @planning.plan_reason("test.opportunity", weight=45)
        def opportunity(ctx: planning.PlanContext) -> QuerySet[Any]:
            return (
                ctx.customers.filter(pk=customer.pk)
                .annotate(cid=F("pk"), detail=Value("x"), evidence=Value('{"id":"1"}'))
                .values("cid", "detail", "evidence")
            )

        planning.plans_generate(day=DAY)
        assert PlanEntry.objects.get(customer=customer).reasons == [
            {"code": "test.opportunity", "detail": "x", "evidence": {"id": "1"}}
        ]
    finally:
        planning.REASONS.pop("test.opportunity", None)


# --- carry forward, reproducibility, dismissal --------------------------------------------


@pytest.mark.django_db
def test_unfinished_entries_are_carried_forward(cast: Cast) -> None:
    birthday = tiered(cast, Tier.MASS, birth_date=dt.date(1980, 6, 15))
    done = tiered(cast, Tier.MASS, birth_date=dt.date(1980, 6, 15))
    planning.plans_generate(day=DAY)
    PlanEntry.objects.filter(customer=done).update(status="done", outcome="contacted")
    next_day = DAY + dt.timedelta(days=1)
    planning.plans_generate(day=next_day)
    assert plan(cast.manager.pk, next_day) == {birthday.pk: ["carried_forward"]}
    assert PlanEntry.objects.get(customer=birthday, day=next_day).carried_from == DAY
    # Two days on, it still remembers the first day.
    planning.plans_generate(day=next_day + dt.timedelta(days=1))
    assert (
        PlanEntry.objects.get(customer=birthday, day=next_day + dt.timedelta(days=1)).carried_from
        == DAY
    )


@pytest.mark.django_db
def test_generation_is_reproducible_and_keeps_handled_entries(cast: Cast, settings: Any) -> None:
    settings.RMDESK_CONTACT_PLAN_CAPACITY = 2
    customers = [tiered(cast, Tier.MASS, birth_date=dt.date(1980, 6, 15)) for _ in range(4)]
    planning.plans_generate(day=DAY)
    first = sorted(PlanEntry.objects.values_list("customer_id", "score", "reasons"))
    planning.plans_generate(day=DAY)
    assert sorted(PlanEntry.objects.values_list("customer_id", "score", "reasons")) == first
    entry = PlanEntry.objects.get(customer=customers[0])
    services.plan_entry_dismiss(actor=cast.manager, entry_id=entry.pk, outcome="not_reachable")
    planning.plans_generate(day=DAY)
    # The dismissed entry stays and still takes one of the two places.
    assert dict(PlanEntry.objects.values_list("customer_id", "status")) == {
        customers[0].pk: "dismissed",
        customers[1].pk: "open",
    }


@pytest.mark.django_db
def test_dismissal_needs_an_outcome_and_is_final(cast: Cast) -> None:
    customer = tiered(cast, Tier.MASS, birth_date=dt.date(1980, 6, 15))
    planning.plans_generate(day=DAY)
    entry = PlanEntry.objects.get(customer=customer)
    with pytest.raises(services.InvalidFields):
        services.plan_entry_dismiss(actor=cast.manager, entry_id=entry.pk, outcome="contacted")
    services.plan_entry_dismiss(
        actor=cast.manager, entry_id=entry.pk, outcome="declined", note="不需要"
    )
    entry.refresh_from_db()
    assert (entry.status, entry.outcome, entry.note) == ("dismissed", "declined", "不需要")
    with pytest.raises(ConflictError):
        services.plan_entry_dismiss(actor=cast.manager, entry_id=entry.pk, outcome="declined")


@pytest.mark.django_db
def test_one_manager_on_demand_leaves_the_others(cast: Cast) -> None:
    mine = tiered(cast, Tier.MASS, birth_date=dt.date(1980, 6, 15))
    theirs = CustomerFactory(
        home_unit=cast.sub_a1, primary_manager=cast.other_manager, birth_date=dt.date(1980, 6, 15)
    )
    planning.plans_generate(day=DAY, manager=cast.manager)
    assert set(PlanEntry.objects.values_list("customer_id", flat=True)) == {mine.pk}
    planning.plans_generate(day=DAY)
    assert set(PlanEntry.objects.values_list("customer_id", flat=True)) == {mine.pk, theirs.pk}
