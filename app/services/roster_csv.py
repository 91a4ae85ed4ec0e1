"""Reading and checking a roster CSV as a school office exports it from Excel.

Every row is checked, and the rows against each other (R6 levels, R7 checksums, contacts, a
student twice, a class with two teachers, a school with two names), before anything is written,
so an office fixes every mistake in one go. Student IDs leave this module only as keyed digests
and masked forms (R23).

An office does this alone (issue 14): the headers may be the Chinese ones it already uses
(`HEADER_ALIASES`), columns we do not use are ignored with a warning, Excel's "Unicode text"
(UTF-16 with a BOM, tab-separated) is read, and a Big5 file is named as Big5."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import InvalidInput, QinziError
from app.i18n import DEFAULT_LANGUAGE, t
from app.identity import check_id, id_digest, mask_id, normalize_mobile
from app.models import Level, School, Teacher
from app.services.bulk import chunks
from app.services.contacts import normalize_email
from app.services.context import Context
from app.text import CONTROL_KEY, UNREADABLE_KEY, has_control, printable, unreadable

REQUIRED_COLUMNS = (
    "school_code",
    "school_name",
    "level",
    "class",
    "student_id",
    "student_name",
    "teacher_email",
    "teacher_name",
)
OPTIONAL_COLUMNS = (
    "student_email",
    "guardian1_name",
    "guardian1_mobile",
    "guardian2_name",
    "guardian2_mobile",
)
# R39: the city directory's identifier of the student, for sites with a city directory; kept
# apart from OPTIONAL_COLUMNS, which the demo roster and the seed write in full.
DIRECTORY_COLUMNS = ("student_key",)
STUDENT_KEY_MAX = 64
# Issue 18: the school's English name, optional and likewise kept apart. With the column, the
# file is the truth for its schools (a school whose cells are all blank has no English name);
# without it, English names on file stay. One row of a school may carry it for all of them.
SCHOOL_COLUMNS = ("school_name_en",)
GUARDIAN_SLOTS = (("guardian1_name", "guardian1_mobile"), ("guardian2_name", "guardian2_mobile"))
LEVEL_LABELS = {
    "國小": Level.ELEMENTARY,
    "國中": Level.JUNIOR,
    "高中": Level.SENIOR,
    "高職": Level.VOCATIONAL,
    "特教": Level.SPECIAL,
}
# The Chinese headers an office's own sheet uses (full-width digits are folded by NFKC first).
HEADER_ALIASES = {
    "學校代碼": "school_code",
    "學校名稱": "school_name",
    "校名": "school_name",
    "英文校名": "school_name_en",
    "學校英文名稱": "school_name_en",
    "學層": "level",
    "班級": "class",
    "學生身分證字號": "student_id",
    "身分證字號": "student_id",
    "學生姓名": "student_name",
    "學生信箱": "student_email",
    "學生電子郵件": "student_email",
    "學生目錄代碼": "student_key",
    "導師信箱": "teacher_email",
    "導師電子郵件": "teacher_email",
    "導師姓名": "teacher_name",
    "家長1姓名": "guardian1_name",
    "家長1手機": "guardian1_mobile",
    "家長2姓名": "guardian2_name",
    "家長2手機": "guardian2_mobile",
}
# Columns that hold a person's or a school's name, shown to staff and parents (R42).
NAME_COLUMNS = frozenset(
    {"school_name", "school_name_en", "student_name", "teacher_name", "guardian1_name",
     "guardian2_name"}
)  # fmt: skip
MAX_LENGTH = {
    "school_name": 100,
    "school_name_en": 100,
    "class": 32,
    "student_name": 50,
    "teacher_name": 50,
}
# Typographic marks Excel and Word put in English text (Da’an, Chung–Cheng) beside plain ASCII.
_ENGLISH_MARKS = frozenset("\u2018\u2019\u2013\u2014")
NAME_MAX = 50
_SCHOOL_CODE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_LOST_ZERO = re.compile(r"^9\d{8}$")
FILE_FIELD = "roster_file"


@dataclass(frozen=True)
class RowProblem:
    """One bad cell (or row) of the file: its row number as Excel shows it, the column, and a
    catalog key with parameters."""

    line: int
    column: str
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return t(self.key, lang, **self.params)


@dataclass(slots=True)
class ParsedRow:
    line: int
    school_code: str
    class_name: str
    digest: str
    masked: str
    name: str
    email: str | None
    teacher_email: str
    guardians: list[tuple[str, str | None]]
    directory_key: str | None = None


def parse_level(value: str) -> Level | None:
    """A Level code (elementary …) or the Chinese label an office types (國小 …)."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if text in LEVEL_LABELS:
        return LEVEL_LABELS[text]
    try:
        return Level(text.lower())
    except ValueError:
        return None


