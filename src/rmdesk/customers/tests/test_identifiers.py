"""Identifier normalisation and validation (DOMAIN.md §2), boundary by boundary."""

from __future__ import annotations

import hashlib
import hmac
import random
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import phonenumbers
import pytest
from django.utils import timezone
from django.utils.functional import Promise
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from rmdesk.customers import identifiers
from rmdesk.customers.identifiers import IdentifierCode, IdentifierError

TODAY = date(2025, 6, 1)

# GB 11643-1999 weights and check characters, written out independently of stdnum so the
# tests do not just restate the code under test.
_RID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RID_CHECK_CHARS = "10X98765432"


def rid_check(body17: str) -> str:
    return _RID_CHECK_CHARS[sum(int(d) * w for d, w in zip(body17, _RID_WEIGHTS, strict=True)) % 11]


def rid(region: str = "110105", born: str = "19491231", seq: str = "002") -> str:
    body = region + born + seq
    return body + rid_check(body)


def uscc_with_check(body17: str) -> str:
    return body17 + stdnum_uscc.calc_check_digit(body17)


def error_code(func: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    with pytest.raises(IdentifierError) as excinfo:
        func(*args, **kwargs)
    return excinfo.value.code


# --- IdentifierError ---------------------------------------------------------------------


def test_error_is_a_value_error_with_code_and_lazy_message() -> None:
    with pytest.raises(ValueError, match="BAD_CHECK_DIGIT") as excinfo:
        identifiers.resident_id("110105194912310021", today=TODAY)
    error = excinfo.value
    assert isinstance(error, IdentifierError)
    assert error.code == "BAD_CHECK_DIGIT"
    assert isinstance(error.message, Promise)


@pytest.mark.parametrize(
    ("func", "value"),
    [
        (identifiers.resident_id, "110105194912310021"),
        (identifiers.resident_id, "110105491231002"),
        (identifiers.uscc, "91110000600037341M"),
        (identifiers.mobile, "01065529988"),
        (identifiers.email, "wang.xiaoming@"),
    ],
)
def test_error_never_quotes_the_value(func: Callable[[str], str], value: str) -> None:
    """RELIABILITY.md C2, C6."""
    with pytest.raises(IdentifierError) as excinfo:
        func(value)
    assert value not in str(excinfo.value)
    assert value not in repr(excinfo.value.args)


def test_too_long_message_stays_lazy() -> None:
    with pytest.raises(IdentifierError) as excinfo:
        identifiers.person_name("王" * 5, max_length=4)
    assert isinstance(excinfo.value.message, Promise)
    assert "4" in str(excinfo.value.message)


# --- normalise_text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("１２３ＡＢＣ", "123ABC"),
        ("\u3000abc\u3000", "abc"),
        ("  a b  ", "a b"),
        ("\t\nx\n", "x"),
        ("", ""),
    ],
)
def test_normalise_text(raw: str, expected: str) -> None:
    assert identifiers.normalise_text(raw) == expected


# --- Resident identity number ------------------------------------------------------------


def test_helper_agrees_with_stdnum_on_the_well_known_sample() -> None:
    assert rid() == "11010519491231002X"
    assert stdnum_ric.is_valid("11010519491231002X")


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002X",
        "11010519491231002x",
        "  11010519491231002X\t",
        "\u300011010519491231002x\u3000",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
    ],
)
def test_resident_id_accepts_and_normalises(raw: str) -> None:
    """RELIABILITY.md D5."""
    assert identifiers.resident_id(raw, today=TODAY) == "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "REQUIRED"),
        ("   ", "REQUIRED"),
        ("110105 19491231002X", "BAD_CHARSET"),
        ("1101051949123100 2X", "BAD_CHARSET"),
        ("110105\u300019491231002X", "BAD_CHARSET"),
        ("110105-19491231002X", "BAD_CHARSET"),
        ("11010519491231002Y", "BAD_CHARSET"),
        ("X10105194912310020", "BAD_CHARSET"),
        ("1101051949123100X2", "BAD_CHARSET"),
        ("11010519491231002\u200bX", "BAD_CHARSET"),
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "BAD_CHARSET"),  # Arabic-Indic digits survive NFKC
        ("1101051949123100", "BAD_LENGTH"),
        ("11010519491231002", "BAD_LENGTH"),
        ("11010519491231002X0", "BAD_LENGTH"),
        ("11010549123100X", "BAD_LENGTH"),
        ("110105194912310021", "BAD_CHECK_DIGIT"),
        ("110105194912310020", "BAD_CHECK_DIGIT"),
        ("110105491231002", "LEGACY_15_DIGIT"),
        ("１１０１０５４９１２３１００２", "LEGACY_15_DIGIT"),
    ],
)
def test_resident_id_refuses(raw: str, code: str) -> None:
    assert error_code(identifiers.resident_id, raw, today=TODAY) == code


