"""Who may apply with what (R12–R15, R28): the checks `submit` runs inside its transaction, after
taking the locks, so that two kiosks racing with the same e-mail or the same parent–student pair
see each other's work. And which applications a teacher may approve in bulk (R27, R28), asked by
the queue for the rows it offers and by the review service again for each one it approves."""

from __future__ import annotations

from app.errors import RuleRefused
from app.models import Account, Application, Binding, Channel, RosterGuardian, Status, Student
from app.services.contacts import VerifiedContact

# R14: an e-mail stays taken by a parent while one of these applications of theirs exists;
# cancelled and voided ones free it again.
HOLDING_STATUSES = (Status.PENDING, Status.APPROVED, Status.REJECTED)


def refuse_taken_email(email: str, parent_digest: str) -> None:
    """R12 (a student's account e-mail), R13 (another person's account), R14 (another parent's
    application), in that order: the most specific advice first."""
    if Student.select().where(Student.email == email).exists():
        raise RuleRefused("errors.application.email_is_student", field="email")
    if Account.select().where(Account.email == email, Account.id_digest != parent_digest).exists():
        raise RuleRefused("errors.application.email_has_account", field="email")
    other_parent = Application.select().where(
        Application.email == email,
        Application.parent_id_digest != parent_digest,
        Application.status.in_(HOLDING_STATUSES),
    )
    if other_parent.exists():
        raise RuleRefused("errors.application.email_has_application", field="email")


def refuse_bound_pair(parent_digest: str, student_id: int) -> Student:
    """R15; the partial unique index on pending pairs backs the second check against races."""
    student = Student.get_or_none(Student.id == student_id, Student.active == True)  # noqa: E712
    if student is None:
        raise RuleRefused("errors.application.student_unavailable", field="students")
    bound = (
        Binding.select()
        .join(Account)
        .where(
            Account.id_digest == parent_digest,
            Binding.student == student_id,
            Binding.removed_at.is_null(),
        )
    )
    if bound.exists():
        raise RuleRefused("errors.application.already_bound", field="parent_id")
    pending = Application.select().where(
        Application.parent_id_digest == parent_digest,
        Application.student == student_id,
        Application.status == Status.PENDING,
    )
    if pending.exists():
        raise RuleRefused("errors.application.already_pending", field="parent_id")
    return student


def roster_match(contact: VerifiedContact, student_id: int, name: str) -> bool:
    """R28: the school has a guardian on file with this name and the mobile the session proved.
    Only an SMS-verified session has proved a mobile; one verified by e-mail never matches, since
    a mobile merely typed in step 4 proves nothing."""
    if contact.channel != Channel.SMS:
        return False
    guardians = RosterGuardian.select().where(
        RosterGuardian.student == student_id,
        RosterGuardian.name == name,
        RosterGuardian.mobile == contact.value,
    )
    return guardians.exists()


def bulk_approvable(
    *, status: str, roster_match: bool, needs_documents: bool, documents_checked: bool
) -> bool:
    """R28, R27: a pending roster match, and a guardian's papers seen if it needs any."""
    return status == Status.PENDING and roster_match and (documents_checked or not needs_documents)
