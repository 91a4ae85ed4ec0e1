"""The roster import: R6 levels, R7 ID checks before anything is stored, R12 student e-mails,
R23 digests only, R24 its audit event, R28 roster guardians; all or nothing."""

from __future__ import annotations

import csv
import json

import pytest

from app.errors import InvalidInput
from app.i18n import catalog, t
from app.identity import id_digest, with_check_digit
from app.models import (
    AuditEvent,
    Classroom,
    RosterGuardian,
    School,
    Student,
    Teacher,
    TeacherClassroom,
)
from app.services.roster import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, parse_level

COLUMNS = [*REQUIRED_COLUMNS[:6], "student_email", *REQUIRED_COLUMNS[6:], *OPTIONAL_COLUMNS[1:]]
ID1, ID2, ID3 = (with_check_digit(p) for p in ("A12345001", "B22345002", "F13345003"))


def row(**values: str) -> dict[str, str]:
    base = {
        "school_code": "353601",
        "school_name": "臺北市大安區和平國小",
        "level": "國小",
        "class": "301",
        "student_id": ID1,
        "student_name": "吳三寶",
        "student_email": "",
        "teacher_email": "lee@school.example",
        "teacher_name": "李老師",
        "guardian1_name": "",
        "guardian1_mobile": "",
        "guardian2_name": "",
        "guardian2_mobile": "",
    }
    base.update(values)
    return base


def write_csv(path, rows, *, columns=COLUMNS, encoding="utf-8-sig"):
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def good_rows():
    return [
        row(guardian1_name="吳志明", guardian1_mobile="0912-345-678"),
        row(student_id=ID2, student_name="吳大寶", student_email="Wu.Dabao@Student.example"),
        row(
            school_code="353701",
            school_name="臺北市中正區南門國中",
            level="junior",
            **{"class": "801"},
            student_id=ID3,
            student_name="王大同",
            teacher_email="wang@school.example",
            teacher_name="王老師",
            guardian1_name="王爸爸",
            guardian1_mobile="0922333444",
            guardian2_name="王媽媽",
            guardian2_mobile="+886 933 444 555",
        ),
    ]


def test_r7_import_stores_schools_classes_teachers_students_and_guardians(services, tmp_path):
    report = services.roster.import_csv(write_csv(tmp_path / "roster.csv", good_rows()))
    assert report.ok
    assert (report.rows, report.schools, report.classrooms) == (3, 2, 2)
    assert (report.students_added, report.students_updated) == (3, 0)
    assert (report.teachers, report.teachers_added, report.guardians) == (2, 2, 3)
    levels = dict(School.select(School.code, School.level).tuples())
    assert levels == {"353601": "elementary", "353701": "junior"}  # R6: label and code
    wu = Student.get(Student.id_digest == id_digest(services.ctx.keyring, ID1))
    assert (wu.name, wu.id_masked, wu.classroom.name, wu.school.code) == (
        "吳三寶",
        ID1[:4] + "******",
        "301",
        "353601",
    )
    dabao = Student.get(Student.id_digest == id_digest(services.ctx.keyring, ID2))
    assert dabao.email == "wu.dabao@student.example"  # R12: the student's own e-mail
    lee = Teacher.get(Teacher.email == "lee@school.example")
    assert (lee.role, lee.password_hash, lee.school.code) == ("teacher", None, "353601")
    rooms = [
        link.classroom.name
        for link in TeacherClassroom.select().where(TeacherClassroom.teacher == lee)
    ]
    assert rooms == ["301"]
    guardians = sorted((g.name, g.mobile) for g in RosterGuardian.select())
    assert guardians == [
        ("吳志明", "+886912345678"),
        ("王媽媽", "+886933444555"),
        ("王爸爸", "+886922333444"),
    ]


