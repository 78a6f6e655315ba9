"""Reading feed files as a bank's systems write them, and the cell formats they use.

CSV in UTF-8 (with or without BOM) or GB18030 (a superset of GBK), separated by
commas, tabs or ``|``, with quoted fields that may hold newlines, and CRLF line
ends; or XLSX (the first sheet). Decoding is strict: a file that is neither valid
UTF-8 nor valid GB18030 is refused, so no mojibake is ever stored.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.translation import gettext as _

from rmdesk.core.errors import DomainError

Cell = str | int | float | Decimal | date | datetime | None

DELIMITERS = (",", "\t", "|")
XLSX_MAGIC = b"PK\x03\x04"
# Excel's day zero (it counts 1900-02-29, which never was; serials after it line up).
EXCEL_EPOCH = date(1899, 12, 30)


class FileRefused(DomainError):
    """The file as a whole cannot be read; nothing of it is applied."""

    status = 422

    def __init__(
        self, message: Any, *, code: str, field: str = "", row: int = 1, status: int = 422
    ) -> None:
        super().__init__(message, code=code, details={"field": field, "row": row})
        self.field = field
        self.row = row
        self.status = status


class CellError(ValueError):
    """One cell was refused; ``code`` is stable, ``reason`` translated."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


@dataclass
class Table:
    """A file's header (normalised names) and its data rows, numbered as a spreadsheet does."""

    header: list[str]
    rows: Iterator[tuple[int, list[Cell]]]
    format: str
    encoding: str = ""
    delimiter: str = ""
    # A CSV file's reader past the header, and the header's line: the set-based path
    # reads records from it in blocks (``rows`` is then not used).
    reader: Any = None
    header_row: int = 0


def header_name(raw: Cell) -> str:
    return unicodedata.normalize("NFKC", "" if raw is None else str(raw)).strip().lower()


@dataclass
class Spooled:
    """A file copied to a temporary file as it was read: its hash, size and text encoding.

    The copy is made in blocks, so the file is never held in memory whole; the checks
    that need the whole file (hash, strict decoding, NUL characters) run on the blocks.
    """

    file: IO[bytes]
    sha256: str
    size: int
    too_large: bool
    blank: bool  # nothing but whitespace (or nothing at all)
    xlsx: bool
    encoding: str  # "utf-8-sig" or "gb18030"; "" when neither decodes the whole file
    nul: bool

    def close(self) -> None:
        self.file.close()


BLOCK = 1 << 20


def spool(source: IO[bytes], *, max_bytes: int) -> Spooled:
    """Copy ``source`` (at most ``max_bytes`` + 1 bytes) to a temporary file, checking it."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by Spooled.close)
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8-sig")()
    is_utf8 = True
    size = 0
    blank = True
    nul = False
    head = b""
    while size <= max_bytes:
        block = source.read(min(BLOCK, max_bytes + 1 - size))
        if not block:
            break
        out.write(block)
        digest.update(block)
        size += len(block)
        if len(head) < 4:
            head += block[:4]
        blank = blank and not block.strip()
        nul = nul or b"\x00" in block
        if is_utf8:
            try:
                utf8.decode(block)
            except UnicodeDecodeError:
                is_utf8 = False
    too_large = size > max_bytes
    encoding = ""
    if is_utf8:
        try:
            utf8.decode(b"", final=True)
            encoding = "utf-8-sig"
        except UnicodeDecodeError:
            pass
    if not encoding and not too_large and not head.startswith(XLSX_MAGIC):
        # Not UTF-8: GB18030 (a superset of GBK), decoded strictly in a second pass.
        out.seek(0)
        gb = codecs.getincrementaldecoder("gb18030")()
        try:
            while block := out.read(BLOCK):
                gb.decode(block)
            gb.decode(b"", final=True)
            encoding = "gb18030"
        except UnicodeDecodeError:
            pass
    out.seek(0)
    return Spooled(
        file=out,
        sha256=digest.hexdigest(),
        size=size,
        too_large=too_large,
        blank=blank,
        xlsx=head.startswith(XLSX_MAGIC),
        encoding=encoding,
        nul=nul,
    )


def read_table(spooled: Spooled, *, max_unzipped: int) -> Table:
    """Open the spooled file as XLSX (by its zip signature) or CSV. Raises FileRefused."""
    if spooled.blank:
        raise FileRefused(_("The file is empty."), code="EMPTY_FILE")
    if spooled.xlsx:
        return _read_xlsx(spooled.file, max_unzipped=max_unzipped)
    if not spooled.encoding:
        raise FileRefused(_("The file is neither UTF-8 nor GBK/GB18030 text."), code="BAD_ENCODING")
    # In UTF-8 and in GB18030 a zero byte is only ever the NUL character.
    if spooled.nul:
        raise FileRefused(
            _("The file contains NUL characters; it is not a text file."), code="NUL_BYTE"
        )
    return _read_csv(spooled.file, spooled.encoding)


def decode(data: bytes) -> tuple[str, str]:
    """Strict decode: UTF-8 (BOM dropped) first, then GB18030; else refuse."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise FileRefused(
                _("The file contains NUL characters; it is not a text file."), code="NUL_BYTE"
            )
        return text, encoding
    raise FileRefused(_("The file is neither UTF-8 nor GBK/GB18030 text."), code="BAD_ENCODING")


