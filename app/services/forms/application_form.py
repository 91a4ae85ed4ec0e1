"""The application form (申請書) of SPEC "Printable application form": one A4 page per application,
the parent's own paper for the school, so names, e-mail and mobile appear in full while ID
numbers appear only masked (R9). Each page is first put together as strings (`FormPage`), in the
application's own language, then drawn.

A page says what the application is when it is printed: a decided one is no longer a form to
hand in, so an approved copy says 已認證 and when (and ticks 證明文件已核對 where the reviewer did),
and a rejected one says 不通過 and why; both carry the school's stamp (stamp.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF

from app.i18n import supported, t
from app.identity import national_mobile
from app.models import Application, Relationship, Status
from app.services.forms import layout
from app.services.forms.layout import CONTENT_WIDTH, INK, MARGIN_X, MUTED, PAGE_WIDTH
from app.services.forms.qr import draw_qr
from app.services.kiosk import required_documents

QR_SIZE = 27.0
QR_X = PAGE_WIDTH - MARGIN_X - QR_SIZE - 5  # its caption, wider than the code, ends at the margin
TITLE_WIDTH = QR_X - MARGIN_X - 8
FACTS_WIDTH = 78.0  # the facts under the title; the stamp goes right of them
STAMP_BOX = (101.0, 33.5, 44.0, 21.0)  # x, y, width, height (mm) kept free for 已認證
SCHOOL_BOX_HEIGHT = 16.0
# The label columns fit their own language's labels, measured in the font: short labels line
# up in a column no narrower than the minimum, a label wider than the maximum wraps instead
# (Relationship to the student).
LABEL_MIN, LABEL_MAX = 30.0, 36.0  # the body's tables
FACT_LABEL_MIN, FACT_GAP = 18.0, 4.0  # number and time under the title
SCHOOL_TITLE_MIN, SCHOOL_TITLE_PAD = 18.0, 1.5  # the school's box
TICK = "✓"  # in Noto Sans TC; text, so that the tick is read back with the page's text

Row = tuple[tuple[str, str], ...]  # one or two (label, value) pairs


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[Row, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SchoolUse:
    """The box the school fills in when the signed paper comes back."""

    title: str
    received: str
    checked_by: str
    documents_checked: str | None  # only where papers must be checked (R27)
    documents_ticked: bool = False  # the reviewer checked them (R27)


@dataclass(frozen=True)
class FormPage:
    number: str
    lang: str
    student_name: str
    issuer: str
    title: str
    facts: tuple[tuple[str, str], ...]
    qr_caption: str
    sections: tuple[Section, ...]
    signature_title: str
    declaration: str
    signer: str
    date_label: str
    date_units: tuple[str, ...]
    hand_in: str  # what to do with the paper, or, once decided, the decision
    school_use: SchoolUse
    printed: str
    page_label: str
    decided_at: datetime | None
    decision: str = ""  # Status.APPROVED or Status.REJECTED once decided: the stamp's words


def form_page(app: Application, page: int, pages: int, printed_at: datetime) -> FormPage:
    """One application as the strings of its page, in the language the parent used."""
    lang = supported(app.lang)

    def tr(key: str, **params: object) -> str:
        return t(key, lang, **params)

    f = "forms.field."
    legal = Relationship(app.relationship).is_legal_representative
    relation = tr(f"forms.relation.{app.relationship}", note=app.relationship_note or "")
    documents = required_documents(app.relationship)
    notes = (
        (tr("forms.documents.intro"), *(f"• {tr(key)}" for key in documents))
        if documents
        else (tr("forms.documents.none"),)
    )
    student = Section(
        tr("forms.section.student"),
        rows=(
            ((tr(f + "student_name"), app.student.name), (tr(f + "student_id"),
                                                         app.student.id_masked)),
            ((tr(f + "school"), app.school.name), (tr(f + "classroom"), tr(
                f + "classroom_value", level=tr(f"level.{app.level}"),
                classroom=app.classroom.name))),
        ),
    )  # fmt: skip
    parent = Section(
        tr("forms.section.parent"),
        rows=(
            ((tr(f + "parent_name"), app.parent_name), (tr(f + "parent_id"),
                                                       app.parent_id_masked)),
            ((tr(f + "relationship"), relation), (tr(f + "mobile"),
                                                 national_mobile(app.mobile))),
            ((tr(f + "email"), tr(f + "email_value", email=app.email)),),
        ),
    )  # fmt: skip
    record = Section(
        tr("forms.section.record"),
        rows=(
            ((tr(f + "consent"), tr(f + "consent_value", version=app.consent_version,
                                    time=layout.taipei(app.consent_at))),),
            ((tr(f + "signed"), tr(f + "signed_value", time=layout.taipei(app.signed_at),
                                   terminal=app.terminal_id)),),
            ((tr(f + "digest"), _grouped(app.content_sha256)),),
        ),
    )  # fmt: skip
    return FormPage(
        number=app.number,
        lang=lang,
        student_name=app.student.name,
        issuer=tr("forms.issuer"),
        title=tr("forms.title"),
        facts=(
            (tr("forms.number"), app.number),
            (tr("forms.submitted"), layout.taipei(app.submitted_at)),
        ),
        qr_caption=tr("forms.qr_caption"),
        sections=(student, parent, record, Section(tr("forms.section.documents"), notes=notes)),
        signature_title=tr("forms.section.signature"),
        declaration=tr(
            "forms.signature.declaration",
            kind=tr("forms.signature.kind_legal" if legal else "forms.signature.kind_guardian"),
        ),
        signer=tr("forms.signature.signer"),
        date_label=tr("forms.signature.date"),
        date_units=tuple(tr("forms.signature.date_units").split()),
        hand_in=_hand_in(app, tr),
        school_use=SchoolUse(
            title=tr("forms.school_use.title"),
            received=tr("forms.school_use.received"),
            checked_by=tr("forms.school_use.checked_by"),
            documents_checked=tr("forms.school_use.documents_checked") if documents else None,
            documents_ticked=bool(documents and app.documents_checked),
        ),
        printed=tr("forms.printed", time=layout.taipei(printed_at)),
        page_label=tr("forms.page", page=page, pages=pages),
        decided_at=app.decided_at,
        decision=app.status if app.status in DECIDED else "",
    )


DECIDED = (Status.APPROVED, Status.REJECTED)


def _hand_in(app: Application, tr) -> str:
    """Under the signature line: hand the signed paper in, or, once decided, the decision (an
    approved copy telling the parent to hand it in sent them back to school for nothing)."""
    time = layout.taipei(app.decided_at)
    if app.status == Status.APPROVED:
        return tr("forms.signature.approved", time=time)
    if app.status == Status.REJECTED:
        reason = (app.reject_reason or "").strip() or tr("forms.signature.no_reason")
        return tr("forms.signature.rejected", time=time, reason=reason)
    return tr("forms.signature.hand_in")


def _grouped(digest: str, size: int = 16) -> str:
    """A SHA-256 in four groups, easier to compare by eye (and to wrap) than 64 hex digits."""
    return " ".join(digest[i : i + size] for i in range(0, len(digest), size))


@dataclass(frozen=True)
class Density:
    """Type sizes (pt) and spacing (mm) of a form's body. Most forms use the first; very long
    content (a 254-character e-mail, a 100-character school name) steps down until it fits."""

    text: float = 10.0
    label: float = 9.0
    note: float = 9.5
    gap: float = 3.2
    pad: float = 1.8
    sign_room: float = 10.0


DENSITIES = (
    Density(),
    Density(9.5, 8.5, 9.0, 2.4, 1.4, 8.0),
    Density(8.5, 8.0, 8.0, 1.6, 1.0, 6.0),
)


def draw_form(pdf: FPDF, page: FormPage) -> None:
    pdf.add_page()
    _header(pdf, page)
    top = pdf.get_y()
    footer_top = layout.PAGE_HEIGHT - layout.MARGIN_BOTTOM - 4
    density, school_box = DENSITIES[-1], False
    for candidate in DENSITIES:
        _body(pdf, page, candidate, draw=False)
        end = pdf.get_y()
        pdf.set_xy(MARGIN_X, top)
        if end <= footer_top - SCHOOL_BOX_HEIGHT - 4:
            density, school_box = candidate, True
            break
    # Content that fills even the tightest page (a 254-character e-mail and a 100-character
    # school name) keeps the page and drops the school's box rather than run into the footer.
    _body(pdf, page, density, draw=True)
    if school_box:
        _school_use(pdf, page.school_use, page.lang)
    layout.footer(pdf, page.printed, page.page_label, lang=page.lang)


def _body(pdf: FPDF, page: FormPage, d: Density, *, draw: bool) -> None:
    """The sections, the declaration and the signature line; measured first (draw=False)."""
    lang = page.lang
    label_width = _label_width(pdf, page, d)
    for section in page.sections:
        layout.section_title(pdf, section.title, gap=d.gap, lang=lang, draw=draw)
        if section.rows:
            layout.field_rows(pdf, section.rows, lang=lang, label_width=label_width,
                              size=d.text, label_size=d.label, pad=d.pad, draw=draw)  # fmt: skip
        for note in section.notes:
            layout.text_block(pdf, note, size=d.note, lang=lang, draw=draw)
    layout.section_title(pdf, page.signature_title, gap=d.gap, lang=lang, draw=draw)
    layout.text_block(pdf, page.declaration, size=d.text, lang=lang, draw=draw)
    pdf.set_y(pdf.get_y() + d.sign_room)
    if draw:
        _signature_line(pdf, page)
    else:
        pdf.set_y(pdf.get_y() + layout.line_height(SIGN_SIZE) - 0.8 + _date_style(page).below)
    if page.decision:
        pdf.set_y(pdf.get_y() + 1)
        layout.text_block(pdf, page.hand_in, size=d.text, lang=lang, draw=draw)
    else:
        layout.text_block(pdf, page.hand_in, size=d.note - 0.5, lang=lang, color=MUTED,
                          draw=draw)  # fmt: skip


def _header(pdf: FPDF, page: FormPage) -> None:
    lang = page.lang
    pdf.set_xy(MARGIN_X, layout.MARGIN_TOP)
    layout.text_block(pdf, page.issuer, size=9.5, lang=lang, color=MUTED, width=TITLE_WIDTH)
    layout.text_block(pdf, page.title, size=17, lang=lang, bold=True, width=TITLE_WIDTH)
    pdf.set_y(pdf.get_y() + 1.5)
    labels = [label for label, _ in page.facts]
    label_width = max(FACT_LABEL_MIN, _widest(pdf, labels, 9) + FACT_GAP)
    for label, value in page.facts:
        y = pdf.get_y()
        layout.text_block(pdf, label, size=9, lang=lang, color=MUTED, width=label_width)
        pdf.set_xy(MARGIN_X + label_width, y - 0.4)
        layout.text_block(pdf, value, size=11, lang=lang, width=FACTS_WIDTH - label_width)
        pdf.set_y(max(pdf.get_y(), y + 5.6))
    left_bottom = pdf.get_y()
    draw_qr(pdf, page.number, QR_X, layout.MARGIN_TOP, QR_SIZE)
    pdf.set_xy(QR_X - 5, layout.MARGIN_TOP + QR_SIZE + 1.2)
    layout.text_block(pdf, page.qr_caption, size=7.5, lang=lang, color=MUTED,
                      width=QR_SIZE + 10, align="C")  # fmt: skip
    bottom = max(left_bottom, pdf.get_y(), STAMP_BOX[1] + STAMP_BOX[3]) + 2
    layout.rule(pdf, bottom)
    pdf.set_xy(MARGIN_X, bottom)


@dataclass(frozen=True)
class DateStyle:
    """The date group of the signature line: the blanks' widths (mm), the gap between them, and
    the room the group needs below its line."""

    blanks: tuple[float, float, float]
    gap: float
    below: float
    captioned: bool


SIGN_SIZE = 10.5
INLINE_DATE = DateStyle((18.0, 11.0, 11.0), 1.0, 4.0, captioned=False)  # ____年___月___日
CAPTIONED_DATE = DateStyle((20.0, 13.0, 13.0), 3.0, 6.5, captioned=True)  # year, month, day under


def _date_style(page: FormPage) -> DateStyle:
    """Units of one character (年 月 日) follow their blanks, as the date is written by hand;
    units that are words become small captions under the blanks."""
    return CAPTIONED_DATE if any(len(u) > 1 for u in page.date_units) else INLINE_DATE


def _widest(pdf: FPDF, texts: Sequence[str], size: float) -> float:
    """The width (mm) of the widest line of `texts` at `size` pt in the document's font."""
    with pdf.local_context(font_size_pt=size):
        return max(pdf.get_string_width(line) for text in texts for line in text.split("\n"))


