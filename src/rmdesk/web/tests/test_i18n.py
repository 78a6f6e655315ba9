"""The Simplified Chinese catalogue is complete and compiled, and pages follow the language."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.test import Client

PACKAGE = Path(__file__).resolve().parents[2]
# The project's catalogue and each app's own (an app with a locale/ folder keeps its strings).
CATALOGUES = sorted(PACKAGE.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))
# One keyword of an entry and its string, which may run over several quoted lines.
FIELD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) ((?:".*"\n?)+)', re.M)


def po_text(po: Path) -> str:
    return po.read_text(encoding="utf-8")


def po_entries(po: Path) -> list[dict[str, str]]:
    """Every live entry of the .po file; the header and obsolete (#~) entries are left out."""
    entries = []
    for block in po_text(po).split("\n\n"):
        fields = {
            keyword: "".join(ast.literal_eval(line) for line in value.splitlines())
            for keyword, value in FIELD.findall(block)
        }
        if fields.get("msgid"):
            entries.append(fields)
    return entries


def test_the_project_catalogue_is_found() -> None:
    project = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    assert project in CATALOGUES
    assert len(po_entries(project)) > 50


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda po: str(po.relative_to(PACKAGE)))
def test_every_message_is_translated_and_none_is_fuzzy(po: Path) -> None:
    entries = po_entries(po)
    untranslated = [
        entry["msgid"]
        for entry in entries
        if not all(value for key, value in entry.items() if key.startswith("msgstr"))
    ]
    assert untranslated == []
    assert re.findall(r"^#,.*\bfuzzy\b.*$", po_text(po), re.M) == []


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda po: str(po.relative_to(PACKAGE)))
def test_the_compiled_catalogue_matches_the_po_file(po: Path) -> None:
    with po.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in po_entries(po):
        key = entry["msgid"]
        if "msgctxt" in entry:  # gettext stores it as "context\x04message"
            key = f"{entry['msgctxt']}\x04{key}"
        if "msgid_plural" in entry:
            found, expected = compiled.ngettext(key, entry["msgid_plural"], 1), entry["msgstr[0]"]
        else:
            found, expected = compiled.gettext(key), entry["msgstr"]
        if found != expected:
            stale.append(entry["msgid"])
    assert stale == [], "django.mo is older than django.po: run compilemessages"


def test_a_message_reads_the_same_in_every_catalogue() -> None:
    # Django merges the catalogues, the project's first and then the apps' in INSTALLED_APPS
    # order, so a message translated two ways shows the first translation everywhere. A
    # message whose meaning depends on the domain carries a context (pgettext) instead.
    translations: dict[tuple[str, str], dict[str, str]] = {}
    for po in CATALOGUES:
        for entry in po_entries(po):
            if "msgid_plural" in entry:
                continue
            key = (entry.get("msgctxt", ""), entry["msgid"])
            translations.setdefault(key, {})[str(po.relative_to(PACKAGE))] = entry["msgstr"]
    clashes = {key: found for key, found in translations.items() if len(set(found.values())) > 1}
    assert clashes == {}


@pytest.mark.django_db
def test_pages_are_in_chinese_until_the_user_switches_to_english(client: Client) -> None:
    chinese = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "登录" in chinese
    assert "Sign in" not in chinese

    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"}, follow=True)
    assert switched.redirect_chain == [("/login/", 302)]
    assert "Sign in" in switched.content.decode()

    # The choice sticks, whatever the browser asks for.
    english = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Sign in" in english
    assert "登录" not in english
