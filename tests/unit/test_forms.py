"""The printable application form (SPEC "Printable application form"): R31 number as text and QR,
R9 names in full and IDs masked, R23 no ID, code or password anywhere in the file, R27 the
papers a guardian brings, the approved copy, bookmarks and metadata, a font without tofu,
saving and printing, and `qinzi form` on the command line.

Pages are rendered with pypdfium2 and their QR codes read with zxing-cpp, as a scanner would."""

from __future__ import annotations

import csv
import io
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader

from app import cli, console, factory
from app.errors import InvalidInput, NotFound, RuleRefused
from app.i18n import catalog, t
from app.identity import id_digest, mask_id, with_check_digit
from app.models import Application, AuditEvent, Classroom, School, Status, Student
from app.resources import data_file
from app.services.forms.fonts import tc_font
from app.services.forms.layout import MARGIN_TOP, MARGIN_X, PAGE_HEIGHT, PAGE_WIDTH, PT
from app.services.kiosk import required_documents
from app.services.staff import StaffIdentity
from tests.factories import kiosk_session, make_roster, submit_application

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = ROOT / "tests" / "snapshots" / "forms"
FORM_KEYS_PREFIXES = ("forms.", "level.", "relationship.", "status.", "documents.")


# --- helpers (test_letters uses them too) ---------------------------------------------------------


def page_images(pdf: bytes, dpi: int = 150) -> list:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72).to_pil() for page in doc]
    finally:
        doc.close()


def qr_texts(image) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(image)]


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def every_byte(pdf: bytes) -> bytes:
    """The file as stored plus every stream decompressed: what anyone holding the file can read."""
    reader = PdfReader(io.BytesIO(pdf))
    parts = [pdf]
    for number in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(number)
        if obj is not None and hasattr(obj, "get_data"):
            parts.append(obj.get_data())
    assert len(parts) > 3  # the content streams, the font and its maps were read
    return b"".join(parts)