def read_csv_text(path: Path) -> str:
    """The file as text: UTF-8 (with or without Excel's BOM) or UTF-16 with its BOM (Excel's
    "Unicode text"). Anything else is refused rather than guessed, because a Big5 file read as
    anything else would store garbled names; a file that reads as Big5 is named as such."""
    try:
        raw = Path(path).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        raise InvalidInput("errors.roster.file_missing", field=FILE_FIELD, path=str(path)) from exc
    except OSError as exc:
        raise InvalidInput(
            "errors.roster.file_unreadable", field=FILE_FIELD, path=str(path)
        ) from exc
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")  # the BOM says which byte order, and is dropped
        except UnicodeDecodeError as exc:
            raise InvalidInput("errors.roster.encoding_utf16", field=FILE_FIELD) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if _reads_as_big5(raw):
            raise InvalidInput("errors.roster.encoding_big5", field=FILE_FIELD) from exc
        raise InvalidInput("errors.roster.encoding", field=FILE_FIELD) from exc


def _reads_as_big5(raw: bytes) -> bool:
    """Big5 (Windows' cp950 in Taiwan) decodes the whole file and gives CJK text."""
    try:
        text = raw.decode("cp950")
    except UnicodeDecodeError:
        return False
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _delimiter(text: str) -> str:
    """A comma, or a tab for Excel's "Unicode text" export (judged by the header row)."""
    first = text.split("\n", 1)[0]
    return "\t" if first.count("\t") > first.count(",") else ","


@dataclass(frozen=True)
class Header:
    """The file's columns: our name for each (empty for a column we ignore), the header as the
    office wrote it for each of ours (so messages name the column it knows), and the headers
    ignored."""

    names: list[str]
    labels: dict[str, str]
    ignored: tuple[str, ...]


def _header(raw: list[str]) -> Header:
    written = [printable(unicodedata.normalize("NFKC", h).strip()) for h in raw]
    known = {*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *DIRECTORY_COLUMNS, *SCHOOL_COLUMNS}
    names: list[str] = []
    ignored: list[str] = []
    for text in written:
        name = HEADER_ALIASES.get(text, text.lower())
        if text and name not in known:
            ignored.append(text)
            name = ""
        names.append(name)
    labels: dict[str, str] = {}
    for name, text in zip(names, written, strict=True):
        if not name:
            continue
        if name in labels:
            raise InvalidInput("errors.roster.duplicate_column", field=FILE_FIELD, column=text)
        labels[name] = text
    missing = [c for c in REQUIRED_COLUMNS if c not in labels]
    if missing:
        raise InvalidInput(
            "errors.roster.missing_columns", field=FILE_FIELD, columns=", ".join(missing)
        )
    return Header(names, labels, tuple(ignored))


def english_name(raw: str) -> str | None:
    """Issue 18: a school's English name as it is stored (full-width letters folded, spaces
    collapsed), None when blank; InvalidInput when it holds anything but Latin letters, digits,
    spaces and punctuation: another script there could not be found by typing Latin letters,
    and is most likely the Chinese name in the wrong column."""
    text = " ".join(unicodedata.normalize("NFKC", raw or "").split())
    if not text:
        return None
    if len(text) > MAX_LENGTH["school_name_en"]:
        raise InvalidInput("errors.roster.too_long", max=MAX_LENGTH["school_name_en"])
    if not all(_english_character(ch) for ch in text):
        raise InvalidInput("errors.roster.school_name_en_invalid")
    return text


def _english_character(ch: str) -> bool:
    if " " <= ch <= "~" or ch in _ENGLISH_MARKS:
        return True
    return unicodedata.name(ch, "").startswith("LATIN ")  # é, ü: a letter of a Latin alphabet


def _mobile_problem(raw: str) -> str:
    """Excel stores 0912345678 typed in a number cell as 912345678: say exactly that."""
    if _LOST_ZERO.match(unicodedata.normalize("NFKC", raw).strip()):
        return "errors.roster.mobile_lost_zero"
    return "errors.contact.mobile_invalid"