def test_r7_ids_typed_loosely_are_normalised_before_the_digest(services, tmp_path):
    loose = (
        "ａ"
        + ID1[1:4].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        + " "
        + ID1[4:]
    )
    report = services.roster.import_csv(write_csv(tmp_path / "r.csv", [row(student_id=loose)]))
    assert report.ok
    assert Student.get().id_digest == id_digest(services.ctx.keyring, ID1)


def test_r7_every_bad_row_is_reported_and_nothing_is_imported(services, tmp_path):
    bad = [
        row(),  # line 2: fine
        row(student_id=ID1[:-1] + str((int(ID1[-1]) + 1) % 10)),  # 3: checksum
        row(student_id="12345", student_name=""),  # 4: format and missing name
        row(student_id=ID2, level="大學"),  # 5: level
        row(student_id=ID3, guardian1_mobile="0212345678", guardian1_name="林"),  # 6: mobile
        row(student_id=ID1),  # 7: the same student as line 2
        row(
            student_id=with_check_digit("A12345009"),
            teacher_email="other@school.example",
            teacher_name="別的老師",
        ),  # 8: class 301 with a second teacher
        row(student_id=with_check_digit("A12345010"), school_name="另一個名字"),  # 9
        row(student_id=with_check_digit("A12345011"), teacher_email="not-an-email"),  # 10
        row(student_id=with_check_digit("A12345012"), guardian2_mobile="0911222333"),  # 11
    ]
    report = services.roster.import_csv(write_csv(tmp_path / "bad.csv", bad))
    assert not report.ok
    found = [(p.line, p.column, p.key) for p in report.problems]
    assert found == [
        (3, "student_id", "errors.id.checksum"),
        (4, "student_id", "errors.id.format"),
        (4, "student_name", "errors.roster.required"),
        (5, "level", "errors.roster.level_invalid"),
        (6, "guardian1_mobile", "errors.contact.mobile_invalid"),
        (7, "student_id", "errors.roster.duplicate_student"),
        (8, "teacher_email", "errors.roster.class_teacher_conflict"),
        (9, "school_name", "errors.roster.school_name_conflict"),
        (10, "teacher_email", "errors.contact.email_invalid"),
        (11, "guardian2_name", "errors.roster.guardian_name_missing"),
    ]
    assert report.problems[5].params == {"first_line": 2}
    assert "第 2 列" in report.problems[5].message("zh-TW")
    assert "row 2" in report.problems[5].message("en")
    assert School.select().count() == Student.select().count() == Teacher.select().count() == 0
    assert AuditEvent.select().count() == 0


def test_r7_teacher_and_school_contradictions_across_rows(services, tmp_path):
    rows = [
        row(),
        row(student_id=ID2, level="國中"),  # the same school with another level
        row(student_id=ID3, teacher_name="李美玲"),  # the same teacher e-mail, another name
        row(
            student_id=with_check_digit("A12345019"),
            school_code="353602",
            school_name="臺北市信義區光復國小",
            **{"class": "101"},
        ),  # same teacher, other school
        row(student_id=with_check_digit("A12345020"), student_email="a@student.example"),
        row(student_id=with_check_digit("A12345021"), student_email="A@student.example"),
    ]
    report = services.roster.import_csv(write_csv(tmp_path / "r.csv", rows))
    assert [(p.line, p.key) for p in report.problems] == [
        (3, "errors.roster.school_level_conflict"),
        (4, "errors.roster.teacher_name_conflict"),
        (5, "errors.roster.teacher_school_conflict"),
        (7, "errors.roster.duplicate_email"),
    ]


def test_a_teacher_on_file_at_another_school_is_not_moved(services, roster, tmp_path):
    """The roster fixture has lee@school.example at school E001."""
    report = services.roster.import_csv(write_csv(tmp_path / "r.csv", [row()]))
    assert [(p.line, p.key) for p in report.problems] == [(2, "errors.roster.teacher_elsewhere")]
    assert Teacher.get(Teacher.email == "lee@school.example").school.code == "E001"


