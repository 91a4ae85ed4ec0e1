"""A fictional city for load tests: schools of every level with plausible Taipei names, classes
of about 27, a homeroom teacher per class and an IT person per school, students with unique
checksum-valid ID numbers, roster guardians, and applications in mixed states.

Written in bulk (see bulk.py); the seed's `staff_hash` is one Argon2 hash shared by every
synthetic password, since hashing 10,000 staff passwords one by one would take an hour."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from app.i18n import DEFAULT_LANGUAGE, LANGUAGES
from app.models import (
    Classroom,
    Level,
    RosterGuardian,
    School,
    Status,
    Student,
    Teacher,
    TeacherClassroom,
)
from app.services.bulk import bulk_insert, id_map
from app.services.context import Context
from app.services.demo.synthetic import (
    DISTRICTS,
    OTHER_NOTES,
    REJECT_REASONS,
    STEMS,
    STEMS_EN,
    AppSpec,
    Parent,
    People,
)
from app.services.roles import ROLE_IT, ROLE_TEACHER

CLASS_SIZE = 27
OTHER_LANGUAGE_SHARE = 0.05
OTHER_LANGUAGES = tuple(lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE)
LEVEL_SHARE = (
    (Level.ELEMENTARY, 0.50),
    (Level.JUNIOR, 0.22),
    (Level.SENIOR, 0.12),
    (Level.VOCATIONAL, 0.10),
    (Level.SPECIAL, 0.06),
)
LEVEL_CODE_PREFIX = {"elementary": 3, "junior": 4, "senior": 5, "vocational": 6, "special": 7}
GRADES = {"elementary": range(1, 7), "junior": range(7, 10)}
STATUS_SHARE = {
    Status.PENDING: 0.40,
    Status.APPROVED: 0.35,
    Status.REJECTED: 0.12,
    Status.CANCELLED: 0.08,
    Status.VOIDED: 0.05,
}
RELATIONSHIP_SHARE = {
    "mother": 0.45,
    "father": 0.38,
    "grandmother": 0.06,
    "grandfather": 0.03,
    "maternal_grandmother": 0.03,
    "maternal_grandfather": 0.02,
    "other": 0.03,
}
MALE = {"father", "grandfather", "maternal_grandfather"}


def _school_levels(count: int) -> list[Level]:
    if count < len(LEVEL_SHARE):
        return [level for level, _ in LEVEL_SHARE[:count]]
    counts = {level: max(1, int(share * count)) for level, share in LEVEL_SHARE}
    counts[Level.ELEMENTARY] += count - sum(counts.values())
    return [level for level, _ in LEVEL_SHARE for _ in range(counts[level])]


# Issue 18: the short English names schools use ("Heping Elementary School"), by name ending.
ENGLISH_ENDS = {
    "國小": "Elementary School",
    "國中": "Junior High School",
    "高中": "Senior High School",
    "高工": "Vocational High School",
    "高商": "Commercial Vocational High School",
    "家商": "Home Economics and Commercial Vocational High School",
}


def _school_name(rng: random.Random, level: str, used: set[str]) -> tuple[str, str | None]:
    """A Chinese name not used yet, and its English name (none for the rare fallback)."""
    suffix = {"elementary": "國小", "junior": "國中", "senior": "高中", "special": "特殊教育學校"}
    for _ in range(1000):
        district, stem = rng.choice(DISTRICTS), rng.choice(STEMS)
        if level == "special":
            name = f"臺北市立{stem}特殊教育學校"
            english = f"Taipei Municipal {STEMS_EN[stem]} Special Education School"
        else:
            end = suffix.get(level) or rng.choice(("高工", "高商", "家商"))
            name = f"臺北市{district}區{stem}{end}"
            english = f"{STEMS_EN[stem]} {ENGLISH_ENDS[end]}"
        if name not in used:
            used.add(name)
            return name, english
    return f"臺北市{rng.choice(DISTRICTS)}區第{len(used) + 1}{suffix.get(level, '高職')}", None


def _split(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of `total` in proportion to `weights`."""
    scale = sum(weights) or 1.0
    raw = [total * w / scale for w in weights]
    parts = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: parts[i] - raw[i])[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _class_names(level: str, count: int) -> list[str]:
    grades = GRADES.get(level, range(1, 4))
    return [f"{grades[j % len(grades)]}{j // len(grades) + 1:02d}" for j in range(count)]


@dataclass
class Pupil:
    id: int
    school_id: int
    classroom_id: int
    level: str
    teacher_id: int
    # (relationship, name, mobile) of the guardians the school has on file
    guardians: list[tuple[str, str, str]] = field(default_factory=list)


def build_roster(
    ctx: Context, rng: random.Random, people: People, schools: int, students: int, staff_hash: str
) -> tuple[list[Pupil], Counter]:
    """Schools, classes, teachers, students and roster guardians; returns the students."""
    db, counts = ctx.db, Counter()
    codes = {c for (c,) in School.select(School.code).tuples()}
    used_names: set[str] = set()
    plan, next_code = [], dict.fromkeys(LEVEL_CODE_PREFIX, 1)
    for level in _school_levels(schools):
        while (code := f"{LEVEL_CODE_PREFIX[level]}{next_code[level]:05d}") in codes:
            next_code[level] += 1
        next_code[level] += 1
        plan.append((code, *_school_name(rng, level, used_names), level.value))
    bulk_insert(db, School, [School.code, School.name, School.name_en, School.level], plan)
    school_ids = id_map(School, School.code, (code for code, *_ in plan))

    weights = [rng.uniform(0.7, 1.3) * (0.15 if lv == "special" else 1) for *_, lv in plan]
    rooms, teachers, sizes = [], [], []
    for (code, _, _, level), size in zip(plan, _split(students, weights), strict=True):
        n_rooms = max(1, round(size / CLASS_SIZE)) if size else 0
        for name, room_size in zip(
            _class_names(level, n_rooms), _split(size, [1] * n_rooms), strict=True
        ):
            rooms.append((school_ids[code], name))
            teachers.append(
                (
                    f"{code}.{name}@school.example",
                    people.adult_name(),
                    school_ids[code],
                    ROLE_TEACHER,
                    staff_hash,
                )
            )
            sizes.append((level, room_size))
        teachers.append(
            (
                f"it.{code}@school.example",
                people.adult_name(),
                school_ids[code],
                ROLE_IT,
                staff_hash,
            )
        )
    bulk_insert(db, Classroom, [Classroom.school, Classroom.name], rooms)
    room_ids = dict(
        ((s, n), i)
        for s, n, i in Classroom.select(Classroom.school, Classroom.name, Classroom.id)
        .where(Classroom.school.in_(list(school_ids.values())))
        .tuples()
    )
    bulk_insert(
        db,
        Teacher,
        [Teacher.email, Teacher.name, Teacher.school, Teacher.role, Teacher.password_hash],
        teachers,
    )
    teacher_ids = id_map(Teacher, Teacher.email, (t[0] for t in teachers))
    homeroom = [t for t in teachers if t[3] == ROLE_TEACHER]
    links = [(teacher_ids[t[0]], room_ids[r]) for t, r in zip(homeroom, rooms, strict=True)]
    bulk_insert(db, TeacherClassroom, [TeacherClassroom.teacher, TeacherClassroom.classroom], links)

    rows, pupils, digests = [], [], []
    for (school_id, _room_name), (level, size), (teacher_id, room_id) in zip(
        rooms, sizes, links, strict=True
    ):
        for _ in range(size):
            surname, _ = people.surname()
            _plain, digest, masked = people.national_id(rng.choice("12"))
            rows.append((digest, masked, people.child_name(surname), school_id, room_id))
            digests.append(digest)
            pupil = Pupil(0, school_id, room_id, level, teacher_id)
            if rng.random() < 0.6:
                pupil.guardians.append(("father", people.adult_name(surname), people.mobile()))
                if rng.random() < 0.7:
                    pupil.guardians.append(("mother", people.adult_name(), people.mobile()))
            pupils.append(pupil)
    bulk_insert(
        db,
        Student,
        [Student.id_digest, Student.id_masked, Student.name, Student.school, Student.classroom],
        rows,
    )
    student_ids = id_map(Student, Student.id_digest, digests)
    guardians = []
    for pupil, digest in zip(pupils, digests, strict=True):
        pupil.id = student_ids[digest]
        guardians.extend((pupil.id, name, mobile) for _, name, mobile in pupil.guardians)
    bulk_insert(
        db,
        RosterGuardian,
        [RosterGuardian.student, RosterGuardian.name, RosterGuardian.mobile],
        guardians,
    )
    counts.update(
        schools=len(plan),
        classrooms=len(rooms),
        students=len(rows),
        teachers=len(teachers),
        guardians=len(guardians),
    )
    return pupils, counts


def build_applications(
    ctx: Context, rng: random.Random, people: People, pupils: list[Pupil], count: int
) -> list[AppSpec]:
    """Applications in mixed states; roster guardians often apply themselves (R28 matches)."""
    now, specs = ctx.clock(), []
    if not pupils:
        return specs
    statuses, status_w = list(STATUS_SHARE), list(STATUS_SHARE.values())
    rels, rel_w = list(RELATIONSHIP_SHARE), list(RELATIONSHIP_SHARE.values())
    known: dict[tuple[int, int], Parent] = {}
    parents: list[tuple[Parent, str]] = []
    pairs: set[tuple[str, int]] = set()
    attempts = 0
    while len(specs) < count and attempts < count * 10:
        attempts += 1
        pupil = pupils[rng.randrange(len(pupils))]
        match = False
        if pupil.guardians and rng.random() < 0.7:
            slot = rng.randrange(len(pupil.guardians))
            relationship, name, mobile = pupil.guardians[slot]
            key = (pupil.id, slot)
            if key not in known:
                known[key] = people.parent("1" if relationship == "father" else "2", name, mobile)
            parent, match = known[key], rng.random() < 0.8
        elif parents and rng.random() < 0.08:
            parent, relationship = parents[rng.randrange(len(parents))]  # a sibling
        else:
            relationship = rng.choices(rels, rel_w)[0]
            parent = people.parent("1" if relationship in MALE else "2")
            parents.append((parent, relationship))
        if (parent.digest, pupil.id) in pairs:
            continue
        pairs.add((parent.digest, pupil.id))
        status = rng.choices(statuses, status_w)[0].value
        days = 30 if status == Status.PENDING else 180
        submitted = now - timedelta(seconds=rng.randrange(days * 86400))
        decided = min(now, submitted + timedelta(seconds=rng.randrange(3600, 10 * 86400)))
        specs.append(
            AppSpec(
                parent=parent,
                student_id=pupil.id,
                school_id=pupil.school_id,
                classroom_id=pupil.classroom_id,
                level=pupil.level,
                relationship=relationship,
                status=status,
                submitted_at=submitted,
                decided_at=None if status == Status.PENDING else decided,
                teacher_id=pupil.teacher_id,
                note=rng.choice(OTHER_NOTES) if relationship == "other" else None,
                reason=rng.choice(REJECT_REASONS) if status == Status.REJECTED else None,
                roster_match=match,
                by_mobile=match or rng.random() < 0.3,
                lang=_language(rng.random()),
                terminal=f"kiosk-{rng.randint(1, 3)}",
            )
        )
    return specs


def _language(draw: float) -> str:
    """One application in twenty is made in another language than the default, spread over the
    others. One draw either way, so adding a language leaves the rest of a seeded city as it was."""
    if draw >= OTHER_LANGUAGE_SHARE or not OTHER_LANGUAGES:
        return DEFAULT_LANGUAGE
    return OTHER_LANGUAGES[int(draw / OTHER_LANGUAGE_SHARE * len(OTHER_LANGUAGES))]
