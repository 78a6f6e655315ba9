"""Batches into one bank: keys moved into place, identity numbers unique across batches.

A batch is a pure function of the seed and its position (see ``generate``), so batches
can be made anywhere — in this process or in worker processes — and in any order. What
only the whole bank knows is settled here, in batch order: the primary keys of tables
whose row counts vary (households, key people, assignments…: batches number them from
0), and identity numbers that two batches happened to draw alike (a few dozen in a
million; the later customer gets the next free sequence code, its digest with it).
"""

from __future__ import annotations

from collections.abc import Callable

from rmdesk.demo import identity
from rmdesk.demo.columns import COLUMNS, Row
from rmdesk.demo.generate import Batch

# Tables whose keys a batch numbers from 0.
LOCAL_TABLES = (
    "group",
    "household",
    "member",
    "key_person",
    "referral",
    "assignment",
    "tier_change",
)

_CUSTOMER = COLUMNS["customer"]
_GROUP = _CUSTOMER.index("group_id")
_ID_TYPE = _CUSTOMER.index("id_type")
_ID_NUMBER = _CUSTOMER.index("id_number")
_ID_DIGEST = _CUSTOMER.index("id_digest")
_HOUSEHOLD = COLUMNS["member"].index("household_id")


class Assembler:
    def __init__(self, *, first_ids: dict[str, int], id_digest: Callable[[str], str]) -> None:
        self.next = {table: first_ids[table] for table in LOCAL_TABLES}
        self.id_digest = id_digest
        self.residents: set[int] = set()  # the first 17 characters, as numbers
        self.codes: set[str] = set()  # credit codes' first 17 characters
        self.documents: set[str] = set()  # passports and permits

    def finish(self, batch: Batch) -> dict[str, int]:
        """Move the batch's local keys into place (in ``batch.rows``); returns the moves."""
        rows = batch.rows
        shift = dict(self.next)
        for table in LOCAL_TABLES:
            by = shift[table]
            if by:
                rows[table] = [(row[0] + by, *row[1:]) for row in rows[table]]
            self.next[table] += len(rows[table])
        if shift["household"]:
            by = shift["household"]
            rows["member"] = [_moved(row, _HOUSEHOLD, by) for row in rows["member"]]
        by = shift["group"]
        customers = rows["customer"]
        for i, row in enumerate(customers):
            if by and row[_GROUP] is not None:
                row = customers[i] = _moved(row, _GROUP, by)
            number = row[_ID_NUMBER]
            if row[_ID_TYPE] == "resident_id":
                key = int(number[:17])
                if key in self.residents:
                    number = identity.resident_id_next(number, self.residents)
                    key = int(number[:17])
                self.residents.add(key)
            elif row[_ID_TYPE] == "uscc":
                if number[:17] in self.codes:
                    number = identity.credit_code_next(number, self.codes)
                self.codes.add(number[:17])
            else:
                if number in self.documents:
                    number = identity.document_next(number, self.documents)
                self.documents.add(number)
            if number != row[_ID_NUMBER]:
                customers[i] = (
                    *row[:_ID_NUMBER],
                    number,
                    self.id_digest(number),
                    *row[_ID_DIGEST + 1 :],
                )
        return shift


def _moved(row: Row, column: int, by: int) -> Row:
    return (*row[:column], row[column] + by, *row[column + 1 :])
