"""R7 (ID numbers), R9 (masking), R23 (keyed digests)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.identity import (
    LETTER_CODES,
    IdKind,
    check_id,
    id_digest,
    is_valid_tw_id,
    mask_email,
    mask_id,
    mask_mobile,
    mask_name,
    normalize_id,
    normalize_mobile,
    with_check_digit,
)
from app.keys import Keyring

VALID = ["A123456789", "F131104093", "Y144766850", "AA00000009", "AC01234567", "A800000014",
         "A824285055"]  # fmt: skip
INVALID = ["A123456788", "A323456789", "A12345678", "AA00000000", "A800000000", "A824285054"]


@pytest.mark.parametrize("value", VALID)
def test_r7_public_valid_vectors(value):
    assert is_valid_tw_id(value)


@pytest.mark.parametrize("value", INVALID)
def test_r7_public_invalid_vectors(value):
    assert not is_valid_tw_id(value)


@pytest.mark.parametrize(
    ("value", "kind"),
    [("A123456789", IdKind.NATIONAL), ("AC01234567", IdKind.RESIDENT_OLD),
     ("A800000014", IdKind.RESIDENT_NEW)],
)  # fmt: skip
def test_r7_kind_is_named(value, kind):
    assert check_id(value).kind is kind


@pytest.mark.parametrize(
    ("value", "reason"),
    [("", "empty"), ("   ", "empty"), ("A12345678", "format"), ("A323456789", "format"),
     ("1123456789", "format"), ("AE00000000", "format"), ("A123456788", "checksum")],
)  # fmt: skip
def test_r7_says_why_not(value, reason):
    verdict = check_id(value)
    assert not verdict.ok
    assert verdict.reason == reason


@pytest.mark.parametrize(
    "typed",
    ["a123456789", " A123 456 789 ", "A123-456-789", "Ａ１２３４５６７８９",
     "ａ１２３－４５６７８９", "A123\u200b456789"],
)  # fmt: skip
def test_r7_normalises_what_a_chinese_input_method_types(typed):
    verdict = check_id(typed)
    assert verdict.ok
    assert verdict.normalized == "A123456789"


def test_r7_a_mistyped_digit_at_an_odd_weight_breaks_the_checksum():
    """Digits weighted 7, 3, 1 catch every single-digit typo; weights sharing a factor with 10
    miss some."""
    base = "A123456789"
    for i in (2, 6, 8, 9):
        for d in "0123456789":
            if d != base[i]:
                assert not is_valid_tw_id(base[:i] + d + base[i + 1 :])


prefixes = st.builds(
    lambda letter, second, digits: letter + second + digits,
    st.sampled_from(sorted(LETTER_CODES)),
    st.sampled_from("1289ABCD"),
    st.text(alphabet=string.digits, min_size=7, max_size=7),
)


@given(prefixes)
def test_r7_every_completed_prefix_is_valid_and_exactly_one_check_digit_fits(prefix):
    full = with_check_digit(prefix)
    assert is_valid_tw_id(full)
    assert [d for d in string.digits if is_valid_tw_id(prefix + d)] == [full[-1]]


@given(st.text(max_size=20))
def test_r7_never_raises_on_any_text(text):
    verdict = check_id(text)
    assert verdict.ok == is_valid_tw_id(text)
    if verdict.ok:
        assert len(verdict.normalized) == 10


@given(prefixes)
def test_r7_full_width_and_lower_case_forms_agree(prefix):
    full = with_check_digit(prefix)
    wide = "".join(chr(ord(c) + 0xFEE0) for c in full.lower())
    assert normalize_id(wide) == full


def test_r9_id_masked_hides_the_last_six():
    assert mask_id("A123456789") == "A123******"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("吳三寶", "吳*寶"), ("陳明", "陳*"), ("歐陽娜娜", "歐**娜"), ("Mary Chen", "M*** C***"),
     ("王", "王*")],
)  # fmt: skip
def test_r9_names_masked(name, masked):
    assert mask_name(name) == masked


def test_r9_contacts_masked():
    assert mask_email("cooc123@gmail.com") == "co***@gmail.com"
    assert mask_mobile("+886912345678") == "0912***678"
    assert mask_mobile("0912345678") == "0912***678"


@pytest.mark.parametrize(
    "typed", ["0912345678", "0912-345-678", "+886 912 345 678", "０９１２３４５６７８"]
)
def test_r11_mobile_normalised_to_e164(typed):
    assert normalize_mobile(typed) == "+886912345678"


@pytest.mark.parametrize("typed", ["", "0212345678", "091234567", "09123456789", "abc"])
def test_r11_bad_mobile_refused(typed):
    assert normalize_mobile(typed) is None


def test_r23_digest_is_keyed_and_stable():
    one, other = Keyring(b"1" * 32), Keyring(b"2" * 32)
    assert id_digest(one, "A123456789") == id_digest(one, "A123456789")
    assert id_digest(one, "A123456789") != id_digest(other, "A123456789")
    assert "A123456789" not in id_digest(one, "A123456789")
    # Purposes are separated: the digest of an ID is not that of the same text as a contact.
    assert one.digest("national-id", "x") != one.digest("contact", "x")