def test_reimport_updates_students_by_digest_and_replaces_guardians(services, tmp_path):
    services.roster.import_csv(write_csv(tmp_path / "a.csv", good_rows()))
    lee = Teacher.get(Teacher.email == "lee@school.example")
    lee.password_hash = "set-by-it"
    lee.save()
    moved = good_rows()
    moved[0].update(
        {
            "class": "302",
            "student_name": "吳三寶寶",
            "teacher_email": "ho@school.example",
            "teacher_name": "何老師",
            "guardian1_name": "",
            "guardian1_mobile": "",
        }
    )
    moved[1].update({"student_email": ""})
    report = services.roster.import_csv(write_csv(tmp_path / "b.csv", moved))
    assert report.ok
    assert (report.students_added, report.students_updated, report.teachers_added) == (0, 3, 1)
    assert Student.select().count() == 3
    wu = Student.get(Student.id_digest == id_digest(services.ctx.keyring, ID1))
    assert (wu.name, wu.classroom.name) == ("吳三寶寶", "302")
    assert Student.get(Student.id_digest == id_digest(services.ctx.keyring, ID2)).email is None
    assert sorted(g.name for g in RosterGuardian.select()) == ["王媽媽", "王爸爸"]
    assert Teacher.get(Teacher.email == "lee@school.example").password_hash == "set-by-it"
    room_301 = Classroom.get(Classroom.name == "301")
    # 301 keeps its teacher (吳大寶 is still there); 302 has 何老師.
    teachers = {link.classroom.name: link.teacher.email for link in TeacherClassroom.select()}
    assert teachers == {
        "301": "lee@school.example",
        "302": "ho@school.example",
        "801": "wang@school.example",
    }
    assert room_301.students.count() == 1


def test_r12_without_the_e_mail_column_e_mails_on_file_stay(services, tmp_path):
    services.roster.import_csv(write_csv(tmp_path / "a.csv", good_rows()))
    columns = [c for c in COLUMNS if c != "student_email"]
    report = services.roster.import_csv(write_csv(tmp_path / "b.csv", good_rows(), columns=columns))
    assert report.ok
    dabao = Student.get(Student.id_digest == id_digest(services.ctx.keyring, ID2))
    assert dabao.email == "wu.dabao@student.example"


def test_a_class_moving_to_another_teacher_loses_the_old_link(services, tmp_path):
    services.roster.import_csv(write_csv(tmp_path / "a.csv", [row()]))
    again = [row(teacher_email="new@school.example", teacher_name="新老師")]
    assert services.roster.import_csv(write_csv(tmp_path / "b.csv", again)).ok
    links = [(x.teacher.email, x.classroom.name) for x in TeacherClassroom.select()]
    assert links == [("new@school.example", "301")]


def test_r24_the_import_is_audited_with_counts_only(services, tmp_path):
    services.roster.import_csv(write_csv(tmp_path / "a.csv", good_rows()))
    event = AuditEvent.get(AuditEvent.action == "roster.import")
    detail = json.loads(event.detail)
    assert detail["students_added"] == 3 and detail["guardians"] == 3
    assert (event.actor, event.terminal) == ("system", "test-kiosk")
    for personal in (ID1, ID1[-6:], "吳三寶", "lee@school.example", "0912345678", "912345678"):
        assert personal not in event.detail + event.target


def test_r7_blank_rows_at_the_end_are_ignored_and_bom_is_optional(services, tmp_path):
    path = write_csv(tmp_path / "r.csv", [row()], encoding="utf-8")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(",,,,,,,,,,,,\r\n\r\n")
    report = services.roster.import_csv(path)
    assert report.ok and report.rows == 1


