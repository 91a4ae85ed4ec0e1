"""R31: application numbers are short, unique, free of look-alike characters, and found again
from whatever a person or a USB QR scanner types."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services import numbers
from app.services.numbers import ALPHABET, format_number, new_number, parse_number

SHAPE = re.compile(r"^QZ-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def test_r31_alphabet_is_crockford_base32_without_look_alikes():
    assert len(ALPHABET) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_r31_new_numbers_have_the_printed_shape_and_do_not_repeat():
    drawn = [new_number() for _ in range(2000)]
    assert all(SHAPE.match(n) for n in drawn)
    assert len(set(drawn)) == len(drawn)


@pytest.mark.parametrize(
    "typed",
    [
        "QZ-7K3M-9PXA",
        "qz-7k3m-9pxa",
        "QZ7K3M9PXA",
        "qz 7k3m 9pxa",
        "  QZ-7K3M-9PXA\n",
        "7K3M-9PXA",
        "7k3m9pxa",
        "ＱＺ－７Ｋ３Ｍ－９ＰＸＡ",  # typed with a Chinese input method
        "QZ–7K3M–9PXA",  # an en dash from a word processor
    ],
)
def test_r31_typed_and_scanned_forms_parse_to_the_number(typed):
    assert parse_number(typed) == "QZ-7K3M-9PXA"


def test_r31_look_alike_letters_are_read_as_digits():
    assert parse_number("QZ-O1IL-0000") == "QZ-0111-0000"
    assert parse_number("qz-oooo-llll") == "QZ-0000-1111"


@pytest.mark.parametrize(
    "typed", ["", None, "QZ-7K3M-9PX", "QZ-7K3M-9PXAB", "QZ-7K3M-9PXU", "QZ-7K3M-9PX!", "吳三寶"]
)
def test_r31_what_cannot_be_a_number_parses_to_none(typed):
    assert parse_number(typed) is None


@given(st.text(alphabet=ALPHABET, min_size=8, max_size=8))
def test_r31_every_number_survives_lower_case_and_lost_dashes(body):
    number = format_number(body)
    assert parse_number(number) == number
    assert parse_number(number.lower().replace("-", " ")) == number
    assert parse_number(body.lower()) == number


def test_r31_the_scanner_can_type_the_number_and_nothing_else():
    """A QR code holds the bare number, and every character of it is one a keyboard types."""
    number = new_number()
    assert number.isascii() and number.isprintable()
    assert numbers.PREFIX == "QZ"
