from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from rmdesk.audit.models import AuditEvent
from rmdesk.conftest import Cast
from rmdesk.core.errors import ConflictError, DomainError
from rmdesk.customers.models import Customer, CustomerAssignment, Referral
from rmdesk.customers.services import InvalidFields, customer_update
from rmdesk.customers.tests.factories import CustomerFactory
from rmdesk.development import pool, prospects
from rmdesk.development.models import (
    AccountOpeningRequest,
    PoolClaim,
    PoolRule,
    Prospect,
    Stage,
    StageChange,
)
from rmdesk.development.prospects import TRANSITIONS
from rmdesk.development.tests.factories import ProspectFactory

MOBILE = "13812345678"
RID = "11010519491231002X"
USCC = "91110000600037341L"


def capture(cast: Cast, actor: Any = None, **kw: Any) -> prospects.Created:
    data = kw.pop("data", {"display_name": "孙悟空"})
    return prospects.prospect_capture(
        actor=actor or cast.manager,
        kind=kw.pop("kind", "individual"),
        data=data,
        source=kw.pop("source", "walk_in"),
        **kw,
    )


def test_capture_owns_and_starts_history(cast: Cast) -> None:
    created = capture(cast, data={"display_name": "孙 悟空", "mobile": MOBILE})
    prospect = created.prospect
    assert prospect is not None
    assert prospect.owner == cast.manager
    assert prospect.home_unit == cast.sub_a1
    assert prospect.name_key == "孙悟空"
    assert prospect.mobile_digest
    assert list(prospect.history.values_list("to_stage", flat=True)) == ["new"]
    assert AuditEvent.objects.filter(action="development.prospect.created").count() == 1


def test_capture_refuses_bad_fields_with_the_customer_rules(cast: Cast) -> None:
    with pytest.raises(InvalidFields) as error:
        capture(cast, data={"display_name": "孙悟空", "mobile": "123", "id_number": "1101"})
    fields = {item["field"] for item in error.value.details}
    assert {"mobile", "id_number"} <= fields
    assert not Prospect.objects.exists()


def test_read_only_roles_cannot_capture(cast: Cast) -> None:
    for who in (cast.analyst, cast.auditor, cast.admin, cast.ops_officer):
        with pytest.raises(PermissionDenied):
            capture(cast, actor=who)


def test_customer_referral_needs_a_visible_referrer(cast: Cast) -> None:
    with pytest.raises(InvalidFields):
        capture(cast, source="customer_referral")
    with pytest.raises(InvalidFields):
        capture(cast, source="customer_referral", referrer_customer_id=cast.far.pk)
    created = capture(cast, source="customer_referral", referrer_customer_id=cast.own.pk)
    assert created.prospect is not None
    assert created.prospect.referrer_customer == cast.own


# --- duplicate detection, per key ------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "new", "key"),
    [
        ({"mobile": MOBILE}, {"mobile": MOBILE}, "mobile"),
        ({"id_number": RID}, {"id_number": RID}, "id_number,name_birth_date"),
        ({"birth_date": "1980-02-03"}, {"birth_date": "1980-02-03"}, "name_birth_date"),
        ({"city": "杭州"}, {"city": "杭州"}, "name_city"),
    ],
)
def test_duplicate_of_another_managers_customer_is_masked(
    cast: Cast, existing: dict[str, Any], new: dict[str, Any], key: str
) -> None:
    CustomerFactory(
        display_name="孙悟空", home_unit=cast.sub_b1, primary_manager=cast.far_manager, **existing
    )
    with pytest.raises(ConflictError) as error:
        capture(cast, data={"display_name": "孙悟空", **new})
    assert error.value.code == "duplicate_suspected"
    (match,) = error.value.details["matches"]
    assert match == {
        "kind": "customer",
        "id": None,  # not visible to the manager: no link
        "name": "孙*空",
        "keys": key.split(","),
        "owner": "another_manager",
    }
    assert not Prospect.objects.exists()


def test_no_match_on_name_alone_or_a_different_birth_date(cast: Cast) -> None:
    CustomerFactory(display_name="孙悟空", home_unit=cast.sub_a1, birth_date="1980-02-03")
    created = capture(cast, data={"display_name": "孙悟空", "birth_date": "1980-02-04"})
    assert created.prospect is not None


def test_company_matches_by_credit_code(cast: Cast) -> None:
    CustomerFactory(
        display_name="花果山有限公司",
        kind=Customer.Kind.CORPORATE,
        home_unit=cast.sub_a1,
        primary_manager=cast.manager,
        id_number=USCC,
    )
    with pytest.raises(ConflictError) as error:
        capture(cast, kind="corporate", data={"display_name": "花果山公司", "id_number": USCC})
    (match,) = error.value.details["matches"]
    assert match["kind"] == "customer"
    assert match["keys"] == ["id_number"]
    assert match["owner"] == "you"
    assert match["id"] is not None  # the manager's own customer: linked
    assert match["name"] == "花果山有限公司"  # a company's name is not masked


