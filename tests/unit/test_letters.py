"""Class letters (`qinzi letters`): one page per enrolled student telling the parents how to bind,
the student masked (R9), and a QR code of the school and class that the kiosk's step 2 reads to
preselect the level and school (R6) while the parent still types the student's ID (R8)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from app.errors import NotFound, RuleRefused
from app.i18n import t
from app.models import Classroom, Student
from app.services.forms import class_qr_text, parse_class_qr
from tests.unit.test_forms import (
    char_boxes,
    cli_db,  # noqa: F401 - a fixture
    outside_margins,
    overlapping,
    page_images,
    page_texts,
    qr_texts,
    run,
    snapshot_check,
)

CLASS_301 = ("吳三寶", "吳大寶", "Ali Chen")


def test_r9_one_letter_per_student_with_the_student_masked(services, roster):
    pdf = services.forms.letters("E001", "301")
    texts = page_texts(pdf)
    assert len(texts) == 3
    for text, masked in zip(texts, ("吳*寶", "吳*寶", "A** C***"), strict=True):
        assert f"{masked} 同學的家長您好" in text
        assert "臺北市大安區和平國小" in text and "301 班" in text
    everything = "\n".join(texts)
    assert [name for name in CLASS_301 if name in everything] == []
    ids = [roster.ids[s] for s in ("wu", "wu2", "ali")]
    assert [i for i in ids if i in everything or i[:4] + "******" in everything] == []


def test_r6_r8_class_qr_names_the_school_and_class_and_nothing_else(services, roster):
    pdf = services.forms.letters("E001", "301")
    codes = [qr_texts(image) for image in page_images(pdf)]
    assert codes == [["QZCLASS:E001:301"]] * 3
    assert parse_class_qr(codes[0][0]) == ("E001", "301")


def test_r19_letters_explain_the_steps_and_what_to_bring(services, roster):
    text = page_texts(services.forms.letters("E001", "301"))[0]
    for key in ("forms.letter.title", "forms.letter.steps", "forms.letter.bring",
                "forms.letter.after", "forms.letter.qr_caption"):  # fmt: skip
        assert t(key) in text, key
    assert "取得驗證碼" in text and "送出資料" in text and "下載留存" in text
    assert "後六碼" in text  # the seed's initial password (R19)


def test_r19_letters_follow_the_initial_password_setting(services, roster):
    services.settings.initial_password = "random"
    text = page_texts(services.forms.letters("E001", "301"))[0]
    assert "後六碼" not in text and "通知信" in text


def test_r9_whole_school_letters_class_by_class_with_masked_bookmarks(services, roster):
    pdf = services.forms.letters("E001")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 4
    outline = reader.outline
    classes = [m.title for m in outline if not isinstance(m, list)]
    assert classes == ["301 班", "302 班"]
    students = [m for m in outline if isinstance(m, list)]
    assert [[s.title for s in group] for group in students] == [["吳*寶", "吳*寶", "A** C***"],
                                                                ["陳*明"]]  # fmt: skip
    assert reader.get_destination_page_number(students[1][0]) == 3
    assert [qr_texts(img) for img in page_images(pdf)][3] == ["QZCLASS:E001:302"]
    meta = reader.metadata
    assert meta.title == "親子帳號綁定說明：臺北市大安區和平國小" and meta.creator == "Qinzi"


def test_r8_students_who_left_get_no_letter(services, roster):
    Student.update(active=False).where(Student.id == roster.student("wu2").id).execute()
    assert len(page_texts(services.forms.letters("E001", "301"))) == 2


def test_r26_english_letters(services, roster):
    pdf = services.forms.letters("E001", "301", lang="en")
    text = page_texts(pdf)[0]
    assert "Linking your account to your child" in text and "Dear parent of 吳*寶" in text
    assert PdfReader(io.BytesIO(pdf)).root_object["/Lang"] == "en"


@pytest.mark.parametrize(
    ("school", "classroom", "error", "key", "field"),
    [
        ("X999", None, NotFound, "errors.forms.unknown_school", "school"),
        ("E001", "999", NotFound, "errors.forms.unknown_class", "class_name"),
        ("E001", "EMPTY", RuleRefused, "errors.forms.no_students", "class_name"),
    ],
)
def test_r26_letters_for_an_unknown_school_or_class_are_refused(
    services, roster, school, classroom, error, key, field
):
    Classroom.create(school=roster.schools["E001"], name="EMPTY")
    with pytest.raises(error) as refused:
        services.forms.letters(school, classroom)
    assert (refused.value.key, refused.value.field) == (key, field)


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_r9_letter_pages_stay_inside_the_margins_and_nothing_overlaps(services, roster, lang):
    pdf = services.forms.letters("E001", "301", lang=lang)
    boxes = char_boxes(pdf)
    assert outside_margins(boxes) == []
    assert overlapping(boxes) == []


def test_r6_snapshot_class_letter(services, roster, settings):
    if settings.database_url.startswith("postgresql"):
        pytest.skip("one snapshot is enough")
    snapshot_check("class_letter", services.forms.letters("E001", "301"))


# --- the class QR code ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("school", "classroom"),
    [("990101", "301"), ("E001", "忠班"), ("353601", "三年甲班"), ("A:B", "1 2/3%")],
)
def test_r6_class_qr_round_trips(school, classroom):
    text = class_qr_text(school, classroom)
    assert text.isascii()  # a USB scanner types it like a keyboard
    assert parse_class_qr(text) == (school, classroom)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("  QZCLASS:990101:301\n", ("990101", "301")),
        ("qzclass:990101:301", ("990101", "301")),
        ("ＱＺＣＬＡＳＳ：９９０１０１：３０１", ("990101", "301")),
        ("QZ-7K3M-9PXA", None),
        ("QZCLASS:990101", None),
        ("QZCLASS::301", None),
        ("QZCLASS:990101:", None),
        ("QZCLASS:990101:%FF", None),
        ("QZCLASS:" + "9" * 17 + ":301", None),
        ("", None),
        (None, None),
    ],
)
def test_r6_parse_class_qr_accepts_what_scanners_type_and_nothing_else(typed, expected):
    assert parse_class_qr(typed) == expected


# --- qinzi letters --------------------------------------------------------------------------------


def test_r6_qinzi_letters_writes_the_class_pdf(cli_db, tmp_path, capsys):  # noqa: F811
    base, _, _ = cli_db
    out_file = tmp_path / "letters.pdf"
    code, out, _ = run(capsys, "letters", "--school", "E001", "--class", "301", "-o",
                       str(out_file), *base)  # fmt: skip
    assert code == 0 and str(out_file) in out and "3" in out
    assert [qr_texts(i) for i in page_images(out_file.read_bytes())] == [["QZCLASS:E001:301"]] * 3
    code, out, _ = run(capsys, "--lang", "en", "letters", "--school", "E001", "-o",
                       str(out_file), *base)  # fmt: skip
    assert code == 0 and "Wrote" in out
    assert "Linking your account to your child" in page_texts(out_file.read_bytes())[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--school", "X999"], "查無學校代碼 X999"),
        (["--school", "E001", "--class", "999"], "臺北市大安區和平國小 沒有「999」這個班級"),
    ],
)
def test_r26_qinzi_letters_bad_input_ends_in_a_message(cli_db, tmp_path, capsys, args, message):  # noqa: F811
    base, _, _ = cli_db
    out_file = tmp_path / "x.pdf"
    code, _, err = run(capsys, "letters", *args, "-o", str(out_file), *base)
    assert code == 1 and message in err
    assert not out_file.exists()


def test_r26_qinzi_letters_needs_a_school(cli_db, tmp_path, capsys):  # noqa: F811
    base, _, _ = cli_db
    code, _, err = run(capsys, "letters", "-o", str(tmp_path / "x.pdf"), *base)
    assert code == 2 and "--school" in err