@pytest.mark.parametrize(
    ("born", "ok"),
    [
        ("20000229", True),  # leap year
        ("19960229", True),
        ("20010229", False),  # not a leap year
        ("19000229", False),  # century year not divisible by 400
        ("19990431", False),
        ("19991301", False),
        ("19990001", False),
        ("19990100", False),
        ("00000000", False),
    ],
)
def test_resident_id_birth_date_must_be_real(born: str, ok: bool) -> None:
    """RELIABILITY.md D5."""
    number = rid(born=born)
    if ok:
        assert identifiers.resident_id(number, today=TODAY) == number
    else:
        assert error_code(identifiers.resident_id, number, today=TODAY) == "BAD_BIRTH_DATE"


@pytest.mark.parametrize(
    ("born", "ok"),
    [
        ("20250601", True),  # born today
        ("20250602", False),
        ("20990101", False),
        ("19000101", True),
        ("18991231", False),
        ("18500101", False),
    ],
)
def test_resident_id_birth_date_range(born: str, ok: bool) -> None:
    number = rid(born=born)
    if ok:
        assert identifiers.resident_id(number, today=TODAY) == number
    else:
        assert error_code(identifiers.resident_id, number, today=TODAY) == "BAD_BIRTH_DATE"


def test_resident_id_defaults_to_today_in_the_bank_time_zone() -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    today = timezone.localdate()
    assert error_code(identifiers.resident_id, rid(born=f"{tomorrow:%Y%m%d}")) == "BAD_BIRTH_DATE"
    assert identifiers.resident_id(rid(born=f"{today:%Y%m%d}")) == rid(born=f"{today:%Y%m%d}")


def test_resident_id_min_birth_year_is_a_parameter() -> None:
    assert identifiers.resident_id(rid(born="19200101"), min_birth_year=1920, today=TODAY)
    code = error_code(
        identifiers.resident_id, rid(born="19191231"), min_birth_year=1920, today=TODAY
    )
    assert code == "BAD_BIRTH_DATE"


def test_resident_id_random_valid_numbers_and_every_wrong_check_char() -> None:
    """RELIABILITY.md D5."""
    rng = random.Random(20250601)
    first, span = date(1900, 1, 1).toordinal(), (TODAY - date(1900, 1, 1)).days
    for _ in range(200):
        born = date.fromordinal(first + rng.randint(0, span))
        body = f"{rng.randint(0, 999999):06d}{born:%Y%m%d}{rng.randint(0, 999):03d}"
        number = body + rid_check(body)
        assert identifiers.resident_id(number, today=TODAY) == number
        assert identifiers.resident_id_birth_date(number) == born
        for wrong in set(_RID_CHECK_CHARS) - {number[-1]}:
            code = error_code(identifiers.resident_id, body + wrong, today=TODAY)
            assert code == "BAD_CHECK_DIGIT"


@pytest.mark.parametrize(
    ("legacy", "upgraded"),
    [
        ("110105491231002", "11010519491231002X"),
        (" １１０１０５４９１２３１００２ ", "11010519491231002X"),
        ("360426910101007", rid(region="360426", born="19910101", seq="007")),
    ],
)
def test_resident_id_upgrade(legacy: str, upgraded: str) -> None:
    result = identifiers.resident_id_upgrade(legacy)
    assert result == upgraded
    assert identifiers.resident_id(result, today=TODAY) == result


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "REQUIRED"),
        ("11010549123100", "BAD_LENGTH"),
        ("11010519491231002X", "BAD_LENGTH"),
        ("11010549123100X", "BAD_CHARSET"),
        ("110105 491231002", "BAD_CHARSET"),
        ("110105490230002", "BAD_BIRTH_DATE"),
        ("110105491331002", "BAD_BIRTH_DATE"),
    ],
)
def test_resident_id_upgrade_refuses(raw: str, code: str) -> None:
    assert error_code(identifiers.resident_id_upgrade, raw) == code


