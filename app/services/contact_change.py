"""A new e-mail or mobile for a parent account (R21): a code to the new contact, a notice to the
old one, and the same refusals as an application's e-mail (R12–R14). A service of its own beside
AccountService: it shares the account, not the login and password rules."""

from __future__ import annotations

from app.errors import NotFound, RuleRefused
from app.i18n import DEFAULT_LANGUAGE
from app.identity import mask_email, mask_mobile
from app.models import Account, Application, Channel, Status, Student
from app.services.audit import account_actor
from app.services.contacts import normalize_contact
from app.services.context import Context
from app.services.verification import PURPOSE_CONTACT_CHANGE, CodeSent, VerificationService

KIND_PARENT = "parent"


class ContactChangeService:
    def __init__(self, ctx: Context, verification: VerificationService) -> None:
        self.ctx = ctx
        self.verification = verification

    def _account(self, account_id: int) -> Account:
        account = Account.get_or_none(Account.id == account_id)
        if account is None:
            raise NotFound()
        return account

    def request(
        self, account_id: int, channel: str, raw_new: str, lang: str = DEFAULT_LANGUAGE
    ) -> CodeSent:
        """R21: the refusals first, so a code never goes to a contact that cannot be taken."""
        account = self._account(account_id)
        value = normalize_contact(channel, raw_new, field="contact")
        self._check_new_contact(account, channel, value)
        return self.verification.request_code(channel, value, PURPOSE_CONTACT_CHANGE, lang)

    def _check_new_contact(self, account: Account, channel: str, value: str) -> None:
        current = account.email if channel == Channel.EMAIL else account.mobile
        if value == current:
            raise RuleRefused("errors.contact_change.same", field="contact")
        if channel != Channel.EMAIL:
            return
        if Student.select().where(Student.email == value).exists():
            raise RuleRefused("errors.contact_change.email_student", field="contact")
        others = Account.select().where((Account.email == value) & (Account.id != account.id))
        if others.exists():
            raise RuleRefused("errors.contact_change.email_taken", field="contact")
        applied = Application.select().where(
            (Application.email == value)
            & (Application.parent_id_digest != account.id_digest)
            & Application.status.in_([Status.PENDING, Status.APPROVED])
        )
        if applied.exists():
            raise RuleRefused("errors.contact_change.email_applied", field="contact")

    def confirm(self, account_id: int, channel: str, raw_new: str, code: str) -> None:
        """The code is checked before the refusals and used up only after them, so a contact
        taken meanwhile costs the parent no new code; the refusals run again under the lock,
        since another kiosk may have taken the e-mail between the two."""
        account = self._account(account_id)
        value = normalize_contact(channel, raw_new, field="contact")
        self.verification.verify_code(channel, value, code, PURPOSE_CONTACT_CHANGE, consume=False)
        self._check_new_contact(account, channel, value)
        self.verification.verify_code(channel, value, code, PURPOSE_CONTACT_CHANGE)
        locks = [f"{KIND_PARENT}:{account.id}"]
        if channel == Channel.EMAIL:
            locks.append(f"email:{value}")
        with self.ctx.transaction(*locks):
            account = Account.get_by_id(account.id)
            self._check_new_contact(account, channel, value)
            if channel == Channel.EMAIL:
                old, account.email = account.email, value
                self.ctx.outbox.notify(
                    Channel.EMAIL, old, "email_changed", account.lang, new=mask_email(value)
                )
            else:
                old, account.mobile = account.mobile, value
                if old:
                    self.ctx.outbox.notify(
                        Channel.SMS, old, "mobile_changed_sms", account.lang, new=mask_mobile(value)
                    )
                else:
                    self.ctx.outbox.notify(
                        Channel.EMAIL,
                        account.email,
                        "mobile_changed",
                        account.lang,
                        new=mask_mobile(value),
                    )
            account.save()
            # R39: after an e-mail change the entry is found under the old login and renamed
            entry_uid = old if channel == Channel.EMAIL else None
            self.ctx.provisioner.queue(account, "contact", uid=entry_uid)
            self.ctx.audit.record(
                account_actor(account.id), "contact.changed", account.id, channel=channel
            )