class RosterCheck:
    """Checks rows one by one and across rows, remembering the first line that set each fact."""

    def __init__(self, ctx: Context, has_email_column: bool, header: Header | None = None) -> None:
        self.keyring = ctx.keyring
        self.has_email_column = has_email_column
        self.has_key_column = False  # R39: without the column, keys on file stay
        self.has_english_column = False  # issue 18: likewise schools' English names
        self.header = header
        self.problems: list[RowProblem] = []
        self.rows: list[ParsedRow] = []
        self.schools: dict[str, tuple[str, Level, int]] = {}  # code -> name, level, line
        self.english_names: dict[str, tuple[str, int]] = {}  # code -> English name, line
        self.classes: dict[tuple[str, str], tuple[str, int]] = {}  # -> teacher e-mail, line
        self.teachers: dict[str, tuple[str, str, int]] = {}  # e-mail -> name, school, line
        self.students: dict[str, int] = {}  # digest -> line
        self.student_emails: dict[str, int] = {}
        self._emails: dict[str, str | QinziError] = {}

    def problem(self, line: int, column: str, key: str, **params: Any) -> None:
        self.problems.append(RowProblem(line, column, key, params))

    def _email(self, raw: str) -> str | QinziError:
        if raw not in self._emails:
            try:
                self._emails[raw] = normalize_email(raw)
            except QinziError as exc:
                self._emails[raw] = exc
        return self._emails[raw]

    def _text(self, line: int, cells: dict[str, str], column: str) -> str | None:
        value = cells.get(column, "")
        if not value:
            self.problem(line, column, "errors.roster.required")
            return None
        if len(value) > MAX_LENGTH.get(column, NAME_MAX):
            self.problem(line, column, "errors.roster.too_long", max=MAX_LENGTH[column])
            return None
        return value

    def row(self, line: int, cells: dict[str, str]) -> None:
        before = len(self.problems)
        code = unicodedata.normalize("NFKC", cells["school_code"])
        if not code:
            self.problem(line, "school_code", "errors.roster.required")
        elif not _SCHOOL_CODE.match(code):
            self.problem(line, "school_code", "errors.roster.school_code_invalid")
        school_name = self._text(line, cells, "school_name")
        school_name_en = self._english_name(line, cells.get("school_name_en", ""))
        level = parse_level(cells["level"])
        if level is None:
            key = "errors.roster.required" if not cells["level"] else "errors.roster.level_invalid"
            self.problem(line, "level", key)
        class_name = self._text(
            line, {"class": unicodedata.normalize("NFKC", cells["class"])}, "class"
        )
        student_id = self._student_id(line, cells["student_id"])
        student_name = self._text(line, cells, "student_name")
        student_email = self._student_email(line, cells.get("student_email", ""))
        teacher_email = self._teacher_email(line, cells["teacher_email"])
        teacher_name = self._text(line, cells, "teacher_name")
        guardians = self._guardians(line, cells)
        if code and school_name and level:
            self._same_school(line, code, school_name, level)
            if school_name_en:
                self._same_english_name(line, code, school_name_en)
            if class_name and teacher_email:
                self._same_teacher(line, code, class_name, teacher_email)
            if teacher_email and teacher_name:
                self._same_teacher_person(line, teacher_email, teacher_name, code)
        if len(self.problems) == before:
            self.rows.append(
                ParsedRow(
                    line,
                    code,
                    class_name,
                    student_id[0],
                    student_id[1],
                    student_name,
                    student_email,
                    teacher_email,
                    guardians,
                    self._student_key(line, cells.get("student_key", "")),
                )
            )

    def _student_key(self, line: int, raw: str) -> str | None:
        """R39: the directory's identifier, as printable text without the `#` that separates it
        from the relationship in a qinziBinding value."""
        key = raw.strip()
        if key and (len(key) > STUDENT_KEY_MAX or "#" in key or not key.isprintable()):
            self.problem(line, "student_key", "errors.roster.student_key_invalid",
                         maximum=STUDENT_KEY_MAX)  # fmt: skip
        return key or None

    def _english_name(self, line: int, raw: str) -> str | None:
        try:
            return english_name(raw)
        except InvalidInput as exc:
            self.problem(line, "school_name_en", exc.key, **exc.params)
            return None

    def _student_id(self, line: int, raw: str) -> tuple[str, str] | None:
        check = check_id(raw)
        if not check.ok:
            key = (
                "errors.roster.required" if check.reason == "empty" else f"errors.id.{check.reason}"
            )
            self.problem(line, "student_id", key)
            return None
        digest = id_digest(self.keyring, check.normalized)
        first = self.students.setdefault(digest, line)
        if first != line:
            self.problem(line, "student_id", "errors.roster.duplicate_student", first_line=first)
            return None
        return digest, mask_id(check.normalized)

    def _student_email(self, line: int, raw: str) -> str | None:
        if not raw:
            return None
        email = self._email(raw)
        if isinstance(email, QinziError):
            self.problem(line, "student_email", email.key, **email.params)
            return None
        first = self.student_emails.setdefault(email, line)
        if first != line:
            self.problem(line, "student_email", "errors.roster.duplicate_email", first_line=first)
        return email

    def _teacher_email(self, line: int, raw: str) -> str | None:
        if not raw:
            self.problem(line, "teacher_email", "errors.roster.required")
            return None
        email = self._email(raw)
        if isinstance(email, QinziError):
            self.problem(line, "teacher_email", email.key, **email.params)
            return None
        return email

    def _guardians(self, line: int, cells: dict[str, str]) -> list[tuple[str, str | None]]:
        found: list[tuple[str, str | None]] = []
        for name_col, mobile_col in GUARDIAN_SLOTS:
            name, raw_mobile = cells.get(name_col, ""), cells.get(mobile_col, "")
            mobile = normalize_mobile(raw_mobile) if raw_mobile else None
            if raw_mobile and mobile is None:
                self.problem(line, mobile_col, _mobile_problem(raw_mobile))
            if raw_mobile and not name:
                self.problem(line, name_col, "errors.roster.guardian_name_missing")
            elif len(name) > NAME_MAX:
                self.problem(line, name_col, "errors.roster.too_long", max=NAME_MAX)
            elif name:
                found.append((name, mobile))
        return found

    def _same_school(self, line: int, code: str, name: str, level: Level) -> None:
        first_name, first_level, first = self.schools.setdefault(code, (name, level, line))
        if first_name != name:
            self.problem(
                line, "school_name", "errors.roster.school_name_conflict", first_line=first
            )
        elif first_level != level:
            self.problem(line, "level", "errors.roster.school_level_conflict", first_line=first)

    def _same_english_name(self, line: int, code: str, name: str) -> None:
        """Rows of one school agree on its English name; a blank cell agrees with any."""
        first_name, first = self.english_names.setdefault(code, (name, line))
        if first_name != name:
            self.problem(
                line, "school_name_en", "errors.roster.school_name_en_conflict", first_line=first
            )

    def _same_teacher(self, line: int, code: str, class_name: str, teacher: str) -> None:
        first_teacher, first = self.classes.setdefault((code, class_name), (teacher, line))
        if first_teacher != teacher:
            self.problem(
                line, "teacher_email", "errors.roster.class_teacher_conflict", first_line=first
            )

    def _same_teacher_person(self, line: int, email: str, name: str, code: str) -> None:
        first_name, first_school, first = self.teachers.setdefault(email, (name, code, line))
        if first_name != name:
            self.problem(
                line, "teacher_name", "errors.roster.teacher_name_conflict", first_line=first
            )
        elif first_school != code:
            self.problem(
                line, "teacher_email", "errors.roster.teacher_school_conflict", first_line=first
            )

    def against_database(self) -> None:
        """A teacher e-mail already on file at another school is most likely a typo that would
        move a colleague; the office must resolve it rather than have us guess."""
        if not self.teachers:
            return
        on_file = {}
        for batch in chunks(list(self.teachers)):
            query = (
                Teacher.select(Teacher.email, School.code)
                .join(School)
                .where(Teacher.email.in_(list(batch)))
            )
            on_file.update(query.tuples())
        for email, (_, code, line) in self.teachers.items():
            if email in on_file and on_file[email] != code:
                self.problem(line, "teacher_email", "errors.roster.teacher_elsewhere")


