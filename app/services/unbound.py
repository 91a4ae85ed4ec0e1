"""The teacher's start-of-term day: the students of a class who are not yet bound, to chase with
a class letter (R18 scope, R9 masking).

"Not yet bound" means: on the roster (active, not left), with no live binding and no pending
application. A rejected, cancelled or voided application is not on its way to a binding, so
those students stay on the list; a student whose binding staff ended (R35) is back on it too.
The screen shows the class's homeroom teacher full names (staff.sees_full_names); the CSV, a
file that travels, masks names like every list (R9) and carries the masked ID to tell two
students of the same masked name apart, with cells that a spreadsheet never reads as a formula
(R42)."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass

from peewee import Expression

from app.clock import to_local
from app.errors import NotFound
from app.i18n import t
from app.identity import mask_name
from app.models import Application, Binding, Classroom, Status, Student
from app.services.audit import teacher_actor
from app.services.context import Context
from app.services.staff import StaffIdentity, scope, shown_student_name
from app.text import safe_cell

EXPORT_FOLDER = "exports"
CSV_COLUMNS = ("classroom", "student", "student_id", "last_application")


def unbound_students() -> Expression:
    """The condition on Student: enrolled, no live binding, no pending application."""
    bound = Binding.select(Binding.student).where(Binding.removed_at.is_null())
    pending = Application.select(Application.student).where(Application.status == Status.PENDING)
    return (
        (Student.active == True)  # noqa: E712
        & Student.left_at.is_null()
        & Student.id.not_in(bound)
        & Student.id.not_in(pending)
    )


@dataclass(frozen=True)
class UnboundRow:
    student_id: int
    classroom_id: int
    classroom_name: str
    student_name_shown: str  # full for the class's homeroom teacher, else masked (R9)
    student_name_masked: str
    student_id_masked: str
    last_status: str | None  # the latest closed application's status, if any


@dataclass(frozen=True)
class UnboundExport:
    path: str
    rows: int


class UnboundService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def classrooms(self, staff: StaffIdentity) -> list[tuple[int, str]]:
        """The classes this staff member may list: a teacher's own, school IT's whole school."""
        rooms = Classroom.select(Classroom.id, Classroom.name).where(
            scope(staff, Classroom.id, Classroom.school)
        )
        return sorted(((r.id, r.name) for r in rooms), key=lambda r: (len(r[1]), r[1]))

    def students(self, staff: StaffIdentity, classroom_id: int | None = None) -> list[UnboundRow]:
        """The not-yet-bound students of one class (or of every class in scope), class by class
        in roster order."""
        conditions = [scope(staff, Student.classroom, Student.school), unbound_students()]
        if classroom_id is not None:
            conditions.append(Student.classroom == classroom_id)
        query = (
            Student.select(Student, Classroom)
            .join(Classroom)
            .where(*conditions)
            .order_by(Classroom.name, Student.id)
        )
        students = list(query)
        last: dict[int, str] = {}
        if students:
            closed = (
                Application.select(Application.student, Application.status)
                .where(Application.student.in_([s.id for s in students]))
                .order_by(Application.submitted_at, Application.id)
            )
            last = {a.student_id: a.status for a in closed}
        rows = [
            UnboundRow(
                student_id=s.id,
                classroom_id=s.classroom_id,
                classroom_name=s.classroom.name,
                student_name_shown=shown_student_name(staff, s.classroom_id, s.name),
                student_name_masked=mask_name(s.name),
                student_id_masked=s.id_masked,
                last_status=last.get(s.id),
            )
            for s in students
        ]
        return sorted(rows, key=lambda r: (len(r.classroom_name), r.classroom_name))

    def csv_text(self, rows: list[UnboundRow], lang: str) -> str:
        """The rows as CSV text: masked names and IDs only (R9), formula-safe cells (R42)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([t(f"label.review_day.csv_{c}", lang) for c in CSV_COLUMNS])
        for r in rows:
            state = t(f"cli.status.{r.last_status}", lang) if r.last_status else ""
            cells = [r.classroom_name, r.student_name_masked, r.student_id_masked, state]
            writer.writerow([safe_cell(c) for c in cells])
        return out.getvalue()

    def export(
        self,
        staff: StaffIdentity,
        classroom_id: int | None,
        lang: str,
    ) -> UnboundExport:
        """The list as a CSV file (UTF-8 with a BOM, for a spreadsheet) in the data folder's
        exports/, readable by its owner only, never over an earlier export; logged (R24)."""
        if classroom_id is not None and classroom_id not in {i for i, _ in self.classrooms(staff)}:
            raise NotFound("errors.review_day.unknown_class", field="classroom")
        rows = self.students(staff, classroom_id)
        folder = self.ctx.settings.data_dir / EXPORT_FOLDER
        stem = f"unbound-{to_local(self.ctx.clock()):%Y%m%d-%H%M%S}"
        path, n = folder / f"{stem}.csv", 1
        while path.exists():
            n += 1
            path = folder / f"{stem}-{n}.csv"
        data = ("\ufeff" + self.csv_text(rows, lang)).encode("utf-8")
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Readable by its owner only (R40), and never over another file ("x").
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
            fh.write(data)
        with self.ctx.transaction():
            self.ctx.audit.record(teacher_actor(staff.teacher_id), "unbound.exported", path.name,
                                  rows=len(rows))  # fmt: skip
        return UnboundExport(str(path), len(rows))
