"""run_action: the acting staff member in, a message and a redirect out."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pytest
from django import forms
from django.contrib.messages import constants, get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import reverse

from rmdesk.core.errors import DomainError
from rmdesk.org.models import Staff
from rmdesk.org.tests.factories import StaffFactory
from rmdesk.web.actions import refusal_on_form, run_action


def post(staff: Staff) -> HttpRequest:
    request = RequestFactory().post("/somewhere/")
    request.user = staff
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    return request


def said(request: HttpRequest) -> list[tuple[int, str]]:
    return [(m.level, str(m.message)) for m in get_messages(request)]


def refuse(actor: Staff) -> None:
    raise DomainError(
        "The visit is over.",
        code="visit_over",
        details=[{"field": "visit_id", "reason": "It ended at noon."}],
    )


pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Staff:
    return StaffFactory()


def test_success_calls_with_the_acting_staff_says_so_and_goes_back(staff: Staff) -> None:
    request = post(staff)
    seen: list[Staff] = []

    response = run_action(request, seen.append, success="Done.", back="/back/")

    assert seen == [staff]
    assert response.status_code == 302
    assert response.url == "/back/"
    assert said(request) == [(constants.SUCCESS, "Done.")]


def test_without_a_success_message_nothing_is_said(staff: Staff) -> None:
    request = post(staff)

    response = run_action(request, lambda actor: None, back="/back/")

    assert response.url == "/back/"
    assert said(request) == []


def test_back_may_name_a_route_or_follow_the_result(staff: Staff) -> None:
    named = run_action(post(staff), lambda actor: None, back="tasks:list")
    followed = run_action(
        post(staff),
        lambda actor: 7,
        back=lambda number: f"/things/{number}/",
        back_when_refused="/",
    )

    assert named.url == reverse("tasks:list")
    assert followed.url == "/things/7/"


def test_a_refusal_shows_the_message_and_goes_back(staff: Staff) -> None:
    request = post(staff)

    response = run_action(request, refuse, success="Done.", back="/back/")

    assert response.url == "/back/"
    assert said(request) == [(constants.ERROR, "The visit is over.")]


def test_a_refusal_goes_where_it_is_told_when_back_follows_the_result(staff: Staff) -> None:
    request = post(staff)

    response = run_action(
        request, refuse, back=lambda _result: "/never/", back_when_refused="tasks:list"
    )

    assert response.url == reverse("tasks:list")


def test_back_following_the_result_needs_a_place_for_refusals(staff: Staff) -> None:
    called: list[Staff] = []

    with pytest.raises(TypeError):
        run_action(post(staff), called.append, back=lambda _result: "/")

    assert called == []


def test_explain_may_give_one_line_or_several(staff: Staff) -> None:
    one, several = post(staff), post(staff)

    run_action(one, refuse, back="/", explain=lambda e: f"{e.message} ({e.code})")
    run_action(
        several,
        refuse,
        back="/",
        explain=lambda e: [str(e.message), *(d["reason"] for d in e.details)],
    )

    assert said(one) == [(constants.ERROR, "The visit is over. (visit_over)")]
    assert said(several) == [
        (constants.ERROR, "The visit is over."),
        (constants.ERROR, "It ended at noon."),
    ]


def test_other_refusals_answer_with_their_own_message(staff: Staff) -> None:
    refusals = {
        InvalidOperation: "The amount is not a number.",
        PermissionDenied: "You may not do this.",
    }
    bad_amount, denied = post(staff), post(staff)

    def deny(actor: Staff) -> None:
        raise PermissionDenied

    first = run_action(
        bad_amount, lambda actor: Decimal("ten"), back="/a/", success="Done.", refusals=refusals
    )
    second = run_action(denied, deny, back="/b/", success="Done.", refusals=refusals)

    assert (first.url, said(bad_amount)) == (
        "/a/",
        [(constants.ERROR, "The amount is not a number.")],
    )
    assert (second.url, said(denied)) == ("/b/", [(constants.ERROR, "You may not do this.")])


def test_anything_else_is_not_a_refusal(staff: Staff) -> None:
    def fail(actor: Staff) -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        run_action(post(staff), fail, back="/", refusals={ValueError: "Not a valid date."})


def test_an_inactive_member_of_staff_may_not_act(staff: Staff) -> None:
    staff.is_active = False
    called: list[Staff] = []

    with pytest.raises(PermissionDenied):
        run_action(post(staff), called.append, back="/")

    assert called == []


class VisitForm(forms.Form):
    place = forms.CharField(required=False)
    second_checker = forms.IntegerField(required=False)


def refused_form(details: object, **kwargs: object) -> VisitForm:
    form = VisitForm({})
    assert form.is_valid()
    error = DomainError("The visit cannot be planned.", code="visit_refused", details=details)
    refusal_on_form(form, error, **kwargs)  # type: ignore[arg-type]
    return form


def test_a_refusal_goes_on_the_fields_it_names() -> None:
    form = refused_form(
        [
            {"field": "place", "reason": "Too far."},
            {"field": "weather", "reason": "It rains."},
            {"field": "place"},
        ]
    )

    assert form.errors["place"] == ["Too far.", "The visit cannot be planned."]
    assert form.non_field_errors() == ["It rains."]


def test_one_detail_or_none_at_all() -> None:
    one = refused_form({"field": "place", "reason": "Too far."})
    none = refused_form(None)

    assert one.errors == {"place": ["Too far."]}
    assert none.errors == {"__all__": ["The visit cannot be planned."]}


def test_the_services_field_names_are_turned_into_the_forms() -> None:
    form = refused_form(
        [{"field": "second_checker_id", "reason": "Someone else checks."}],
        field_of=lambda name: name.removesuffix("_id"),
    )

    assert form.errors == {"second_checker": ["Someone else checks."]}
