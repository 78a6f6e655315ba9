"""Normalisation and validation of the identifiers a customer record holds (DOMAIN.md §2).

One function per kind; each takes what a person typed or a file held and returns the
canonical form, or raises ``IdentifierError`` with a stable code. Forms, the API and the
importers all go through these functions, so "valid" means the same thing everywhere.

Error messages never quote the rejected value: they end up in logs and API responses,
which must not carry unmasked personal data (DOMAIN.md §3).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import unicodedata
from datetime import date
from enum import StrEnum
from typing import Any, Literal

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumValidationError

__all__ = [
    "IdentifierCode",
    "IdentifierError",
    "email",
    "lookup_digest",
    "mobile",
    "normalise_text",
    "person_name",
    "resident_id",
    "resident_id_birth_date",
    "resident_id_gender",
    "resident_id_upgrade",
    "uscc",
]


class IdentifierCode(StrEnum):
    """Stable error codes; the API and the importers' reports expose them verbatim."""

    REQUIRED = "REQUIRED"
    BAD_LENGTH = "BAD_LENGTH"
    BAD_CHARSET = "BAD_CHARSET"
    BAD_CHECK_DIGIT = "BAD_CHECK_DIGIT"
    BAD_BIRTH_DATE = "BAD_BIRTH_DATE"
    LEGACY_15_DIGIT = "LEGACY_15_DIGIT"
    NOT_A_MOBILE = "NOT_A_MOBILE"
    BAD_EMAIL = "BAD_EMAIL"
    TOO_LONG = "TOO_LONG"


class IdentifierError(ValueError):
    """An identifier was refused. ``code`` is stable; ``message`` is a lazy translated string."""

    def __init__(self, code: str, message: Any) -> None:
        # The message stays lazy so it is translated in the language of whoever reads it,
        # not of the thread that raised it.
        super().__init__(code, message)
        self.code = str(code)
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def normalise_text(value: str) -> str:
    """NFKC (full-width digits and letters become ASCII) and strip outer whitespace.

    Chinese input methods produce full-width characters and U+3000 spaces as a matter of
    course; NFKC folds them (U+3000 becomes an ordinary space) before the outer strip.
    """
    return unicodedata.normalize("NFKC", value).strip()


# ``\s`` in a str pattern is exactly ``str.isspace``; one C-level search per value.
_ANY_SPACE = re.compile(r"\s")


def _has_inner_space(value: str) -> bool:
    return _ANY_SPACE.search(value) is not None


# --- Resident identity number (GB 11643-1999) -------------------------------------------

_RID_BODY = re.compile(r"[0-9]{17}")
_RID_CHARS = re.compile(r"[0-9X]*")  # digits and the check character X
_ASCII_DIGITS = re.compile(r"[0-9]+")


def _rid_check_char(body17: str) -> str:
    # stdnum's calc_check_digit expects the check position to be present and ignores it.
    return str(stdnum_ric.calc_check_digit(body17 + "0"))


@functools.lru_cache(maxsize=65536)  # a pure function of eight digits; days recur
def _rid_birth_date(yyyymmdd: str) -> date:
    # stdnum's get_birth_date reads positions 7-14 of a full number; pad around the date so
    # its date rules (and their future fixes) apply to 15-digit numbers too.
    try:
        born: date = stdnum_ric.get_birth_date("000000" + yyyymmdd + "0000")
    except (StdnumValidationError, ValueError) as exc:
        raise IdentifierError(
            IdentifierCode.BAD_BIRTH_DATE,
            _("The birth date in the resident identity number is not a real date."),
        ) from exc
    return born


def _resident_id_prepare(value: str) -> str:
    """Normalise and check the character set; the length is checked by the caller."""
    number = normalise_text(value).upper()
    if not number:
        raise IdentifierError(
            IdentifierCode.REQUIRED, _("The resident identity number is required.")
        )
    if _has_inner_space(number):
        raise IdentifierError(
            IdentifierCode.BAD_CHARSET,
            _("The resident identity number must not contain spaces."),
        )
    if not _RID_CHARS.fullmatch(number):
        raise IdentifierError(
            IdentifierCode.BAD_CHARSET,
            _("The resident identity number may contain only digits and a final X."),
        )
    return number


