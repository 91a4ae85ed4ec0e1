"""The school roster: one CSV a school office exports from Excel, one row per student.

Nothing is written unless every row is right (roster_csv checks them); then schools, classes,
teachers, students and roster guardians are upserted in one transaction, in bulk, because a city
roster has 250,000 rows. Student ID numbers are kept only as keyed digests and masked forms
(R23)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.models import Classroom, RosterGuardian, School, Student, Teacher, TeacherClassroom
from app.services.audit import SYSTEM
from app.services.bulk import bulk_insert, chunks, delete_in, id_map, large_cache
from app.services.context import Context
from app.services.roster_csv import (
    GUARDIAN_SLOTS,
    LEVEL_LABELS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    RosterCheck,
    RowProblem,
    check_roster,
    parse_level,
)

ACTION_IMPORT = "roster.import"

__all__ = [
    "GUARDIAN_SLOTS",
    "LEVEL_LABELS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ImportReport",
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

    @property
    def ok(self) -> bool:
        return not self.problems


class RosterService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def import_csv(self, path: Path | str, *, actor: str = SYSTEM) -> ImportReport:
        """R7, R24: validate everything, then upsert schools, classes, teachers, students and
        roster guardians in one transaction; nothing is written when any row is bad."""
        check, rows = check_roster(self.ctx, Path(path))
        if check.problems:
            return ImportReport(rows=rows, problems=tuple(check.problems))
        with large_cache(self.ctx.db), self.ctx.transaction("roster-import"):
            report = _Writer(self.ctx, check, rows).write()
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
            )
        return report


class _Writer:
    def __init__(self, ctx: Context, check: RosterCheck, rows: int) -> None:
        self.check = check
        self.rows = rows
        self.db = ctx.db

    def write(self) -> ImportReport:
        check, db = self.check, self.db
        schools = [(code, name, level.value) for code, (name, level, _) in check.schools.items()]
        bulk_insert(
            db,
            School,
            [School.code, School.name, School.level],
            schools,
            conflict=[School.code],
            update=[School.name, School.level],
        )
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
        ]
        if check.has_email_column:  # without the column, e-mails on file stay (R12)
            fields.append(Student.email)
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
            ]
            if check.has_email_column:
                values.append(r.email)
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
