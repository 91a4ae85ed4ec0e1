"""The children a parent's account is bound to, as the parent's own page lists them, each with
whether an unbinding request (R29, unbinding.py) is waiting for the school."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.identity import mask_name
from app.models import Account, Binding, Classroom, School, Status, Student, UnbindRequest


@dataclass(frozen=True)
class BoundChild:
    """One row of the logged-in parent's children; the name masked (R9: a kiosk screen)."""

    binding_id: int
    student_name: str
    school_name: str
    class_name: str
    since: datetime
    unbind_pending: bool


def bound_children(account: Account) -> list[BoundChild]:
    query = (
        Binding.select(Binding, Student, School, Classroom)
        .join(Student)
        .join(School)
        .switch(Student)
        .join(Classroom)
        .where((Binding.account == account) & Binding.removed_at.is_null())
        .order_by(Binding.created_at, Binding.id)
    )
    pending = {
        row.binding_id
        for row in UnbindRequest.select(UnbindRequest.binding).where(
            UnbindRequest.binding.in_([b.id for b in query])
            & (UnbindRequest.status == Status.PENDING)
        )
    }
    return [
        BoundChild(
            binding_id=b.id,
            student_name=mask_name(b.student.name),
            school_name=b.student.school.name,
            class_name=b.student.classroom.name,
            since=b.created_at,
            unbind_pending=b.id in pending,
        )
        for b in query
    ]
