"""Every page, for a manager and a head, passes the checks a screen reader depends on:
``html lang``, one ``h1``, the skip link to ``#main``, a label for every field and a
text alternative for every image and chart.

The pages come from the URL resolver, as in test_routes and test_object_scope; route
parameters are filled with objects the actor may see, so a new page is checked without
being listed here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from rmdesk.conftest import Cast
from rmdesk.org.models import Staff
from rmdesk.web.tests.test_object_scope import KINDS, Route, kind_of

PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
UNLABELLED_TYPES = {"hidden", "submit", "button", "image", "reset"}


def _work_order(cast: Cast) -> int:
    from rmdesk.coordination.models import WorkOrder
    from rmdesk.coordination.tests.factories import WorkOrderTypeFactory

    unit = cast.manager.org_unit
    assert unit is not None
    return WorkOrder.objects.create(
        work_order_type=WorkOrderTypeFactory(),
        title="开户资料补充",
        customer=cast.own,
        raised_by=cast.manager,
        raised_unit=unit,
        owner_unit=unit,
    ).pk


def _prospect(cast: Cast) -> int:
    from rmdesk.development.tests.factories import ProspectFactory

    return ProspectFactory(home_unit=cast.sub_a1, owner=cast.manager).pk


def _product(cast: Cast) -> int:
    from rmdesk.marketing.tests.factories import ProductFactory

    return ProductFactory().pk


# Objects for parameters that do not name a customer's record (see UNSCOPED there).
OTHER_KINDS: dict[str, Callable[[Cast], int]] = {
    "work_order_id": _work_order,
    "prospect_id": _prospect,
    "product_id": _product,
    "staff_id": lambda cast: cast.manager.pk,
}


def page_templates(
    patterns: list[URLPattern | URLResolver] | None = None, prefix: str = "/"
) -> Iterator[str]:
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        pattern = str(entry.pattern)
        if pattern.startswith(("api/", "admin/", "i18n/")) or "(?P" in pattern:
            continue
        if isinstance(entry, URLResolver):
            yield from page_templates(entry.url_patterns, prefix + pattern)
        else:
            yield prefix + pattern


def concrete_paths(cast: Cast) -> list[str]:
    paths = []
    made_before: dict[object, int | None] = {}
    for template in sorted(set(page_templates())):
        ids: dict[str, int] = {}
        for param in PARAM.findall(template):
            kind = kind_of(Route("page", "get", template, (param,)), param)
            key: object = kind if kind is not None and param in KINDS else param
            if key not in made_before:
                if kind is not None and param in KINDS:
                    made_before[key] = kind.make(cast, cast.own)
                else:
                    make = OTHER_KINDS.get(param)
                    made_before[key] = make(cast) if make is not None else None
            made = made_before[key]
            if made is not None:
                ids[param] = made
        if len(ids) == len(PARAM.findall(template)):
            paths.append(PARAM.sub(lambda m, ids=ids: str(ids[m.group(1)]), template))
    return paths


@dataclass
class Page(HTMLParser):
    """What the checks need from a page, gathered in one pass."""

    lang: str = ""
    h1: int = 0
    skip_link: bool = False
    main_id: bool = False
    label_for: set[str] = field(default_factory=set)
    fields: list[tuple[str, dict[str, str], bool]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    _label_depth: int = 0
    _svg: dict[str, str] | None = None
    _svg_title: bool = False

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "a" and "skip" in a.get("class", "").split() and a.get("href") == "#main":
            self.skip_link = True
        elif tag == "main" and a.get("id") == "main":
            self.main_id = True
        elif tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in {"input", "select", "textarea"}:
            if tag != "input" or a.get("type", "text") not in UNLABELLED_TYPES:
                self.fields.append((tag, a, self._label_depth > 0))
        elif tag == "img" and "alt" not in a:
            self.images.append(f"<img src={a.get('src')!r}> without alt")
        elif tag == "svg":
            self._svg, self._svg_title = a, False
        elif tag == "title" and self._svg is not None:
            self._svg_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_depth = max(self._label_depth - 1, 0)
        elif tag == "svg" and self._svg is not None:
            svg = self._svg
            named = bool(svg.get("aria-label") or svg.get("aria-labelledby"))
            titled = svg.get("role") == "img" and self._svg_title
            if not (named or titled or svg.get("aria-hidden") == "true"):
                self.images.append(f"<svg class={svg.get('class')!r}> without a text alternative")
            self._svg = None

    def problems(self) -> list[str]:
        found = []
        if not self.lang:
            found.append("<html> has no lang")
        if self.h1 != 1:
            found.append(f"{self.h1} <h1> elements")
        if not (self.skip_link and self.main_id):
            found.append("no skip link to #main")
        for tag, a, wrapped in self.fields:
            labelled = (
                a.get("id", "") in self.label_for
                or a.get("aria-label")
                or a.get("aria-labelledby")
                or wrapped
            )
            if not labelled:
                found.append(f"<{tag} name={a.get('name')!r}> has no label")
        return found + self.images


def check(client: Client, path: str) -> list[str] | None:
    """The page's problems; None when the route answers no full page (a redirect, a
    download, an htmx fragment that lands inside a checked page)."""
    response = client.get(path)
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return None
    body = response.content.decode()
    if "<html" not in body:
        return None
    page = Page()
    page.feed(body)
    return [f"{path}: {problem}" for problem in page.problems()]


@pytest.mark.parametrize("who", ["manager", "branch_head"])
def test_every_page_is_labelled_for_assistive_technology(
    cast: Cast, browser_for: Callable[[Staff], Client], who: str
) -> None:
    client = browser_for(cast.staff()[who])
    checked = [found for path in concrete_paths(cast) if (found := check(client, path)) is not None]
    assert len(checked) > 30
    assert [problem for found in checked for problem in found] == []


def test_the_checks_catch_what_they_look_for() -> None:
    page = Page()
    page.feed(
        '<html><body><h1>a</h1><h1>b</h1><input name="q"><label for="x">X</label>'
        '<input id="x" name="ok"><label>Y <input name="wrapped"></label>'
        '<img src="c.png"><svg class="chart"><rect/></svg>'
        '<svg role="img"><title>t</title></svg></body></html>'
    )
    assert page.problems() == [
        "<html> has no lang",
        "2 <h1> elements",
        "no skip link to #main",
        "<input name='q'> has no label",
        "<img src='c.png'> without alt",
        "<svg class='chart'> without a text alternative",
    ]
