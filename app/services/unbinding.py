"""Unbinding (解除綁定, R29), both sides: a logged-in parent asks to remove a binding, and the
homeroom teacher or school IT confirms or declines it; the parent is told either way. And staff
ending a binding on their own (R35): a custody order, a mistaken approval.

Staff see and decide only the requests of students they may see (R18), listed a page at a time
like the queue, oldest first since those have waited longest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.i18n import t
from app.identity import mask_email, mask_name
from app.models import (
    Account,
    Application,
    Binding,
    Channel,
    Classroom,
    Status,
    Student,
    UnbindRequest,
)
from app.services.audit import account_actor, teacher_actor
from app.services.context import Context
from app.services.numbers import parse_number
from app.services.paging import Page, page_bounds
from app.services.staff import StaffIdentity, may_see, scope, shown_student_name

if TYPE_CHECKING:
    from app.services.review_views import UnbindRow

# R35: why staff end a binding. Codes, so the audit names why without personal data, the
# parent's e-mail says it in their language, and Binding.end_reason reads like R34's "left".
END_REASONS = ("custody_order", "mistaken_approval", "not_guardian", "other")


def _row(r: UnbindRequest, staff: StaffIdentity | None = None) -> UnbindRow:
    from app.services.review_views import UnbindRow  # the desk's views: not on a kiosk (R45)

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
        student_name_shown=(
            shown_student_name(staff, student.classroom_id, student.name)
            if staff
            else mask_name(student.name)
        ),
    )


class UnbindingService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # --- the parent's side ------------------------------------------------------------------

    def request(self, account_id: int, binding_id: int) -> int:
        """A binding of another account reads exactly like one that does not exist."""
        account = Account.get_or_none(Account.id == account_id)
        if account is None:
            raise NotFound()
        with self.ctx.transaction(f"binding:{binding_id}"):
            binding = Binding.get_or_none(
                (Binding.id == binding_id)
                & (Binding.account == account)
                & Binding.removed_at.is_null()
            )
            if binding is None:
                raise Forbidden("errors.unbind.not_yours", field="binding")
            already = UnbindRequest.select().where(
                (UnbindRequest.binding == binding) & (UnbindRequest.status == Status.PENDING)
            )
            if already.exists():
                raise Conflict("errors.unbind.already_requested", field="binding")
            request = UnbindRequest.create(binding=binding, requested_at=self.ctx.clock())
            self.ctx.outbox.notify(
                Channel.EMAIL,
                account.email,
                "unbind_requested",
                account.lang,
                student=mask_name(binding.student.name),
            )
            self.ctx.audit.record(
                account_actor(account.id), "unbind.requested", request.id, binding=binding.id
            )
        return request.id

    # --- the staff's side -------------------------------------------------------------------

    def _pending(self, staff: StaffIdentity, *fields):
        return (
            UnbindRequest.select(*fields)
            .join(Binding)
            .join(Student)
            .where(
                UnbindRequest.status == Status.PENDING,
                scope(staff, Student.classroom, Student.school),
            )
        )

    def page(self, staff: StaffIdentity, page: int = 1, page_size: int = 50) -> Page[UnbindRow]:
        """The pending requests, oldest first, paged by the query."""
        page, page_size = page_bounds(page, page_size)
        query = (
            self._pending(staff, UnbindRequest, Binding, Student, Classroom, Account)
            .switch(Student)
            .join(Classroom)
            .switch(Binding)
            .join(Account)
            .order_by(UnbindRequest.requested_at, UnbindRequest.id)
            .paginate(page, page_size)
        )
        rows = [_row(r, staff) for r in query]
        return Page(rows, self._pending(staff).count(), page, page_size)

    def _authorized(self, staff: StaffIdentity, request_id: int) -> UnbindRequest:
        request = UnbindRequest.get_or_none(UnbindRequest.id == request_id)
        if request is None:
            raise NotFound("errors.review.unbind_not_found")
        student = request.binding.student
        if not may_see(staff, student.school_id, student.classroom_id):
            raise Forbidden()
        return request

    def get(self, staff: StaffIdentity, request_id: int) -> UnbindRow:
        """One request, decided or not, under the same check as deciding it."""
        return _row(self._authorized(staff, request_id), staff)

    def decide(self, staff: StaffIdentity, request_id: int, confirm: bool) -> str:
        """Confirmed, the binding ends (removed_at, kept for the record); either way the parent
        is told."""
        request = self._authorized(staff, request_id)
        binding = request.binding
        status = Status.APPROVED if confirm else Status.REJECTED
        with self.ctx.transaction(f"unbind:{request.id}"):
            now = self.ctx.clock()
            changed = (
                UnbindRequest.update(status=status, decided_by=staff.teacher_id, decided_at=now)
                .where(UnbindRequest.id == request.id, UnbindRequest.status == Status.PENDING)
                .execute()
            )
            if not changed:
                raise Conflict("errors.review.unbind_decided")
            if confirm:
                Binding.update(removed_at=now).where(
                    Binding.id == binding.id, Binding.removed_at.is_null()
                ).execute()
            account = binding.account
            if confirm:
                self.ctx.provisioner.queue(account, "binding")  # R39
            self.ctx.outbox.notify(
                Channel.EMAIL,
                account.email,
                "unbind_confirmed" if confirm else "unbind_declined",
                account.lang,
                student=mask_name(binding.student.name),
            )
            self.ctx.audit.record(
                teacher_actor(staff.teacher_id),
                "unbind.confirmed" if confirm else "unbind.declined",
                f"binding:{binding.id}",
            )
        return status

    # --- staff end a binding (R35) ------------------------------------------------------------

    def end(self, staff: StaffIdentity, number: str, reason: str) -> int:
        """R35: the homeroom teacher or school IT ends the binding an approved application made,
        with one of END_REASONS. One transaction: the binding ends (kept, with who and why), a
        parent's pending request for it is settled, the parent is told by e-mail, and the audit
        names the staff member and the reason code. Returns the binding's id."""
        if reason not in END_REASONS:
            raise InvalidInput("errors.review_day.end_reason_invalid", field="end_reason")
        parsed = parse_number(number or "")
        if parsed is None:
            raise InvalidInput("errors.review.number_invalid", field="number")
        app = Application.get_or_none(Application.number == parsed)
        if app is None:
            raise NotFound("errors.review.not_found", field="number")
        if not may_see(staff, app.school_id, app.classroom_id):
            raise Forbidden(field="number")
        with self.ctx.transaction(f"application:{app.number}"):
            binding = (
                Binding.select()
                .where(
                    (Binding.application == app.id)
                    | ((Binding.account == app.account_id) & (Binding.student == app.student_id)),
                    Binding.removed_at.is_null(),
                )
                .first()
                if app.status == Status.APPROVED and app.account_id is not None
                else None
            )
            if binding is None:
                raise Conflict("errors.review_day.not_bound", field="end_reason")
            now = self.ctx.clock()
            changed = (
                Binding.update(removed_at=now, ended_by=staff.teacher_id, end_reason=reason)
                .where(Binding.id == binding.id, Binding.removed_at.is_null())
                .execute()
            )
            if not changed:
                raise Conflict("errors.review_day.not_bound", field="end_reason")
            UnbindRequest.update(
                status=Status.APPROVED, decided_by=staff.teacher_id, decided_at=now
            ).where(
                UnbindRequest.binding == binding.id, UnbindRequest.status == Status.PENDING
            ).execute()
            account = binding.account
            self.ctx.provisioner.queue(account, "binding")  # R39
            self.ctx.outbox.notify(
                Channel.EMAIL,
                account.email,
                "binding_ended",
                account.lang,
                student=mask_name(binding.student.name),
                school=binding.student.school.name,
                reason=t(f"label.review_day.end_reason_{reason}", account.lang),
            )
            self.ctx.audit.record(
                teacher_actor(staff.teacher_id),
                "binding.ended",
                f"binding:{binding.id}",
                application=app.number,
                reason=reason,
                role=staff.role,
            )
        return binding.id
