"""The synthetic city and the shipped demo: every level (R6), IDs only as digests (R23), approved
applications with their account, binding and audit (R19, R24), roster matches (R28), one pending
application per pair (R15)."""

from __future__ import annotations

import csv
import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from app.i18n import t
from app.identity import check_id, id_digest
from app.models import (
    Account,
    Application,
    AuditEvent,
    Binding,
    Classroom,
    RosterGuardian,
    School,
    Status,
    Student,
    Teacher,
    TeacherClassroom,
)
from app.resources import data_file
from app.services.demo.seed import DEMO_STAFF_PASSWORD, demo_lines, demo_setup, seed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def city(services):
    return seed(services, schools=12, students=700, applications=400, rng_seed=7)


def test_r6_the_city_has_schools_of_every_level_and_classes_of_about_27(services, city):
    assert (city.schools, city.students, city.applications) == (12, 700, 400)
    assert {s.level for s in School.select()} == {
        "elementary",
        "junior",
        "senior",
        "vocational",
        "special",
    }
    sizes = [room.students.count() for room in Classroom.select()]
    assert sum(sizes) == 700 and min(sizes) >= 10 and max(sizes) <= 40
    assert all(name.startswith("臺北市") for (name,) in School.select(School.name).tuples())
    # Issue 18: every school has the kind of English name its level's schools use, which
    # the roster import would accept.
    from app.services.roster_csv import english_name

    ends = {"elementary": "Elementary School", "junior": "Junior High School",
            "senior": "Senior High School", "vocational": "Vocational High School",
            "special": "Special Education School"}  # fmt: skip
    for school in School.select():
        assert school.name_en.endswith(ends[school.level]), school.name_en
        assert english_name(school.name_en) == school.name_en


def test_one_homeroom_teacher_per_class_and_one_it_person_per_school(services, city):
    assert TeacherClassroom.select().count() == Classroom.select().count()
    it = Counter(t.school_id for t in Teacher.select().where(Teacher.role == "it"))
    assert sorted(it) == sorted(s.id for s in School.select()) and set(it.values()) == {1}
    one = Teacher.get(Teacher.role == "teacher")
    assert services.ctx.hasher.verify(one.password_hash, DEMO_STAFF_PASSWORD)


def test_r23_students_are_stored_as_digests_and_masked_ids(services, city):
    for digest, masked in Student.select(Student.id_digest, Student.id_masked).tuples():
        assert len(digest) == 64 and masked[4:] == "******" and masked[0].isupper()
    assert Student.select(Student.id_digest).distinct().count() == 700


def test_r19_every_approved_application_has_its_account_binding_and_audit(services, city):
    statuses = Counter(a.status for a in Application.select())
    assert set(statuses) == {s.value for s in Status}
    assert dict(statuses) == city.by_status
    approved = list(Application.select().where(Application.status == Status.APPROVED))
    approvals = {
        e.target: json.loads(e.detail)
        for e in AuditEvent.select().where(AuditEvent.action == "application.approved")
    }
    for app in approved:
        assert app.account is not None and app.decided_by is not None and app.decided_at
        assert app.account.id_digest == app.parent_id_digest
        assert app.account.email == app.email
        assert app.number in approvals
        assert app.decided_by.classrooms.where(TeacherClassroom.classroom == app.classroom).exists()
        binding = Binding.get(Binding.application == app)
        assert (binding.account_id, binding.student_id) == (app.account_id, app.student_id)
    assert Binding.select().count() == len(approved) == city.bindings
    assert sum(d["account_created"] for d in approvals.values()) == Account.select().count()
    # An account exists only for a parent with an approved application, once per parent.
    parents = {a.parent_id_digest for a in approved}
    assert sorted(a.id_digest for a in Account.select()) == sorted(parents)


def test_r24_every_application_was_submitted_and_every_closure_recorded(services, city):
    actions = Counter(e.action for e in AuditEvent.select())
    assert actions["application.submitted"] == 400
    for status in ("approved", "rejected", "cancelled", "voided"):
        assert actions[f"application.{status}"] == city.by_status[status]
    assert actions["seed.run"] == 1
    rejected = Application.select().where(Application.status == Status.REJECTED)
    assert all(a.reject_reason and a.decided_by_id for a in rejected)
    closed = Application.select().where(Application.status.in_(["cancelled", "voided"]))
    assert all(a.closed_at and a.decided_at is None for a in closed)


def test_r15_one_application_per_parent_and_student(services, city):
    pairs = Counter(Application.select(Application.parent_id_digest, Application.student).tuples())
    assert max(pairs.values()) == 1
    emails = Counter(Application.select(Application.email, Application.parent_id_digest).tuples())
    assert len({e for e, _ in emails}) == len(emails)  # R14: one parent per e-mail


def test_r28_roster_matches_are_by_the_guardian_on_file(services, city):
    matched = list(Application.select().where(Application.roster_match == True))  # noqa: E712
    assert matched
    for app in matched:
        guardian = RosterGuardian.get(
            RosterGuardian.student == app.student_id, RosterGuardian.name == app.parent_name
        )
        assert guardian.mobile == app.mobile


