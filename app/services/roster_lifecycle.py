"""The roster lifecycle (R34): a full roster import is the truth for the schools it covers.

A student the file no longer lists at their school has left: never deleted, `left_at` set and
`active` off; their pending applications are closed (voided) and the parent told; their
bindings end `roster_left_grace_days` later (`qinzi purge`), the parent told again. A student
whose class changed takes pending applications to the new class (and its homeroom teacher).

One student is one row: `Student.id_digest` is unique in the whole database, so a student who
moved to another school of the database is the same row with another school, updated by that
school's import. "Active at another school" therefore needs no search: the row simply is not
left. If school A's import comes first the student is marked left, and school B's import, which
lists them, makes them active again (left_at cleared) before the grace period ends, so the
bindings stay. Whichever order the two imports come in, the bindings survive."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.identity import mask_name
from app.models import (
    Account,
    Application,
    Binding,
    Channel,
    Classroom,
    School,
    Status,
    Student,
    UnbindRequest,
)
from app.services.audit import SYSTEM
from app.services.bulk import chunks
from app.services.context import Context

END_REASON_LEFT = "left"  # Binding.end_reason of a binding the lifecycle ended
ACTION_APPLICATION_CLOSED = "application.closed_student_left"
ACTION_APPLICATION_MOVED = "application.moved_class"
ACTION_BINDING_ENDED = "binding.ended_student_left"
MAIL_APPLICATION_CLOSED = "student_left_application_closed"
MAIL_BINDING_ENDED = "student_left_binding_ended"


@dataclass(frozen=True)
class StudentChange:
    """One student in a plan, as IT may see them on the console: masked (R9)."""

    id_masked: str
    name_masked: str
    school: str
    classroom: str
    new_classroom: str = ""


@dataclass(frozen=True)
class RosterPlan:
    """What an import would change for students, computed before anything is written."""

    added: int = 0
    updated: int = 0
    moved: tuple[StudentChange, ...] = ()
    returned: tuple[StudentChange, ...] = ()
    left: tuple[StudentChange, ...] = ()
    applications_to_close: int = 0
    applications_to_move: int = 0
    left_ids: tuple[int, ...] = field(default=(), repr=False)
    moved_ids: tuple[int, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class LifecycleReport:
    left: int = 0
    returned: int = 0
    moved: int = 0
    applications_closed: int = 0
    applications_moved: int = 0


def _pending_of(student_ids: Sequence[int]) -> int:
    total = 0
    for batch in chunks(list(student_ids)):
        total += (
            Application.select()
            .where(Application.student.in_(list(batch)), Application.status == Status.PENDING)
            .count()
        )
    return total


class RosterLifecycle:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # --- the plan -------------------------------------------------------------------------

    def plan(self, rows: Iterable[tuple[str, str, str]]) -> RosterPlan:
        """R34: compare the file's students (digest, school code, class name) with the
        database. Reads only; a dry run shows this and an import applies it."""
        rows = list(rows)
        wanted = {digest: (code, room) for digest, code, room in rows}
        on_file: dict[str, tuple[int, str, str, str, str, datetime | None]] = {}
        for batch in chunks(list(wanted)):
            query = (
                Student.select(
                    Student.id_digest,
                    Student.id,
                    Student.id_masked,
                    Student.name,
                    School.code,
                    Classroom.name,
                    Student.left_at,
                )
                .join(School, on=Student.school == School.id)
                .switch(Student)
                .join(Classroom, on=Student.classroom == Classroom.id)
                .where(Student.id_digest.in_(list(batch)))
            )
            for digest, *rest in query.tuples():
                on_file[digest] = tuple(rest)  # type: ignore[assignment]
        moved: list[StudentChange] = []
        moved_ids: list[int] = []
        returned: list[StudentChange] = []
        for digest, (code, room) in wanted.items():
            if digest not in on_file:
                continue
            student_id, masked, name, old_code, old_room, left_at = on_file[digest]
            change = StudentChange(masked, mask_name(name), old_code, old_room)
            if (old_code, old_room) != (code, room):
                new = room if old_code == code else f"{code} {room}"
                moved.append(StudentChange(masked, mask_name(name), old_code, old_room, new))
                moved_ids.append(student_id)
            if left_at is not None:
                returned.append(change)
        left, left_ids = self._missing({code for _, code, _ in rows}, wanted)
        return RosterPlan(
            added=len(wanted) - len(on_file),
            updated=len(on_file),
            moved=tuple(moved),
            returned=tuple(returned),
            left=tuple(left),
            applications_to_close=_pending_of(left_ids),
            applications_to_move=_pending_of(moved_ids),
            left_ids=tuple(left_ids),
            moved_ids=tuple(moved_ids),
        )

    def _missing(
        self, codes: set[str], wanted: dict[str, tuple[str, str]]
    ) -> tuple[list[StudentChange], list[int]]:
        """Students on the roster of a school the file covers whom the file does not list."""
        left: list[StudentChange] = []
        ids: list[int] = []
        for batch in chunks(sorted(codes)):
            query = (
                Student.select(
                    Student.id,
                    Student.id_digest,
                    Student.id_masked,
                    Student.name,
                    School.code,
                    Classroom.name,
                )
                .join(School, on=Student.school == School.id)
                .switch(Student)
                .join(Classroom, on=Student.classroom == Classroom.id)
                .where(School.code.in_(list(batch)), Student.left_at.is_null())
                .order_by(School.code, Classroom.name, Student.id)
            )
            for student_id, digest, masked, name, code, room in query.tuples():
                if digest not in wanted:
                    left.append(StudentChange(masked, mask_name(name), code, room))
                    ids.append(student_id)
        return left, ids

    # --- applying it (inside the import's transaction) -------------------------------------

    def apply(self, plan: RosterPlan, actor: str = SYSTEM) -> LifecycleReport:
        """R34, after the import wrote the students: mark the missing ones left, close their
        pending applications (the parent told through the outbox, in this transaction), and
        move the pending applications of students who changed class to their new class."""
        now = self.ctx.clock()
        for batch in chunks(list(plan.left_ids)):
            Student.update(active=False, left_at=now).where(Student.id.in_(list(batch))).execute()
        closed = self._close_pending(plan.left_ids, now, actor)
        moved = self._move_pending(plan.moved_ids, actor)
        return LifecycleReport(
            left=len(plan.left_ids),
            returned=len(plan.returned),
            moved=len(plan.moved_ids),
            applications_closed=closed,
            applications_moved=moved,
        )

    def _close_pending(self, student_ids: Sequence[int], now: datetime, actor: str) -> int:
        closed = 0
        for batch in chunks(list(student_ids)):
            query = (
                Application.select(Application, Student)
                .join(Student)
                .where(Application.student.in_(list(batch)), Application.status == Status.PENDING)
            )
            for app in list(query):
                changed = (
                    Application.update(status=Status.VOIDED, closed_at=now)
                    .where(Application.id == app.id, Application.status == Status.PENDING)
                    .execute()
                )
                if not changed:
                    continue
                closed += 1
                self.ctx.outbox.notify(
                    Channel.EMAIL,
                    app.email,
                    MAIL_APPLICATION_CLOSED,
                    app.lang,
                    number=app.number,
                    student=mask_name(app.student.name),
                )
                self.ctx.audit.record(actor, ACTION_APPLICATION_CLOSED, app.number)
        return closed

    def _move_pending(self, student_ids: Sequence[int], actor: str) -> int:
        """The application follows the student's current class and school, which the import
        has just written, so the new class's homeroom teacher sees it (R18)."""
        by_room: dict[tuple[int, int], list[int]] = defaultdict(list)
        for batch in chunks(list(student_ids)):
            query = Student.select(Student.id, Student.school, Student.classroom).where(
                Student.id.in_(list(batch))
            )
            for student_id, school_id, room_id in query.tuples():
                by_room[(school_id, room_id)].append(student_id)
        moved = 0
        for (school_id, room_id), ids in by_room.items():
            for batch in chunks(ids):
                pending = (
                    Application.select(Application.id, Application.number, Application.classroom)
                    .where(
                        Application.student.in_(list(batch)),
                        Application.status == Status.PENDING,
                        Application.classroom != room_id,
                    )
                    .tuples()
                )
                for app_id, number, old_room in list(pending):
                    Application.update(school=school_id, classroom=room_id).where(
                        Application.id == app_id
                    ).execute()
                    self.ctx.audit.record(
                        actor, ACTION_APPLICATION_MOVED, number, classroom=room_id, was=old_room
                    )
                    moved += 1
        return moved

    # --- after the grace period (qinzi purge) -----------------------------------------------

    def end_left_bindings(self, now: datetime | None = None, actor: str = SYSTEM) -> int:
        """R34: the bindings of a student who left more than `roster_left_grace_days` ago and
        has not reappeared on any roster of the database end (kept, with removed_at and
        end_reason "left"); the parent is told. A pending unbinding request of it is closed."""
        now = now or self.ctx.clock()
        cutoff = now - timedelta(days=self.ctx.settings.roster_left_grace_days)
        ended = 0
        with self.ctx.transaction("roster-left-bindings"):
            query = (
                Binding.select(Binding, Student, Account)
                .join(Student)
                .switch(Binding)
                .join(Account)
                .where(
                    Binding.removed_at.is_null(),
                    Student.left_at.is_null(False),
                    Student.left_at <= cutoff,
                    Student.active == False,  # noqa: E712 (a SQL comparison)
                )
                .order_by(Binding.id)
            )
            for binding in list(query):
                changed = (
                    Binding.update(removed_at=now, end_reason=END_REASON_LEFT)
                    .where(Binding.id == binding.id, Binding.removed_at.is_null())
                    .execute()
                )
                if not changed:
                    continue
                ended += 1
                UnbindRequest.update(status=Status.CANCELLED, decided_at=now).where(
                    UnbindRequest.binding == binding.id,
                    UnbindRequest.status == Status.PENDING,
                ).execute()
                account = binding.account
                self.ctx.provisioner.queue(account, "binding")  # R39
                self.ctx.outbox.notify(
                    Channel.EMAIL,
                    account.email,
                    MAIL_BINDING_ENDED,
                    account.lang,
                    student=mask_name(binding.student.name),
                )
                self.ctx.audit.record(actor, ACTION_BINDING_ENDED, f"binding:{binding.id}")
        return ended