@functools.lru_cache(maxsize=1024)
def _resident_id_checked(value: str) -> tuple[str, date]:
    """Format, check character and a real birth date; no range checks on the date.

    Cached (a pure function of its argument): the number, its birth date and its gender
    are read from one check, however many of them a caller asks for.
    """
    number = _resident_id_prepare(value)
    if len(number) == 15 and _ASCII_DIGITS.fullmatch(number):
        raise IdentifierError(
            IdentifierCode.LEGACY_15_DIGIT,
            _(
                "15-digit resident identity numbers are no longer accepted; "
                "enter the 18-digit number."
            ),
        )
    if len(number) != 18:
        raise IdentifierError(
            IdentifierCode.BAD_LENGTH,
            _("The resident identity number must have 18 characters."),
        )
    if not _RID_BODY.fullmatch(number[:17]):
        raise IdentifierError(
            IdentifierCode.BAD_CHARSET,
            _("The resident identity number may contain only digits and a final X."),
        )
    # Checked before the date: a mistyped digit almost always breaks the check character,
    # and "check the number" is the right advice for a typo.
    if number[17] != _rid_check_char(number[:17]):
        raise IdentifierError(
            IdentifierCode.BAD_CHECK_DIGIT,
            _("The resident identity number is not valid (wrong check character)."),
        )
    return number, _rid_birth_date(number[6:14])


def resident_id(value: str, *, min_birth_year: int = 1900, today: date | None = None) -> str:
    """Return the canonical 18-character resident identity number.

    The birth date must be real, not after ``today`` (default: today in the bank's time
    zone) and not before ``min_birth_year``. The place code is deliberately not checked
    against stdnum's region table: codes are retired and re-used over the years, and a
    refused genuine customer costs more than the rare typo the check digit misses.

    Raises IdentifierError: REQUIRED, BAD_CHARSET, LEGACY_15_DIGIT, BAD_LENGTH,
    BAD_CHECK_DIGIT, BAD_BIRTH_DATE.
    """
    number, born = _resident_id_checked(value)
    if today is None:
        today = timezone.localdate()
    if born > today:
        raise IdentifierError(
            IdentifierCode.BAD_BIRTH_DATE,
            _("The birth date in the resident identity number is in the future."),
        )
    if born.year < min_birth_year:
        raise IdentifierError(
            IdentifierCode.BAD_BIRTH_DATE,
            _("The birth date in the resident identity number is implausibly early."),
        )
    return number


def resident_id_upgrade(value15: str) -> str:
    """Turn a valid 15-digit legacy number into its 18-digit form, to match old data.

    Legacy numbers carry a two-digit year, always 19xx, and no check character.
    Raises IdentifierError: REQUIRED, BAD_CHARSET, BAD_LENGTH, BAD_BIRTH_DATE.
    """
    number = _resident_id_prepare(value15)
    if len(number) != 15:
        raise IdentifierError(
            IdentifierCode.BAD_LENGTH,
            _("A legacy resident identity number must have 15 digits."),
        )
    if not _ASCII_DIGITS.fullmatch(number):
        raise IdentifierError(
            IdentifierCode.BAD_CHARSET,
            _("A legacy resident identity number may contain only digits."),
        )
    _rid_birth_date("19" + number[6:12])
    body = number[:6] + "19" + number[6:]
    return body + _rid_check_char(body)


def resident_id_birth_date(value18: str) -> date:
    """The birth date encoded in a well-formed 18-character number.

    Validates format and check character but not the date range, so it also reads
    numbers already on file that predate a stricter ``min_birth_year``.
    """
    return _resident_id_checked(value18)[1]


def resident_id_gender(value18: str) -> Literal["male", "female"]:
    """ "male" or "female" from the sequence code's last digit (odd = male)."""
    number, _born = _resident_id_checked(value18)
    return "male" if int(number[16]) % 2 else "female"


# --- Unified social credit code (GB 32100-2015) -----------------------------------------

_USCC_ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")