def char_boxes(pdf: bytes, index: int = 0) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Each drawn character and its box (left, bottom, right, top) in points."""
    doc = pdfium.PdfDocument(pdf)
    try:
        text = doc[index].get_textpage()
        boxes = []
        for i in range(text.count_chars()):
            ch = text.get_text_range(i, 1)
            if ch.strip():
                boxes.append((ch, text.get_charbox(i)))
        return boxes
    finally:
        doc.close()


def overlapping(boxes) -> list[tuple[str, str]]:
    """Pairs of characters whose boxes overlap by more than a quarter of the smaller one."""
    found = []
    cells: dict[tuple[int, int], list[int]] = {}
    for i, (_, (left, bottom, right, top)) in enumerate(boxes):
        for gx in range(int(left // 20), int(right // 20) + 1):
            for gy in range(int(bottom // 20), int(top // 20) + 1):
                cells.setdefault((gx, gy), []).append(i)
    seen = set()
    for members in cells.values():
        for a in members:
            for b in members:
                if a >= b or (a, b) in seen:
                    continue
                seen.add((a, b))
                (ca, ba), (cb, bb) = boxes[a], boxes[b]
                w = min(ba[2], bb[2]) - max(ba[0], bb[0])
                h = min(ba[3], bb[3]) - max(ba[1], bb[1])
                smaller = min((ba[2] - ba[0]) * (ba[3] - ba[1]), (bb[2] - bb[0]) * (bb[3] - bb[1]))
                if w > 0 and h > 0 and smaller > 0 and w * h > 0.25 * smaller:
                    found.append((ca, cb))
    return found


def outside_margins(boxes) -> list[str]:
    """Characters outside the printable area: the side margins, the top margin, and the bottom
    10 mm (the footer sits in the bottom margin's upper part)."""
    mm = 1 / PT
    left, right = (MARGIN_X - 0.5) * mm, (PAGE_WIDTH - MARGIN_X + 0.5) * mm
    top, bottom = (PAGE_HEIGHT - MARGIN_TOP + 0.5) * mm, 10 * mm
    return [
        ch for ch, (x0, y0, x1, y1) in boxes if x0 < left or x1 > right or y1 > top or y0 < bottom
    ]


def approve(services, roster, number: str, teacher: str = "lee", **kw):
    return services.review.approve(StaffIdentity.of(roster.teachers[teacher]), number, **kw)


def taipei(value: datetime) -> str:
    from app.services.reports import TAIPEI

    return value.replace(tzinfo=UTC).astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M")


# --- the form -------------------------------------------------------------------------------------


def test_r31_each_page_carries_its_number_as_text_and_as_a_qr_code(services, roster):
    submitted = submit_application(services, roster, ("wu", "wu2"))
    numbers = [s.number for s in submitted]
    pdf = services.forms.build(numbers)
    images = page_images(pdf)
    assert len(images) == 2
    assert [qr_texts(img) for img in images] == [[numbers[0]], [numbers[1]]]
    texts = page_texts(pdf)
    assert numbers[0] in texts[0] and numbers[1] in texts[1]


def test_r9_form_shows_names_and_contacts_in_full_and_ids_only_masked(services, roster):
    [item] = submit_application(services, roster, ("wu",), mobile="0911222333")
    text = page_texts(services.forms.build([item.number]))[0]
    student = roster.student("wu")
    for expected in ("吳三寶", "臺北市大安區和平國小", "301", "吳志明", "father@home.example",
                     "0911222333", student.id_masked, roster.parent_ids["father"][:4] + "******",
                     "父親", "法定代理人", "國小"):  # fmt: skip
        assert expected in text, expected
    assert roster.ids["wu"] not in text
    assert roster.parent_ids["father"] not in text


def test_r16_form_records_consent_signature_and_content_hash_in_taipei_time(services, roster):
    [item] = submit_application(services, roster, ("wu",))
    app = Application.get(Application.number == item.number)
    text = page_texts(services.forms.build([item.number]))[0]
    assert taipei(app.signed_at) in text
    assert taipei(app.signed_at).endswith("16:00")  # 08:00 UTC on the frozen clock
    assert app.consent_version in text and app.terminal_id in text
    assert app.content_sha256[:16] in text and app.content_sha256[-16:] in text
    assert "簽名切結" in text and t("forms.signature.signer") in text


def test_r9_r23_no_id_code_or_password_anywhere_in_the_pdf(services, roster):
    from tests.unit.test_no_plaintext import journey

    secrets = journey(services, roster)
    numbers = [
        a.number for a in Application.select().where(Application.email == "parent@home.example")
    ]
    assert len(numbers) == 2
    for pdf in (services.forms.build(numbers), services.forms.build(numbers, approved=True)):
        blob = every_byte(pdf)
        text = "\n".join(page_texts(pdf))
        assert "吳三寶" in text and "陳曉明" in text  # the scan does see the page's text
        assert [s for s in secrets if s in text] == []
        assert [s for s in secrets if s.encode() in blob] == []
        utf16 = [s for s in secrets if s.encode("utf-16-be") in blob]
        assert utf16 == []


def test_r9_several_students_one_pdf_a_page_and_a_bookmark_each(services, roster):
    submitted = submit_application(services, roster, ("wu", "wu2", "chen"))
    pdf = services.forms.build([s.number for s in submitted])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 3
    marks = [(m.title, reader.get_destination_page_number(m)) for m in reader.outline]
    assert marks == [(f"吳三寶 {submitted[0].number}", 0), (f"吳大寶 {submitted[1].number}", 1),
                     (f"陳曉明 {submitted[2].number}", 2)]  # fmt: skip
    assert reader.page_mode == "/UseOutlines"
    # Each page is A4 portrait.
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * PT), round(float(box.height) * PT)) == (210, 297)


def test_r31_numbers_are_printed_once_each_in_the_order_given(services, roster):
    first, second = submit_application(services, roster, ("wu", "wu2"))
    pdf = services.forms.build([second.number, first.number.lower(), second.number])
    assert [qr_texts(img) for img in page_images(pdf)] == [[second.number], [first.number]]


def test_r9_metadata_title_subject_language_and_date_without_names(services, roster, clock):
    submitted = submit_application(services, roster, ("wu", "wu2"))
    clock.advance(minutes=90)
    reader = PdfReader(io.BytesIO(services.forms.build([s.number for s in submitted])))
    meta = reader.metadata
    assert meta.title == "親子帳號綁定申請書"
    assert meta.subject == "申請編號 " + ", ".join(s.number for s in submitted)
    assert meta.creation_date.astimezone(UTC).replace(tzinfo=None) == clock()
    assert meta.creator == "Qinzi"
    assert reader.root_object["/Lang"] == "zh-TW"
    assert "吳三寶" not in str(dict(meta))  # names stay out of the file's properties


def test_r26_english_form_when_the_parent_used_english(services, roster):
    session = kiosk_session(services, "mary@home.example", lang="en")
    [item] = submit_application(services, roster, ("lin",), parent="mother", name="Mary Lin",
                                email="mary@home.example", relationship="mother",
                                session=session)  # fmt: skip
    pdf = services.forms.build([item.number])
    text = page_texts(pdf)[0]
    assert "Application to Link a Parent Account to a Child" in text
    assert "Child's name" in text and "Mother" in text and "Mary Lin" in text
    assert "申請書" not in text
    title = "Application to Link a Parent Account to a Child"
    assert PdfReader(io.BytesIO(pdf)).metadata.title == title


