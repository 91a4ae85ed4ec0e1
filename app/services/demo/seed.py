"""Synthetic data: a city-sized database for load tests (`seed`) and the small, documented demo
a salesperson or developer runs offline (`demo_setup`).

Both write straight through the models, in bulk and in one transaction, because the application
and review services would hash a password and write an audit row per application: 100,000 of those
take minutes. Everything is fictional and drawn from a seeded random generator."""

from __future__ import annotations

import csv
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.errors import InvalidInput
from app.identity import check_id, id_digest, mask_name, normalize_mobile
from app.models import (
    Account,
    Application,
    AuditEvent,
    Binding,
    Classroom,
    RosterGuardian,
    School,
    Student,
    Teacher,
    TeacherClassroom,
)
from app.resources import data_file
from app.services.audit import SYSTEM
from app.services.bulk import indexes_after_load, large_cache
from app.services.context import Context
from app.services.demo.city import Pupil, build_applications, build_roster
from app.services.demo.synthetic import REJECT_REASONS, AppSpec, Parent, People, write_applications
from app.services.roles import ROLE_IT
from app.services.roster import OPTIONAL_COLUMNS, RosterService, parse_level

#: The one password of every seeded or demo staff member (and of seeded parents' accounts).
DEMO_STAFF_PASSWORD = "qinzi-demo-2026"
DEMO_ROSTER = "demo_roster.csv"
DEMO_RNG_SEED = 20260901
# The tables a city fills; their non-unique indexes are built once after the load (issue 7).
LOADED = (Classroom, Student, RosterGuardian, Teacher, TeacherClassroom, Account, Application,
          Binding, AuditEvent)  # fmt: skip


@dataclass(frozen=True)
class SeedReport:
    schools: int
    classrooms: int
    students: int
    teachers: int
    guardians: int
    applications: int
    accounts: int
    bindings: int
    audit_events: int
    by_status: dict[str, int]
    seconds: float
    staff_password: str = DEMO_STAFF_PASSWORD


def _ctx(target: Any) -> Context:
    return target if isinstance(target, Context) else target.ctx


def seed(
    target: Any,
    *,
    schools: int = 300,
    students: int = 250_000,
    applications: int = 100_000,
    rng_seed: int = 2026,
) -> SeedReport:
    """A fictional city: `target` is the Services or their Context. One Argon2 hash per run
    serves every synthetic password, or a city would take hours."""
    started = time.perf_counter()
    ctx = _ctx(target)
    rng = random.Random(rng_seed)
    staff_hash = ctx.hasher.hash(DEMO_STAFF_PASSWORD)
    with large_cache(ctx.db), ctx.transaction("seed"), indexes_after_load(ctx.db, LOADED):
        taken = {d for (d,) in Student.select(Student.id_digest).tuples().iterator()}
        taken |= {d for (d,) in Account.select(Account.id_digest).tuples().iterator()}
        people = People(rng, ctx.keyring, taken)
        people.emails |= {e for (e,) in Account.select(Account.email).tuples().iterator()}
        pupils, counts = build_roster(ctx, rng, people, schools, students, staff_hash)
        specs = build_applications(ctx, rng, people, pupils, applications)
        written = write_applications(ctx, specs, rng, initial_hash=lambda _: staff_hash)
        ctx.audit.record(SYSTEM, "seed.run", "", **counts, applications=written.applications)
    return SeedReport(
        schools=counts["schools"],
        classrooms=counts["classrooms"],
        students=counts["students"],
        teachers=counts["teachers"],
        guardians=counts["guardians"],
        applications=written.applications,
        accounts=written.accounts,
        bindings=written.bindings,
        audit_events=written.audit_events,
        by_status=dict(Counter(s.status for s in specs)),
        seconds=round(time.perf_counter() - started, 2),
    )


# --- the demo -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoStudent:
    """A student of the demo roster as the README presents it: the (fictional) ID a parent
    types, and where relevant the roster guardian (R28) or the student's own e-mail (R12)."""

    student_id: str
    level: str  # a Level code (elementary …): shown by its catalog name in either language
    school: str
    classroom: str
    name_masked: str
    guardian_name: str = ""
    guardian_mobile: str = ""  # 09XXXXXXXX
    email: str = ""


@dataclass(frozen=True)
class DemoInfo:
    data_dir: str
    database: str
    staff_password: str
    teacher_login: str
    teacher_class: str
    it_login: str
    students: tuple[DemoStudent, ...]
    parent_login: str  # an approved parent's account (and the contact of their applications)
    parent_password: str  # its initial password: the last six characters of parent_id
    parent_id: str
    applications: int


