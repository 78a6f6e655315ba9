"""The customers feed's set-based path on PostgreSQL: SQL for the rows it can decide exactly.

The file is copied to the server as text (``setbased.Loader.load``: the file itself
when the server reads it as Python's CSV reader does, else record by record). Then:

1. The names are tokenised in Python once per distinct name (``name_tokens``, the very
   function the customer pages use), into a temporary table.
2. ONE statement stages every row whose cells are all in a form the SQL reading of the
   customer rules decides exactly (``rules.py``: canonical customer numbers, codes and
   choices; plain text; resident IDs with their GB 11643 check character, birth date and
   gender; credit codes with their GB 32100 check character; mobiles by the pattern
   phonenumbers' metadata gives; plain e-mail addresses; plain amounts, dates and yes/no;
   known units and active account managers) with the same values the Python rules give,
   the lookup digests (HMAC-SHA256, the key's pads passed by COPY, never in a statement)
   and the name tokens.
3. Every other row — any cell the SQL is not sure of, whether it is valid or not — is
   read back in file order and cleaned by ``CustomersFeed.clean``, the row-by-row path's
   own code (``customer_fields_clean``, the rules of the page and the API), which stages
   it and records its refusals: the refusals are the row-by-row path's by construction.

The SQL only ever says "valid, with these values"; it never refuses. ``test_customer_rules``
holds each SQL condition to accepting only what the Python rule accepts unchanged, and
``test_agreement`` imports files both ways and compares every count and refusal.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from rmdesk.customers.identifiers import _lookup_key
from rmdesk.customers.models import Customer
from rmdesk.customers.search import name_tokens
from rmdesk.customers.services import TEXT_LIMITS
from rmdesk.ingest.feeds import (
    CUSTOMER_FIELDS,
    CUSTOMER_TEXT,
    CustomersFeed,
    FeedSpec,
    RowError,
    key_of,
)
from rmdesk.ingest.merge import STAGE, Stage
from rmdesk.ingest.parsing import _FALSE, _TRUE, PLAIN_AMOUNT, Cell, CellError, Table, text
from rmdesk.ingest.rules import (
    EMAIL_MAX,
    KEY,
    OTHER_ID,
    PLAIN_CODE,
    PLAIN_EMAIL,
    PLAIN_TEXT,
    USCC_CHARS,
    IsoDate,
    _ymd,
    lookup_pads,
    sql_code_text,
    sql_lookup_digest,
    sql_mobile,
    sql_regex,
    sql_resident_id_check,
    sql_shape,
    sql_string,
    sql_uscc_check,
)
from rmdesk.ingest.setbased import RAW, Loader
from rmdesk.org.models import OrgUnit, Staff
from rmdesk.org.roles import Role

logger = logging.getLogger(__name__)

NAMES = "ingest_names"
PADS = "ingest_pads"
UNITS = "ingest_units"
MANAGERS = "ingest_managers"
# Rows read back per block for the Python rules; names tokenised per block.
BLOCK = 5000


def available(spec: FeedSpec, table: Table) -> bool:
    """Whether this customers file takes the set-based path (a CSV file on PostgreSQL)."""
    return (
        isinstance(spec, CustomersFeed)
        and connection.vendor == "postgresql"
        and table.reader is not None
    )


def _in(values: Any) -> str:
    return ", ".join(sql_string(str(value)) for value in values)


class CustomerLoader:
    """Loads a customers file into ``ingest_raw``, stages what SQL decides, cleans the
    rest with the feed's Python rules."""

    def __init__(self, spec: CustomersFeed, table: Table) -> None:
        self.spec = spec
        self.loader = Loader(spec, table)
        self.header = list(table.header)
        self.width = len(self.header)

    def load(
        self, spooled: Any, *, max_rows: int, max_unzipped: int, progress: Callable[[int], None]
    ) -> None:
        self.loader.load(spooled, max_rows=max_rows, max_unzipped=max_unzipped, progress=progress)

    def cell(self, name: str) -> str:
        """The raw cell of a column (NULL where the file has no such column)."""
        if name in self.header:
            return f"r.c{self.header.index(name)}"
        return "CAST(NULL AS text)"

    # --- the rows SQL decides -----------------------------------------------------------

    def prepare(self) -> None:
        """The lookups the statement joins: units, active account managers, the digest
        key's pads (by COPY: the key never appears in a statement), the name tokens."""
        units = OrgUnit.objects.values_list("code", "pk")
        managers = (
            Staff.objects.filter(is_active=True, roles__role=Role.ACCOUNT_MANAGER)
            .values_list("username", "pk")
            .distinct()
        )
        with connection.cursor() as cursor:
            for table, query, names in (
                (UNITS, units, "code text, id integer"),
                (MANAGERS, managers, "username text, id integer"),
            ):
                sql, params = query.query.sql_with_params()
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute(f"CREATE TEMP TABLE {table} ({names}) ON COMMIT DROP")
                cursor.execute(f"INSERT INTO {table} {sql}", params)  # noqa: S608
            cursor.execute(f"DROP TABLE IF EXISTS {PADS}")
            cursor.execute(
                f"CREATE TEMP TABLE {PADS} (inner_pad bytea, outer_pad bytea) ON COMMIT DROP"
            )
            with cursor.copy(f"COPY {PADS} FROM STDIN") as copy:
                copy.write_row(lookup_pads(_lookup_key()))
            cursor.execute(f"DROP TABLE IF EXISTS {NAMES}")
            cursor.execute(f"CREATE TEMP TABLE {NAMES} (name text, tokens text) ON COMMIT DROP")
        cell = self.cell("name")
        with connection.chunked_cursor() as reader:
            reader.execute(
                f"SELECT DISTINCT {cell} FROM {RAW} r WHERE {cell} ~ {sql_regex(PLAIN_TEXT)}"  # noqa: S608
            )
            while block := reader.fetchmany(BLOCK):
                with connection.cursor() as cursor, cursor.copy(f"COPY {NAMES} FROM STDIN") as copy:
                    for (value,) in block:
                        copy.write_row((value, name_tokens(value)))
        with connection.cursor() as cursor:
            for table in (UNITS, MANAGERS, NAMES):
                cursor.execute(f"ANALYZE {table}")

    def fast_sql(self) -> str:
        """The statement that stages every row SQL decides (see the module's docstring)."""
        c = self.cell
        spec = self.spec

        def blank(name: str) -> str:
            return f"COALESCE({c(name)}, '') = ''"

        ids = Customer.IdType
        today = f"DATE '{self.spec.today.isoformat()}'"
        id_number, id_type = c("id_number"), c("id_type")
        corporate = sql_string(Customer.Kind.CORPORATE)
        # Layer 1: the row's cells, the identity's type and its birth date.
        resolved = (
            f"COALESCE(NULLIF({id_type}, ''), CASE WHEN {c('kind')} = {corporate}"
            f" THEN {sql_string(ids.USCC)} ELSE {sql_string(ids.RESIDENT_ID)} END)"
        )
        born = _ymd(
            f"substr({id_number}, 7, 4)",
            f"substr({id_number}, 11, 2)",
            f"substr({id_number}, 13, 2)",
        )
        iso = IsoDate()
        birth_cell = c("birth_date")
        layer1 = [
            "r.row_no",
            "r.extra",
            *(f"{c(column)} AS {name}" for column, name in self.columns()),
            f"NOT ({blank('id_number')}) AS has_id",
            f"{resolved} AS id_kind",
            f"CASE WHEN {sql_shape(id_number, '0-9', 18, last='X')} THEN {born} END AS born",
            f"CASE WHEN NOT ({blank('birth_date')})"
            f" THEN {iso.sql_parse(sql_code_text(birth_cell))} END AS birth_cell",
            "u.id AS unit_id",
            "m.id AS manager_id",
            "n.tokens",
            "p.inner_pad",
            "p.outer_pad",
        ]
        # Layer 2: every cell in a form the SQL decides, and the identity's values.
        rid = f"(has_id AND id_kind = {sql_string(ids.RESIDENT_ID)})"
        limits = {name: TEXT_LIMITS.get(name, 200) for name in CUSTOMER_TEXT}
        checks = [
            "NOT extra",
            f"customer_no ~ {sql_regex(KEY)} AND length(customer_no) <= {spec.key_length}",
            f"kind IN ({_in(Customer.Kind.values)})",
            f"display_name ~ {sql_regex(PLAIN_TEXT)} AND char_length(display_name)"
            f" <= CASE WHEN kind = {corporate} THEN 200 ELSE 100 END",
            f"home_unit ~ {sql_regex(PLAIN_CODE)} AND length(home_unit) <= 32"
            " AND unit_id IS NOT NULL",
            f"(manager IS NULL OR manager = '' OR manager ~ {sql_regex(PLAIN_CODE)}"
            " AND length(manager) <= 150 AND manager_id IS NOT NULL)",
            f"(id_type IS NULL OR id_type = '' OR id_type IN ({_in(ids.values)}))",
            f"(kind = {corporate}) = (id_kind = {sql_string(ids.USCC)})",
            f"(NOT has_id OR CASE id_kind"
            f" WHEN {sql_string(ids.RESIDENT_ID)}"
            f" THEN CASE WHEN {sql_shape('id_number', '0-9', 18, last='X')}"
            f" THEN substr(id_number, 18, 1) = {sql_resident_id_check('id_number')}"
            f" AND born BETWEEN DATE '1900-01-01' AND {today} ELSE FALSE END"
            f" WHEN {sql_string(ids.USCC)} THEN CASE WHEN {sql_shape('id_number', USCC_CHARS, 18)}"
            f" THEN substr(id_number, 18, 1) = {sql_uscc_check('id_number')} ELSE FALSE END"
            f" ELSE id_number ~ {sql_regex(OTHER_ID)} END)",
            # A birth date or gender given beside a resident ID must be the ID's.
            "(birth_date IS NULL OR birth_date = '' OR CASE WHEN "
            f"{rid} THEN birth_cell = born"
            f" ELSE birth_cell BETWEEN DATE '1900-01-01' AND {today} END)",
            f"(gender IS NULL OR gender = '' OR gender IN ({_in(Customer.Gender.values)})"
            f" AND (NOT {rid} OR gender = {self.gender('id_number')}))",
            f"(mobile IS NULL OR mobile = '' OR {sql_mobile('mobile')})",
            f"(email IS NULL OR email = '' OR email ~ {sql_regex(PLAIN_EMAIL)}"
            f" AND length(email) <= {EMAIL_MAX})",
            f"(nationality IS NULL OR nationality = '' OR nationality ~ {sql_regex('[A-Z]{2}')})",
            f"(registered_capital IS NULL OR registered_capital = ''"
            f" OR registered_capital ~ {sql_regex(PLAIN_AMOUNT.pattern.removeprefix('-?'))})",
            *(
                f"({name} IS NULL OR {name} = '' OR {name} ~ {sql_regex(PLAIN_TEXT)}"
                f" AND char_length({name}) <= {limit})"
                for name, limit in limits.items()
                if name not in ("id_number", "mobile", "email", "nationality")
            ),
            *(
                f"({name} IS NULL OR {name} IN ({_in(values)}))"
                for name, values in (
                    ("marital_status", ["", *Customer.Marital.values]),
                    ("size", ["", *Customer.Size.values]),
                    ("marketing_consent", _yes_no(_TRUE | _FALSE)),
                    ("do_not_contact", _yes_no(_TRUE | _FALSE)),
                )
            ),
        ]
        # The staged values, as the Python rules give them (blank clears a field).
        values = {
            "kind": "kind",
            "display_name": "display_name",
            "home_unit_id": "unit_id",
            "primary_manager_id": "manager_id",
            **{name: f"COALESCE({name}, '')" for name in CUSTOMER_TEXT},
            "nationality": "COALESCE(NULLIF(nationality, ''), 'CN')",
            "id_type": "CASE WHEN has_id THEN id_kind ELSE COALESCE(id_type, '') END",
            "gender": f"CASE WHEN {rid} THEN {self.gender('id_number')}"
            " ELSE COALESCE(gender, '') END",
            "marital_status": "COALESCE(marital_status, '')",
            "size": "COALESCE(size, '')",
            "birth_date": f"CASE WHEN {rid} THEN born ELSE birth_cell END",
            "registered_capital": "CAST(NULLIF(registered_capital, '') AS numeric)",
            "marketing_consent": f"COALESCE(marketing_consent IN ({_in(_yes_no(_TRUE))}), FALSE)",
            "do_not_contact": f"COALESCE(do_not_contact IN ({_in(_yes_no(_TRUE))}), FALSE)",
            "id_digest": "CASE WHEN has_id THEN "
            + sql_lookup_digest("id", "id_number", inner="inner_pad", outer="outer_pad")
            + " ELSE '' END",
            "mobile_digest": "CASE WHEN COALESCE(mobile, '') <> '' THEN "
            + sql_lookup_digest("mobile", "mobile", inner="inner_pad", outer="outer_pad")
            + " ELSE '' END",
            "search_tokens": "tokens",
        }
        names = [name for name, _kind in spec.stage]
        assert set(names) == set(values) >= set(CUSTOMER_FIELDS)  # noqa: S101
        staged = ", ".join(f"CAST({values[name]} AS {kind})" for name, kind in spec.stage)
        condition = " AND ".join(f"({check})" for check in checks)
        return (
            f"INSERT INTO {STAGE} (row_no, k, ok, {', '.join(names)}) "  # noqa: S608
            f"SELECT row_no, customer_no, TRUE, {staged} FROM ("
            f"SELECT {', '.join(layer1)} FROM {RAW} r"
            # Joined before any filter, so the planner sees the whole file (hash joins).
            f" LEFT JOIN {UNITS} u ON u.code = {c('home_unit')}"
            f" LEFT JOIN {MANAGERS} m ON m.username = {c('manager')}"
            f" LEFT JOIN {NAMES} n ON n.name = {c('name')}"
            f" CROSS JOIN {PADS} p OFFSET 0) x WHERE {condition}"
        )

    @staticmethod
    def gender(x: str) -> str:
        """The gender a resident ID gives (its 17th digit: odd for men)."""
        male, female = (sql_string(v) for v in (Customer.Gender.MALE, Customer.Gender.FEMALE))
        return f"CASE WHEN (ascii(substr({x}, 17, 1)) - 48) % 2 = 1 THEN {male} ELSE {female} END"

    def columns(self) -> list[tuple[str, str]]:
        """The file's columns and the names their cells take in the statement."""
        names = [*self.spec.required, *self.spec.optional]  # the feed's own columns
        return [(name, "display_name" if name == "name" else name) for name in names]

    # --- the other rows: the Python rules --------------------------------------------

    def stage_extra(self) -> list[tuple[str, str]]:
        return []

    def clean(self, stage: Stage) -> int:
        """Stage the rows SQL decides, clean the others in Python; returns the number of
        rows (blank lines not counted)."""
        started = time.monotonic()
        self.prepare()
        prepared = time.monotonic()
        with connection.cursor() as cursor:
            # Not compiled: the statement's long expressions make the planner expect a
            # costly run and JIT-compile them, which took longer than running them.
            cursor.execute("SELECT set_config('jit', 'off', true), current_setting('jit')")
            jit = cursor.fetchone()[1]
            cursor.execute("ANALYZE ingest_raw")
            cursor.execute(self.fast_sql())
            fast = int(cursor.rowcount)
            cursor.execute("SELECT set_config('jit', %s, true)", [jit])
        by_sql = time.monotonic()
        spec = self.spec
        width, key_index, key_length = spec.width, spec.key_index, spec.key_length
        extra_reason = _("The row has more fields than the header.")
        cells = ", ".join(f"r.c{i}" for i in range(self.width))
        slow = 0
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {RAW}")  # noqa: S608
            everything = int(cursor.fetchone()[0]) == fast
        if not everything:  # some rows (or blank lines) for the Python rules
            with connection.chunked_cursor() as rows:
                rows.execute(
                    f"SELECT r.row_no, r.extra, {cells} FROM {RAW} r"  # noqa: S608
                    f" WHERE NOT {self.loader.blank()} AND NOT EXISTS"
                    f" (SELECT 1 FROM {STAGE} s WHERE s.row_no = r.row_no) ORDER BY r.row_no"
                )
                while block := rows.fetchmany(BLOCK):
                    chunk: list[tuple[int, list[Cell]]] = [
                        (
                            int(found[0]),
                            [
                                *("" if cell is None else cell for cell in found[2:]),
                                *(["x"] if found[1] else []),
                            ],
                        )
                        for found in block
                    ]
                    slow += len(chunk)
                    spec.prepare(chunk)
                    errors: list[RowError] = []
                    staged: list[tuple[Any, ...]] = []
                    for number, row in chunk:
                        before = len(errors)
                        if len(row) > width and any(text(cell).strip() for cell in row[width:]):
                            errors.append(RowError(number, "", "EXTRA_FIELDS", extra_reason))
                        try:
                            key = key_of(row[key_index], max_length=key_length)
                        except CellError as exc:
                            errors.append(RowError(number, spec.key, exc.code, exc.reason))
                            # Staged without a key, not ok: counted where the error limit
                            # stops, as the set-based path of the other feeds does.
                            staged.append((number, None, False))
                            continue
                        values = spec.clean(number, row, errors)
                        staged.append((number, key, len(errors) == before, *values))
                    stage.write(staged)
                    stage.reject(errors)
        logger.info(
            "Customers: lookups and name tokens %.1f s, %s rows staged by SQL %.1f s,"
            " %s rows by the Python rules %.1f s",
            prepared - started,
            fast,
            by_sql - prepared,
            slow,
            time.monotonic() - by_sql,
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {RAW}")
            for table in (UNITS, MANAGERS, NAMES, PADS):
                cursor.execute(f"DROP TABLE {table}")
        return fast + slow

    def stop(self, *, chunk: int, max_errors: int) -> tuple[int, int] | None:
        return self.loader.stop(chunk=chunk, max_errors=max_errors)


def _yes_no(words: frozenset[str]) -> list[str]:
    """Cells ``parse_bool`` reads as one of ``words`` with nothing to normalise: the
    words, and the ASCII ones in capitals too (``Y``, ``No``, ``TRUE`` …)."""
    return sorted({*words, *(w.upper() for w in words), *(w.capitalize() for w in words)})
