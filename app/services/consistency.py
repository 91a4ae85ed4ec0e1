"""The consistency check (`qinzi check`): what the rules promise about stored records, checked
after the fact — after a crash, a restore, a stress run of many terminals, or a hand edit.

The backend's own check (SQLite's `PRAGMA integrity_check`) proves the storage is sound; nothing
proves the business invariants, so those are checked here on both: every live binding has its
approved application, every approved application its account, binding and audit event (R19,
R24), no parent–student pair has two pending applications (R15), and no message was given up
after its last attempt (a mail relay down for hours). Problems name record numbers only, never
personal data (R9)."""

from __future__ import annotations

from dataclasses import dataclass

from peewee import JOIN, Database, fn

from app.backend import backend
from app.models import Account, Application, AuditEvent, Binding, OutboxMessage, Status

#: Enough to act on; a database with more problems than this needs a restore, not a list.
LIMIT = 200


@dataclass(frozen=True)
class Problem:
    """`kind` is a catalog key suffix (`cli.check.<kind>`); `target` a record number or id."""

    kind: str
    target: str
    detail: str = ""


def check_consistency(db: Database, limit: int = LIMIT) -> list[Problem]:
    """Every problem found, at most `limit` of each kind; an empty list means consistent."""
    problems: list[Problem] = []
    for check in (_integrity, _bindings, _approved, _pending_pairs, _undeliverable):
        problems.extend(check(db)[:limit])
    return problems


def _integrity(db: Database) -> list[Problem]:
    """What the storage reports about itself (SQLite: its pages and foreign keys)."""
    return [Problem(*problem) for problem in backend(db).integrity_problems()]


def _bindings(db: Database) -> list[Problem]:
    """A live binding exists only because an application for that student by that account's
    parent was approved (R19)."""
    query = (
        Binding.select(
            Binding.id,
            Application.number,
            Application.status,
            Application.student,
            Application.parent_id_digest,
            Binding.student,
            Account.id_digest,
        )
        .join(Account, on=Binding.account == Account.id)
        .switch(Binding)
        .join(Application, JOIN.LEFT_OUTER, on=Binding.application == Application.id)
        .where(Binding.removed_at.is_null())
        .tuples()
    )
    problems = []
    for binding_id, number, status, app_student, app_parent, student, parent in query.iterator():
        if number is None:
            problems.append(Problem("binding_without_application", f"binding#{binding_id}"))
        elif status != Status.APPROVED:
            problems.append(Problem("binding_not_approved", number, status))
        elif app_student != student or app_parent != parent:
            problems.append(Problem("binding_mismatch", number))
    return problems


def _approved(db: Database) -> list[Problem]:
    """R19 and R24: approval leaves an account, a binding and an audit event behind."""
    audited = {
        target
        for (target,) in AuditEvent.select(AuditEvent.target)
        .where(AuditEvent.action == "application.approved")
        .tuples()
        .iterator()
    }
    bound = {pair for pair in Binding.select(Binding.account, Binding.student).tuples().iterator()}
    query = (
        Application.select(
            Application.number,
            Application.account,
            Application.student,
            Application.parent_id_digest,
            Account.id_digest,
        )
        .join(Account, JOIN.LEFT_OUTER, on=Application.account == Account.id)
        .where(Application.status == Status.APPROVED)
        .tuples()
    )
    problems = []
    for number, account_id, student_id, parent, account_parent in query.iterator():
        if account_id is None or account_parent is None:
            problems.append(Problem("approved_without_account", number))
        elif account_parent != parent:
            problems.append(Problem("approved_wrong_account", number))
        elif (account_id, student_id) not in bound:
            problems.append(Problem("approved_without_binding", number))
        if number not in audited:
            problems.append(Problem("approved_without_audit", number))
    return problems


def _pending_pairs(db: Database) -> list[Problem]:
    """R15: the partial unique index forbids it; a database restored without it would not."""
    query = (
        Application.select(fn.MIN(Application.number), fn.COUNT(Application.id))
        .where(Application.status == Status.PENDING)
        .group_by(Application.parent_id_digest, Application.student)
        .having(fn.COUNT(Application.id) > 1)
        .tuples()
    )
    return [Problem("pending_twice", number, str(count)) for number, count in query]


def _undeliverable(db: Database) -> list[Problem]:
    query = (
        OutboxMessage.select(OutboxMessage.id, OutboxMessage.purpose)
        .where(OutboxMessage.status == "undeliverable")
        .order_by(OutboxMessage.id)
        .limit(LIMIT)
        .tuples()
    )
    return [Problem("undeliverable", f"#{mid}", purpose) for mid, purpose in query]