def check_roster(ctx: Context, path: Path) -> tuple[RosterCheck, int]:
    """Read and check the whole file; raises InvalidInput for a file that cannot be read at
    all (encoding, columns), and collects row problems otherwise."""
    text = read_csv_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise InvalidInput("errors.roster.empty", field=FILE_FIELD)
        columns = _header(header)
        names = columns.names
        check = RosterCheck(ctx, "student_email" in names, columns)
        check.has_key_column = "student_key" in names
        check.has_english_column = "school_name_en" in names
        rows = 0
        for number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue  # Excel leaves rows of empty cells at the end
            rows += 1
            cells = dict.fromkeys(REQUIRED_COLUMNS, "")
            for name, value in zip(names, record, strict=False):
                if name:
                    cells[name] = value.strip()
            if len(record) > len(names) and any(v.strip() for v in record[len(names) :]):
                check.problem(number, "", "errors.roster.extra_cells")
                continue
            bad = [name for name, value in cells.items() if has_control(value, allow_space=False)]
            for name in bad:  # NUL, ESC, a line break inside a cell: never stored
                check.problem(number, name, CONTROL_KEY)
            odd = [n for n, value in cells.items() if n in NAME_COLUMNS and unreadable(value)]
            for name in odd:  # R42: U+202E, only zero-width spaces, 49 stacked marks
                check.problem(number, name, UNREADABLE_KEY)
            if bad or odd:
                continue
            check.row(number, cells)
    except csv.Error as exc:
        raise InvalidInput("errors.roster.bad_csv", field=FILE_FIELD, line=reader.line_num) from exc
    if rows == 0:
        raise InvalidInput("errors.roster.no_rows", field=FILE_FIELD)
    check.against_database()
    check.problems.sort(key=lambda p: p.line)
    return check, rows
