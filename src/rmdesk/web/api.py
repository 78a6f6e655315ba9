"""/api/v1/search: one search box over customers, prospects, work orders and products."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ninja import Query, Router, Schema
from pydantic import Field

from rmdesk.api.auth import AuthedRequest
from rmdesk.api.schemas import ErrorOut
from rmdesk.web import search as global_search

router = Router(tags=["search"])


class SearchFilter(Schema):
    # Bounds are checked after normalising (full-width text shrinks): see search_text_clean.
    q: str = Field(
        default="",
        max_length=4 * global_search.MAX_LENGTH,
        description="Part of a name; a mobile, identity number or credit code; a customer "
        "number; a work-order number or subject; a product code or name. "
        f"At most {global_search.MAX_LENGTH} characters.",
    )
    kinds: str = Field(
        default="",
        max_length=200,
        description="Comma-separated: " + ", ".join(global_search.KINDS) + ". Empty: all.",
    )
    limit: int = Field(default=global_search.FEW, ge=1, le=global_search.MANY)


class HitOut(Schema):
    id: int
    title: str
    detail: str
    url: str


class KindResultOut(Schema):
    kind: str
    label: str
    hits: list[HitOut]
    has_more: bool
    more_url: str


class SearchOut(Schema):
    # The search text is not echoed: it may be a mobile or an identity number.
    results: list[KindResultOut]


def _search(request: AuthedRequest, filters: SearchFilter) -> dict[str, Any]:
    q = global_search.search_text_clean(filters.q)
    kinds = global_search.search_kinds_clean(filters.kinds)
    results = (
        global_search.search_everything(actor=request.auth, q=q, kinds=kinds, limit=filters.limit)
        if q
        else []
    )
    return {"results": results}


@router.get(
    "/search",
    response={200: SearchOut, 422: ErrorOut},
    summary="Search the records I may see",
)
def search(request: AuthedRequest, filters: Query[SearchFilter]) -> dict[str, Any]:
    """``?q=`` suits a name; search by mobile or identity number with POST."""
    return _search(request, filters)


@router.post(
    "/search",
    response={200: SearchOut, 422: ErrorOut},
    summary="Search the records I may see (the search text in the body, not the URL)",
)
def search_by_post(request: AuthedRequest, payload: SearchFilter) -> dict[str, Any]:
    """As the GET search; ``more_url`` is the page's path alone, since the search text
    (perhaps a mobile or identity number) must not be put back into a URL."""
    answer = _search(request, payload)
    answer["results"] = [
        replace(result, more_url=result.more_url.split("?", 1)[0]) for result in answer["results"]
    ]
    return answer