def _demo_student(row: dict[str, str]) -> DemoStudent:
    return DemoStudent(
        student_id=row["student_id"],
        level=str(parse_level(row["level"]) or row["level"]),
        school=row["school_name"],
        classroom=row["class"],
        name_masked=mask_name(row["student_name"]),
        guardian_name=row.get("guardian1_name", ""),
        guardian_mobile=row.get("guardian1_mobile", ""),
        email=row.get("student_email", ""),
    )


def _pupils(ctx: Context, rows: list[dict[str, str]]) -> dict[str, Pupil]:
    """The stored students of these CSV rows, with their class teacher, by plain ID."""
    by_digest = {id_digest(ctx.keyring, check_id(r["student_id"]).normalized): r for r in rows}
    query = (
        Student.select(
            Student.id_digest,
            Student.id,
            Student.school,
            Student.classroom,
            School.level,
            TeacherClassroom.teacher,
        )
        .join(School)
        .switch(Student)
        .join(TeacherClassroom, on=TeacherClassroom.classroom == Student.classroom)
        .where(Student.id_digest.in_(list(by_digest)))
    )
    return {by_digest[digest]["student_id"]: Pupil(*rest) for digest, *rest in query.tuples()}


@dataclass(frozen=True)
class _Cast:
    """The roster rows the demo applications are about, chosen the same way on every run."""

    plain: list[dict[str, str]]  # the teacher's class, no guardian on file, no own e-mail
    matched: dict[str, str]  # the teacher's class, a guardian with a mobile on file (R28)
    elsewhere: dict[str, str]  # another school (R18)

    @classmethod
    def of(cls, rows: list[dict[str, str]]) -> _Cast:
        first = rows[0]
        home = [
            r
            for r in rows
            if (r["school_code"], r["class"]) == (first["school_code"], first["class"])
        ]
        plain = [r for r in home if not r["guardian1_mobile"] and not r["student_email"]]
        matched = next(r for r in home if r["guardian1_mobile"])
        elsewhere = next(r for r in rows if r["school_code"] != first["school_code"])
        return cls(plain[:5], matched, elsewhere)

    @property
    def rows(self) -> list[dict[str, str]]:
        return [*self.plain, self.matched, self.elsewhere]


def _demo_specs(ctx: Context, cast: _Cast, people: People) -> list[AppSpec]:
    """A handful of applications a demo walks through: an approved parent with a second child
    pending, a roster match (R28), a guardian who must show papers (R27), a rejection, a
    cancellation, and one in another school (R18)."""
    now = ctx.clock()
    pupils = _pupils(ctx, cast.rows)
    mother = people.parent("2")
    g_name, g_mobile = cast.matched["guardian1_name"], cast.matched["guardian1_mobile"]
    guardian = people.parent("1", g_name, normalize_mobile(g_mobile))

    def spec(
        row: dict[str, str], parent: Parent, relationship: str, status: str, days: int, **extra: Any
    ) -> AppSpec:
        p = pupils[row["student_id"]]
        submitted = now - timedelta(days=days, hours=3)
        return AppSpec(
            parent=parent,
            student_id=p.id,
            school_id=p.school_id,
            classroom_id=p.classroom_id,
            level=p.level,
            relationship=relationship,
            status=status,
            submitted_at=submitted,
            decided_at=None if status == "pending" else submitted + timedelta(days=1),
            teacher_id=p.teacher_id,
            **extra,
        )

    plain = cast.plain
    return [
        spec(plain[0], mother, "mother", "approved", 4),
        spec(plain[1], mother, "mother", "pending", 1),
        spec(cast.matched, guardian, "father", "pending", 2, roster_match=True, by_mobile=True),
        spec(plain[2], people.parent("2"), "grandmother", "pending", 1),
        spec(plain[3], people.parent("1"), "father", "rejected", 6, reason=REJECT_REASONS[0]),
        spec(plain[4], people.parent("2"), "mother", "cancelled", 3),
        spec(cast.elsewhere, people.parent("2"), "mother", "pending", 2),
    ]