def test_r27_guardian_form_lists_the_papers_to_bring(services, roster):
    [grandma] = submit_application(services, roster, ("chen",), parent="grandma",
                                   relationship="grandmother", name="陳林秀英",
                                   email="grandma@home.example")  # fmt: skip
    [father] = submit_application(services, roster, ("wu",))
    text = page_texts(services.forms.build([grandma.number]))[0]
    for key in required_documents("grandmother"):
        assert t(key)[:12] in text
    assert "監護人" in text and t("forms.school_use.documents_checked") in text
    plain = page_texts(services.forms.build([father.number]))[0]
    assert t("forms.documents.none") in plain
    assert t("documents.guardianship_proof")[:12] not in plain


# --- the approved copy ----------------------------------------------------------------------------


def test_r19_approved_copy_has_the_stamp_and_the_decision_time(services, roster, clock):
    [item] = submit_application(services, roster, ("wu",))
    plain = services.forms.build([item.number])
    clock.advance(hours=26)
    approve(services, roster, item.number)
    decided = Application.get(Application.number == item.number).decided_at
    stamped = services.forms.build([item.number], approved=True)
    assert "已認證" not in page_texts(plain)[0]
    text = page_texts(stamped)[0]
    assert "已認證" in text and f"認證時間 {taipei(decided)}" in text
    # Issue 16: once approved, every copy is the approved one, whoever asks for it.
    assert page_texts(services.forms.build([item.number]))[0] == text
    assert taipei(decided) == "2026-09-02 18:00"
    # The stamp lies on the original page: same page count, the QR code still reads.
    assert len(PdfReader(io.BytesIO(stamped)).pages) == 1
    assert qr_texts(page_images(stamped)[0]) == [item.number]
    assert overlapping(char_boxes(stamped)) == []


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_r19_approved_copy_says_so_and_ticks_the_papers_the_reviewer_checked(
    services, roster, clock, lang
):
    """Issue 16: the approved copy still told the parent to hand the form in, and left
    證明文件已核對 empty though the teacher had ticked it."""
    session = kiosk_session(services, "grandma@home.example", lang=lang)
    [item] = submit_application(services, roster, ("chen",), parent="grandma",
                                relationship="grandmother", name="陳林秀英",
                                email="grandma@home.example", session=session)  # fmt: skip
    pending = page_texts(services.forms.build([item.number]))[0]
    clock.advance(hours=3)
    approve(services, roster, item.number, teacher="ho", documents_checked=True)
    decided = taipei(Application.get(Application.number == item.number).decided_at)
    copy = page_texts(services.forms.build([item.number], approved=True))[0]
    squash = " ".join(copy.split())
    hand_in = " ".join(t("forms.signature.hand_in", lang).split())
    assert hand_in[:20] in " ".join(pending.split()) and hand_in[:20] not in squash
    approved_text = " ".join(t("forms.signature.approved", lang, time=decided).split())
    assert approved_text[:30] in squash and decided in squash
    assert t("forms.stamp.label", lang) in copy
    # The tick sits in the school's box, beside 證明文件已核對.
    assert "✓" not in pending and "✓" in copy
    assert t("forms.school_use.documents_checked", lang) in copy


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_r18_rejected_copy_says_not_approved_and_why(services, roster, clock, lang):
    """Issue 16: a rejected application printed as an ordinary form, to be handed in."""
    session = kiosk_session(services, "father@home.example", lang=lang)
    [item] = submit_application(services, roster, ("wu",), session=session)
    clock.advance(hours=3)
    teacher = StaffIdentity.of(roster.teachers["lee"])
    services.review.reject(teacher, item.number, "關係不符，請改由法定代理人申請")
    decided = taipei(Application.get(Application.number == item.number).decided_at)
    text = page_texts(services.forms.build([item.number]))[0]
    squash = " ".join(text.split())
    assert t("forms.stamp.rejected_label", lang) in text
    assert t("forms.stamp.rejected_decided", lang, time=decided) in squash
    assert "關係不符，請改由法定代理人申請" in squash
    assert " ".join(t("forms.signature.hand_in", lang).split())[:20] not in squash
    assert t("forms.stamp.label", lang) not in text  # not 已認證
    assert "✓" not in text
    # Not an approved copy: --approved still refuses it.
    with pytest.raises(RuleRefused):
        services.forms.build([item.number], approved=True)