def test_resident_id_birth_date_and_gender() -> None:
    assert identifiers.resident_id_birth_date("11010519491231002x") == date(1949, 12, 31)
    assert identifiers.resident_id_gender("11010519491231002X") == "female"
    assert identifiers.resident_id_gender(rid(seq="001")) == "male"
    assert identifiers.resident_id_gender(rid(seq="019")) == "male"
    assert identifiers.resident_id_gender(rid(seq="010")) == "female"


def test_birth_date_reads_well_formed_numbers_outside_the_new_record_range() -> None:
    # Old records may predate min_birth_year; reading them must still work.
    assert identifiers.resident_id_birth_date(rid(born="18991231")) == date(1899, 12, 31)


@pytest.mark.parametrize(
    ("func", "raw", "code"),
    [
        (identifiers.resident_id_birth_date, "110105194912310021", "BAD_CHECK_DIGIT"),
        (identifiers.resident_id_birth_date, "110105491231002", "LEGACY_15_DIGIT"),
        (identifiers.resident_id_gender, "110105194912310021", "BAD_CHECK_DIGIT"),
        (identifiers.resident_id_gender, rid(born="20010229"), "BAD_BIRTH_DATE"),
    ],
)
def test_birth_date_and_gender_refuse_malformed_numbers(
    func: Callable[[str], object], raw: str, code: str
) -> None:
    assert error_code(func, raw) == code


# --- Unified social credit code ----------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "91110000600037341L",
        "91110000600037341l",
        "  91110000600037341L  ",
        "９１１１００００６０００３７３４１Ｌ",
    ],
)
def test_uscc_accepts_and_normalises(raw: str) -> None:
    assert stdnum_uscc.is_valid("91110000600037341L")
    assert identifiers.uscc(raw) == "91110000600037341L"


def test_uscc_accepts_letter_authority_codes_that_stdnum_validate_refuses() -> None:
    # N: rural collective economic organisations, registered by agriculture departments.
    code = uscc_with_check("N2110102MA0000001")
    assert not stdnum_uscc.is_valid(code)
    assert identifiers.uscc(code) == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "REQUIRED"),
        ("91110000600037341M", "BAD_CHECK_DIGIT"),
        ("91110000600037342L", "BAD_CHECK_DIGIT"),
        ("91110000600037341", "BAD_LENGTH"),
        ("91110000600037341L0", "BAD_LENGTH"),
        ("911100006I0037341L", "BAD_CHARSET"),
        ("911100006O0037341L", "BAD_CHARSET"),
        ("911100006Z0037341L", "BAD_CHARSET"),
        ("911100006S0037341L", "BAD_CHARSET"),
        ("911100006V0037341L", "BAD_CHARSET"),
        ("911100006i0037341L", "BAD_CHARSET"),
        ("91110000600037341I", "BAD_CHARSET"),
        ("91110000 600037341L", "BAD_CHARSET"),
        ("91110000-600037341L", "BAD_CHARSET"),
    ],
)
def test_uscc_refuses(raw: str, code: str) -> None:
    assert error_code(identifiers.uscc, raw) == code


def test_uscc_every_wrong_check_char_is_refused() -> None:
    body = "91110000600037341"
    for wrong in set("0123456789ABCDEFGHJKLMNPQRTUWXY") - {"L"}:
        assert error_code(identifiers.uscc, body + wrong) == "BAD_CHECK_DIGIT"


# --- Mainland mobile ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        " 13800138000 ",
        "138 0013 8000",
        "138-0013-8000",
        "(138) 0013-8000",
        "+8613800138000",
        "+86 138 0013 8000",
        "(+86) 138-0013-8000",
        "008613800138000",
        "0086 138 0013 8000",
        "8613800138000",
        "86-138-0013-8000",
        "１３８００１３８０００",
        "＋８６　１３８－００１３－８０００",
    ],
)
def test_mobile_accepts_and_normalises(raw: str) -> None:
    """RELIABILITY.md D5."""
    assert identifiers.mobile(raw) == "13800138000"