def test_duplicate_of_another_managers_prospect(cast: Cast) -> None:
    capture(cast, actor=cast.other_manager, data={"display_name": "孙悟空", "mobile": MOBILE})
    with pytest.raises(ConflictError) as error:
        capture(cast, data={"display_name": "猪八戒", "mobile": MOBILE})
    (match,) = error.value.details["matches"]
    assert match["kind"] == "prospect"
    assert match["id"] is None
    assert match["owner"] == "another_manager"
    assert match["name"] == "孙*空"


def test_confirming_proceeds_and_records_the_matches(cast: Cast) -> None:
    CustomerFactory(display_name="孙悟空", home_unit=cast.sub_a1, mobile=MOBILE)
    created = capture(
        cast, data={"display_name": "孙悟空", "mobile": MOBILE}, confirm_duplicate=True
    )
    assert created.prospect is not None
    event = AuditEvent.objects.get(action="development.prospect.created")
    assert event.data["duplicates_confirmed"][0]["keys"] == ["mobile"]


def test_merge_into_own_prospect_fills_blanks(cast: Cast) -> None:
    first = capture(cast, data={"display_name": "孙悟空", "mobile": MOBILE}).prospect
    assert first is not None
    merged = capture(
        cast,
        data={"display_name": "孙悟空", "mobile": MOBILE, "city": "杭州"},
        merge_into={"prospect_id": first.pk},
    )
    assert merged.prospect is None
    assert merged.merged_into == {"kind": "prospect", "id": first.pk}
    first.refresh_from_db()
    assert first.city == "杭州"
    assert Prospect.objects.count() == 1
    assert AuditEvent.objects.filter(action="development.prospect.merged").count() == 1


def test_merge_refuses_a_record_that_did_not_match_or_is_not_visible(cast: Cast) -> None:
    other = capture(
        cast, actor=cast.other_manager, data={"display_name": "孙悟空", "mobile": MOBILE}
    ).prospect
    assert other is not None
    with pytest.raises(InvalidFields):
        capture(
            cast,
            data={"display_name": "孙悟空", "mobile": MOBILE},
            merge_into={"prospect_id": other.pk},
        )
    with pytest.raises(InvalidFields):
        capture(cast, data={"display_name": "唐僧"}, merge_into={"customer_id": cast.own.pk})


def test_merge_into_visible_customer(cast: Cast) -> None:
    customer_update(
        actor=cast.manager,
        customer_id=cast.own.pk,
        version=cast.own.version,
        data={"mobile": MOBILE},
    )
    merged = capture(
        cast,
        data={"display_name": "别名", "mobile": MOBILE},
        merge_into={"customer_id": cast.own.pk},
    )
    assert merged.merged_into == {"kind": "customer", "id": cast.own.pk}
    assert not Prospect.objects.exists()


# --- the pipeline ----------------------------------------------------------------------

ALL_PAIRS = [(a, b) for a in Stage.values for b in Stage.values if a != b]


@pytest.mark.parametrize(("start", "target"), ALL_PAIRS)
def test_every_transition_is_allowed_or_refused(cast: Cast, start: str, target: str) -> None:
    prospect = ProspectFactory(home_unit=cast.sub_a1, owner=cast.manager, stage=start)
    allowed = target in TRANSITIONS[start]
    kwargs = {"lost_reason": "no_need"} if target == "lost" else {}
    if target == "won":
        prospect.display_name = "孙悟空"
        prospect.save()
    if allowed:
        moved = prospects.prospect_transition(
            actor=cast.manager, prospect_id=prospect.pk, to_stage=target, **kwargs
        )
        assert moved.stage == target
        assert StageChange.objects.filter(
            prospect=prospect, from_stage=start, to_stage=target
        ).exists()
    else:
        with pytest.raises(DomainError) as error:
            prospects.prospect_transition(
                actor=cast.manager, prospect_id=prospect.pk, to_stage=target, **kwargs
            )
        assert error.value.code == "transition_refused"
        prospect.refresh_from_db()
        assert prospect.stage == start


def test_lost_needs_a_reason(cast: Cast) -> None:
    prospect = ProspectFactory(home_unit=cast.sub_a1, owner=cast.manager)
    with pytest.raises(InvalidFields):
        prospects.prospect_transition(actor=cast.manager, prospect_id=prospect.pk, to_stage="lost")