def test_r19_a_pending_page_among_decided_ones_gets_no_stamp(services, roster):
    first, second = submit_application(services, roster, ("wu", "wu2"))
    approve(services, roster, first.number)
    texts = page_texts(services.forms.build([first.number, second.number]))
    assert "已認證" in texts[0] and "已認證" not in texts[1] and "不通過" not in texts[1]


def test_r19_approved_copy_is_refused_while_pending(services, roster):
    first, second = submit_application(services, roster, ("wu", "wu2"))
    approve(services, roster, first.number)
    with pytest.raises(RuleRefused) as refused:
        services.forms.build([first.number, second.number], approved=True)
    assert refused.value.key == "errors.forms.not_approved"
    assert refused.value.field == "number" and refused.value.params["number"] == second.number


def test_r17_withdrawn_applications_have_no_form(services, roster):
    [item] = submit_application(services, roster, ("wu",))
    services.progress.cancel(kiosk_session(services).contact.digest, item.number)
    assert Application.get(Application.number == item.number).status == Status.CANCELLED
    with pytest.raises(RuleRefused) as refused:
        services.forms.build([item.number])
    assert refused.value.key == "errors.forms.withdrawn"


@pytest.mark.parametrize(
    ("numbers", "error", "key"),
    [
        (["QZ-0000-0000"], NotFound, "errors.forms.not_found"),
        (["not a number"], InvalidInput, "errors.forms.number_invalid"),
        ([], InvalidInput, "errors.forms.no_numbers"),
    ],
)
def test_r31_unknown_or_malformed_numbers_are_refused(services, roster, numbers, error, key):
    with pytest.raises(error) as refused:
        services.forms.build(numbers)
    assert refused.value.key == key and refused.value.field == "number"


def test_r9_a_kiosk_prints_only_the_parents_own_applications(services, roster):
    [mine] = submit_application(services, roster, ("wu",))
    [other] = submit_application(services, roster, ("chen",), parent="mother", name="陳美",
                                 email="mother@home.example")  # fmt: skip
    owner = kiosk_session(services, "father@home.example").contact.digest
    assert qr_texts(page_images(services.forms.build([mine.number], owner=owner))[0])
    with pytest.raises(NotFound) as refused:
        services.forms.build([other.number], owner=owner)
    assert refused.value.key == "errors.forms.not_found"


# --- looks right: font, layout, snapshots ---------------------------------------------------------


def form_strings() -> set[str]:
    """Every label a printed page can show, in both languages."""
    out = set()
    for lang in ("zh-TW", "en"):
        out |= {v for k, v in catalog(lang).items() if k.startswith(FORM_KEYS_PREFIXES)}
    return out


def roster_strings() -> set[str]:
    with data_file("demo_roster.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    names = ("student_name", "school_name", "class", "teacher_name", "guardian1_name",
             "guardian2_name")  # fmt: skip
    return {row[n] for row in rows for n in names if row.get(n)}


def test_r9_no_tofu_every_label_and_demo_roster_name_is_in_the_font():
    font = tc_font()
    assert font.missing(sorted(form_strings())) == set()
    assert font.missing(sorted(roster_strings())) == set()
    assert "黃歆承" in roster_strings()
    # The check can fail: a character outside Noto Sans TC is reported.
    assert font.missing("吳\U00020000寶") == {"\U00020000"}


# --- R43: rare characters of names ----------------------------------------------------------------

CNS_SUNG = Path("/usr/share/fonts/truetype/cns11643/TW-Sung-98_1.ttf")
CNS_SUNG_EXT_B = Path("/usr/share/fonts/truetype/cns11643/TW-Sung-Ext-B-98_1.ttf")
needs_cns_font = pytest.mark.skipif(
    not (CNS_SUNG.is_file() and CNS_SUNG_EXT_B.is_file()),
    reason="the 全字庫 font is not installed (apt-get install fonts-cns11643-sung)",
)
# 𠀋 (U+2000B, CJK Extension B) and 䶵 (U+4DB5, Extension A): neither is in Noto Sans TC.
RARE_NAMES = {"chen": "陳\U0002000b明", "lin": "林\u4db5堃"}
# Candidates for a character that no installed font has: Extension G and H, which the 全字庫
# fonts predate, and one of Extension B that TW-Sung-Ext-B lacks.
NO_FONT_CANDIDATES = ("\U00030000", "\U00031350", "\U0002a6d7")


