"""Class letters: one page per student for the homeroom teacher to hand out, telling the parents
how to bind at the kiosk. The student appears masked (吳*寶): the letter passes through the
teacher's and the child's hands. Its QR code names the school and class (see qr.class_qr_text)
so that the kiosk's step 2 can preselect the level and the school; the parent still types the
student's ID number."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF

from app.i18n import t
from app.identity import mask_name
from app.models import Classroom, School, Student
from app.services.forms import layout
from app.services.forms.layout import CONTENT_WIDTH, MARGIN_X, MUTED, PAGE_WIDTH
from app.services.forms.qr import class_qr_text, draw_qr, quiet_margin
from app.services.unbound import unbound_students

QR_SIZE = 38.0
BODY = 11.5  # pt: a letter is read by parents of every age
STEPS = ("step1", "step2", "step3", "step4", "step5")
BOX_FILL = (244, 246, 248)


@dataclass(frozen=True)
class LetterPage:
    lang: str
    qr_text: str
    issuer: str
    title: str
    student_line: str
    greeting: str
    intro: str
    steps_title: str
    steps: tuple[str, ...]
    boxes: tuple[tuple[str, str], ...]  # (heading, text): what to bring, after approval
    qr_caption: str
    contact: str
    printed: str
    page_label: str


def letter_pages(
    school: School,
    rooms: Sequence[Classroom],
    lang: str,
    printed_at: datetime,
    initial_password: str,
    unbound_only: bool = False,
) -> tuple[list[LetterPage], list[layout.Bookmark]]:
    """The pages of every enrolled student of `rooms` (with `unbound_only`, of those not yet
    bound: no live binding, no pending application), class by class in roster order, and a
    bookmark per class with one per (masked) student under it."""

    def tr(key: str, **params: object) -> str:
        return t(key, lang, **params)

    conditions = [Student.classroom.in_([r.id for r in rooms]), Student.active == True]  # noqa: E712
    if unbound_only:
        conditions.append(unbound_students())
    students = list(Student.select().where(*conditions).order_by(Student.id))
    by_room = {r.id: [s for s in students if s.classroom_id == r.id] for r in rooms}
    after = "after_random" if initial_password == "random" else "after_id_last6"
    common = {
        "issuer": tr("forms.issuer"),
        "title": tr("forms.letter.title"),
        "intro": tr("forms.letter.intro"),
        "steps_title": tr("forms.letter.steps"),
        "steps": tuple(tr(f"forms.letter.{s}") for s in STEPS),
        "boxes": (
            (tr("forms.letter.bring"), tr("forms.letter.bring_text")),
            (tr("forms.letter.after"), tr(f"forms.letter.{after}")),
        ),
        "qr_caption": tr("forms.letter.qr_caption"),
        "contact": tr("forms.letter.contact"),
        "printed": tr("forms.printed", time=layout.taipei(printed_at)),
    }
    total = len(students)
    pages: list[LetterPage] = []
    marks: list[layout.Bookmark] = []
    for room in sorted(rooms, key=lambda r: (len(r.name), r.name)):
        first = len(pages)
        children = []
        for student in by_room[room.id]:
            masked = mask_name(student.name)
            children.append(layout.Bookmark(masked, len(pages)))
            pages.append(
                LetterPage(
                    lang=lang,
                    qr_text=class_qr_text(school.code, room.name),
                    student_line=tr(
                        "forms.letter.student",
                        student=masked,
                        school=school.name,
                        classroom=room.name,
                    ),
                    greeting=tr("forms.letter.to", student=masked),
                    page_label=tr("forms.page", page=len(pages) + 1, pages=total),
                    **common,
                )
            )
        if children:
            title = tr("forms.letter.bookmark_class", classroom=room.name)
            marks.append(layout.Bookmark(title, first, tuple(children)))
    return pages, marks


def draw_letter(pdf: FPDF, page: LetterPage) -> None:
    pdf.add_page()
    lang = page.lang
    qr_x = PAGE_WIDTH - MARGIN_X - QR_SIZE
    text_width = qr_x - MARGIN_X - quiet_margin(page.qr_text, QR_SIZE) - 2
    pdf.set_xy(MARGIN_X, layout.MARGIN_TOP)
    layout.text_block(pdf, page.issuer, size=9.5, lang=lang, color=MUTED, width=text_width)
    layout.text_block(pdf, page.title, size=18, lang=lang, bold=True, width=text_width)
    pdf.set_y(pdf.get_y() + 2)
    layout.text_block(pdf, page.student_line, size=12, lang=lang, width=text_width)
    draw_qr(pdf, page.qr_text, qr_x, layout.MARGIN_TOP, QR_SIZE)
    caption_width = QR_SIZE + 2 * quiet_margin(page.qr_text, QR_SIZE)
    pdf.set_xy(qr_x + QR_SIZE / 2 - caption_width / 2, layout.MARGIN_TOP + QR_SIZE + 1.5)
    layout.text_block(pdf, page.qr_caption, size=8, lang=lang, color=MUTED,
                      width=caption_width, align="C")  # fmt: skip
    top = max(pdf.get_y(), layout.MARGIN_TOP + QR_SIZE + 8) + 3
    layout.rule(pdf, top)
    pdf.set_xy(MARGIN_X, top + 5)
    layout.text_block(pdf, page.greeting, size=BODY, lang=lang)
    pdf.set_y(pdf.get_y() + 2)
    layout.text_block(pdf, page.intro, size=BODY, lang=lang)
    layout.section_title(pdf, page.steps_title, gap=6, lang=lang)
    for number, step in enumerate(page.steps, 1):
        _step(pdf, number, step, lang)
    for heading, text in page.boxes:
        _box(pdf, heading, text, lang)
    pdf.set_y(pdf.get_y() + 6)
    layout.text_block(pdf, page.contact, size=BODY - 1, lang=lang, color=MUTED)
    layout.footer(pdf, page.printed, page.page_label, lang=lang)


def _step(pdf: FPDF, number: int, text: str, lang: str) -> None:
    y = pdf.get_y() + 2.6
    radius = 3.3
    with pdf.local_context(fill_color=layout.INK):
        pdf.circle(MARGIN_X + radius, y + radius + 0.2, radius, style="F")
    pdf.set_xy(MARGIN_X, y + 0.6)
    layout.text_block(pdf, str(number), size=9, lang=lang, color=(255, 255, 255),
                      width=2 * radius, align="C")  # fmt: skip
    pdf.set_xy(MARGIN_X + 2 * radius + 3, y)
    layout.text_block(pdf, text, size=BODY, lang=lang, width=CONTENT_WIDTH - 2 * radius - 3)


def _box(pdf: FPDF, heading: str, text: str, lang: str) -> None:
    pad = 3.5
    y = pdf.get_y() + 5
    inner = CONTENT_WIDTH - 2 * pad
    lines = layout.lines_needed(pdf, text, inner, BODY - 0.5)
    height = pad * 2 + layout.line_height(BODY) + 0.8 + lines * layout.line_height(BODY - 0.5)
    with pdf.local_context(fill_color=BOX_FILL, draw_color=layout.RULE):
        pdf.rect(MARGIN_X, y, CONTENT_WIDTH, height, style="DF", round_corners=True,
                 corner_radius=1.5)  # fmt: skip
    pdf.set_xy(MARGIN_X + pad, y + pad)
    layout.text_block(pdf, heading, size=BODY, lang=lang, bold=True, width=inner)
    pdf.set_y(pdf.get_y() + 0.8)
    layout.text_block(pdf, text, size=BODY - 0.5, lang=lang, width=inner, x=MARGIN_X + pad)
    pdf.set_y(y + height)


def render_letters(pages: Sequence[LetterPage], created: datetime) -> bytes:
    texts = layout.strings_of(pages) + [str(n) for n in range(1, len(STEPS) + 1)]
    with layout.document(texts, created) as pdf:
        for page in pages:
            draw_letter(pdf, page)
        return bytes(pdf.output())