@pytest.mark.parametrize(
    "content, key",
    [
        ("school_code,school_name\r\n".encode("big5"), "errors.roster.missing_columns"),
        ("學校\r\n臺北市\r\n".encode("big5"), "errors.roster.encoding_big5"),
        (b"\xff\xfe" + "x".encode("utf-16-le") + b"\x00\xd8", "errors.roster.encoding_utf16"),
        (b"\x81\xff\xfe", "errors.roster.encoding"),
        (b"", "errors.roster.empty"),
        (",".join(COLUMNS).encode() + b"\r\n", "errors.roster.no_rows"),
        ((",".join(COLUMNS) + ",seat_no\r\n").encode(), "errors.roster.no_rows"),
        ((",".join(COLUMNS) + ",level\r\n").encode(), "errors.roster.duplicate_column"),
        ((",".join(COLUMNS) + '\r\n"unclosed,x\r\n').encode(), "errors.roster.bad_csv"),
    ],
)
def test_r26_a_file_that_cannot_be_read_as_a_roster_is_refused(services, tmp_path, content, key):
    path = tmp_path / "r.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as exc:
        services.roster.import_csv(path)
    assert (exc.value.key, exc.value.field) == (key, "roster_file")
    assert School.select().count() == 0


def test_r26_the_encoding_message_tells_how_to_save_from_excel(services, tmp_path):
    path = tmp_path / "big5.csv"
    path.write_bytes(
        ",".join(COLUMNS).encode() + "\r\n".join(["", "353601,和平國小"]).encode("big5")
    )
    with pytest.raises(InvalidInput) as exc:
        services.roster.import_csv(path)
    assert "CSV UTF-8" in exc.value.message("zh-TW")
    assert "CSV UTF-8" in exc.value.message("en")


def test_a_missing_file_is_named_in_the_refusal(services, tmp_path):
    with pytest.raises(InvalidInput) as exc:
        services.roster.import_csv(tmp_path / "nope.csv")
    assert exc.value.key == "errors.roster.file_missing"
    assert "nope.csv" in exc.value.message("en")


def test_r6_levels_accept_codes_and_the_chinese_labels():
    assert [parse_level(x) for x in ("國小", "國中", "高中", "高職", "特教")] == [
        "elementary",
        "junior",
        "senior",
        "vocational",
        "special",
    ]
    assert parse_level(" Senior ") == "senior"
    assert parse_level("大學") is None and parse_level("") is None


def test_r26_every_roster_message_exists_in_both_languages():
    keys = [k for k in catalog("zh-TW") if k.startswith(("errors.roster.", "errors.reports."))]
    assert len(keys) > 20
    for key in keys:
        assert t(key, "en") != key


def test_r23_the_demo_roster_imports_whole(services):
    """The shipped demo roster is valid and yields every level (R6)."""
    from app.resources import data_file

    report = services.roster.import_csv(data_file("demo_roster.csv"))
    assert report.ok, report.problems[:3]
    assert 180 <= report.students_added <= 220
    assert {s.level for s in School.select()} == {
        "elementary",
        "junior",
        "senior",
        "vocational",
        "special",
    }


# --- issue 14: imports an office can do alone ------------------------------------------------

CHINESE = {
    "school_code": "學校代碼",
    "school_name": "學校名稱",
    "level": "學層",
    "class": "班級",
    "student_id": "學生身分證字號",
    "student_name": "學生姓名",
    "student_email": "學生信箱",
    "teacher_email": "導師信箱",
    "teacher_name": "導師姓名",
    "guardian1_name": "家長１姓名",  # full-width digits, as a Chinese input method types them
    "guardian1_mobile": "家長1手機",
    "guardian2_name": "家長2姓名",
    "guardian2_mobile": "家長2手機",
}


def chinese_csv(path, rows, *, extra=(), encoding="utf-8-sig", delimiter=","):
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow([CHINESE[c] for c in COLUMNS] + [name for name, _ in extra])
        for r in rows:
            writer.writerow([r[c] for c in COLUMNS] + [value for _, value in extra])
    return path