def no_font_character() -> str:
    from app.services.forms.fonts import fallback_for

    for ch in NO_FONT_CANDIDATES:
        if ord(ch) not in tc_font().cmap and fallback_for(ch) is None:
            return ch
    pytest.skip("every candidate character is in some installed font")


def embedded_fonts(pdf: bytes) -> dict[str, set[int]]:
    """Each embedded font of the first page: its name and the characters its embedded file
    has a drawn glyph for (not .notdef, not an empty outline)."""
    from fontTools.ttLib import TTFont

    reader = PdfReader(io.BytesIO(pdf))
    out = {}
    for ref in reader.pages[0]["/Resources"]["/Font"].values():
        font = ref.get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        data = descriptor["/FontFile2"].get_object().get_data()
        tt = TTFont(io.BytesIO(data))
        glyf = tt["glyf"]
        cmap = tt.getBestCmap() or {}
        drawn = {code for code, name in cmap.items() if glyf[name].numberOfContours != 0}
        out[str(font["/BaseFont"]).lstrip("/")] = drawn
    return out


@needs_cns_font
def test_r43_rare_characters_of_names_print_from_the_cns_font(services, roster):
    """Issue 16: 陳𠀋明 and 林䶵堃 printed as 陳〓明 and 林〓堃 while the screen showed them."""
    for short, name in RARE_NAMES.items():
        Student.update(name=name).where(Student.id == roster.student(short).id).execute()
    [chen] = submit_application(services, roster, ("chen",))
    [lin] = submit_application(services, roster, ("lin",), parent="mother", name="林美",
                               email="mother@home.example")  # fmt: skip
    for item, name in ((chen, RARE_NAMES["chen"]), (lin, RARE_NAMES["lin"])):
        rendered = services.forms.render([item.number])
        assert rendered.unprintable == ()
        text = page_texts(rendered.pdf)[0]
        assert name in text and "〓" not in text and "U+" not in text
        fonts = embedded_fonts(rendered.pdf)
        rare = ord(name[1])
        noto = [drawn for base, drawn in fonts.items() if "NotoSansTC" in base]
        cns = [drawn for base, drawn in fonts.items() if "TW-Sung" in base]
        assert noto and cns, fonts.keys()
        # The rare character is drawn from the 全字庫 font, the rest of the name from Noto.
        assert any(rare in drawn for drawn in cns)
        assert ord(name[0]) in noto[0] and ord(name[2]) in noto[0]
        # And the page was laid out with it: no character of the page overlaps another.
        assert overlapping(char_boxes(rendered.pdf)) == []


@pytest.mark.process  # a character in no known font is looked up with fc-list
def test_r43_a_character_no_font_has_prints_as_its_code_point_and_names_the_application(
    services, roster, caplog
):
    ch = no_font_character()
    Student.update(name=f"吳{ch}寶").where(Student.id == roster.student("wu").id).execute()
    [item] = submit_application(services, roster, ("wu",))
    with caplog.at_level("WARNING"):
        rendered = services.forms.render([item.number])
    code = f"U+{ord(ch):04X}"
    assert f"吳{code}寶" in page_texts(rendered.pdf)[0]
    assert "〓" not in page_texts(rendered.pdf)[0]
    assert rendered.unprintable == (item.number,)
    # The log names the application, never the name, the character or an ID number (R9).
    assert item.number in caplog.text and "R43" in caplog.text
    assert ch not in caplog.text and "吳" not in caplog.text
    assert roster.ids["wu"] not in caplog.text and code not in caplog.text


@pytest.mark.process  # a character in no known font is looked up with fc-list
def test_r43_saving_at_the_kiosk_reports_the_application_to_tell(services, roster):
    ch = no_font_character()
    Student.update(name=f"吳{ch}寶").where(Student.id == roster.student("wu").id).execute()
    first, second = submit_application(services, roster, ("wu", "wu2"))
    saved = services.forms.save([first.number, second.number])
    assert saved.unprintable == (first.number,)


@pytest.mark.process  # a character in no known font is looked up with fc-list
def test_r43_qinzi_form_prints_a_notice_naming_the_application(cli_db, tmp_path, capsys):
    base, pending, approved = cli_db
    ch = no_font_character()
    args = cli.build_parser("en").parse_args(base)
    services = factory.make_services(factory.settings_from_args(args))
    try:
        app = Application.get(Application.number == pending)
        Student.update(name=f"吳{ch}寶").where(Student.id == app.student_id).execute()
    finally:
        services.close()
    code, out, err = run(capsys, "form", pending, approved, "-o", str(tmp_path / "f.pdf"), *base)
    assert code == 0
    [notice] = [line for line in err.splitlines() if pending in line]
    assert "U+" in notice and approved not in notice
    assert ch not in err + out
    # Without such a character there is nothing to tell.
    code, out, err = run(capsys, "form", approved, "-o", str(tmp_path / "g.pdf"), *base)
    assert code == 0 and err.strip() == ""


