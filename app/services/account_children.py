"""The children a parent's account is bound to, and the parent's side of unbinding (R29): the
request is recorded here; a teacher or school IT confirms it elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.errors import Conflict, Forbidden
from app.identity import mask_name
from app.models import Account, Binding, Channel, Classroom, School, Status, Student, UnbindRequest
from app.services.audit import account_actor
from app.services.context import Context


@dataclass(frozen=True)
class BoundChild:
    """One row of the logged-in parent's children; the name masked (R9: a kiosk screen)."""

    binding_id: int
    student_name: str
    school_name: str
    class_name: str
    since: datetime
    unbind_pending: bool


class UnbindRequests:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def children(self, account: Account) -> list[BoundChild]:
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

    def request(self, account: Account, binding_id: int) -> int:
        """A binding of another account reads exactly like one that does not exist."""
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
