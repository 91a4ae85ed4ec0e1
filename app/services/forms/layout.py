"""The page machinery every printed document shares: an A4 fpdf2 document with the Traditional
Chinese font of just its own text, text blocks broken into lines the way readers expect
(linebreak.py), labelled rows, and the pypdf pass that adds bookmarks, metadata and overlays.

A document's text must be known before its first line is drawn, because its font holds only
the glyphs it uses; the builders therefore put each page together as plain strings first."""

from __future__ import annotations

import dataclasses
import io
import logging
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TextMode, WrapMode, XPos, YPos
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

from app.i18n import DEFAULT_LANGUAGE
from app.services.forms import fonts, linebreak
from app.services.forms.fonts import tc_font
from app.services.reports import TAIPEI, local_time

log = logging.getLogger(__name__)

FONT = "notosanstc"
PAGE_WIDTH = 210.0  # A4, mm
PAGE_HEIGHT = 297.0
MARGIN_X = 20.0
MARGIN_TOP = 18.0
MARGIN_BOTTOM = 16.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
INK = (25, 25, 25)
MUTED = (95, 95, 95)
RULE = (170, 170, 170)
LABEL_FILL = (238, 240, 243)
PT = 25.4 / 72  # one point in mm
LINE_SPACING = 1.45  # line height as a multiple of the font size


@dataclass(frozen=True)
class Bookmark:
    title: str
    page: int
    children: tuple[Bookmark, ...] = ()


@dataclass(frozen=True)
class Metadata:
    title: str
    subject: str
    lang: str
    created: datetime  # naive UTC, from the service's clock
    keywords: str = ""


def strings_of(value: object) -> list[str]:
    """Every string in a page model (dataclasses, tuples, lists), for the document's font."""
    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [s for f in dataclasses.fields(value) for s in strings_of(getattr(value, f.name))]
    if isinstance(value, tuple | list):
        return [s for item in value for s in strings_of(item)]
    return []


@contextmanager
def document(texts: Iterable[str], created: datetime) -> Iterator[FPDF]:
    """An empty A4 document whose fonts cover `texts`: Noto Sans TC, plus an installed font
    (全字庫 first) for each character it lacks, which fpdf2 then uses for that character in
    drawing and in measuring alike (R43). Call `pdf.output()` inside the block: fpdf2 reads the
    font files until then."""
    texts = list(texts)
    fallbacks = fonts.fallbacks_for(texts)
    lost = fonts.unprintable(texts)
    if lost:  # counted, not named: the character belongs to a name (the service names the form)
        log.warning("%d character(s) are in no installed font and print as code points", len(lost))
        texts.append("U+0123456789ABCDEF")
    font = tc_font().document_font(texts)
    with tempfile.TemporaryDirectory(prefix="qinzi-font-") as folder:
        path = Path(folder) / "NotoSansTC-document.ttf"
        path.write_bytes(font)
        pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
        pdf.set_auto_page_break(False)
        pdf.c_margin = 0  # the layout pads cells itself
        pdf.set_creation_date(created.replace(tzinfo=UTC))
        pdf.set_creator("Qinzi")
        pdf.add_font(FONT, "", path)
        for fallback in fallbacks:
            pdf.add_font(fallback.key, "", fallback.path)
        if fallbacks:
            # The form has one style; bold is drawn by stroking (see `emphasis`).
            pdf.set_fallback_fonts([f.key for f in fallbacks], exact_match=False)
        pdf.set_font(FONT, size=10.5)
        pdf.set_text_color(*INK)
        pdf.set_draw_color(*RULE)
        yield pdf


def line_height(size_pt: float) -> float:
    return size_pt * PT * LINE_SPACING


