"""Who is at a staff terminal, a homeroom teacher or the school's IT staff, and what they may
see (R18, R33): a teacher the own classes, school IT the whole school. Every staff service asks
`scope` (in a query) or `may_see` (for one record) here, so the rule is written once.

R33: both read the staff member's row again (`current`), so a teacher taken off a class, or
deactivated, or whose password IT reset, loses access at the next action rather than at the next
login. Decisions on applications are the homeroom teacher's; school IT decides only in a school
where the setting `[review] it_may_decide` allows it (`may_decide`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from peewee import Expression, Field

from app.errors import SessionEnded
from app.identity import mask_name
from app.models import Application, Classroom, School, Teacher, TeacherClassroom
from app.services.roles import ROLE_IT

if TYPE_CHECKING:
    from app.services.context import Context



@dataclass(frozen=True)
class StaffIdentity:
    teacher_id: int
    name: str
    school_id: int
    role: str
    classroom_ids: frozenset[int]
    # R32: a temporary password is changed before anything else; a reset (a new epoch) ends
    # every session opened before it.
    must_change: bool = False
    session_epoch: int = 0

    @property
    def is_it(self) -> bool:
        return self.role == ROLE_IT

    @classmethod
    def of(cls, teacher: Teacher) -> StaffIdentity:
        rooms = TeacherClassroom.select(TeacherClassroom.classroom).where(
            TeacherClassroom.teacher == teacher
        )
        return cls(
            teacher_id=teacher.id,
            name=teacher.name,
            school_id=teacher.school_id,
            role=teacher.role,
            classroom_ids=frozenset(r.classroom_id for r in rooms),
            must_change=teacher.must_change_password,
            session_epoch=teacher.session_epoch,
        )


@dataclass(frozen=True)
class StaffProfile:
    """Who is logged in at a staff terminal, in words: shown in the queue's header."""

    name: str
    role: str
    school_name: str
    classrooms: tuple[str, ...]

    @property
    def is_it(self) -> bool:
        return self.role == ROLE_IT


def current(staff: StaffIdentity) -> StaffIdentity:
    """R33: the staff member as the database says now: classes as assigned today. A row that is
    gone, deactivated, moved to another school or reset since the login ends the session (the
    terminal goes back to its login screen and says why)."""
    row = Teacher.get_or_none(Teacher.id == staff.teacher_id)
    if (
        row is None
        or not row.active
        or row.school_id != staff.school_id
        or row.session_epoch != staff.session_epoch
        or row.role != staff.role
    ):
        raise SessionEnded("errors.staff.access_ended")
    return StaffIdentity.of(row)


def scope(
    staff: StaffIdentity,
    classroom_field: Field = Application.classroom,
    school_field: Field = Application.school,
) -> Expression:
    """The rows this staff member may see, as a condition on the query's own school and
    classroom columns (an application's, or a student's for an unbinding request)."""
    staff = current(staff)
    condition = school_field == staff.school_id
    if not staff.is_it:
        condition &= classroom_field.in_(sorted(staff.classroom_ids))
    return condition


def may_see(staff: StaffIdentity, school_id: int, classroom_id: int) -> bool:
    """`scope` for one record already read."""
    staff = current(staff)
    if school_id != staff.school_id:
        return False
    return staff.is_it or classroom_id in staff.classroom_ids


def school_switch(allowed: tuple[str, ...], school_code: str) -> bool:
    """A per-school setting given as school codes, or "*" for every school of the database."""
    return "*" in allowed or school_code in allowed


def may_decide(
    staff: StaffIdentity, school_id: int, classroom_id: int, it_may_decide: tuple[str, ...]
) -> bool:
    """R33: the homeroom teacher of the class decides; school IT only where its school's
    setting allows it (off by default)."""
    staff = current(staff)
    if school_id != staff.school_id:
        return False
    if classroom_id in staff.classroom_ids:
        return True
    if not staff.is_it:
        return False
    code = School.select(School.code).where(School.id == school_id).scalar()
    return school_switch(it_may_decide, code or "")
def sees_full_names(staff: StaffIdentity, classroom_id: int) -> bool:
    """R9 beside R18/R33: whose list rows show a student's full name. The class's own homeroom
    teacher does: they know the children, and two 張*彥 in one class queue are two different
    children they must tell apart. Everyone else sees list rows masked (吳*寶) as R9 asks:
    another class's teacher, and school IT too. IT manages the whole school's records (R33) but
    is responsible for no class's children, and decides only where the school allows it; the
    application's own page, opened one at a time under `may_see`, still shows IT the full name
    to compare with the paper form. An IT person who is also a homeroom teacher sees their own
    class in full. Parents' names and contacts stay masked in lists for everyone (R9)."""
    return classroom_id in staff.classroom_ids


def shown_student_name(staff: StaffIdentity, classroom_id: int, name: str) -> str:
    """A student's name as a list row shows it to this staff member (see `sees_full_names`)."""
    return name if sees_full_names(staff, classroom_id) else mask_name(name)


class StaffService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def profile(self, staff: StaffIdentity) -> StaffProfile:
        rooms = (
            Classroom.select(Classroom.name)
            .join(TeacherClassroom)
            .where(TeacherClassroom.teacher == staff.teacher_id)
            .order_by(Classroom.name)
        )
        return StaffProfile(
            name=staff.name,
            role=staff.role,
            school_name=School.get_by_id(staff.school_id).name,
            classrooms=tuple(r.name for r in rooms),
        )