def _label_width(pdf: FPDF, page: FormPage, d: Density) -> float:
    """The label column of the body's tables for this page's labels at this density."""
    labels = [label for s in page.sections for row in s.rows for label, _ in row]
    padded = [_widest(pdf, [label], d.label) + 2 * d.pad + 1 for label in labels]
    return max([LABEL_MIN, *(w for w in padded if w <= LABEL_MAX)])


def _signature_line(pdf: FPDF, page: FormPage) -> None:
    """申請人簽名 ______  日期 ____年___月___日: room to sign by hand on the paper copy. The date
    group ends at the right margin (see `_date_style` for where its units go)."""
    style = _date_style(page)
    y = pdf.get_y()
    base = y + layout.line_height(SIGN_SIZE) - 0.8
    with layout.emphasis(pdf, SIGN_SIZE, INK, bold=False):
        signer_w = pdf.get_string_width(page.signer) + 2
        date_w = pdf.get_string_width(page.date_label) + 2
        unit_ws = [0.0 if style.captioned else pdf.get_string_width(u) + 1.5
                   for u in page.date_units]  # fmt: skip
    blanks = style.blanks
    group = date_w + 1 + sum(blanks) + sum(unit_ws) + style.gap * (len(blanks) - 1)
    x = PAGE_WIDTH - MARGIN_X - group
    pdf.set_xy(MARGIN_X, y)
    layout.text_block(pdf, page.signer, size=SIGN_SIZE, lang=page.lang, width=signer_w)
    pdf.line(MARGIN_X + signer_w + 1, base, x - 8, base)
    pdf.set_xy(x, y)
    layout.text_block(pdf, page.date_label, size=SIGN_SIZE, lang=page.lang, width=date_w)
    x += date_w + 1
    for unit, unit_w, blank in zip(page.date_units, unit_ws, blanks, strict=False):
        pdf.line(x, base, x + blank, base)
        if style.captioned:
            pdf.set_xy(x, base + 0.6)
            layout.text_block(pdf, unit, size=7, lang=page.lang, color=MUTED, width=blank,
                              align="C")  # fmt: skip
        else:
            pdf.set_xy(x + blank + 0.5, y)
            layout.text_block(pdf, unit, size=SIGN_SIZE, lang=page.lang, width=unit_w)
        x += blank + unit_w + style.gap
    pdf.set_xy(MARGIN_X, base + style.below)