def test_stale_version_is_refused(cast: Cast) -> None:
    prospect = ProspectFactory(home_unit=cast.sub_a1, owner=cast.manager)
    with pytest.raises(ConflictError):
        prospects.prospect_transition(
            actor=cast.manager, prospect_id=prospect.pk, to_stage="contacted", version=9
        )


def test_won_makes_a_customer_credits_the_referral_and_requests_an_account(cast: Cast) -> None:
    from rmdesk.coordination.tests.factories import seed_defaults

    seed_defaults()  # the work order types, in case a transactional test flushed them
    created = capture(
        cast,
        data={"display_name": "孙悟空", "id_number": RID, "mobile": MOBILE},
        source="customer_referral",
        referrer_customer_id=cast.own.pk,
    )
    prospect = created.prospect
    assert prospect is not None
    for stage in ("contacted", "needs_identified", "proposal", "account_opening", "won"):
        prospect = prospects.prospect_transition(
            actor=cast.manager, prospect_id=prospect.pk, to_stage=stage
        )
    customer = prospect.customer
    assert customer is not None
    assert customer.primary_manager == cast.manager
    assert customer.home_unit == cast.sub_a1
    assert customer.id_number == RID
    assert customer.birth_date == date(1949, 12, 31)
    assert CustomerAssignment.objects.filter(customer=customer, manager=cast.manager).exists()
    referral = Referral.objects.get(referred=customer)
    assert referral.referrer_customer == cast.own
    opening = AccountOpeningRequest.objects.get(prospect=prospect)
    assert opening.customer == customer
    assert opening.manager == cast.manager
    # Carried to operations by a work order, routed by the bank's rules; done with it.
    assert opening.work_order is not None
    assert opening.work_order.work_order_type.code == "account_opening"
    assert opening.work_order.owner_department == cast.ops_dept
    from rmdesk.coordination.services import work_order_transition

    work_order_transition(
        actor=cast.ops_officer, work_order_id=opening.work_order.pk, action="done"
    )
    opening.refresh_from_db()
    assert opening.status == AccountOpeningRequest.Status.DONE
    assert list(prospect.history.order_by("at", "id").values_list("to_stage", flat=True)) == [
        "new",
        "contacted",
        "needs_identified",
        "proposal",
        "account_opening",
        "won",
    ]


def test_won_is_refused_whole_when_the_identity_is_already_a_customer(cast: Cast) -> None:
    CustomerFactory(display_name="别人", home_unit=cast.sub_b1, id_number=RID)
    prospect = ProspectFactory(
        home_unit=cast.sub_a1, owner=cast.manager, stage="account_opening", id_number=RID
    )
    with pytest.raises(ConflictError):
        prospects.prospect_transition(actor=cast.manager, prospect_id=prospect.pk, to_stage="won")
    prospect.refresh_from_db()
    assert prospect.stage == "account_opening"
    assert not AccountOpeningRequest.objects.exists()


def test_employee_referral_is_credited(cast: Cast) -> None:
    prospect = ProspectFactory(
        home_unit=cast.sub_a1,
        owner=cast.manager,
        stage="account_opening",
        source="employee_referral",
        referrer_staff=cast.ops_officer,
    )
    prospects.prospect_transition(actor=cast.manager, prospect_id=prospect.pk, to_stage="won")
    assert Referral.objects.get().referrer_staff == cast.ops_officer


def test_pool_prospect_cannot_be_won(cast: Cast) -> None:
    prospect = ProspectFactory(home_unit=cast.sub_a1, stage="account_opening")
    with pytest.raises(DomainError) as error:
        prospects.prospect_transition(
            actor=cast.subbranch_head, prospect_id=prospect.pk, to_stage="won"
        )
    assert error.value.code == "owner_required"


def test_visibility_of_prospects(cast: Cast) -> None:
    mine = ProspectFactory(home_unit=cast.sub_a1, owner=cast.manager)
    others = ProspectFactory(home_unit=cast.sub_a1, owner=cast.other_manager)
    far = ProspectFactory(home_unit=cast.sub_b1, owner=cast.far_manager)
    pooled = ProspectFactory(home_unit=cast.sub_a1)
    seen = {
        who: set(prospects.prospect_visible_to(staff).values_list("pk", flat=True))
        for who, staff in cast.staff().items()
    }
    assert seen["manager"] == {mine.pk, pooled.pk}
    assert seen["team_lead"] == {mine.pk, pooled.pk}
    assert seen["other_manager"] == {others.pk, pooled.pk}
    assert seen["far_manager"] == {far.pk}
    assert seen["subbranch_head"] == {mine.pk, others.pk, pooled.pk}
    assert seen["branch_head"] == {mine.pk, others.pk, pooled.pk}
    assert seen["analyst"] == {mine.pk, others.pk, far.pk, pooled.pk}
    assert seen["admin"] == set()
    assert seen["ops_officer"] == set()
    with pytest.raises(Http404):
        prospects.prospect_transition(
            actor=cast.other_manager, prospect_id=mine.pk, to_stage="contacted"
        )
    with pytest.raises(PermissionDenied):
        prospects.prospect_transition(actor=cast.analyst, prospect_id=mine.pk, to_stage="contacted")