@pytest.mark.process  # a character in no known font is looked up with fc-list
def test_r43_class_letters_say_which_page_prints_a_code_point(services, roster):
    ch = no_font_character()
    student = roster.student("wu")
    Student.update(name=f"吳寶{ch}").where(Student.id == student.id).execute()
    rendered = services.forms.render_letters(student.school.code)
    assert rendered.unprintable  # the masked name 吳*{ch} keeps the character
    page = int(rendered.unprintable[0])
    assert f"U+{ord(ch):04X}" in page_texts(rendered.pdf)[page - 1]


def test_r9_font_is_embedded_as_a_small_subset(services, roster):
    [item] = submit_application(services, roster, ("wu",))
    pdf = services.forms.build([item.number])
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    [font] = [f.get_object() for f in fonts.values()]
    base = str(font["/BaseFont"]).lstrip("/")
    assert base[6] == "+" and base[:6].isupper() and "NotoSansTC" in base  # a subset, by name
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    embedded = descriptor["/FontFile2"].get_object().get_data()
    assert 1_000 < len(embedded) < 150_000
    assert len(pdf) < 200_000


LONGEST_NAME = "Maximiliana Wolfeschlegelsteinhausenbergerdorff Jr"  # 50, the most R11 allows
LONGEST_EMAIL = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 50 + ".example"


def longest_student(roster):
    """A student of a school whose name and class name are as long as the roster allows."""
    school = School.create(code="L" * 16, name="臺北市立" + "中正" * 48, level="senior")
    room = Classroom.create(school=school, name="三" * 32)
    plain = with_check_digit("E12345678")
    roster.ids["longest"] = plain
    roster.students[plain] = Student.create(
        id_digest=id_digest(roster_keyring(), plain), id_masked=mask_id(plain),
        name="司馬" * 25, school=school, classroom=room,
    )  # fmt: skip
    return "longest"


def roster_keyring():
    from app.keys import Keyring

    return Keyring(b"k" * 32)  # the `keyring` fixture's key


def footer_band(boxes) -> str:
    """The characters in the bottom 19 mm: the footer's, and nothing else may be there."""
    return "".join(ch for ch, (_, y0, _, _) in boxes if y0 < 19 / PT)


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_r11_the_longest_content_stays_inside_the_margins_and_nothing_overlaps(
    services, roster, clock, lang
):
    """A 50-character name (R11), a 254-character e-mail, a 100-character school name and a
    32-character class, a guardian's note and the papers to bring still fit one A4 page."""
    student = longest_student(roster)
    session = kiosk_session(services, LONGEST_EMAIL, lang=lang)
    [item] = submit_application(services, roster, (student,), parent="other", relationship="other",
                                note="寄" * 20, name=LONGEST_NAME, email=LONGEST_EMAIL,
                                session=session)  # fmt: skip
    pdf = services.forms.build([item.number])
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    boxes = char_boxes(pdf)
    assert outside_margins(boxes) == []
    assert overlapping(boxes) == []
    footer = t("forms.printed", lang, time=taipei(clock())) + t("forms.page", lang, page=1, pages=1)
    assert sorted(footer_band(boxes)) == sorted("".join(footer.split()))
    assert qr_texts(page_images(pdf)[0]) == [item.number]


def test_r9_documents_are_built_safely_from_worker_threads():
    """Screens build PDFs in worker threads; the shared glyph cache must not mix them up."""
    from concurrent.futures import ThreadPoolExecutor

    from app.services.forms.fonts import TcFont, font_path

    texts = [f"{name} 親子帳號綁定申請書 QZ-{i}" for i, name in enumerate(sorted(roster_strings()))]
    texts = texts[:24]
    fresh = TcFont(font_path())
    with ThreadPoolExecutor(max_workers=6) as pool:
        together = list(pool.map(fresh.document_font, texts))
    assert together == [TcFont(font_path()).document_font(text) for text in texts]