NEWER_SEGMENTS = ["162", "192", "193", "195", "196", "197"]


@pytest.mark.parametrize("segment", NEWER_SEGMENTS)
def test_phonenumbers_knows_the_newer_segments(segment: str) -> None:
    """phonenumbers 9.0.43 accepts all of them as MOBILE, so no fallback rule is needed.

    If an upgrade ever breaks this, mobile() must not silently start refusing customers.
    """
    parsed = phonenumbers.parse(segment + "12345678", "CN")
    assert phonenumbers.is_valid_number(parsed)
    assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE


@pytest.mark.parametrize("segment", [*NEWER_SEGMENTS, "130", "145", "166", "170", "199"])
def test_mobile_accepts_segments(segment: str) -> None:
    assert identifiers.mobile(f"+86 {segment} 1234 5678") == f"{segment}12345678"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "REQUIRED"),
        ("  ", "REQUIRED"),
        ("01065529988", "NOT_A_MOBILE"),  # Beijing landline, also 11 digits
        ("010-6552-9988", "NOT_A_MOBILE"),
        ("(010) 6552 9988", "NOT_A_MOBILE"),
        ("0755-12345678", "BAD_LENGTH"),
        ("138001380001", "BAD_LENGTH"),
        ("1380013800", "BAD_LENGTH"),
        ("+86 138001380001", "BAD_LENGTH"),
        ("12012345678", "NOT_A_MOBILE"),
        ("23800138000", "NOT_A_MOBILE"),
        ("15412345678", "NOT_A_MOBILE"),  # right shape, no such segment in phonenumbers
        ("14012345678", "NOT_A_MOBILE"),
        ("+852 9123 4567", "NOT_A_MOBILE"),
        ("+1 415 555 0100", "NOT_A_MOBILE"),
        ("138.0013.8000", "BAD_CHARSET"),
        ("138 0013 800O", "BAD_CHARSET"),
        ("138+00138000", "BAD_CHARSET"),
        ("1380013\u200b8000", "BAD_CHARSET"),
        ("tel:13800138000", "BAD_CHARSET"),
    ],
)
def test_mobile_refuses(raw: str, code: str) -> None:
    """RELIABILITY.md D5."""
    assert error_code(identifiers.mobile, raw) == code


def test_mobile_type_is_what_parsing_the_number_gives() -> None:
    """The number is built, not parsed: every three-digit segment and carrier-code-like
    prefix (179xx) decides exactly as phonenumbers.parse("+86" + digits) would."""
    rng = random.Random(20261129)
    numbers = [f"1{segment:02d}{rng.randrange(10**8):08d}" for segment in range(30, 100)]
    numbers += [f"179{rng.randrange(10**8):08d}" for _ in range(300)]
    numbers += [f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}" for _ in range(3000)]
    mobile_types = {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
    for number in numbers:
        parsed = phonenumbers.number_type(phonenumbers.parse("+86" + number))
        if parsed in mobile_types:
            assert identifiers.mobile(number) == number
        else:
            assert error_code(identifiers.mobile, number) == "NOT_A_MOBILE", number


# --- E-mail ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("wang.xiaoming@example.com", "wang.xiaoming@example.com"),
        ("  Wang.XiaoMing@Example.COM ", "Wang.XiaoMing@example.com"),
        ("ｗａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "wang@example.com"),
        ("a+tag@Sub.Example.CN", "a+tag@sub.example.cn"),
        ("user@例子.中国", "user@例子.中国"),
    ],
)
def test_email_accepts_and_normalises(raw: str, expected: str) -> None:
    assert identifiers.email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "REQUIRED"),
        ("   ", "REQUIRED"),
        ("wang", "BAD_EMAIL"),
        ("wang@", "BAD_EMAIL"),
        ("@example.com", "BAD_EMAIL"),
        ("wang@@example.com", "BAD_EMAIL"),
        ("wang xiao@example.com", "BAD_EMAIL"),
        ("wang@example", "BAD_EMAIL"),
        ("wang@localhost", "BAD_EMAIL"),
        ("王@example.com", "BAD_EMAIL"),
        ("a" * 310 + "@example.com", "BAD_EMAIL"),
    ],
)
def test_email_refuses(raw: str, code: str) -> None:
    assert error_code(identifiers.email, raw) == code


