"""The school roster: one CSV a school office exports from Excel, one row per student.

Nothing is written unless every row is right (roster_csv checks them); then schools, classes,
teachers, students and roster guardians are upserted in one transaction, in bulk, because a city
roster has 250,000 rows, together with the roster lifecycle of R34 (roster_lifecycle: who left,
who came back, who changed class). A dry run checks the file and computes the same plan, and
writes nothing. Student ID numbers are kept only as keyed digests and masked forms (R23)."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.i18n import t
from app.models import Classroom, RosterGuardian, School, Student, Teacher, TeacherClassroom
from app.services.audit import SYSTEM
from app.services.bulk import bulk_insert, chunks, delete_in, id_map, large_cache
from app.services.context import Context
from app.services.roster_csv import (
    GUARDIAN_SLOTS,
    LEVEL_LABELS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SCHOOL_COLUMNS,
    RosterCheck,
    RowProblem,
    check_roster,
    parse_level,
)
from app.services.roster_lifecycle import LifecycleReport, RosterLifecycle, RosterPlan

ACTION_IMPORT = "roster.import"

__all__ = [
    "GUARDIAN_SLOTS",
    "LEVEL_LABELS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "SCHOOL_COLUMNS",
    "ImportReport",
    "RosterPlan",
    "RosterService",
    "RowProblem",
    "parse_level",
]


@dataclass(frozen=True)
class ImportReport:
    """What an import did, or (when `problems` is not empty) why it did nothing."""

    rows: int = 0
    schools: int = 0
    classrooms: int = 0
    students_added: int = 0
    students_updated: int = 0
    teachers: int = 0
    teachers_added: int = 0
    guardians: int = 0
    problems: tuple[RowProblem, ...] = ()
    ignored_columns: tuple[str, ...] = ()  # headers of columns we do not use, as written
    column_labels: tuple[tuple[str, str], ...] = ()  # our column name -> the file's header
    plan: RosterPlan | None = None  # R34: what changes for students (also on a dry run)
    lifecycle: LifecycleReport | None = None  # what the import did about it (not on a dry run)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def column_label(self, column: str) -> str:
        """The column as the office's header names it (學生身分證字號 rather than student_id)."""
        return dict(self.column_labels).get(column, column)


MAX_PROBLEMS_SHOWN = 20  # issue 14: the console shows these, the rest go to a file


def problem_line(report: ImportReport, problem: RowProblem, lang: str) -> str:
    """One bad cell or row, in the office's language and with its header. Messages name rows
    and columns, never the cell's value, so no ID number is repeated (R9)."""
    message = problem.message(lang)
    if problem.column:
        column = report.column_label(problem.column)
        return t("roster.problems.cell", lang, line=problem.line, column=column, message=message)
    return t("roster.problems.row", lang, line=problem.line, message=message)


def problem_list_path(roster: Path | str) -> Path:
    roster = Path(roster)
    return roster.with_name(f"{roster.stem}-problems.txt")


def write_problem_list(report: ImportReport, roster: Path | str, lang: str) -> Path:
    """Every problem of a refused import, in a file beside the roster, readable by its owner
    only (R40); masked or absent personal data only (R9). Replaces an earlier list."""
    path = problem_list_path(roster)
    lines = [t("roster.problems.title", lang, file=Path(roster).name, count=len(report.problems))]
    lines += [problem_line(report, p, lang) for p in report.problems]
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="\r\n") as fh:
            fh.write("\n".join(lines) + "\n")
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path


class RosterService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def import_csv(
        self, path: Path | str, *, actor: str = SYSTEM, dry_run: bool = False
    ) -> ImportReport:
        """R7, R24, R34: validate everything, then upsert schools, classes, teachers, students
        and roster guardians and apply the roster lifecycle in one transaction; nothing is
        written when any row is bad, nor on a dry run (which reports the plan)."""
        check, rows = check_roster(self.ctx, Path(path))
        header = check.header
        about = {
            "ignored_columns": header.ignored if header else (),
            "column_labels": tuple(header.labels.items()) if header else (),
        }
        if check.problems:
            return ImportReport(rows=rows, problems=tuple(check.problems), **about)
        lifecycle = RosterLifecycle(self.ctx)
        students = [(r.digest, r.school_code, r.class_name) for r in check.rows]
        if dry_run:
            return ImportReport(rows=rows, plan=lifecycle.plan(students), dry_run=True, **about)
        with large_cache(self.ctx.db), self.ctx.transaction("roster-import"):
            plan = lifecycle.plan(students)
            report = _Writer(self.ctx, check, rows).write()
            done = lifecycle.apply(plan, actor)
            report = dataclasses.replace(report, plan=plan, lifecycle=done, **about)
            self.ctx.audit.record(
                actor,
                ACTION_IMPORT,
                "roster",
                rows=report.rows,
                schools=report.schools,
                classrooms=report.classrooms,
                students_added=report.students_added,
                students_updated=report.students_updated,
                teachers=report.teachers,
                teachers_added=report.teachers_added,
                guardians=report.guardians,
                students_left=done.left,
                students_returned=done.returned,
                students_moved=done.moved,
                applications_closed=done.applications_closed,
                applications_moved=done.applications_moved,
            )
        return report