def _school_use(pdf: FPDF, box: SchoolUse, lang: str) -> None:
    """A ruled box just above the footer, for the school: when the paper came back and who
    checked it (and, for guardians, that the papers were seen)."""
    y = max(pdf.get_y() + 4, layout.PAGE_HEIGHT - layout.MARGIN_BOTTOM - SCHOOL_BOX_HEIGHT - 8)
    title_w = max(SCHOOL_TITLE_MIN, _widest(pdf, [box.title], 9) + 2 * SCHOOL_TITLE_PAD)
    with pdf.local_context(draw_color=layout.RULE, line_width=0.3):
        pdf.set_fill_color(*layout.LABEL_FILL)
        pdf.rect(MARGIN_X, y, title_w, SCHOOL_BOX_HEIGHT, style="DF")
        pdf.rect(MARGIN_X + title_w, y, CONTENT_WIDTH - title_w, SCHOOL_BOX_HEIGHT, style="D")
    pdf.set_xy(MARGIN_X, y + SCHOOL_BOX_HEIGHT / 2 - layout.line_height(9) / 2)
    layout.text_block(pdf, box.title, size=9, lang=lang, color=MUTED, width=title_w, align="C")
    fields = [box.received, box.checked_by]
    columns = len(fields) + (1 if box.documents_checked else 0)
    col_w = (CONTENT_WIDTH - title_w) / columns
    for i, label in enumerate(fields):
        x = MARGIN_X + title_w + i * col_w + 3
        pdf.set_xy(x, y + 2)
        layout.text_block(pdf, label, size=8.5, lang=lang, color=MUTED, width=col_w - 6)
        pdf.line(x, y + SCHOOL_BOX_HEIGHT - 4, x + col_w - 6, y + SCHOOL_BOX_HEIGHT - 4)
    if box.documents_checked:
        x = MARGIN_X + title_w + len(fields) * col_w + 3
        pdf.rect(x, y + SCHOOL_BOX_HEIGHT / 2 - 2, 4, 4, style="D")
        if box.documents_ticked:
            pdf.set_xy(x, y + SCHOOL_BOX_HEIGHT / 2 - layout.line_height(10) / 2)
            layout.text_block(pdf, TICK, size=10, lang=lang, bold=True, width=4, align="C")
        pdf.set_xy(x + 6, y + SCHOOL_BOX_HEIGHT / 2 - layout.line_height(8.5) / 2)
        layout.text_block(pdf, box.documents_checked, size=8.5, lang=lang, color=MUTED,
                          width=col_w - 9)  # fmt: skip


def render_forms(pages: Sequence[FormPage], created: datetime) -> bytes:
    """The pages drawn by fpdf2, before the pypdf pass."""
    with layout.document([*layout.strings_of(pages), TICK], created) as pdf:
        for page in pages:
            draw_form(pdf, page)
        return bytes(pdf.output())
