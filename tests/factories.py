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


def make_account(
    services,
    roster: Roster,
    parent: str = "father",
    *,
    email: str = "father@home.example",
    mobile: str | None = "+886911222333",
    name: str = "吳志明",
    children: tuple[str, ...] = ("wu",),
    password: str | None = None,
):
    """An approved parent Account with its bindings, made straight through the models (as the
    review service would), for tests of logins and accounts. With `password=None` it holds the
    seed's initial password (the last six characters of the parent's ID), must be changed and
    expires `initial_password_days` after now; with a password it is an account in normal use."""
    from datetime import timedelta

    from app.models import Account, Binding

    ctx = services.ctx
    plain_id = roster.parent_ids[parent]
    now = ctx.clock()
    initial = password is None
    with ctx.db.atomic():
        account = Account.create(
            email=email,
            mobile=mobile,
            name=name,
            id_digest=id_digest(ctx.keyring, plain_id),
            id_masked=mask_id(plain_id),
            password_hash=ctx.hasher.hash(plain_id[-6:] if initial else password),
            must_change_password=initial,
            password_expires_at=(
                now + timedelta(days=ctx.settings.initial_password_days) if initial else None
            ),
            created_at=now,
        )
        for short in children:
            Binding.create(account=account, student=roster.student(short), created_at=now)
    return account


def verified_contact(services, value: str = "father@home.example", channel: str | None = None):
    """A contact as step 1 leaves it once the code was right (built directly, no code sent)."""
    from app.models import Channel
    from app.services.contacts import VerifiedContact, contact_digest, normalize_contact

    channel = channel or (Channel.EMAIL if "@" in value else Channel.SMS)
    value = normalize_contact(channel, value)
    return VerifiedContact(
        channel=channel,
        value=value,
        digest=contact_digest(services.ctx.keyring, value),
        verified_at=services.ctx.clock(),
    )


def kiosk_session(services, contact: str = "father@home.example", lang: str = "zh-TW"):
    from app.services.kiosk import KioskSession

    return KioskSession(contact=verified_contact(services, contact), lang=lang)


def submit_application(
    services,
    roster: Roster,
    students: tuple[str, ...] = ("wu",),
    parent: str = "father",
    *,
    relationship: str = "father",
    note: str | None = None,
    name: str = "吳志明",
    email: str = "father@home.example",
    mobile: str = "0911222333",
    contact: str | None = None,
    session=None,
):
    """Walk the kiosk wizard (steps 2–4) for `students` and submit; returns the Submitted list."""
    from app.services.kiosk import ParentDetails

    apps = services.applications
    session = session or kiosk_session(services, contact or email)
    for short in students:
        student = roster.student(short)
        found = apps.lookup_student(
            session, student.school.level, student.school.code, roster.ids[short]
        )
        session = apps.choose_student(found.session, found.value, relationship, note)
    session = apps.give_consent(session, scrolled_to_end=True)
    details = ParentDetails(roster.parent_ids[parent], name, email, mobile)
    return apps.submit(session, details, signature=name).value