def sniff_delimiter(first_line: str) -> str:
    """The separator that occurs most in the header line (a comma if none does)."""
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _read_csv(raw: IO[bytes], encoding: str) -> Table:
    # Streamed: the decoder and the CSV reader hold a block and a record at a time.
    stream = io.TextIOWrapper(raw, encoding=encoding, newline="")
    delimiter = sniff_delimiter(stream.readline())
    stream.seek(0)
    reader = csv.reader(stream, delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
    except csv.Error as exc:
        raise FileRefused(
            _("The header line is not well-formed CSV."), code="MALFORMED_CSV"
        ) from exc
    if header is None:
        raise FileRefused(_("The file is empty."), code="EMPTY_FILE")
    header_row = reader.line_num

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        number = header_row
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileRefused(
                    _("Row %(row)s is not well-formed CSV (an unclosed quote?).")
                    % {"row": number + 1},
                    code="MALFORMED_CSV",
                    row=number + 1,
                ) from exc
            number += 1
            # Blank lines are skipped (the first cell settles it for almost every row).
            if (record and record[0].strip()) or any(cell.strip() for cell in record):
                yield number, record  # type: ignore[misc]

    return Table(
        header=[header_name(cell) for cell in header],
        rows=rows(),
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        reader=reader,
        header_row=header_row,
    )


def _read_xlsx(data: IO[bytes], *, max_unzipped: int) -> Table:
    # An XLSX is a zip: refuse one that would inflate past the cap before openpyxl
    # touches it (zipfile reads at most each member's declared size, so the declared
    # sizes bound what inflating can produce).
    try:
        with zipfile.ZipFile(data) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise FileRefused(_("The file is not a readable XLSX workbook."), code="BAD_XLSX") from exc
    if inflated > max_unzipped:
        raise FileRefused(
            _("The workbook would unpack to more than %(mb)s MB.")
            % {"mb": max_unzipped // (1024 * 1024)},
            code="FILE_TOO_LARGE",
            status=413,
        )
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        data.seek(0)
        workbook = load_workbook(data, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header: list[Cell] | None = None
        header_row = 0
        for raw in values:
            header_row += 1
            if any(_present(cell) for cell in raw):
                header = list(raw)
                break
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise FileRefused(_("The file is not a readable XLSX workbook."), code="BAD_XLSX") from exc
    if header is None:
        raise FileRefused(_("The file is empty."), code="EMPTY_FILE")
    while header and not _present(header[-1]):
        header.pop()

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        number = header_row
        try:
            for raw in values:
                number += 1
                if any(_present(cell) for cell in raw):
                    yield number, list(raw)
        finally:
            workbook.close()

    return Table(header=[header_name(cell) for cell in header], rows=rows(), format="xlsx")


def _present(cell: Cell) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


# --- Cells --------------------------------------------------------------------------------


def text(cell: Cell) -> str:
    """A cell as text. XLSX numbers lose a spurious ``.0`` (codes stored as numbers)."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else str(Decimal(repr(cell)))
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def flat_text(cell: Cell) -> str:
    """Free text: a line break inside a quoted CSV field (an address) becomes a space."""
    return _LINE_BREAK.sub(" ", text(cell))


def code_text(cell: Cell) -> str:
    """Codes and numbers: NFKC (full-width digits and letters become ASCII), trimmed."""
    return unicodedata.normalize("NFKC", text(cell)).strip()


# Date forms, in the syntax Python's and PostgreSQL's regular expressions share (the
# set-based path reads the same patterns): an Excel serial, YYYYMMDD, YYYY-MM-DD.
DATE_SERIAL = r"[0-9]{1,5}"
DATE_COMPACT = r"([0-9]{4})([0-9]{2})([0-9]{2})"
DATE_DASHED = r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})"
_DATE_FORMS = (re.compile(DATE_COMPACT), re.compile(DATE_DASHED))
_DATE_SERIAL = re.compile(DATE_SERIAL)


def date_reason() -> str:
    return _("A date as YYYY-MM-DD, YYYYMMDD or an Excel date.")


def parse_date(cell: Cell) -> date:
    """``2026-11-28`` (or with / or .), ``20261128``, an Excel serial, or an XLSX date cell."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    value = code_text(cell)
    try:
        if _DATE_SERIAL.fullmatch(value):
            return EXCEL_EPOCH + timedelta(days=int(value))
        for form in _DATE_FORMS:
            match = form.fullmatch(value)
            if match:
                return date(*(int(part) for part in match.groups()))
    except (ValueError, OverflowError):
        pass
    raise CellError("BAD_DATE", date_reason())


_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def parse_datetime(cell: Cell) -> datetime:
    """A date (midnight) or a date and time ``2026-11-28 09:30[:00]``, in the bank's time
    zone; an XLSX date-time cell as it is. Returns an aware datetime."""
    from django.utils import timezone

    zone = timezone.get_current_timezone()
    if isinstance(cell, datetime):
        return cell if cell.tzinfo is not None else cell.replace(tzinfo=zone)
    if isinstance(cell, date):
        return datetime(cell.year, cell.month, cell.day, tzinfo=zone)
    value = code_text(cell)
    day, _sep, clock = value.replace("T", " ").partition(" ")
    when = parse_date(day)
    hour = minute = second = 0
    if clock.strip():
        match = _TIME.fullmatch(clock.strip())
        if not match:
            raise CellError("BAD_DATE", _("A date, or a date and time as YYYY-MM-DD HH:MM[:SS]."))
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    try:
        return datetime(when.year, when.month, when.day, hour, minute, second, tzinfo=zone)
    except ValueError as exc:
        raise CellError(
            "BAD_DATE", _("A date, or a date and time as YYYY-MM-DD HH:MM[:SS].")
        ) from exc


_WHOLE = re.compile(r"[+-]?\d{1,9}")


def parse_whole(cell: Cell) -> int:
    """A whole number (full-width digits too; an XLSX number without a fraction)."""
    if isinstance(cell, int) and not isinstance(cell, bool):
        return cell
    value = code_text(cell).replace(",", "")
    if not _WHOLE.fullmatch(value):
        raise CellError("BAD_NUMBER", _("A whole number."))
    return int(value)


_RATE = re.compile(r"[+-]?\d{1,6}(?:\.\d+)?")


def parse_rate(cell: Cell) -> Decimal:
    """A rate in percent, ``3.85`` (a trailing ``%`` may follow).

    The range is the product rules'."""
    if isinstance(cell, float):
        return Decimal(repr(cell))
    if isinstance(cell, int) and not isinstance(cell, bool):
        return Decimal(cell)
    value = code_text(cell).removesuffix("%").strip()
    if not _RATE.fullmatch(value):
        raise CellError("BAD_RATE", _("A rate in percent such as 3.85."))
    return Decimal(value)


AMOUNT = r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
_AMOUNT = re.compile(AMOUNT)


def amount_errors() -> dict[str, tuple[str, str]]:
    """The refusals of an amount: error key → (code, reason)."""
    return {
        "BAD_AMOUNT": ("BAD_AMOUNT", _("An amount such as 1234.50 or 1,234.50.")),
        "PLACES": ("BAD_AMOUNT", _("At most two decimal places.")),
    }


def parse_amount(cell: Cell) -> Decimal:
    """``1234.5``, ``1,234.50``, full-width digits; at most two decimals."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        value = str(cell) if isinstance(cell, int) else repr(cell)
    else:
        value = code_text(cell).replace(" ", "")
    if not _AMOUNT.fullmatch(value) and not isinstance(cell, float):
        raise CellError(*amount_errors()["BAD_AMOUNT"])
    try:
        amount = Decimal(value.replace(",", ""))
    except InvalidOperation as exc:
        raise CellError(*amount_errors()["BAD_AMOUNT"]) from exc
    if not amount.is_finite() or abs(amount) >= Decimal("1e16"):
        raise CellError(*amount_errors()["BAD_AMOUNT"])
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(*amount_errors()["PLACES"])
    return amount.quantize(Decimal("0.01"))


_TRUE = frozenset({"1", "y", "yes", "true", "t", "是"})
_FALSE = frozenset({"", "0", "n", "no", "false", "f", "否"})


def parse_bool(cell: Cell) -> bool:
    value = code_text(cell).lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise CellError("BAD_VALUE", _("Yes or no (Y/N, 1/0, 是/否)."))


# An amount already in canonical form: no sign but "-", no leading zeros, no separators,
# at most two decimals, less than 1e16. Taken as it is (the common case in a feed).
PLAIN_AMOUNT = re.compile(r"-?(?:0|[1-9][0-9]{0,15})(?:\.[0-9]{1,2})?")


def amount_text(cell: Cell) -> str:
    """``parse_amount`` as text for the database; a plain amount skips the Decimal work."""
    if isinstance(cell, str) and PLAIN_AMOUNT.fullmatch(cell):
        return cell
    return str(parse_amount(cell))
