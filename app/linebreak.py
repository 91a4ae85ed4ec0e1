"""R44: where a line of mixed Chinese and English text may break, as a Taiwanese reader expects.

One breaker for the printed forms (measured in PDF points) and the terminal (measured in cells):

- Chinese may break between any two characters, English only at spaces: a run of ASCII (a word,
  an e-mail address, an application number) stays whole unless it alone is wider than the line;
- 禁則 (kinsoku): a line never starts with closing punctuation (。，、；：？！）」』…) nor ends with
  opening punctuation (（「『…); the character before a closing mark goes down with it;
- a number keeps its measure word: "2 筆", "第 8 條", "60 分鐘" never part at the space.

This is the part of UAX #14 a Traditional Chinese text needs; no library on PyPI covers 禁則
together with measuring in the caller's unit, and the rules are short."""

from __future__ import annotations

import re
from collections.abc import Callable

NO_START = frozenset("，。、；：？！）」』】》〉〕｝．・…‥ー～％,.;:?!)]}%")
NO_END = frozenset("（「『【《〈〔｛([{")
# Unbreakable units: a number with its measure word, an ASCII run, a space, any other character.
# A measure word is a letter, never punctuation ("0、" is no unit).
_UNITS = re.compile(
    r"[0-9][0-9,.]* ?(?=[^\x00-\x7f\s" + re.escape("".join(NO_START | NO_END)) + r"])"
    r"[^\x00-\x7f\s]|[!-~]+| |.",
    re.S,
)

Measure = Callable[[str], float]


def line_spans(text: str, width: float, measure: Measure) -> list[tuple[int, int]]:
    """(start, end) of each line of `text` (one paragraph, no "\\n"), spaces at a break left out
    of both lines."""
    spans: list[tuple[int, int]] = []
    line: list[tuple[int, int]] = []  # the units on the current line
    used = 0.0
    for start, end in _units(text, width, measure):
        unit = text[start:end]
        size = measure(unit)
        if unit == " ":
            if line:
                line.append((start, end))
                used += size
            continue
        if used + size <= width or not line:
            line.append((start, end))
            used += size
            continue
        carry = [(start, end)]
        while text[carry[0][0]] in NO_START and len(line) > 1:
            moved = line.pop()
            if text[moved[0]:moved[1]] != " ":
                carry.insert(0, moved)
        while True:  # an opening mark goes down with what follows, spaces between included
            last = len(line) - 1
            while last > 0 and text[line[last][0]:line[last][1]] == " ":
                last -= 1
            if last == 0 or text[line[last][1] - 1] not in NO_END:
                break
            carry[0:0] = line[last:]
            del line[last:]
        spans.append(_trimmed(text, line))
        line = carry
        used = sum(measure(text[s:e]) for s, e in carry)
    spans.append(_trimmed(text, line) if line else (len(text), len(text)))
    return spans


def wrap(text: str, width: float, measure: Measure) -> list[str]:
    """The lines of `text` no wider than `width` (by `measure`), "\\n" starting a new line."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += [paragraph[s:e] for s, e in line_spans(paragraph, width, measure)]
    return lines


def _trimmed(text: str, line: list[tuple[int, int]]) -> tuple[int, int]:
    start, end = line[0][0], line[-1][1]
    while end > start and text[end - 1] == " ":
        end -= 1
    return start, end


def _units(text: str, width: float, measure: Measure) -> list[tuple[int, int]]:
    """Unbreakable pieces; an ASCII run wider than the whole line is cut into pieces that fit."""
    units: list[tuple[int, int]] = []
    for match in _UNITS.finditer(text):
        start, end = match.span()
        if end - start > 1 and measure(text[start:end]) > width:
            piece = start
            for i in range(start + 1, end):
                if measure(text[piece:i + 1]) > width:
                    units.append((piece, i))
                    piece = i
            units.append((piece, end))
        else:
            units.append((start, end))
    return units
