"""Who is at a staff terminal: a homeroom teacher or the school's IT staff (R18)."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import Teacher, TeacherClassroom

ROLE_TEACHER = "teacher"
ROLE_IT = "it"


@dataclass(frozen=True)
class StaffIdentity:
    teacher_id: int
    name: str
    school_id: int
    role: str
    classroom_ids: frozenset[int]

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
        )
