"""Line breaking for mixed Chinese and English text, as a Taiwanese reader expects it.

Chinese may break between any two characters, English only at spaces; and a line never starts
with closing punctuation (。，、」) nor ends with opening punctuation (「（) — the 禁則 rules that
fpdf2's own character wrapping ignores. Runs of ASCII (a word, an e-mail address, an
application number, a hash) stay whole unless a run alone is wider than the line."""

from __future__ import annotations

import re
from collections.abc import Callable

NO_START = frozenset("，。、；：？！）」』】》〉〕｝．・…‥ー～％,.;:?!)]}%")
NO_END = frozenset("（「『【《〈〔｛([{")
_UNITS = re.compile(r"[!-~]+| |.")


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """The lines of `text` no wider than `width` (by `measure`), "\\n" starting a new line."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += _wrap_paragraph(paragraph, width, measure)
    return lines


def _wrap_paragraph(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    out: list[str] = []
    line: list[str] = []
    used = 0.0
    for unit in _units(text, width, measure):
        size = measure(unit)
        if unit == " ":
            if line:
                line.append(unit)
                used += size
            continue
        if used + size <= width or not line:
            line.append(unit)
            used += size
            continue
        carry = [unit]
        # 禁則: pull the last character down with a closing mark, and never leave an opening
        # mark at the end of a line.
        while carry[0][0] in NO_START and len(line) > 1:
            moved = line.pop()
            if moved != " ":
                carry.insert(0, moved)
        while len(line) > 1 and line[-1][-1] in NO_END:
            carry.insert(0, line.pop())
        out.append("".join(line).rstrip())
        line = carry
        used = sum(measure(u) for u in carry)
    out.append("".join(line).rstrip())
    return out


def _units(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Unbreakable pieces: ASCII runs, spaces and single characters; an ASCII run wider than
    the whole line is cut into pieces that fit."""
    units: list[str] = []
    for unit in _UNITS.findall(text):
        if len(unit) > 1 and measure(unit) > width:
            piece = ""
            for ch in unit:
                if piece and measure(piece + ch) > width:
                    units.append(piece)
                    piece = ""
                piece += ch
            units.append(piece)
        else:
            units.append(unit)
    return units
