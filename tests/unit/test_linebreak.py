"""R44: one line breaker for print and screen — Chinese breaks between any two characters,
English at spaces, 禁則 for punctuation, and a number stays with its measure word."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from rich.cells import cell_len

from app.linebreak import NO_END, NO_START, wrap


@pytest.mark.parametrize(
    "text, width, lines",
    [
        ("依個人資料保護法第 8 條，本表", 20, ["依個人資料保護法第", "8 條，本表"]),
        ("您已送出 2 筆申請", 10, ["您已送出", "2 筆申請"]),
        ("每小時最多只能收 2 次簡訊", 18, ["每小時最多只能收", "2 次簡訊"]),
        ("請帶委託證明書。", 14, ["請帶委託證明", "書。"]),
        ("請按「確認」送出", 10, ["請按「確", "認」送出"]),
        ("請按「確認」送出", 6, ["請按", "「確", "認」送", "出"]),
        ("Check the code sent to a***@b.example now", 20,
         ["Check the code sent", "to a***@b.example", "now"]),
    ],
)
def test_r44_breaks_where_a_reader_expects(text, width, lines):
    assert wrap(text, width, cell_len) == lines


def test_r44_a_long_ascii_run_is_cut_only_when_it_alone_is_wider_than_the_line():
    assert wrap("QZ-2D53-ASAG-0001", 8, cell_len) == ["QZ-2D53-", "ASAG-000", "1"]


CJK = st.sampled_from(
    "親子綁定申請書學生家長導師確認送出驗證碼"
    "。，、；：？！）」『（「0123456789 ab"
)


@given(st.text(CJK, min_size=1, max_size=80), st.integers(min_value=6, max_value=40))
@example("000出！0", 6)  # a number and its measure word fill the line: the mark cannot go up
def test_r44_no_line_starts_with_closing_or_ends_with_opening_punctuation_and_nothing_is_lost(
    text, width
):
    lines = wrap(text, width, cell_len)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for before, line in pairwise(lines):
        if line and cell_len(line) <= width and len(line) > 1:
            assert line[0] not in NO_START or _forced(before, line, width)
    for line in lines[:-1]:
        assert not line or line[-1] not in NO_END or len(line) == 1


def _forced(before: str, line: str, width: int) -> bool:
    """A run of closing marks longer than a line has nowhere else to go, nor has one after a
    line that is a single unbreakable piece: "0" before "、、、0" at 6 cells, or a number with
    its measure word, "000出" before "！0" (found by Hypothesis: the number keeps its word)."""
    piece = before.strip()
    single = len(piece) == 1 or (piece.isascii() and " " not in piece)
    return single or _one_unit(piece) or all(ch in NO_START or ch == " " for ch in line)


def _one_unit(piece: str) -> bool:
    return re.fullmatch(r"[0-9][0-9,.]* ?[^\x00-\x7f\s]", piece) is not None
