"""The school's stamp of a decided application, 已認證 or 不通過: drawn on its own transparent
page and merged with pypdf onto the untouched form, so the copy is the very page the parent
signed plus the school's mark, in the box the form keeps free for it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF

from app.i18n import t
from app.services.forms import layout
from app.services.forms.application_form import STAMP_BOX

STAMP_RED = (196, 30, 42)
LABEL_MAX_PT = 22.0
LABEL_SHARE = 0.62  # of the stamp's width: the label never crowds its double border


@dataclass(frozen=True)
class Stamp:
    label: str
    decided: str
    lang: str

    @classmethod
    def of(cls, lang: str, decided_at: datetime | None, rejected: bool = False) -> Stamp:
        prefix = "forms.stamp.rejected_" if rejected else "forms.stamp."
        return cls(
            label=t(prefix + "label", lang),
            decided=t(prefix + "decided", lang, time=layout.taipei(decided_at)),
            lang=lang,
        )


def draw_stamp(pdf: FPDF, stamp: Stamp) -> None:
    pdf.add_page()
    x, y, w, h = STAMP_BOX
    with (
        pdf.local_context(
            draw_color=STAMP_RED, text_color=STAMP_RED, fill_opacity=0.92, stroke_opacity=0.92
        ),
        pdf.rotation(-5, x + w / 2, y + h / 2),
    ):
        pdf.set_line_width(0.9)
        pdf.rect(x, y, w, h, style="D", round_corners=True, corner_radius=2.5)
        pdf.set_line_width(0.3)
        pdf.rect(x + 1.6, y + 1.6, w - 3.2, h - 3.2, style="D", round_corners=True,
                 corner_radius=1.6)  # fmt: skip
        size = _label_size(pdf, stamp.label, w)
        pdf.set_xy(x, y + 3.2)
        layout.text_block(pdf, stamp.label, size=size, lang=stamp.lang, width=w, align="C",
                          color=STAMP_RED, bold=True)  # fmt: skip
        pdf.set_xy(x + 2, y + h - 8.6)
        layout.text_block(pdf, stamp.decided, size=7.5, lang=stamp.lang, width=w - 4,
                          align="C", color=STAMP_RED)  # fmt: skip


def _label_size(pdf: FPDF, label: str, width: float) -> float:
    """The label's type size: 22 pt where it is short (已認證), smaller in half points where
    it is a longer word (Approved), measured in the document's font."""
    with pdf.local_context(font_size_pt=LABEL_MAX_PT):
        natural = pdf.get_string_width(label)
    fitting = LABEL_MAX_PT * width * LABEL_SHARE / natural if natural else LABEL_MAX_PT
    return min(LABEL_MAX_PT, math.floor(fitting * 2) / 2)


def render_stamps(stamps: Sequence[Stamp | None], created: datetime) -> bytes:
    """One overlay page per form page, in the same order; None leaves its page as it is (an
    application still pending among decided ones)."""
    with layout.document(layout.strings_of(list(stamps)), created) as pdf:
        for stamp in stamps:
            if stamp is None:
                pdf.add_page()
            else:
                draw_stamp(pdf, stamp)
        return bytes(pdf.output())
