"""Identifier numbers for made-up people and companies, valid by construction.

The check characters are computed here rather than through python-stdnum because a
bench bank needs millions of them; the tests hold every generated number to the real
validators in ``rmdesk.customers.identifiers``.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Callable
from datetime import date

from rmdesk.customers import identifiers

# GB 11643-1999: weight of each of the first 17 digits (2^(17-i) mod 11), and the check
# character for each remainder.
_RID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RID_CHECK = "10X98765432"

# GB 32100-2015: the 31-character alphabet and the weights of the first 17 positions.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
# GB 11714-1997: the organisation code inside a credit code has its own check character.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Mainland mobile segments in common use (the validator consults phonenumbers' metadata;
# the tests check every segment here against it).
MOBILE_SEGMENTS: tuple[str, ...] = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177",
    "178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "191",
    "193", "195", "196", "198", "199",
)  # fmt: skip
# Segments of the big three operators' early years are the commonest; weights follow.
_MOBILE_CUM: tuple[int, ...] = tuple(
    sum(3 if s[:2] in ("13", "15", "18") else 1 for s in MOBILE_SEGMENTS[: i + 1])
    for i in range(len(MOBILE_SEGMENTS))
)


def _digits_sum(digits: str, weights: tuple[int, ...], offset: int) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights[offset:], strict=False))


class ResidentIds:
    """18-character resident identity numbers, unique within one generator."""

    def __init__(self) -> None:
        self._area_sums: dict[str, int] = {}
        self._date_sums: dict[date, tuple[str, int]] = {}
        self._issued: set[int] = set()

    def forget(self) -> None:
        """Start a new batch: numbers are unique within a batch (see Assembler for the bank)."""
        self._issued.clear()

    def make(self, rng: random.Random, area: str, born: date, male: bool) -> str:
        area_sum = self._area_sums.get(area)
        if area_sum is None:
            area_sum = self._area_sums[area] = _digits_sum(area, _RID_WEIGHTS, 0)
        cached = self._date_sums.get(born)
        if cached is None:
            text = f"{born.year:04d}{born.month:02d}{born.day:02d}"
            cached = self._date_sums[born] = (text, _digits_sum(text, _RID_WEIGHTS, 6))
        born_text, born_sum = cached
        # The sequence code's last digit is odd for men and even for women.
        seq = int(rng.random() * 500) * 2 + (1 if male else 0)
        while True:
            body = f"{area}{born_text}{seq:03d}"
            key = int(body)
            if key not in self._issued:
                break
            seq = (seq + 2) % 1000
        self._issued.add(key)
        total = area_sum + born_sum + (seq // 100) * 8 + (seq // 10 % 10) * 4 + (seq % 10) * 2
        return body + _RID_CHECK[total % 11]


def org_code(rng: random.Random) -> str:
    """A nine-character organisation code (digits), with its GB 11714 check character."""
    return _org_complete(f"{int(rng.random() * 10**8):08d}")


def _org_complete(body8: str) -> str:
    remainder = 11 - _digits_sum(body8, _ORG_WEIGHTS, 0) % 11
    return body8 + ("X" if remainder == 10 else "0" if remainder == 11 else str(remainder))


def uscc_check(body17: str) -> str:
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def resident_id_check(body17: str) -> str:
    return _RID_CHECK[_digits_sum(body17, _RID_WEIGHTS, 0) % 11]


def resident_id_next(number: str, taken: set[int]) -> str:
    """The same person's number with the next free sequence code of the same gender."""
    body = number[:17]
    seq = int(body[14:])
    while int(body) in taken:
        seq = (seq + 2) % 1000
        body = f"{body[:14]}{seq:03d}"
    return body + resident_id_check(body)


def credit_code_next(code: str, taken: set[str]) -> str:
    """A free credit code of the same authority, type and place: the next organisation code."""
    body = code[:17]
    serial = int(body[8:16])
    while body in taken:
        serial = (serial + 1) % 10**8
        body = body[:8] + _org_complete(f"{serial:08d}")
    return body + uscc_check(body)


def document_next(number: str, taken: set[str]) -> str:
    """A free passport or permit number: the letter kept, the digits counted up."""
    letters = number.rstrip("0123456789")
    width = len(number) - len(letters)
    serial = int(number[len(letters) :])
    while number in taken:
        serial = (serial + 1) % 10**width
        number = f"{letters}{serial:0{width}d}"
    return number


class CreditCodes:
    """Unified social credit codes of companies (registration authority 9, type 1)."""

    def __init__(self) -> None:
        self._issued: set[str] = set()

    def forget(self) -> None:
        self._issued.clear()

    def make(self, rng: random.Random, area: str) -> str:
        while True:
            body = f"91{area}{org_code(rng)}"
            if body not in self._issued:
                self._issued.add(body)
                return body + uscc_check(body)


def mobile(rng: random.Random) -> str:
    pick = rng.random() * _MOBILE_CUM[-1]
    low, high = 0, len(_MOBILE_CUM) - 1
    while low < high:
        middle = (low + high) // 2
        if _MOBILE_CUM[middle] > pick:
            high = middle
        else:
            low = middle + 1
    return f"{MOBILE_SEGMENTS[low]}{int(rng.random() * 10**8):08d}"


_LUHN_DOUBLE = str.maketrans("0123456789", "0246813579")  # each digit doubled, digits summed


def luhn_complete(body: str) -> str:
    """Append the Luhn check digit (bank card numbers)."""
    backwards = body[::-1]
    total = sum(map(int, backwards[0::2].translate(_LUHN_DOUBLE))) + sum(map(int, backwards[1::2]))
    return body + str((10 - total % 10) % 10)


def digester(kind: str) -> Callable[[str], str]:
    """A fast equivalent of ``identifiers.lookup_digest(kind, ·)`` for millions of values.

    The key is taken from identifiers once; the result is checked against the real
    function on a sample, and if they ever differ the real function is used instead.
    """
    key_of: Callable[[], bytes] | None = getattr(identifiers, "_lookup_key", None)
    sample = "13800138000" if kind == "mobile" else "11010519491231002X"
    if key_of is not None:
        key = key_of()
        prefix = f"{kind}:"

        def fast(value: str) -> str:
            return hmac.digest(key, (prefix + value).encode(), hashlib.sha256).hex()

        if fast(sample) == identifiers.lookup_digest(kind, sample):
            return fast

    def slow(value: str) -> str:
        return identifiers.lookup_digest(kind, value)

    return slow
