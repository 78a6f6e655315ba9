"""Finding customers: by part of a name, or exactly by a number.

Names are indexed as tokens, not scanned. A Chinese name gives each character
and each pair of neighbouring characters (王小明 → 王 小 明 王小 小明), so any
part of it is found through the index; a Latin name gives its lower-cased words,
found by prefix. The same tokens feed PostgreSQL (a GIN index over a tsvector
built from them, independent of the database's locale) and SQLite (an FTS5
table kept by triggers).

Identity numbers, credit codes and mobiles are found exactly, through their keyed
digests; customer numbers through their unique index.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from rmdesk.customers import identifiers

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_WORD = re.compile(r"[^\W_]+")
_CUSTOMER_NO = re.compile(r"^[A-Za-z]{0,3}\d{6,}$")


def _runs(text: str) -> list[tuple[bool, str]]:
    """Split text into CJK runs and word runs, in order."""
    text = unicodedata.normalize("NFKC", text).lower()
    runs: list[tuple[bool, str]] = []
    position = 0
    for match in _CJK.finditer(text):
        runs += [(False, word) for word in _WORD.findall(text[position : match.start()])]
        runs.append((True, match.group()))
        position = match.end()
    runs += [(False, word) for word in _WORD.findall(text[position:])]
    return runs


@functools.lru_cache(maxsize=65_536)  # a pure function of the name; names recur (imports)
def name_tokens(name: str) -> str:
    """The tokens stored for a name, space-separated and de-duplicated in order."""
    tokens: list[str] = []
    for is_cjk, run in _runs(name):
        if is_cjk:
            tokens += list(run)
            tokens += [run[i : i + 2] for i in range(len(run) - 1)]
        else:
            tokens.append(run)
    return " ".join(dict.fromkeys(tokens))


@dataclass(frozen=True)
class NameQuery:
    """What a typed name fragment must match: exact tokens and word prefixes."""

    exact: tuple[str, ...]
    prefixes: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes)


def name_query(text: str) -> NameQuery:
    exact: list[str] = []
    prefixes: list[str] = []
    for is_cjk, run in _runs(text):
        if is_cjk:
            # A pair of characters pins the order; a lone character is itself a token.
            exact += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
        else:
            prefixes.append(run)
    return NameQuery(tuple(dict.fromkeys(exact)), tuple(dict.fromkeys(prefixes)))


def _pg_tsquery(query: NameQuery) -> str:
    def quoted(token: str) -> str:
        return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"

    parts = [quoted(token) for token in query.exact]
    parts += [quoted(token) + ":*" for token in query.prefixes]
    return " & ".join(parts)


def _fts5_match(query: NameQuery) -> str:
    def quoted(token: str) -> str:
        return '"' + token.replace('"', '""') + '"'

    parts = [quoted(token) for token in query.exact]
    parts += [quoted(token) + "*" for token in query.prefixes]
    return " AND ".join(parts)


def name_match(query: NameQuery) -> Q:
    """A filter on Customer: the name contains every part of the query."""
    if connection.vendor == "postgresql":
        return Q(
            id__in=RawSQL(
                "SELECT id FROM customers_customer WHERE "
                "array_to_tsvector(string_to_array(search_tokens, ' ')) @@ %s::tsquery",
                [_pg_tsquery(query)],
            )
        )
    if connection.vendor == "sqlite":
        return Q(
            id__in=RawSQL(
                "SELECT rowid FROM customers_customer_fts WHERE customers_customer_fts MATCH %s",
                [_fts5_match(query)],
            )
        )
    # Any other database: correct, unindexed.
    clause = Q()
    for token in (*query.exact, *query.prefixes):
        clause &= Q(search_tokens__contains=token)
    return clause


def search_filter(text: str) -> Q | None:
    """The filter a search box's text stands for, or None when it holds nothing to search.

    A valid mobile, resident identity number or credit code is looked up exactly;
    something shaped like a customer number matches that number (or a name); anything
    else is a name fragment.
    """
    text = text.strip()
    if not text:
        return None
    for kind, parse, field in (
        ("mobile", identifiers.mobile, "mobile_digest"),
        ("id", identifiers.resident_id, "id_digest"),
        ("id", identifiers.uscc, "id_digest"),
    ):
        try:
            value = parse(text)
        except identifiers.IdentifierError:
            continue
        return Q(**{field: identifiers.lookup_digest(kind, value)})
    query = name_query(text)
    by_name = name_match(query) if query else None
    compact = unicodedata.normalize("NFKC", text).upper().replace(" ", "")
    if _CUSTOMER_NO.match(compact):
        by_number = Q(customer_no=compact)
        return by_number | by_name if by_name is not None else by_number
    return by_name