# --- the pool --------------------------------------------------------------------------


def test_claim_limit(cast: Cast) -> None:
    PoolRule.objects.create(org_unit=cast.branch_a, claim_limit=2, return_after_days=10)
    first, second, third = (ProspectFactory(home_unit=cast.sub_a1) for _ in range(3))
    pool.prospect_claim(actor=cast.manager, prospect_id=first.pk)
    pool.customer_claim(actor=cast.manager, customer_id=cast.pool.pk)
    with pytest.raises(DomainError) as error:
        pool.prospect_claim(actor=cast.manager, prospect_id=second.pk)
    assert error.value.code == "claim_limit"
    # Another manager has their own allowance; a claimed prospect cannot be claimed twice:
    # whoever sees it hears it is taken, to anyone else it does not exist.
    pool.prospect_claim(actor=cast.other_manager, prospect_id=third.pk)
    with pytest.raises(Http404):
        pool.prospect_claim(actor=cast.other_manager, prospect_id=first.pk)
    with pytest.raises(ConflictError):
        pool.prospect_claim(actor=cast.team_lead, prospect_id=first.pk)
    cast.pool.refresh_from_db()
    assert cast.pool.primary_manager == cast.manager


def test_nearest_rule_wins(cast: Cast) -> None:
    PoolRule.objects.create(org_unit=cast.head_office, claim_limit=5, return_after_days=60)
    PoolRule.objects.create(org_unit=cast.sub_a1, claim_limit=1, return_after_days=7)
    assert pool.pool_rule_for(cast.sub_a1) == pool.Rule(1, 7)
    assert pool.pool_rule_for(cast.sub_a2) == pool.Rule(5, 60)


def test_claims_are_only_in_the_managers_subtree(cast: Cast) -> None:
    far = ProspectFactory(home_unit=cast.sub_b1)
    with pytest.raises(Http404):
        pool.prospect_claim(actor=cast.manager, prospect_id=far.pk)
    with pytest.raises(Http404):
        pool.customer_claim(actor=cast.manager, customer_id=cast.far.pk)
    # A colleague's customer is in no pool and out of the manager's sight: not found,
    # exactly as a missing one. A customer one already sees answers that it is taken.
    with pytest.raises(Http404):
        pool.customer_claim(actor=cast.manager, customer_id=cast.other.pk)
    with pytest.raises(ConflictError):
        pool.customer_claim(actor=cast.team_lead, customer_id=cast.own.pk)
    with pytest.raises(PermissionDenied):
        pool.prospect_claim(actor=cast.subbranch_head, prospect_id=far.pk)


def test_automatic_return_after_days_without_contact(cast: Cast) -> None:
    PoolRule.objects.create(org_unit=cast.sub_a1, claim_limit=10, return_after_days=10)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        quiet = ProspectFactory(home_unit=cast.sub_a1)
        touched = ProspectFactory(home_unit=cast.sub_a1)
        far = ProspectFactory(home_unit=cast.sub_b1, owner=cast.far_manager)  # default 30 days
        pool.prospect_claim(actor=cast.manager, prospect_id=quiet.pk)
        pool.prospect_claim(actor=cast.manager, prospect_id=touched.pk)
        pool.customer_claim(actor=cast.manager, customer_id=cast.pool.pk)
    with time_machine.travel(start + timedelta(days=5), tick=False):
        prospects.prospect_touch(actor=cast.manager, prospect_id=touched.pk, note="电话沟通")
    # Just below the limit: nothing goes back.
    assert pool.pool_return_due(now=start + timedelta(days=10)) == {"prospects": 0, "customers": 0}
    result = pool.pool_return_due(now=start + timedelta(days=10, seconds=1))
    assert result == {"prospects": 1, "customers": 1}
    quiet.refresh_from_db()
    touched.refresh_from_db()
    far.refresh_from_db()
    cast.pool.refresh_from_db()
    assert quiet.owner is None
    assert touched.owner == cast.manager
    assert far.owner == cast.far_manager
    assert cast.pool.primary_manager is None
    assert not CustomerAssignment.objects.filter(customer=cast.pool, ended_at__isnull=True).exists()
    assert PoolClaim.objects.get().released_at is not None
    # Idempotent.
    assert pool.pool_return_due(now=start + timedelta(days=11)) == {"prospects": 0, "customers": 0}
    assert AuditEvent.objects.filter(action="development.pool.returned").count() == 1
