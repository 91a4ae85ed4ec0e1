"""Approval as one transaction (R19): the account if the parent has none, the binding, the e-mail
in the outbox and the audit event; all of them or none. Shared by the teacher's approve, the bulk
approval and the automatic approval of roster matches (R28)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.errors import Conflict, RuleRefused
from app.identity import mask_name
from app.models import Account, Application, Binding, Channel, Status
from app.services.audit import SYSTEM
from app.services.context import Context
from app.services.kiosk import required_documents

WITHDRAWN = (Status.CANCELLED, Status.VOIDED)


@dataclass(frozen=True)
class Decision:
    """What a teacher's (or the system's) decision came to: here, not among the desk's views,
    since a kiosk's automatic approval (R28) makes one too and loads no desk (R45)."""

    number: str
    status: str
    account_created: bool = False


# A random initial password (settings.initial_password = "random"): no look-alike characters,
# 12 of 32 symbols is 60 bits, plenty for a password that must be changed at first login.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
PASSWORD_LENGTH = 12
TAIPEI = timedelta(hours=8)  # for times in e-mails; Taiwan keeps no daylight saving time


def random_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def ensure_pending(app: Application) -> None:
    """R18: a decided application cannot be decided again; a withdrawn one not at all."""
    if app.status in WITHDRAWN:
        raise Conflict("errors.review.withdrawn", field="number")
    if app.status != Status.PENDING:
        raise Conflict("errors.review.already_decided", field="number")


def ensure_paper(app: Application, required: bool) -> None:
    """The seed's signed paper form (簽名切結) as a condition of approval, where the school's
    `require_paper_form` asks for it: every way of approving (the teacher's, bulk, automatic)
    waits until the paper was marked received. Off by default."""
    if required and app.paper_received_at is None:
        raise RuleRefused("errors.review_day.paper_required", field="paper", number=app.number)


class Approver:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def approve_automatically(self, application: Application) -> bool:
        """R28's switch (off by default): a roster-matched application approved by the system.
        Applications that need papers (R27) are left to the teacher."""
        if not (self.ctx.settings.auto_approve_roster_match and application.roster_match):
            return False
        if application.status != Status.PENDING or required_documents(application.relationship):
            return False
        if self.ctx.settings.review_require_paper_form and application.paper_received_at is None:
            return False  # the paper comes later, to the teacher
        self.approve(application, SYSTEM, None, False)
        return True

    def approve(
        self,
        app: Application,
        actor: str,
        teacher_id: int | None,
        documents_checked: bool,
        **audit: str,
    ) -> Decision:
        """`audit` adds to the event (R33: `by="it"` when school IT decided)."""
        keys = {f"email:{app.email}", f"parent:{app.parent_id_digest}", f"application:{app.number}"}
        with self.ctx.transaction(*sorted(keys)):
            app = Application.get_by_id(app.id)
            ensure_pending(app)
            ensure_paper(app, self.ctx.settings.review_require_paper_form)
            now = self.ctx.clock()
            account = Account.get_or_none(Account.id_digest == app.parent_id_digest)
            password = None
            created = account is None
            if created:
                account, password = self._create_account(app, now)
            bound = Binding.select().where(
                Binding.account == account,
                Binding.student == app.student_id,
                Binding.removed_at.is_null(),
            )
            if not bound.exists():
                Binding.create(
                    account=account, student=app.student_id, application=app, created_at=now
                )
            changed = (
                Application.update(
                    status=Status.APPROVED,
                    decided_at=now,
                    decided_by=teacher_id,
                    documents_checked=documents_checked or app.documents_checked,
                    account=account,
                )
                .where(Application.id == app.id, Application.status == Status.PENDING)
                .execute()
            )
            if not changed:
                raise Conflict("errors.review.already_decided", field="number")
            self._tell_approved(app, account, created, password)
            self.ctx.provisioner.queue(account, "approved")  # R39: the entry and the binding
            self.ctx.audit.record(
                actor, "application.approved", app.number, account_created=created, **audit
            )
        return Decision(app.number, Status.APPROVED, created)

    def _create_account(self, app: Application, now: datetime) -> tuple[Account, str | None]:
        """R19: the initial password is the one hashed at submission (the last six characters
        of the parent's ID), or with the "random" switch a fresh one that exists in plain text
        only in the approval e-mail."""
        if Account.select().where(Account.email == app.email).exists():
            raise RuleRefused("errors.review.email_taken", field="number")
        password = None
        password_hash = app.initial_password_hash
        if self.ctx.settings.initial_password == "random" or not password_hash:
            password = random_password()
            password_hash = self.ctx.hasher.hash(password)
        account = Account.create(
            email=app.email,
            mobile=app.mobile,
            name=app.parent_name,
            id_digest=app.parent_id_digest,
            id_masked=app.parent_id_masked,
            password_hash=password_hash,
            must_change_password=True,
            password_expires_at=now + timedelta(days=self.ctx.settings.initial_password_days),
            lang=app.lang,
            created_at=now,
        )
        return account, password

    def _tell_approved(
        self, app: Application, account: Account, created: bool, password: str | None
    ) -> None:
        params = {
            "number": app.number,
            "student": mask_name(app.student.name),
            "login": account.email,
        }
        if not created:
            template = "binding_approved"
        else:
            expires = account.password_expires_at + TAIPEI
            params["expires"] = expires.strftime("%Y-%m-%d %H:%M")
            template = "application_approved"
            if password is not None:
                template, params["password"] = "application_approved_random", password
        self.ctx.outbox.notify(Channel.EMAIL, account.email, template, app.lang, **params)