def test_r26_chinese_column_headers_import_like_the_english_ones(services, tmp_path):
    """Issue 14: an office keeps the headers of its own sheet (學校代碼, 學生身分證字號 …)."""
    report = services.roster.import_csv(chinese_csv(tmp_path / "名冊.csv", good_rows()))
    assert report.ok, report.problems
    assert (report.students_added, report.guardians, report.ignored_columns) == (3, 3, ())
    wu = Student.get(Student.id_digest == id_digest(services.ctx.keyring, ID1))
    assert (wu.name, wu.classroom.name, wu.school.code) == ("吳三寶", "301", "353601")


def test_r26_a_problem_names_the_column_as_the_office_wrote_it(services, tmp_path):
    from app.services.roster import problem_line

    bad = [row(guardian1_name="吳志明", guardian1_mobile="912345678")]
    report = services.roster.import_csv(chinese_csv(tmp_path / "r.csv", bad))
    [problem] = report.problems
    assert (problem.column, problem.key) == ("guardian1_mobile", "errors.roster.mobile_lost_zero")
    line = problem_line(report, problem, "zh-TW")
    assert line.startswith("第 2 列（家長1手機）：手機號碼少了開頭的 0")
    assert "Excel" in line and "文字" in line
    assert "lost its first 0" in problem.message("en")


def test_r26_unknown_extra_columns_are_ignored_with_a_warning(services, tmp_path):
    extra = [("座號", "7"), ("note", "x")]
    report = services.roster.import_csv(chinese_csv(tmp_path / "r.csv", good_rows(), extra=extra))
    assert report.ok
    assert report.ignored_columns == ("座號", "note")
    assert report.students_added == 3


def test_r26_excel_unicode_text_utf16_with_tabs_imports(services, tmp_path):
    """Excel's "Unicode text" export: UTF-16 LE with a BOM, tab-separated."""
    path = tmp_path / "roster.txt"
    table = [[CHINESE[c] for c in COLUMNS], *([r[c] for c in COLUMNS] for r in good_rows())]
    text = "\r\n".join("\t".join(cells) for cells in table)
    path.write_bytes(b"\xff\xfe" + (text + "\r\n").encode("utf-16-le"))
    report = services.roster.import_csv(path)
    assert report.ok, report.problems
    assert report.students_added == 3
    assert {s.name for s in Student.select()} == {"吳三寶", "吳大寶", "王大同"}


def test_r26_a_big5_file_is_named_as_big5(services, tmp_path):
    path = chinese_csv(tmp_path / "big5.csv", good_rows(), encoding="big5")
    with pytest.raises(InvalidInput) as exc:
        services.roster.import_csv(path)
    assert exc.value.key == "errors.roster.encoding_big5"
    assert "Big5 編碼" in exc.value.message("zh-TW") and "is in Big5" in exc.value.message("en")
    assert "not UTF-8" not in exc.value.message("en")
    assert School.select().count() == 0


def test_r9_the_full_problem_list_is_private_and_holds_no_id_number(services, tmp_path):
    from app.services.roster import problem_list_path, write_problem_list

    ids = [with_check_digit(f"A1234{n:04d}") for n in range(30)]
    bad = [row(student_id=i[:-1] + str((int(i[-1]) + 1) % 10)) for i in ids]
    source = write_csv(tmp_path / "roster.csv", bad)
    report = services.roster.import_csv(source)
    assert len(report.problems) == 30
    path = write_problem_list(report, source, "zh-TW")
    assert path == problem_list_path(source) == tmp_path / "roster-problems.txt"
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_text(encoding="utf-8-sig")
    assert len(text.splitlines()) == 31 and "第 31 列（student_id）：號碼的檢查碼不對" in text
    assert not [i for i in ids + [r["student_id"] for r in bad] if i in text or i[-6:] in text]
    write_problem_list(report, source, "en")  # a second run replaces the list, still private
    assert path.stat().st_mode & 0o777 == 0o600
    assert "Row 2 (student_id)" in path.read_text(encoding="utf-8-sig")