def uscc(value: str) -> str:
    """Return the canonical 18-character unified social credit code.

    Raises IdentifierError: REQUIRED, BAD_CHARSET, BAD_LENGTH, BAD_CHECK_DIGIT.
    """
    code = normalise_text(value).upper()
    if not code:
        raise IdentifierError(
            IdentifierCode.REQUIRED, _("The unified social credit code is required.")
        )
    if _has_inner_space(code):
        raise IdentifierError(
            IdentifierCode.BAD_CHARSET,
            _("The unified social credit code must not contain spaces."),
        )
    # Only the alphabet is checked, not stdnum's validate(): that insists on digits in the
    # first two positions, but registration authorities with letter codes exist (N for
    # rural collective economic organisations, A, Y), and their codes are genuine.
    if any(ch not in _USCC_ALPHABET for ch in code):
        raise IdentifierError(
            IdentifierCode.BAD_CHARSET,
            _(
                "The unified social credit code may contain only digits and capital "
                "letters other than I, O, S, V and Z."
            ),
        )
    if len(code) != 18:
        raise IdentifierError(
            IdentifierCode.BAD_LENGTH,
            _("The unified social credit code must have 18 characters."),
        )
    if code[17] != stdnum_uscc.calc_check_digit(code[:17]):
        raise IdentifierError(
            IdentifierCode.BAD_CHECK_DIGIT,
            _("The unified social credit code is not valid (wrong check character)."),
        )
    return code


# --- Mainland mobile number -------------------------------------------------------------

_MOBILE_SEPARATORS = frozenset("-()")
_MOBILE_SHAPE = re.compile(r"1[3-9][0-9]{9}")
_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


def mobile(value: str) -> str:
    """Return the 11-digit national number of a mainland China mobile.

    Accepts spaces, hyphens, parentheses and a +86 / 0086 / 86 prefix. Which number
    segments are in service comes from phonenumbers' metadata, not from a list here:
    segment lists go stale (phonenumbers 9 knows 162, 192, 193 and 195-197; the tests
    hold it to that).

    Raises IdentifierError: REQUIRED, BAD_CHARSET, BAD_LENGTH, NOT_A_MOBILE.
    """
    text = normalise_text(value)
    if not text:
        raise IdentifierError(IdentifierCode.REQUIRED, _("The mobile number is required."))
    if _ASCII_DIGITS.fullmatch(text):
        compact = text  # digits only: nothing to take out
    else:
        compact = "".join(ch for ch in text if not ch.isspace() and ch not in _MOBILE_SEPARATORS)
    international = compact.startswith("+")
    digits = compact[1:] if international else compact
    if not _ASCII_DIGITS.fullmatch(digits):
        raise IdentifierError(
            IdentifierCode.BAD_CHARSET,
            _(
                "The mobile number may contain only digits, spaces, hyphens, "
                "parentheses and a leading +."
            ),
        )
    if international and not digits.startswith("86"):
        raise IdentifierError(
            IdentifierCode.NOT_A_MOBILE, _("Only mainland China mobile numbers are accepted.")
        )
    # A mainland mobile starts with 1, so a leading 86 or 0086 is always a country code.
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86"):
        digits = digits[2:]
    if len(digits) != 11:
        raise IdentifierError(IdentifierCode.BAD_LENGTH, _("A mobile number must have 11 digits."))
    if not _MOBILE_SHAPE.fullmatch(digits):
        raise IdentifierError(
            IdentifierCode.NOT_A_MOBILE, _("This is not a mainland China mobile number.")
        )
    # The number as phonenumbers.parse("+86" + digits) reads it (11 digits from 1[3-9]:
    # no national prefix to strip), built directly: parsing costs several times the
    # type check. A number whose type is known is valid (is_valid_number is number_type
    # != UNKNOWN for the number's own region), so the type alone decides.
    parsed = phonenumbers.PhoneNumber(country_code=86, national_number=int(digits))
    if phonenumbers.number_type(parsed) not in _MOBILE_TYPES:
        raise IdentifierError(
            IdentifierCode.NOT_A_MOBILE, _("This is not a mainland China mobile number.")
        )
    return digits


# --- E-mail address ---------------------------------------------------------------------

# No allowlist: Django's default lets "someone@localhost" through, which is never a
# customer's address.
_email_validator = EmailValidator(allowlist=[])


def email(value: str) -> str:
    """Return the address with its domain lower-cased; the local part keeps its case.

    NFKC first: full-width ＠ and letters from a Chinese input method become ASCII, and
    Django's validator accepts only an ASCII local part, so nothing meaningful is folded.

    Raises IdentifierError: REQUIRED, BAD_EMAIL.
    """
    address = normalise_text(value)
    if not address:
        raise IdentifierError(IdentifierCode.REQUIRED, _("The e-mail address is required."))
    local, at, domain = address.rpartition("@")
    if at:
        address = f"{local}@{domain.lower()}"
    try:
        _email_validator(address)
    except ValidationError as exc:
        raise IdentifierError(IdentifierCode.BAD_EMAIL, _("Enter a valid e-mail address.")) from exc
    return address