@pytest.mark.process
def test_the_service_layer_loads_no_pdf_library_until_a_form_is_made():
    """Other commands and the app start without paying for fpdf2, pypdf and fontTools."""
    import subprocess
    import sys

    probe = (
        "import sys, app.services;"
        "print(sorted(m for m in ('fpdf', 'pypdf', 'fontTools') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=ROOT)  # fmt: skip
    assert out.stdout.strip() == "[]"


def test_overlap_check_can_fail():
    boxes = [("a", (0, 0, 10, 10)), ("b", (2, 2, 12, 12)), ("c", (30, 30, 35, 35))]
    assert overlapping(boxes) == [("a", "b")]


# --- save and print -------------------------------------------------------------------------------


def test_r24_save_puts_a_private_file_under_the_data_folder_and_audits_it(
    services, roster, settings
):
    first, second = submit_application(services, roster, ("wu", "wu2"))
    saved = services.forms.save([first.number, second.number])
    assert saved.path == settings.data_dir / "forms" / f"{first.number}+1.pdf"
    assert saved.pages == 2 and saved.numbers == (first.number, second.number)
    assert stat.S_IMODE(saved.path.stat().st_mode) == 0o600
    assert len(page_images(saved.path.read_bytes())) == 2
    events = AuditEvent.select().where(AuditEvent.action == "form.saved")
    assert sorted(e.target for e in events) == sorted([first.number, second.number])


@pytest.fixture
def fake_lp(tmp_path, monkeypatch):
    """An `lp` on PATH that records its arguments; LP_FAIL makes it fail like CUPS does."""
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "lp.log"
    script = folder / "lp"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{log}"\n'
        'if [ -n "$LP_FAIL" ]; then\n'
        '  echo "lp: The printer or class does not exist." >&2; exit 1\n'
        "fi\n"
        'echo "request id is office-42 (1 file(s))"\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return log


@pytest.mark.process
def test_r24_print_uses_lp_only_when_a_printer_is_configured(services, roster, fake_lp):
    [item] = submit_application(services, roster, ("wu",))
    saved = services.forms.save([item.number])
    assert services.forms.print_file(saved.path) is None
    assert not fake_lp.exists()
    services.settings.printer = "office"
    job = services.forms.print_file(saved.path)
    assert (job.printer, job.request) == ("office", "office-42")
    args = fake_lp.read_text().splitlines()
    assert args[:2] == ["-d", "office"] and args[-1] == str(saved.path)
    assert "media=A4" in args
    assert AuditEvent.select().where(AuditEvent.action == "form.printed").count() == 1


@pytest.mark.process
def test_r26_print_failures_say_where_the_file_is(services, roster, fake_lp, monkeypatch):
    [item] = submit_application(services, roster, ("wu",))
    saved = services.forms.save([item.number])
    services.settings.printer = "office"
    monkeypatch.setenv("LP_FAIL", "1")
    with pytest.raises(RuleRefused) as refused:
        services.forms.print_file(saved.path)
    assert refused.value.key == "errors.forms.print_failed"
    assert refused.value.params["path"] == str(saved.path)
    assert "does not exist" in refused.value.params["reason"]
    monkeypatch.setenv("PATH", str(fake_lp.parent / "empty"))
    with pytest.raises(RuleRefused) as refused:
        services.forms.print_file(saved.path)
    assert refused.value.key == "errors.forms.no_printer_command"


# --- qinzi form -----------------------------------------------------------------------------------


# The cheapest Argon2id that OWASP allows (app/config.py refuses less from a config file).
CHEAP_ARGON2 = "argon2_time_cost = 5\nargon2_memory_kib = 7168\nargon2_parallelism = 1\n"


@pytest.fixture
def cli_db(tmp_path, db_url):
    """A database with the test roster and applications, and the options naming it."""
    config = tmp_path / "config.toml"
    config.write_text(CHEAP_ARGON2)
    base = ["--db", db_url, "--data-dir", str(tmp_path / "data"), "--config", str(config)]
    args = cli.build_parser("en").parse_args(base)
    services = factory.make_services(factory.settings_from_args(args))
    try:
        roster = make_roster(services)
        pending, approved = submit_application(services, roster, ("wu", "wu2"))
        approve(services, roster, approved.number)
    finally:
        services.close()
    return base, pending.number, approved.number


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def test_r31_qinzi_form_writes_the_pdf(cli_db, tmp_path, capsys):
    base, pending, approved = cli_db
    out_file = tmp_path / "forms.pdf"
    code, out, _ = run(capsys, "form", pending, approved, "-o", str(out_file), *base)
    assert code == 0
    assert str(out_file) in out and "2" in out
    assert [qr_texts(img) for img in page_images(out_file.read_bytes())] == [[pending], [approved]]
    code, out, _ = run(capsys, "form", approved, "--approved", "-o", str(out_file), *base)
    assert code == 0 and "已認證" in page_texts(out_file.read_bytes())[0]


def test_r24_forms_and_letters_written_from_the_command_line_are_audited(
    cli_db, tmp_path, capsys
):
    """Issue 15: `qinzi form` and `qinzi letters` wrote parents' full contacts with no trace."""
    from app.db import open_database
    from app.models import AuditEvent

    base, pending, approved = cli_db
    assert run(capsys, "form", pending, approved, "-o", str(tmp_path / "f.pdf"), *base)[0] == 0
    letters = tmp_path / "l.pdf"
    assert run(capsys, "letters", "--school", "E001", "-o", str(letters), *base)[0] == 0
    db = open_database(base[1])
    try:
        events = {(e.action, e.target, e.detail) for e in AuditEvent.select().where(
            AuditEvent.action.in_(["form.exported", "letters.exported"]))}  # fmt: skip
        schools = {e.school_id for e in AuditEvent.select().where(
            AuditEvent.action == "letters.exported")}  # fmt: skip
    finally:
        db.close()
    assert {(a, t) for a, t, _ in events} == {
        ("form.exported", pending), ("form.exported", approved), ("letters.exported", "E001/*")
    }
    assert all('"file"' in d for _, _, d in events) and None not in schools


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["QZ-0000-0000"], "查無申請編號 QZ-0000-0000"),
        (["QZ-123"], "第 1 個申請編號的格式不對"),
        (["PENDING", "--approved"], "尚未認證"),
    ],
)
def test_r26_qinzi_form_bad_input_ends_in_a_message(cli_db, tmp_path, capsys, args, message):
    base, pending, _ = cli_db
    args = [pending if a == "PENDING" else a for a in args]
    out_file = tmp_path / "x.pdf"
    code, _, err = run(capsys, "form", *args, "-o", str(out_file), *base)
    assert code == console.EXIT_REFUSED
    assert message in err
    assert not out_file.exists()