class _Writer:
    def __init__(self, ctx: Context, check: RosterCheck, rows: int) -> None:
        self.check = check
        self.rows = rows
        self.db = ctx.db
        self.ctx = ctx

    def write(self) -> ImportReport:
        check, db = self.check, self.db
        schools = [[code, name, level.value] for code, (name, level, _) in check.schools.items()]
        fields = [School.code, School.name, School.level]
        if check.has_english_column:  # issue 18: without the column, English names stay
            fields.append(School.name_en)
            for values in schools:
                values.append(check.english_names.get(values[0], (None,))[0])
        bulk_insert(db, School, fields, schools, conflict=[School.code], update=fields[1:])
        school_ids = id_map(School, School.code, check.schools)

        rooms = [(school_ids[code], name) for code, name in check.classes]
        bulk_insert(
            db,
            Classroom,
            [Classroom.school, Classroom.name],
            rooms,
            conflict=[Classroom.school, Classroom.name],
        )
        room_ids: dict[tuple[int, str], int] = {}
        for batch in chunks(list(school_ids.values())):
            query = Classroom.select(Classroom.school, Classroom.name, Classroom.id)
            for school_id, name, room_id in query.where(Classroom.school.in_(list(batch))).tuples():
                room_ids[(school_id, name)] = room_id

        known_teachers = id_map(Teacher, Teacher.email, check.teachers)
        teachers = [
            (email, name, school_ids[code], True)
            for email, (name, code, _) in check.teachers.items()
        ]
        fields = [Teacher.email, Teacher.name, Teacher.school, Teacher.active]
        bulk_insert(db, Teacher, fields, teachers, conflict=[Teacher.email], update=fields[1:])
        teacher_ids = id_map(Teacher, Teacher.email, check.teachers)

        # The file names each class's homeroom teacher: earlier links of those classes go.
        links = [
            (teacher_ids[email], room_ids[(school_ids[code], name)])
            for (code, name), (email, _) in check.classes.items()
        ]
        delete_in(TeacherClassroom, TeacherClassroom.classroom, [room for _, room in links])
        bulk_insert(
            db, TeacherClassroom, [TeacherClassroom.teacher, TeacherClassroom.classroom], links
        )

        known = id_map(Student, Student.id_digest, (r.digest for r in check.rows))
        fields = [
            Student.id_digest,
            Student.id_masked,
            Student.name,
            Student.school,
            Student.classroom,
            Student.active,
            Student.left_at,  # R34: listed again, so no longer left
        ]
        if check.has_email_column:  # without the column, e-mails on file stay (R12)
            fields.append(Student.email)
        if check.has_key_column:  # R39: likewise the directory's identifiers
            fields.append(Student.directory_key)
            keys = {r.digest: r.directory_key for r in check.rows}
            self.ctx.provisioner.students_renamed(keys)  # their parents' entries follow
        students = []
        for r in check.rows:
            school_id = school_ids[r.school_code]
            values = [
                r.digest,
                r.masked,
                r.name,
                school_id,
                room_ids[(school_id, r.class_name)],
                True,
                None,
            ]
            if check.has_email_column:
                values.append(r.email)
            if check.has_key_column:
                values.append(r.directory_key)
            students.append(values)
        bulk_insert(db, Student, fields, students, conflict=[Student.id_digest], update=fields[1:])
        student_ids = id_map(Student, Student.id_digest, (r.digest for r in check.rows))

        delete_in(RosterGuardian, RosterGuardian.student, student_ids.values())
        guardians = [
            (student_ids[r.digest], name, mobile)
            for r in check.rows
            for name, mobile in r.guardians
        ]
        bulk_insert(
            db,
            RosterGuardian,
            [RosterGuardian.student, RosterGuardian.name, RosterGuardian.mobile],
            guardians,
        )
        added = len(check.rows) - len(known)
        return ImportReport(
            rows=self.rows,
            schools=len(school_ids),
            classrooms=len(links),
            students_added=added,
            students_updated=len(known),
            teachers=len(teacher_ids),
            teachers_added=len(teacher_ids) - len(known_teachers),
            guardians=len(guardians),
        )
