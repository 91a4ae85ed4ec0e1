"""The progress page (目前申請進度, flow step 5, R17): what a verified contact has applied for,
the trash icon and 註銷全部紀錄. A service of its own: it is the one part of the kiosk that
changes records after submission, and a logged-in parent's page reads it too."""

from __future__ import annotations

from peewee import Expression

from app.errors import NotFound, RuleRefused
from app.identity import mask_name
from app.keys import Keyring
from app.models import Account, Application, Classroom, School, Status, Student
from app.services.audit import contact_actor
from app.services.contacts import contact_digest as digest_of
from app.services.context import Context
from app.services.eligibility import HOLDING_STATUSES
from app.services.kiosk import ProgressRow
from app.services.numbers import parse_number

# Cancelled and voided applications are gone from the parent's point of view.
SHOWN_STATUSES = HOLDING_STATUSES


def seen_by(contact_digest: str) -> Expression:
    """R37: the applications a proven contact may follow — made from it at step 1, or giving it
    as the parent's e-mail or mobile at step 4 (the address the decision mail goes to)."""
    return (
        (Application.contact_digest == contact_digest)
        | (Application.email_digest == contact_digest)
        | (Application.mobile_digest == contact_digest)
    )


def fill_step4_digests(keyring: Keyring, batch: int = 500) -> int:
    """The step-4 digests of applications made before R37 (schema 7), filled once with the
    database's key; 0 (one indexed query) once done."""
    filled = 0
    while True:
        rows = list(
            Application.select(Application.id, Application.email, Application.mobile)
            .where(Application.email_digest.is_null())
            .limit(batch)
        )
        for row in rows:
            Application.update(
                email_digest=digest_of(keyring, row.email),
                mobile_digest=digest_of(keyring, row.mobile),
            ).where(Application.id == row.id).execute()
        filled += len(rows)
        if len(rows) < batch:
            return filled


class ProgressService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def has_applications(self, contact_digest: str) -> bool:
        """Step 1 leads to the progress page instead of step 2 when this is true."""
        return (
            Application.select()
            .where(
                seen_by(contact_digest),
                Application.status.in_(SHOWN_STATUSES),
            )
            .exists()
        )

    def progress(self, contact_digest: str) -> list[ProgressRow]:
        return self._rows(seen_by(contact_digest), SHOWN_STATUSES)

    def open_applications_of(self, account_id: int) -> list[ProgressRow]:
        """A logged-in parent's applications still waiting or refused, whichever contact they
        were made from; approved ones show as bound children instead."""
        account = Account.get_by_id(account_id)
        return self._rows(
            Application.parent_id_digest == account.id_digest, (Status.PENDING, Status.REJECTED)
        )

    def _rows(self, where, statuses) -> list[ProgressRow]:
        query = (
            Application.select(Application, Student, School, Classroom)
            .join(Student)
            .switch(Application)
            .join(School)
            .switch(Application)
            .join(Classroom)
            .where(where, Application.status.in_(statuses))
            .order_by(Application.submitted_at, Application.id)
        )
        return [
            ProgressRow(
                number=a.number,
                student_name_masked=mask_name(a.student.name),
                school_name=a.school.name,
                classroom_name=a.classroom.name,
                status=a.status,
                reject_reason=a.reject_reason,
                submitted_at=a.submitted_at,
                cancellable=a.status == Status.PENDING,
            )
            for a in query
        ]

    def cancel(self, contact_digest: str, number: str) -> None:
        """R17, the trash icon: only a pending application, only by a contact it names (R37)."""
        canonical = parse_number(number)
        if canonical is None:
            raise NotFound("errors.application.not_found")
        with self.ctx.transaction(f"application:{canonical}"):
            app = Application.get_or_none(
                Application.number == canonical, seen_by(contact_digest)
            )
            if app is None or app.status in (Status.CANCELLED, Status.VOIDED):
                raise NotFound("errors.application.not_found")
            changed = (
                Application.update(status=Status.CANCELLED, closed_at=self.ctx.clock())
                .where(Application.id == app.id, Application.status == Status.PENDING)
                .execute()
            )
            if not changed:
                raise RuleRefused("errors.application.not_cancellable")
            self.ctx.audit.record(
                contact_actor(contact_digest), "application.cancelled", app.number
            )

    def void_all(self, contact_digest: str) -> int:
        """R17, 註銷全部紀錄: pending and rejected records go, approved ones stay."""
        with self.ctx.transaction(f"contact:{contact_digest}"):
            rows = list(
                Application.select(Application.id, Application.number, Application.status).where(
                    seen_by(contact_digest),
                    Application.status.in_((Status.PENDING, Status.REJECTED)),
                )
            )
            now = self.ctx.clock()
            actor = contact_actor(contact_digest)
            voided = 0
            for row in rows:
                changed = (
                    Application.update(status=Status.VOIDED, closed_at=now)
                    .where(Application.id == row.id, Application.status == row.status)
                    .execute()
                )
                if changed:
                    voided += 1
                    self.ctx.audit.record(actor, "application.voided", row.number, was=row.status)
        return voided

    def get_by_number(self, number: str) -> Application | None:
        """For the printable form and the scanner: whatever was typed, canonicalised."""
        canonical = parse_number(number)
        if canonical is None:
            return None
        return Application.get_or_none(Application.number == canonical)