def text_block(
    pdf: FPDF,
    text: str,
    *,
    size: float = 10.5,
    lang: str = DEFAULT_LANGUAGE,
    width: float = 0,
    x: float | None = None,
    color: tuple[int, int, int] = INK,
    bold: bool = False,
    align: str = "L",
    draw: bool = True,
) -> float:
    """Write `text` wrapped to `width` (0: to the right margin) at the current position; the
    cursor goes below it. Returns the height used. `lang` is the text's language, for the
    reader's sake (the line breaking handles both). With `draw=False` only the cursor moves:
    a page measures its content that way before choosing its type sizes."""
    if x is not None:
        pdf.set_x(x)
    top = pdf.get_y()
    width = width or (PAGE_WIDTH - MARGIN_X - pdf.get_x())
    text = tc_font().printable(text)
    with emphasis(pdf, size, color, bold):
        lines = linebreak.wrap(text, width, pdf.get_string_width)
        if not draw:
            pdf.set_xy(MARGIN_X, top + len(lines) * line_height(size))
            return pdf.get_y() - top
        # The lines are already broken; the slack keeps fpdf2 from breaking them again.
        pdf.multi_cell(
            width + 0.5,
            line_height(size),
            "\n".join(lines),
            align=align,
            wrapmode=WrapMode.CHAR,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    return pdf.get_y() - top


def lines_needed(pdf: FPDF, text: str, width: float, size: float) -> int:
    with pdf.local_context(font_size_pt=size):
        return len(linebreak.wrap(tc_font().printable(text), width, pdf.get_string_width))


@contextmanager
def emphasis(pdf: FPDF, size: float, color: tuple[int, int, int], bold: bool) -> Iterator[None]:
    """Text of one size and colour; `bold` thickens the strokes (the font has one weight)."""
    style = {"text_mode": TextMode.FILL_STROKE, "line_width": size * 0.01} if bold else {}
    with pdf.local_context(font_size_pt=size, text_color=color, draw_color=color, **style):
        yield


def field_rows(
    pdf: FPDF,
    rows: Sequence[Sequence[tuple[str, str]]],
    *,
    lang: str,
    label_width: float = 30.0,
    size: float = 10,
    label_size: float = 9,
    pad: float = 1.8,
    draw: bool = True,
) -> None:
    """A ruled table of label | value cells; a row holds one or two pairs. Values wrap, and
    every cell of a row takes the height of the tallest."""
    for pairs in rows:
        value_width = CONTENT_WIDTH / len(pairs) - label_width
        heights = []
        for label, value in pairs:
            heights.append(lines_needed(pdf, label, label_width - 2 * pad, label_size) *
                           line_height(label_size))  # fmt: skip
            heights.append(lines_needed(pdf, value, value_width - 2 * pad, size) *
                           line_height(size))  # fmt: skip
        height = max(heights) + 2 * pad
        x, y = MARGIN_X, pdf.get_y()
        for label, value in pairs if draw else ():
            pdf.set_fill_color(*LABEL_FILL)
            pdf.rect(x, y, label_width, height, style="DF")
            pdf.rect(x + label_width, y, value_width, height, style="D")
            _cell_text(pdf, label, x, y, label_width, height, pad, label_size, lang, MUTED)
            _cell_text(pdf, value, x + label_width, y, value_width, height, pad, size, lang, INK)
            x += label_width + value_width
        pdf.set_xy(MARGIN_X, y + height)


def _cell_text(pdf, text, x, y, width, height, pad, size, lang, color) -> None:
    lines = lines_needed(pdf, text, width - 2 * pad, size)
    pdf.set_xy(x + pad, y + (height - lines * line_height(size)) / 2)
    text_block(pdf, text, size=size, lang=lang, width=width - 2 * pad, color=color)


def section_title(
    pdf: FPDF, text: str, *, gap: float = 3.2, lang: str = DEFAULT_LANGUAGE, draw: bool = True
) -> None:
    pdf.set_xy(MARGIN_X, pdf.get_y() + gap)
    text_block(pdf, text, size=11, lang=lang, bold=True, draw=draw)
    pdf.set_y(pdf.get_y() + 0.6)


def rule(pdf: FPDF, y: float | None = None, *, color: tuple[int, int, int] = RULE) -> None:
    y = pdf.get_y() if y is None else y
    with pdf.local_context(draw_color=color, line_width=0.3):
        pdf.line(MARGIN_X, y, PAGE_WIDTH - MARGIN_X, y)


def footer(pdf: FPDF, left: str, right: str, *, lang: str = DEFAULT_LANGUAGE) -> None:
    """The small print at the foot of a page: when it was printed, and which page it is."""
    y = PAGE_HEIGHT - MARGIN_BOTTOM
    rule(pdf, y - 1.5)
    pdf.set_xy(MARGIN_X, y)
    text_block(pdf, left, size=8, lang=lang, color=MUTED, width=CONTENT_WIDTH * 0.6)
    pdf.set_xy(MARGIN_X + CONTENT_WIDTH * 0.6, y)
    text_block(pdf, right, size=8, lang=lang, color=MUTED, width=CONTENT_WIDTH * 0.4, align="R")


def taipei(value: datetime | None) -> str:
    """A stored naive-UTC time as Taipei wall-clock time, to the minute (blank if unset)."""
    return local_time(value) if value else ""


def _pdf_date(value: datetime) -> str:
    local = value.replace(tzinfo=UTC).astimezone(TAIPEI)
    return local.strftime("D:%Y%m%d%H%M%S+08'00'")


def finish(
    raw: bytes,
    meta: Metadata,
    bookmarks: Sequence[Bookmark],
    overlay: bytes | None = None,
) -> bytes:
    """The pypdf pass: the overlay's pages merged onto the pages of the same number (the 已認證
    stamp), the bookmarks, and the document's title, subject, language and dates."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(raw)))
    if overlay is not None:
        for page, extra in zip(writer.pages, PdfReader(io.BytesIO(overlay)).pages, strict=True):
            page.merge_page(extra)

    def add(marks: Sequence[Bookmark], parent=None) -> None:
        for mark in marks:
            item = writer.add_outline_item(title=mark.title, page_number=mark.page, parent=parent)
            add(mark.children, item)

    add(bookmarks)
    writer.page_mode = "/UseOutlines"
    writer.create_viewer_preferences().display_doctitle = True
    writer.root_object[NameObject("/Lang")] = TextStringObject(meta.lang)
    stamp = _pdf_date(meta.created)
    writer.add_metadata(
        {
            "/Title": meta.title,
            "/Subject": meta.subject,
            "/Keywords": meta.keywords,
            "/Creator": "Qinzi",
            "/CreationDate": stamp,
            "/ModDate": stamp,
        }
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
