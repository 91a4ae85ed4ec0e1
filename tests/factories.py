"""A small roster built straight through the models, so service tests need no CSV import.

IDs are fictional and checksum-valid; the plain values live only in this object, as a parent
would type them."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.identity import id_digest, mask_id, with_check_digit
from app.models import (
    Classroom,
    Level,
    RosterGuardian,
    School,
    Student,
    Teacher,
    TeacherClassroom,
)

TEACHER_PASSWORD = "teach-demo-2026"


@dataclass
class Roster:
    schools: dict[str, School] = field(default_factory=dict)
    classrooms: dict[str, Classroom] = field(default_factory=dict)
    students: dict[str, Student] = field(default_factory=dict)  # by plain ID
    teachers: dict[str, Teacher] = field(default_factory=dict)  # by short name
    ids: dict[str, str] = field(default_factory=dict)  # short name -> plain student ID
    parent_ids: dict[str, str] = field(default_factory=dict)  # short name -> plain parent ID

    def student(self, name: str) -> Student:
        return self.students[self.ids[name]]


def make_roster(services) -> Roster:
    keyring = services.ctx.keyring
    hasher = services.ctx.hasher
    r = Roster()
    with services.ctx.db.atomic():
        for code, name, level in [
            ("E001", "臺北市大安區和平國小", Level.ELEMENTARY),
            ("E002", "臺北市信義區光復國小", Level.ELEMENTARY),
            ("J001", "臺北市中正區南門國中", Level.JUNIOR),
        ]:
            r.schools[code] = School.create(code=code, name=name, level=level)
        for key, school, cname in [
            ("E001-301", "E001", "301"),
            ("E001-302", "E001", "302"),
            ("E002-101", "E002", "101"),
            ("J001-801", "J001", "801"),
        ]:
            r.classrooms[key] = Classroom.create(school=r.schools[school], name=cname)
        for short, prefix, sname, classroom, email in [
            ("wu", "A12345678", "吳三寶", "E001-301", None),
            ("wu2", "A22345678", "吳大寶", "E001-301", "wu.dabao@student.example"),
            ("chen", "B12000001", "陳曉明", "E001-302", None),
            ("lin", "F13110409", "林小美", "E002-101", None),
            ("wang", "Y14476685", "王大同", "J001-801", None),
            ("ali", "A80000001", "Ali Chen", "E001-301", None),
        ]:
            plain = with_check_digit(prefix)
            room = r.classrooms[classroom]
            r.ids[short] = plain
            r.students[plain] = Student.create(
                id_digest=id_digest(keyring, plain),
                id_masked=mask_id(plain),
                name=sname,
                school=room.school,
                classroom=room,
                email=email,
            )
        pw = hasher.hash(TEACHER_PASSWORD)
        for short, email, tname, school, rooms, role in [
            ("lee", "lee@school.example", "李老師", "E001", ["E001-301"], "teacher"),
            ("ho", "ho@school.example", "何老師", "E001", ["E001-302"], "teacher"),
            ("kao", "kao@school.example", "高老師", "E002", ["E002-101"], "teacher"),
            ("it", "it@school.example", "資訊組長", "E001", [], "it"),
        ]:
            teacher = Teacher.create(
                email=email, name=tname, school=r.schools[school], role=role, password_hash=pw
            )
            r.teachers[short] = teacher
            for room in rooms:
                TeacherClassroom.create(teacher=teacher, classroom=r.classrooms[room])
        # The school has 吳爸爸 on file for 吳三寶, with his mobile (R28).
        RosterGuardian.create(student=r.student("wu"), name="吳志明", mobile="+886912345678")
    for short, prefix in [
        ("father", "A10000000"),
        ("mother", "A20000000"),
        ("grandma", "B20000001"),
        ("other", "C10000002"),
    ]:
        r.parent_ids[short] = with_check_digit(prefix)
    return r
