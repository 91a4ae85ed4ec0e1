"""A new e-mail or mobile for a parent account (R21): a code to the new contact, a notice to the
old one, and the same refusals as an application's e-mail (R12–R14). Part of AccountService."""

from __future__ import annotations

from app.errors import RuleRefused
from app.identity import mask_email, mask_mobile
from app.models import Account, Application, Channel, Status, Student
from app.services.audit import account_actor
from app.services.contacts import normalize_contact
from app.services.context import Context
from app.services.verification import PURPOSE_CONTACT_CHANGE, CodeSent, VerificationService

KIND_PARENT = "parent"


class ContactChange:
    ctx: Context
    verification: VerificationService

    def _account(self, account_id: int) -> Account:
        raise NotImplementedError

    def request_contact_change(
        self, account_id: int, channel: str, raw_new: str, lang: str = "zh-TW"
    ) -> CodeSent:
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

    def confirm_contact_change(
        self, account_id: int, channel: str, raw_new: str, code: str
    ) -> None:
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
            self.ctx.audit.record(
                account_actor(account.id), "contact.changed", account.id, channel=channel
            )