def _shown(rows: list[dict[str, str]], cast: _Cast) -> list[DemoStudent]:
    """One untouched student per level, a roster-guardian student (R28) and a student with their
    own e-mail (R12)."""
    used = {r["student_id"] for r in cast.rows}
    free = [r for r in rows if r["student_id"] not in used]
    simple = [r for r in free if not r["guardian1_mobile"] and not r["student_email"]]
    levels = dict.fromkeys(r["level"] for r in rows)
    picked = [next(r for r in simple if r["level"] == level) for level in levels]
    home = cast.matched["school_code"], cast.matched["class"]
    picked.append(
        next(r for r in free if r["guardian1_mobile"] and (r["school_code"], r["class"]) == home)
    )
    picked.append(next(r for r in free if r["student_email"]))
    return [_demo_student(r) for r in picked]


def demo_setup(services: Any, roster: Path | str | None = None) -> DemoInfo:
    """Import the shipped demo roster, give every demo teacher and each school's IT person the
    documented password, and add a few applications in mixed states. Safe to run again: the
    roster is upserted and the applications are added only once."""
    ctx = _ctx(services)
    path = Path(roster) if roster else data_file(DEMO_ROSTER)
    report = RosterService(ctx).import_csv(path)
    if not report.ok:
        raise InvalidInput(
            "errors.roster.rows_refused", field="roster_file", count=len(report.problems)
        )
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = [{k: (v or "").strip() for k, v in r.items()} for r in csv.DictReader(fh)]
    for row in rows:
        for column in OPTIONAL_COLUMNS:
            row.setdefault(column, "")
    cast = _Cast.of(rows)
    rng = random.Random(DEMO_RNG_SEED)
    taken = {id_digest(ctx.keyring, check_id(r["student_id"]).normalized) for r in rows}
    people = People(rng, ctx.keyring, taken)
    hashes: dict[str, str] = {}

    def initial_hash(parent: Parent) -> str:
        if parent.digest not in hashes:
            hashes[parent.digest] = ctx.hasher.hash(parent.plain_id[-6:])
        return hashes[parent.digest]

    codes = list(dict.fromkeys(r["school_code"] for r in rows))
    with ctx.transaction("demo-setup"):
        schools = dict(School.select(School.code, School.id).where(School.code.in_(codes)).tuples())
        for code, school_id in schools.items():
            Teacher.insert(
                email=f"it.{code}@school.example", name="資訊組長", school=school_id, role=ROLE_IT
            ).on_conflict_ignore().execute()
        staff = (
            Teacher.update(
                password_hash=ctx.hasher.hash(DEMO_STAFF_PASSWORD),
                failed_logins=0,
                locked_until=None,
            )
            .where(Teacher.school.in_(list(schools.values())))
            .execute()
        )
        ours = Application.select().where(Application.school.in_(list(schools.values())))
        specs = _demo_specs(ctx, cast, people)
        added = 0
        if not ours.exists():
            added = write_applications(
                ctx, specs, rng, initial_hash=initial_hash, changed_share=0.0
            ).applications
        ctx.audit.record(
            SYSTEM, "demo.setup", "", schools=len(schools), staff=staff, applications=added
        )
    first, parent = rows[0], specs[0].parent
    return DemoInfo(
        data_dir=str(ctx.settings.data_dir),
        database=ctx.settings.database_url,
        staff_password=DEMO_STAFF_PASSWORD,
        teacher_login=first["teacher_email"],
        teacher_class=f"{first['school_name']} {first['class']}",
        it_login=f"it.{first['school_code']}@school.example",
        students=tuple(_shown(rows, cast)),
        parent_login=parent.email,
        parent_password=parent.plain_id[-6:],
        parent_id=parent.plain_id,
        applications=ours.count(),
    )


def demo_lines(info: DemoInfo, tr: Callable[..., str]) -> list[str]:
    """The demo's logins and fictional students as lines of text in `tr`'s language: printed by
    `qinzi demo` and shown on the demo's welcome screen."""
    lines = [
        tr("cli.demo.staff", teacher=info.teacher_login, classroom=info.teacher_class,
           it=info.it_login, password=info.staff_password),
        tr("cli.demo.parent", login=info.parent_login, password=info.parent_password,
           parent_id=info.parent_id),
        tr("cli.demo.students"),
    ]  # fmt: skip
    for s in info.students:
        lines.append(
            tr("cli.demo.student", level=tr(f"level.{s.level}"), school=s.school,
               classroom=s.classroom, name=s.name_masked, student_id=s.student_id)
        )  # fmt: skip
        if s.guardian_mobile:
            lines.append(tr("cli.demo.guardian", name=s.guardian_name, mobile=s.guardian_mobile))
        if s.email:
            lines.append(tr("cli.demo.student_email", email=s.email))
    return lines