# --- Person name -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["王小明", "欧阳娜娜", "𠮷野家", "阿卜杜拉·买买提", "Anna-Maria O'Neil", "José Núñez"]
)
def test_person_name_round_trips(name: str) -> None:
    """RELIABILITY.md D4."""
    assert identifiers.person_name(name) == name


def test_middle_dot_and_supplementary_character_are_kept() -> None:
    """RELIABILITY.md D4."""
    assert "\u00b7" in identifiers.person_name("阿卜杜拉·买买提")
    assert len(identifiers.person_name("𠮷野家")) == 3


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  王小明  ", "王小明"),
        ("王小明\n", "王小明"),
        ("Anna   Maria", "Anna Maria"),
        ("Anna\u00a0Maria", "Anna Maria"),
        ("王\u3000\u3000小明", "王 小明"),
        ("Jose\u0301", "José"),  # NFD from some Mac input becomes NFC
    ],
)
def test_person_name_normalises(raw: str, expected: str) -> None:
    """RELIABILITY.md D4."""
    assert identifiers.person_name(raw) == expected


def test_person_name_keeps_compatibility_characters() -> None:
    # NFKC would turn these into ASCII; a name keeps what was written.
    assert identifiers.person_name("Ｌｉ") == "Ｌｉ"


INVISIBLE = [
    *(chr(c) for c in range(0x200B, 0x2010)),
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
    "\ufeff",
]


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_person_name_refuses_invisible_characters(char: str, where: str) -> None:
    """RELIABILITY.md D4."""
    name = {"start": char + "王小明", "middle": "王" + char + "小明", "end": "王小明" + char}[where]
    assert error_code(identifiers.person_name, name) == "BAD_CHARSET"


@pytest.mark.parametrize(
    "name",
    [
        "王\x00小明",
        "王\x07小明",
        "王\n小明",
        "王\t小明",
        "王\x7f小明",
        "王\u2028小明",
        "王\u00ad小明",
    ],
)
def test_person_name_refuses_control_characters(name: str) -> None:
    assert error_code(identifiers.person_name, name) == "BAD_CHARSET"


@pytest.mark.parametrize("raw", ["", "   ", "\u3000", "\n"])
def test_person_name_required(raw: str) -> None:
    assert error_code(identifiers.person_name, raw) == "REQUIRED"


def test_person_name_length_counts_characters() -> None:
    """RELIABILITY.md D4."""
    assert identifiers.person_name("王" * 100) == "王" * 100
    assert identifiers.person_name("𠮷" * 100) == "𠮷" * 100
    assert error_code(identifiers.person_name, "王" * 101) == "TOO_LONG"
    assert identifiers.person_name("欧阳娜娜", max_length=4) == "欧阳娜娜"
    assert error_code(identifiers.person_name, "欧阳娜娜娜", max_length=4) == "TOO_LONG"
    # Spaces are collapsed before the length is counted.
    assert identifiers.person_name("Ann   Lee", max_length=7) == "Ann Lee"


# --- Lookup digests ----------------------------------------------------------------------


def test_lookup_digest_is_hmac_sha256_with_the_lookup_key(settings: Any) -> None:
    settings.RMDESK_LOOKUP_KEY = "lookup-key-for-tests"
    expected = hmac.new(b"lookup-key-for-tests", b"mobile:13800138000", hashlib.sha256)
    digest = identifiers.lookup_digest("mobile", "13800138000")
    assert digest == expected.hexdigest()
    assert digest == identifiers.lookup_digest("mobile", "13800138000")
    assert len(digest) == 64
    assert int(digest, 16) >= 0


def test_lookup_digest_differs_per_kind(settings: Any) -> None:
    settings.RMDESK_LOOKUP_KEY = "lookup-key-for-tests"
    digests = {
        identifiers.lookup_digest(kind, "11010519491231002X")
        for kind in ("resident_id", "uscc", "mobile", "email")
    }
    assert len(digests) == 4