def test_the_seed_is_repeatable(tmp_path, settings, clock, keyring):
    from app.services import build_services

    names = []
    for n in (1, 2):
        svc = build_services(
            settings.replace(db=str(tmp_path / f"{n}.db")), clock=clock, keyring=keyring
        )
        seed(svc, schools=6, students=100, applications=40, rng_seed=3)
        names.append([s.name for s in School.select().order_by(School.code)])
        names.append(sorted(a.parent_name for a in Application.select()))
        svc.close()
    assert names[0] == names[2] and names[1] == names[3]


def test_seeding_next_to_an_existing_roster_keeps_codes_and_ids_apart(services, roster):
    report = seed(services, schools=5, students=60, applications=20)
    assert report.students == 60
    assert School.select().count() == 3 + 5
    assert Student.select().count() == len(roster.students) + 60


# --- the demo -------------------------------------------------------------------------------------


def test_demo_setup_gives_documented_logins_and_mixed_applications(services):
    info = demo_setup(services)
    hasher = services.ctx.hasher
    teacher = Teacher.get(Teacher.email == info.teacher_login)
    assert hasher.verify(teacher.password_hash, info.staff_password)
    it = Teacher.get(Teacher.email == info.it_login)
    assert it.role == "it" and hasher.verify(it.password_hash, DEMO_STAFF_PASSWORD)
    assert Teacher.select().where(Teacher.role == "it").count() == School.select().count()
    assert Teacher.select().where(Teacher.password_hash.is_null()).count() == 0
    statuses = Counter(a.status for a in Application.select())
    assert statuses == {"pending": 4, "approved": 1, "rejected": 1, "cancelled": 1}
    assert info.applications == 7
    # The approved parent logs in with the seed's default password (R19).
    account = Account.get(Account.email == info.parent_login)
    assert account.must_change_password and account.password_expires_at
    assert hasher.verify(account.password_hash, info.parent_password)
    assert info.parent_id.endswith(info.parent_password) and check_id(info.parent_id).ok


def test_issue_18_the_demo_box_names_school_levels_in_the_screens_language(services):
    """The demo's welcome box showed the roster's 國小 on the English screen."""
    info = demo_setup(services)
    english = "\n".join(demo_lines(info, lambda key, /, **p: t(key, "en", **p)))
    chinese = "\n".join(demo_lines(info, lambda key, /, **p: t(key, "zh-TW", **p)))
    assert "Elementary school" in english and "Special education school" in english
    for student in info.students:  # school names are data; another change gives them English
        english = english.replace(student.school, "")
    assert not any(level in english for level in ("國小", "國中", "高中", "高職", "特教"))
    assert "國小" in chinese and "Elementary" not in chinese


def test_r28_demo_students_can_be_found_by_their_ids(services):
    info = demo_setup(services)
    levels = {s.level for s in info.students}
    assert levels == {"elementary", "junior", "senior", "vocational", "special"}
    for s in info.students:
        assert check_id(s.student_id).ok
        student = Student.get(Student.id_digest == id_digest(services.ctx.keyring, s.student_id))
        assert (student.school.name, student.classroom.name) == (s.school, s.classroom)
    guardian = next(s for s in info.students if s.guardian_mobile)
    student = Student.get(Student.id_digest == id_digest(services.ctx.keyring, guardian.student_id))
    on_file = [(g.name, g.mobile) for g in student.guardians]
    assert (guardian.guardian_name, "+886" + guardian.guardian_mobile[1:]) in on_file
    own = next(s for s in info.students if s.email)
    assert Student.get(Student.email == own.email)  # R12


def test_demo_setup_runs_again_without_adding_anything(services):
    first = demo_setup(services)
    counts = (Application.select().count(), Account.select().count(), Student.select().count())
    again = demo_setup(services)
    assert again == first
    assert (
        Application.select().count(),
        Account.select().count(),
        Student.select().count(),
    ) == counts


def test_r6_the_shipped_demo_roster_covers_every_level_and_is_reproducible():
    spec = importlib.util.spec_from_file_location("make_demo", ROOT / "tools/make_demo_roster.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    with data_file("demo_roster.csv").open(encoding="utf-8-sig", newline="") as fh:
        shipped = list(csv.DictReader(fh))
    assert shipped == tool.rows()
    assert 180 <= len(shipped) <= 220
    assert {r["level"] for r in shipped} == {"國小", "國中", "高中", "高職", "特教"}
    assert sum(1 for r in shipped if r["guardian1_mobile"]) > 50
    assert sum(1 for r in shipped if r["student_email"]) == 2
    assert len({(r["school_code"], r["class"]) for r in shipped}) >= 8


def test_r16_every_synthetic_signature_verifies_like_a_kiosk_one(services, city):
    """A teacher opening a seeded or demo application sees its signature hash match."""
    from app.services.kiosk import content_sha256

    apps = list(Application.select())
    assert apps
    assert [a.number for a in apps if content_sha256(a) != a.content_sha256] == []
