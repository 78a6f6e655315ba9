"""The one shape of a page's POST action: call a service, say how it went, go back.

A button on a page posts to a view that runs one service for the signed-in member of
staff. Whether the service does the work or refuses it (a ``DomainError``), the answer
is a redirect back to a page, with a message that says what happened::

    @require_POST
    @login_required
    def visit_cancel(request: HttpRequest, visit_id: int) -> HttpResponse:
        return run_action(
            request,
            lambda actor: services.visit_cancel(actor=actor, visit_id=visit_id),
            success=_("Visit cancelled."),
            back=reverse("contact:visit_detail", kwargs={"visit_id": visit_id}),
        )

Views that show a form again with the refusal on it do not redirect: they put the
refusal on the form with ``refusal_on_form`` and render the page again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from django.contrib import messages
from django.forms.forms import BaseForm
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django_stubs_ext import StrOrPromise

from rmdesk.core.errors import DomainError
from rmdesk.org.http import acting_staff
from rmdesk.org.models import Staff

T = TypeVar("T")


def refusal_message(error: DomainError) -> str:
    """The default way to tell a refusal: the service's translated message."""
    return str(error.message)


def run_action(
    request: HttpRequest,
    call: Callable[[Staff], T],
    *,
    back: str | Callable[[T], str],
    success: StrOrPromise | None = None,
    back_when_refused: str | None = None,
    explain: Callable[[DomainError], str | Sequence[str]] = refusal_message,
    refusals: Mapping[type[Exception], StrOrPromise] | None = None,
) -> HttpResponseRedirect:
    """Run ``call`` with the acting staff member and redirect with a message.

    ``call`` receives the acting staff member (``PermissionDenied`` if the signed-in
    user is none) and does the work, usually one service call.

    On success: the ``success`` message, when given, and a redirect to ``back`` — a URL
    or the name of a route without arguments, or a function of what ``call`` returned
    that gives one.

    On a ``DomainError``: each line of ``explain(error)`` as an error message (a string is
    one line), and a redirect to ``back_when_refused``, or to ``back`` when that is a URL.
    ``refusals`` maps other exceptions that mean "refused" (a malformed amount, a
    ``PermissionDenied`` from the service…) to the message to show for each; anything
    else propagates.
    """
    if back_when_refused is None:
        if not isinstance(back, str):
            raise TypeError("back_when_refused is needed when back depends on the result")
        back_when_refused = back
    actor = acting_staff(request)
    other_refusals = refusals or {}
    try:
        result = call(actor)
    except DomainError as error:
        explained = explain(error)
        for line in [explained] if isinstance(explained, str) else explained:
            messages.error(request, line)
        return HttpResponseRedirect(resolve_url(back_when_refused))
    except tuple(other_refusals) as error:
        messages.error(request, next(m for e, m in other_refusals.items() if isinstance(error, e)))
        return HttpResponseRedirect(resolve_url(back_when_refused))
    if success is not None:
        messages.success(request, success)
    return HttpResponseRedirect(resolve_url(back if isinstance(back, str) else back(result)))


def refusal_on_form(
    form: BaseForm, error: DomainError, *, field_of: Callable[[str], str] = str
) -> None:
    """Put a service's refusal on a form that is shown again.

    Each detail's reason goes on the field the detail names (``field_of`` turns the
    service's name for it into the form's), or on the form as a whole when the form has
    no such field or the detail names none; a refusal without details puts its message
    on the form as a whole.
    """
    if isinstance(error.details, list):
        details = error.details
    elif isinstance(error.details, dict):
        details = [error.details]
    else:
        details = []
    for item in details:
        named = item.get("field") if isinstance(item, dict) else None
        reason = item.get("reason") if isinstance(item, dict) else None
        field = field_of(str(named)) if named else None
        form.add_error(field if field in form.fields else None, reason or str(error.message))
    if not details:
        form.add_error(None, str(error.message))