def test_r26_qinzi_form_needs_an_output_file(cli_db, capsys):
    base, pending, _ = cli_db
    code, _, err = run(capsys, "form", pending, *base)
    assert code == console.EXIT_USAGE and "-o" in err


def test_r26_qinzi_form_unwritable_output_is_a_message(cli_db, tmp_path, capsys):
    base, pending, _ = cli_db
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run(capsys, "--lang", "en", "form", pending, "-o", str(blocker / "x.pdf"), *base)
    assert code == console.EXIT_REFUSED and "Could not write the file" in err


# --- snapshots ------------------------------------------------------------------------------------


def snapshot_check(name: str, pdf: bytes) -> None:
    """Keep the first page as a PNG for a person to look at (tests/snapshots/forms/), and notice
    when the layout moves: the stored picture is compared at a coarse level, which survives
    small differences of anti-aliasing between renderer versions. QINZI_UPDATE_SNAPSHOTS=1
    writes new pictures."""
    from PIL import Image, ImageChops

    page = page_images(pdf, dpi=100)[0]
    path = SNAPSHOTS / f"{name}.png"
    if os.environ.get("QINZI_UPDATE_SNAPSHOTS") or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        page.convert("P", palette=Image.Palette.ADAPTIVE, colors=48).save(path, optimize=True)
    image = page.convert("L")
    stored = Image.open(path).convert("L")
    assert stored.size == image.size
    coarse = (image.size[0] // 8, image.size[1] // 8)
    diff = ImageChops.difference(stored.resize(coarse), image.resize(coarse))
    assert diff.getextrema()[1] < 60, f"{path.name} changed; QINZI_UPDATE_SNAPSHOTS=1 updates it"


@pytest.fixture
def fixed_numbers(monkeypatch):
    """Deterministic application numbers, so that a snapshot's QR code stays the same."""
    import app.services.numbers as numbers

    sequence = iter(f"QZ-SNAP-000{i}" for i in range(1, 10))
    monkeypatch.setattr(numbers, "new_number", lambda: next(sequence))


def test_r31_snapshot_application_form(services, roster, fixed_numbers, clock, settings):
    if settings.database_url.startswith("postgresql"):
        pytest.skip("one snapshot is enough")
    [item] = submit_application(services, roster, ("chen",), parent="grandma",
                                relationship="grandmother", name="陳林秀英",
                                email="grandma@home.example", mobile="0922333444")  # fmt: skip
    assert item.number == "QZ-SNAP-0001"
    snapshot_check("application_form", services.forms.build([item.number]))
    clock.advance(hours=26)
    approve(services, roster, item.number, teacher="ho", documents_checked=True)
    snapshot_check("application_form_approved", services.forms.build([item.number], approved=True))