def test_lookup_digest_differs_per_key(settings: Any) -> None:
    settings.RMDESK_LOOKUP_KEY = "key-one"
    first = identifiers.lookup_digest("mobile", "13800138000")
    settings.RMDESK_LOOKUP_KEY = "key-two"
    assert identifiers.lookup_digest("mobile", "13800138000") != first


@pytest.mark.parametrize("configured", ["", None])
def test_lookup_digest_falls_back_to_a_key_derived_from_secret_key(
    settings: Any, configured: str | None
) -> None:
    if configured is None:
        if hasattr(settings, "RMDESK_LOOKUP_KEY"):
            del settings.RMDESK_LOOKUP_KEY
    else:
        settings.RMDESK_LOOKUP_KEY = configured
    settings.SECRET_KEY = "s" * 50
    key = hashlib.sha256(b"rmdesk-lookup:" + b"s" * 50).digest()
    expected = hmac.new(key, b"resident_id:11010519491231002X", hashlib.sha256).hexdigest()
    assert identifiers.lookup_digest("resident_id", "11010519491231002X") == expected
    # The derived key is not SECRET_KEY itself.
    plain = hmac.new(b"s" * 50, b"resident_id:11010519491231002X", hashlib.sha256).hexdigest()
    assert expected != plain
    settings.SECRET_KEY = "t" * 50
    assert identifiers.lookup_digest("resident_id", "11010519491231002X") != expected


@pytest.mark.parametrize("kind", ["", "Mobile", "mobile:x", "mobile id", "1mobile"])
def test_lookup_digest_refuses_kinds_that_could_blur_the_message(kind: str) -> None:
    with pytest.raises(ValueError, match="lookup kind"):
        identifiers.lookup_digest(kind, "13800138000")


def test_error_codes_are_stable_strings() -> None:
    assert {code.value for code in IdentifierCode} == {
        "REQUIRED",
        "BAD_LENGTH",
        "BAD_CHARSET",
        "BAD_CHECK_DIGIT",
        "BAD_BIRTH_DATE",
        "LEGACY_15_DIGIT",
        "NOT_A_MOBILE",
        "BAD_EMAIL",
        "TOO_LONG",
    }


def test_inner_space_is_exactly_str_isspace() -> None:
    # The check is a regular expression; it must agree with str.isspace on every character.
    for point in range(0x110000):
        char = chr(point)
        assert identifiers._has_inner_space(f"a{char}b") is char.isspace(), hex(point)


def test_printable_strings_hold_no_refused_character() -> None:
    # The name and text rules skip their per-character checks for a printable string:
    # every character they refuse must make a string unprintable.
    refused = identifiers._REFUSED_CATEGORIES | {"Cc"}
    for point in range(0x110000):
        char = chr(point)
        if char in identifiers._INVISIBLE or unicodedata.category(char) in refused:
            assert not f"a{char}b".isprintable(), hex(point)


def test_names_and_texts_with_refused_characters_are_refused() -> None:
    from rmdesk.customers.services import _clean_one

    for char in ("\u200b", "\u202e", "\ufeff", "\x07", "\u2028", "\ud800"):
        with pytest.raises(identifiers.IdentifierError):
            identifiers.person_name(f"王{char}小明")
    assert identifiers.person_name("王\u3000小明 ") == "王 小明"
    with pytest.raises(identifiers.IdentifierError):
        _clean_one("individual", "address", "建国路\x0b1号", today=date(2026, 1, 1))
    assert _clean_one("individual", "address", "建国路\u30001号", today=date(2026, 1, 1)) == (
        "建国路 1号"
    )


def test_lookup_digest_follows_a_changed_key(settings: Any) -> None:
    # The keyed HMAC is reused across calls; a new key must not reuse it.
    for key in ("key-one", "key-two", "key-one"):
        settings.RMDESK_LOOKUP_KEY = key
        expected = hmac.new(key.encode(), b"mobile:13800138000", hashlib.sha256).hexdigest()
        assert identifiers.lookup_digest("mobile", "13800138000") == expected
