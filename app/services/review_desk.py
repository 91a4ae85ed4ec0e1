"""What the staff terminal needs beside the decisions of review.py: who is logged in, the
unbinding requests (R29) a page at a time like the queue, the roster's record beside an
application, and the audit log with its CSV export for school IT (R24).

The same authorisation as the queue applies (R18): a teacher sees the own classes, school IT the
whole school, and only school IT reads the log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.clock import to_local
from app.errors import Forbidden, NotFound
from app.identity import mask_email, mask_name
from app.models import (
    Account,
    Application,
    Binding,
    Classroom,
    School,
    Status,
    Student,
    TeacherClassroom,
    UnbindRequest,
)
from app.services.audit import AuditFilter, AuditPage, teacher_actor
from app.services.context import Context
from app.services.review_views import (
    AuditExport,
    RosterRecord,
    StaffProfile,
    UnbindPage,
    UnbindRow,
)
from app.services.staff import StaffIdentity

if TYPE_CHECKING:
    from app.services.review import ReviewService

EXPORT_FOLDER = "exports"


def roster_record(app: Application) -> RosterRecord:
    """The application's student as the roster holds them now."""
    student = app.student
    school = student.school
    return RosterRecord(
        student_name=student.name,
        student_id_masked=student.id_masked,
        school_name=school.name,
        classroom_name=student.classroom.name,
        level=school.level,
        active=student.active,
        school_matches=student.school_id == app.school_id,
        classroom_matches=student.classroom_id == app.classroom_id,
        level_matches=school.level == app.level,
    )


def _unbind_row(r: UnbindRequest) -> UnbindRow:
    student = r.binding.student
    return UnbindRow(
        request_id=r.id,
        student_name=student.name,
        classroom_name=student.classroom.name,
        parent_name_masked=mask_name(r.binding.account.name),
        email_masked=mask_email(r.binding.account.email),
        bound_since=r.binding.created_at,
        requested_at=r.requested_at,
        student_name_masked=mask_name(student.name),
        status=r.status,
    )


class ReviewDesk:
    def __init__(self, ctx: Context, review: ReviewService) -> None:
        self.ctx = ctx
        self.review = review

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

    # --- unbinding requests (R29), as their own kind in the queue ---------------------------

    def _unbind_query(self, staff: StaffIdentity, *fields):
        return (
            UnbindRequest.select(*fields)
            .join(Binding)
            .join(Student)
            .where(
                UnbindRequest.status == Status.PENDING,
                self.review._scope(staff, Student.classroom, Student.school),
            )
        )

    def unbind_count(self, staff: StaffIdentity) -> int:
        return self._unbind_query(staff).count()

    def unbind_page(self, staff: StaffIdentity, page: int = 1, page_size: int = 50) -> UnbindPage:
        """The pending requests, oldest first (they wait longest), paged by the query."""
        page, page_size = max(1, page), max(1, min(page_size, 500))
        query = (
            self._unbind_query(staff, UnbindRequest, Binding, Student, Classroom, Account)
            .switch(Student)
            .join(Classroom)
            .switch(Binding)
            .join(Account)
            .order_by(UnbindRequest.requested_at, UnbindRequest.id)
            .paginate(page, page_size)
        )
        rows = [_unbind_row(r) for r in query]
        return UnbindPage(rows, self.unbind_count(staff), page, page_size)

    def unbind_request(self, staff: StaffIdentity, request_id: int) -> UnbindRow:
        """One request, under the same check as deciding it."""
        request = UnbindRequest.get_or_none(UnbindRequest.id == request_id)
        if request is None:
            raise NotFound("errors.review.unbind_not_found")
        student = request.binding.student
        if not self.review._may_see(staff, student.school_id, student.classroom_id):
            raise Forbidden()
        return _unbind_row(request)

    # --- the audit log (R24), school IT only ------------------------------------------------

    @staticmethod
    def _it_only(staff: StaffIdentity) -> None:
        if not staff.is_it:
            raise Forbidden("errors.staff.audit_it_only")

    def audit_page(
        self, staff: StaffIdentity, wanted: AuditFilter, page: int = 1, page_size: int = 50
    ) -> AuditPage:
        self._it_only(staff)
        return self.ctx.audit.page(wanted, page, page_size)

    def audit_actions(self, staff: StaffIdentity) -> list[str]:
        self._it_only(staff)
        return self.ctx.audit.actions()

    def export_audit(self, staff: StaffIdentity, wanted: AuditFilter) -> AuditExport:
        """The filtered log as CSV (UTF-8 with a BOM, so a spreadsheet reads the Chinese) in the
        data folder's exports/; the export itself is logged."""
        self._it_only(staff)
        self.ctx.audit.validate(wanted)
        folder = self.ctx.settings.data_dir / EXPORT_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"audit-{to_local(self.ctx.clock()):%Y%m%d-%H%M%S}"
        path, n = folder / f"{stem}.csv", 1
        while path.exists():
            n += 1
            path = folder / f"{stem}-{n}.csv"
        with path.open("x", encoding="utf-8-sig", newline="") as out:
            rows = self.ctx.audit.write_csv(out, wanted)
        with self.ctx.transaction():
            self.ctx.audit.record(teacher_actor(staff.teacher_id), "audit.exported", path.name,
                                  rows=rows)  # fmt: skip
        return AuditExport(str(path), rows)