# --- issue 18: English school names -----------------------------------------------------------

WITH_ENGLISH = [*COLUMNS[:2], "school_name_en", *COLUMNS[2:]]


def test_issue18_english_school_names_are_stored_and_kept_without_the_column(services, tmp_path):
    """The optional school_name_en column (R6's school list in English): one row of a school
    may carry it for all; a later import updates it; an import without the column leaves it;
    with the column and every cell of a school blank, the school has none."""
    rows = good_rows()
    rows[0]["school_name_en"] = "Heping Elementary School"  # row 3, same school: blank
    rows[2]["school_name_en"] = "Ｎａｎｍｅｎ  Junior High School"  # full-width, two spaces
    report = services.roster.import_csv(write_csv(tmp_path / "a.csv", rows, columns=WITH_ENGLISH))
    assert report.ok, report.problems
    english = dict(School.select(School.code, School.name_en).tuples())
    assert english == {"353601": "Heping Elementary School", "353701": "Nanmen Junior High School"}

    rows[0]["school_name_en"] = "Taipei Municipal Da’an District Heping Elementary School"
    assert services.roster.import_csv(write_csv(tmp_path / "b.csv", rows, columns=WITH_ENGLISH)).ok
    assert School.get(School.code == "353601").name_en.startswith("Taipei Municipal Da’an")

    assert services.roster.import_csv(write_csv(tmp_path / "c.csv", good_rows())).ok
    english = dict(School.select(School.code, School.name_en).tuples())
    assert english["353701"] == "Nanmen Junior High School"  # no column: kept

    blank = write_csv(tmp_path / "d.csv", good_rows(), columns=WITH_ENGLISH)
    assert services.roster.import_csv(blank).ok
    assert {s.name_en for s in School.select()} == {None}


def test_issue18_the_chinese_header_names_the_english_school_name(services, tmp_path):
    path = tmp_path / "r.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*(CHINESE[c] for c in COLUMNS), "英文校名"])
        for r in good_rows():
            writer.writerow([*(r[c] for c in COLUMNS), "Songshan Senior High School"])
    report = services.roster.import_csv(path)
    assert report.ok and report.ignored_columns == ()
    assert School.get(School.code == "353601").name_en == "Songshan Senior High School"


def test_issue18_r42_bad_english_school_names_are_refused_with_their_row(services, tmp_path):
    """Hostile text (R42) and Chinese in the English column are refused row by row, as are two
    English names for one school; nothing is imported."""
    rows = [
        row(school_name_en="Heping Elementary School"),  # line 2: fine
        row(student_id=ID2, school_name_en="\u202eevil"),  # 3: a right-to-left override
        row(student_id=ID3, school_name_en="和平國小"),  # 4: not Latin
        row(student_id=with_check_digit("A12345019"), school_name_en="Heping Primary"),  # 5
        row(student_id=with_check_digit("A12345020"), school_name_en="x" * 101),  # 6
        row(student_id=with_check_digit("A12345021"), school_name_en="Heping\x1b[2J"),  # 7
    ]
    report = services.roster.import_csv(write_csv(tmp_path / "r.csv", rows, columns=WITH_ENGLISH))
    found = [(p.line, p.column, p.key) for p in report.problems]
    assert found == [
        (3, "school_name_en", "errors.text.unreadable"),
        (4, "school_name_en", "errors.roster.school_name_en_invalid"),
        (5, "school_name_en", "errors.roster.school_name_en_conflict"),
        (6, "school_name_en", "errors.roster.too_long"),
        (7, "school_name_en", "errors.text.control"),
    ]
    assert report.problems[2].params == {"first_line": 2}
    assert "英文校名" in report.problems[1].message("zh-TW")
    assert "Latin letters" in report.problems[1].message("en")
    assert School.select().count() == Student.select().count() == 0
