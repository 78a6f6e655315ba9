"""Interactions (restricted ones included), visits, service requests and calendar feeds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from rmdesk.audit.models import AuditEvent
from rmdesk.conftest import Cast
from rmdesk.contact import selectors, services
from rmdesk.contact.models import Interaction, NeedCategory, PlanEntry, ServiceRequest, Visit
from rmdesk.contact.tests.factories import InteractionFactory, PlanEntryFactory, earlier_today
from rmdesk.core.errors import ConflictError
from rmdesk.customers.models import KeyPerson
from rmdesk.notify.models import Notification


def data(**overrides: object) -> services.InteractionData:
    values: dict[str, object] = {
        "channel": "phone",
        "occurred_at": earlier_today(minutes=5),
        "summary": "客户关心存款到期后的安排",
    }
    values.update(overrides)
    return services.InteractionData(**values)  # type: ignore[arg-type]


def test_need_taxonomy_is_seeded_with_translated_labels(db: None) -> None:
    codes = set(NeedCategory.objects.values_list("code", flat=True))
    assert {
        "wealth_growth",
        "education",
        "retirement",
        "housing_loan",
        "business_loan",
        "payroll",
        "settlement",
        "insurance",
        "cross_border",
    } <= codes
    need = NeedCategory.objects.get(code="retirement")
    from django.utils import translation

    with translation.override("zh-hans"):
        assert need.label == "养老规划"
    with translation.override("en"):
        assert need.label == "Retirement"


def test_log_interaction_with_needs_and_follow_up(cast: Cast) -> None:
    interaction = services.interaction_log(
        actor=cast.manager,
        customer_id=cast.own.pk,
        data=data(
            need_codes=("retirement", "insurance"),
            next_step="寄送养老产品资料",
            follow_up_on=timezone.localdate() + dt.timedelta(days=3),
        ),
    )
    assert interaction.author == cast.manager
    assert sorted(interaction.needs.values_list("code", flat=True)) == ["insurance", "retirement"]
    event = AuditEvent.objects.get(action="contact.interaction.logged")
    assert "客户" not in str(event.data)  # the summary stays out of the audit trail


def test_logging_closes_the_days_open_plan_entry(cast: Cast) -> None:
    today = timezone.localdate()
    entry = PlanEntryFactory(manager=cast.manager, customer=cast.own, day=today)
    other_day = PlanEntryFactory(
        manager=cast.manager, customer=cast.own, day=today - dt.timedelta(days=1)
    )
    interaction = services.interaction_log(actor=cast.manager, customer_id=cast.own.pk, data=data())
    entry.refresh_from_db()
    other_day.refresh_from_db()
    assert (entry.status, entry.outcome, entry.interaction_id) == (
        "done",
        "contacted",
        interaction.pk,
    )
    assert other_day.status == "open"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"summary": "  "}, "summary"),
        ({"occurred_at": timezone.now() + dt.timedelta(hours=1)}, "occurred_at"),
        ({"need_codes": ("astrology",)}, "needs"),
        ({"confidentiality": "secret"}, "confidentiality"),
        ({"follow_up_on": dt.date(2000, 1, 1)}, "follow_up_on"),
        ({"key_person_id": 999999}, "key_person_id"),
    ],
)
def test_bad_interactions_are_refused_by_field(
    cast: Cast, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(services.InvalidFields) as refused:
        services.interaction_log(
            actor=cast.manager, customer_id=cast.own.pk, data=data(**overrides)
        )
    assert field in {item["field"] for item in refused.value.details}
    assert not Interaction.objects.exists()


def test_key_person_must_belong_to_the_company(cast: Cast) -> None:
    person = KeyPerson.objects.create(company=cast.company, name="张财务", role="finance_head")
    done = services.interaction_log(
        actor=cast.manager, customer_id=cast.company.pk, data=data(key_person_id=person.pk)
    )
    assert done.key_person == person
    with pytest.raises(services.InvalidFields):
        services.interaction_log(
            actor=cast.manager, customer_id=cast.own.pk, data=data(key_person_id=person.pk)
        )


def test_out_of_scope_customer_is_404_and_readers_cannot_log(cast: Cast) -> None:
    with pytest.raises(Http404):
        services.interaction_log(actor=cast.manager, customer_id=cast.other.pk, data=data())
    with pytest.raises(PermissionDenied):
        services.interaction_log(actor=cast.analyst, customer_id=cast.own.pk, data=data())


# Restricted: the author and the author's line (line managers up the chain) only.
RESTRICTED_READERS = {"manager", "team_lead", "subbranch_head"}


def test_restricted_interactions_reach_only_the_authors_line(cast: Cast) -> None:
    restricted = InteractionFactory(
        customer=cast.own, author=cast.manager, confidentiality="restricted"
    )
    normal = InteractionFactory(customer=cast.own, author=cast.manager)
    for name, staff in cast.staff().items():
        visible = set(
            Interaction.objects.filter(selectors.interaction_q(staff)).values_list("pk", flat=True)
        )
        assert (restricted.pk in visible) == (name in RESTRICTED_READERS), name
        sees_customer = name in {
            "manager",
            "team_lead",
            "subbranch_head",
            "branch_head",
            "analyst",
            "auditor",
        }
        assert (normal.pk in visible) == sees_customer, name
    with pytest.raises(Http404):
        selectors.interaction_get(actor=cast.branch_head, interaction_id=restricted.pk)


def test_restricted_interaction_still_counts_as_contact_and_closes_the_plan(cast: Cast) -> None:
    entry = PlanEntryFactory(manager=cast.manager, customer=cast.own)
    services.interaction_log(
        actor=cast.manager, customer_id=cast.own.pk, data=data(confidentiality="restricted")
    )
    entry.refresh_from_db()
    assert entry.status == "done"


def test_follow_up_done_is_idempotent(cast: Cast) -> None:
    item = InteractionFactory(
        customer=cast.own, author=cast.manager, follow_up_on=timezone.localdate()
    )
    first = services.interaction_follow_up_done(actor=cast.manager, interaction_id=item.pk)
    again = services.interaction_follow_up_done(actor=cast.manager, interaction_id=item.pk)
    assert first.follow_up_done_at == again.follow_up_done_at is not None
    assert AuditEvent.objects.filter(action="contact.follow_up.done").count() == 1


# --- visits ----------------------------------------------------------------------------------


def test_visit_plan_check_in_and_cancel(cast: Cast) -> None:
    start = timezone.now() + dt.timedelta(hours=1)
    visit = services.visit_plan(
        actor=cast.manager,
        customer_id=cast.own.pk,
        planned_start=start,
        planned_end=start + dt.timedelta(hours=1),
        purpose="续作沟通",
    )
    with pytest.raises(PermissionDenied):
        services.visit_check_in(actor=cast.team_lead, visit_id=visit.pk)
    with pytest.raises(services.InvalidFields):
        services.visit_check_in(actor=cast.manager, visit_id=visit.pk, lat=Decimal("31.2"))
    done = services.visit_check_in(
        actor=cast.manager,
        visit_id=visit.pk,
        lat=Decimal("31.2304"),
        lng=Decimal("121.4737"),
        accuracy_m=15,
    )
    assert done.status == Visit.Status.DONE
    assert done.checked_in_at is not None
    assert done.check_in_accuracy_m == 15
    with pytest.raises(ConflictError):
        services.visit_cancel(actor=cast.manager, visit_id=visit.pk)


def test_visit_needs_an_end_after_its_start(cast: Cast) -> None:
    start = timezone.now()
    with pytest.raises(services.InvalidFields):
        services.visit_plan(
            actor=cast.manager,
            customer_id=cast.own.pk,
            planned_start=start,
            planned_end=start,
            purpose="x",
        )


# --- service requests ------------------------------------------------------------------------


def test_service_request_is_handed_on_and_followed_to_done(cast: Cast) -> None:
    request = services.service_request_create(
        actor=cast.manager,
        customer_id=cast.own.pk,
        kind="card_replacement",
        description="借记卡消磁",
        department_id=cast.ops_dept.pk,
        assignee_id=cast.ops_officer.pk,
    )
    assert Notification.objects.filter(recipient=cast.ops_officer).count() == 1
    # The department officer does not see the customer, but sees the request handed to them.
    found = selectors.service_request_get(actor=cast.ops_officer, request_id=request.pk)
    assert found.pk == request.pk
    services.service_request_update(
        actor=cast.ops_officer, request_id=request.pk, status="in_progress"
    )
    services.service_request_update(
        actor=cast.ops_officer, request_id=request.pk, status="done", note="已寄出"
    )
    request.refresh_from_db()
    assert request.status == "done"
    assert request.closed_at is not None
    assert list(request.events.values_list("to_status", flat=True)) == [
        "new",
        "in_progress",
        "done",
    ]
    assert Notification.objects.filter(recipient=cast.manager).count() == 2
    with pytest.raises(ConflictError):
        services.service_request_update(actor=cast.manager, request_id=request.pk, status="new")


def test_service_request_out_of_scope_is_404(cast: Cast) -> None:
    request = services.service_request_create(
        actor=cast.manager, customer_id=cast.own.pk, kind="statement", description="开具存款证明"
    )
    for staff in (cast.other_manager, cast.far_manager, cast.admin):
        with pytest.raises(Http404):
            selectors.service_request_get(actor=staff, request_id=request.pk)
    with pytest.raises(services.InvalidFields):
        services.service_request_create(
            actor=cast.manager, customer_id=cast.own.pk, kind="teleport", description="x"
        )
    assert ServiceRequest.objects.count() == 1


# --- calendar feeds --------------------------------------------------------------------------


def test_calendar_feed_token_is_hashed_and_revocable(cast: Cast) -> None:
    issued = services.calendar_feed_create(actor=cast.manager, label="手机")
    assert issued.token not in issued.feed.token_hash
    assert services.calendar_feed_resolve(issued.token) == issued.feed
    assert services.calendar_feed_resolve(issued.token + "x") is None
    with pytest.raises(Http404):
        services.calendar_feed_revoke(actor=cast.other_manager, feed_id=issued.feed.pk)
    services.calendar_feed_revoke(actor=cast.manager, feed_id=issued.feed.pk)
    assert services.calendar_feed_resolve(issued.token) is None


def test_dismiss_by_someone_out_of_reach_is_404(cast: Cast) -> None:
    entry = PlanEntryFactory(manager=cast.manager, customer=cast.own)
    for staff in (cast.other_manager, cast.a2_manager, cast.admin):
        with pytest.raises(Http404):
            services.plan_entry_dismiss(actor=staff, entry_id=entry.pk, outcome="declined")
    assert PlanEntry.objects.get(pk=entry.pk).status == "open"
