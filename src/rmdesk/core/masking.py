"""Masking of personal data for display (JR/T 0171-2020 style), one rule per field.

Every channel — page, API, export, log — masks through these functions, so a rule
changes in one place.
"""

from __future__ import annotations

import unicodedata


def _is_cjk(text: str) -> bool:
    return any(unicodedata.east_asian_width(ch) in {"W", "F"} for ch in text)


def mask_name(name: str) -> str:
    """张三 → 张*; 张小三 → 张*三; 欧阳娜娜 → 欧**娜; John Smith → J*** S****."""
    name = name.strip()
    if not name:
        return name
    if _is_cjk(name):
        # A middle dot separates the parts of transliterated names (阿卜杜拉·买买提);
        # mask the whole as one string so the number of parts stays hidden.
        if len(name) == 1:
            return name
        if len(name) == 2:
            return name[0] + "*"
        return name[0] + "*" * (len(name) - 2) + name[-1]
    return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())


def mask_middle(value: str, *, keep_start: int, keep_end: int) -> str:
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_id_number(value: str) -> str:
    """110105199003071234 → 110***********1234."""
    return mask_middle(value, keep_start=3, keep_end=4)


def mask_mobile(value: str) -> str:
    """13812348000 → 138****8000."""
    return mask_middle(value, keep_start=3, keep_end=4)


def mask_card(value: str) -> str:
    """First six and last four digits of a bank card number."""
    return mask_middle(value, keep_start=6, keep_end=4)