# --- Person name ------------------------------------------------------------------------

# Invisible characters that make two names look alike or reorder what is displayed.
_INVISIBLE = frozenset(
    [chr(c) for c in range(0x200B, 0x2010)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\ufeff"]
)
# Control, format, surrogate and line/paragraph separators. Unassigned code points (Cn) are
# allowed on purpose: rare name characters from CJK extensions newer than this Python's
# Unicode database (Ext-H, Ext-I) are still unassigned to it.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Only space separators (Zs: ASCII, no-break, ideographic...) can remain by then.
_SPACE_RUN = re.compile(r"\s+")


def person_name(value: str, *, max_length: int = 100) -> str:
    """Return the name NFC-normalised, trimmed, with inner runs of spaces made one space.

    NFC, not NFKC: compatibility folding would change characters people write their names
    with. Length is counted in code points, so 𠮷 (outside the BMP) counts once.

    Raises IdentifierError: REQUIRED, BAD_CHARSET, TOO_LONG.
    """
    # Outer whitespace of any kind (a pasted trailing newline) is noise, not a bad character.
    name = unicodedata.normalize("NFC", value).strip()
    # The common case in one C-level pass: a printable string has no character of the
    # Other or Separator categories but the ASCII space, so none of the refused ones
    # (the invisible characters are all Cf).
    if not name.isprintable():
        if any(ch in _INVISIBLE for ch in name):
            raise IdentifierError(
                IdentifierCode.BAD_CHARSET,
                _("The name contains invisible or text-direction characters."),
            )
        if any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in name):
            raise IdentifierError(
                IdentifierCode.BAD_CHARSET, _("The name contains control characters.")
            )
    name = _SPACE_RUN.sub(" ", name)
    if not name:
        raise IdentifierError(IdentifierCode.REQUIRED, _("The name is required."))
    if len(name) > max_length:
        raise IdentifierError(
            IdentifierCode.TOO_LONG,
            # format_lazy, not %: interpolating a lazy string translates it on the spot.
            format_lazy(
                ngettext_lazy(
                    "The name must have at most {max_length} character.",
                    "The name must have at most {max_length} characters.",
                    max_length,
                ),
                max_length=max_length,
            ),
        )
    return name


# --- Lookup digests ---------------------------------------------------------------------

_KIND = re.compile(r"[a-z][a-z0-9_]*")


def _lookup_key() -> bytes:
    configured: str | bytes = getattr(settings, "RMDESK_LOOKUP_KEY", "") or ""
    if configured:
        return configured.encode() if isinstance(configured, str) else configured
    return _derived_key(settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _derived_key(secret: str | bytes) -> bytes:
    secret_bytes = secret.encode() if isinstance(secret, str) else secret
    # Derived rather than used directly, so a digest never equals a value Django signs.
    return hashlib.sha256(b"rmdesk-lookup:" + secret_bytes).digest()


@functools.lru_cache(maxsize=4)
def _keyed(key: bytes) -> hmac.HMAC:
    """An HMAC with the key absorbed; each digest copies it (as ``hmac.new`` would
    start over), so a bulk import does not redo the key's work per value."""
    return hmac.new(key, digestmod=hashlib.sha256)


def lookup_digest(kind: str, normalised_value: str) -> str:
    """HMAC-SHA256 (hex) of an already normalised identifier, for exact-match lookups.

    The key is ``settings.RMDESK_LOOKUP_KEY`` when set, else derived from ``SECRET_KEY``.
    Every stored digest depends on that key: rotating it (or SECRET_KEY while no lookup
    key is set) means recomputing them all, so production should set its own lookup key.

    ``kind`` ("resident_id", "mobile", ...) is part of the message, so equal strings of
    different kinds never share a digest; it is restricted to [a-z0-9_] so that the
    separator cannot occur in it and the message stays unambiguous.
    """
    if not _KIND.fullmatch(kind):
        raise ValueError(f"lookup kind must match {_KIND.pattern!r}, got {kind!r}")
    mac = _keyed(_lookup_key()).copy()
    mac.update(f"{kind}:{normalised_value}".encode())
    return mac.hexdigest()
