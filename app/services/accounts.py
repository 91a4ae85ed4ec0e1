"""Parent accounts after approval, and staff logins: passwords (R19, R20), a forgotten password
and the children an account is bound to (asking to unbind one is unbinding.py, R29).

Whoever types an e-mail and a password learns only "that did not work": an unknown login and a
wrong password read the same, and a forgotten-password request answers the same for any contact."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from peewee import Expression, Model

from app.errors import InvalidInput, NotFound, QinziError, RateLimited, RuleRefused
from app.i18n import DEFAULT_LANGUAGE
from app.identity import mask_contact, mask_email, mask_mobile
from app.models import Account, Application, AuditEvent, Channel, Teacher
from app.services.account_children import BoundChild, bound_children
from app.services.audit import SYSTEM, account_actor, contact_actor, teacher_actor
from app.services.contacts import (
    VerifiedContact,
    contact_digest,
    normalize_contact,
    normalize_email,
)
from app.services.context import Context
from app.services.passwords import (
    FIELD,
    check_common_rules,
    check_entries_match,
    check_not_default,
    contains_id,
    hash_password,
    verify_hash,
)
from app.services.verification import (
    PURPOSE_RESET,
    CodeSent,
    VerificationService,
)

if TYPE_CHECKING:
    from app.services.staff import StaffIdentity
    from app.services.staff_throttle import Run

ANONYMOUS = "anonymous"
KIND_PARENT = "parent"
KIND_STAFF = "staff"
INITIAL_HASHES_CHECKED = 5

__all__ = ["AccountProfile", "AccountService", "BoundChild", "ParentLogin"]


@dataclass(frozen=True)
class ParentLogin:
    """A parent's session: `must_change` sends the screen straight to the forced change (R19);
    `session_epoch` is compared on each request so a password reset ends other sessions."""

    account_id: int
    name: str
    must_change: bool
    session_epoch: int


@dataclass(frozen=True)
class AccountProfile:
    """What the logged-in parent's page shows; contacts masked, since it is a shared kiosk."""

    account_id: int
    name: str
    email_masked: str
    mobile_masked: str | None
    id_masked: str
    must_change: bool
    password_expires_at: datetime | None


def _minutes_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds() / 60))


class AccountService:
    def __init__(self, ctx: Context, verification: VerificationService) -> None:
        self.ctx = ctx
        self.verification = verification

    @cached_property
    def _dummy_hash(self) -> str:
        """Verified against when the login is unknown, so both answers take as long."""
        return hash_password(self.ctx.hasher, "qinzi-no-such-account")

    # --- logging in (R19, R20) -----------------------------------------------------------------

    def staff_login(self, email: str, password: str) -> StaffIdentity:
        teacher = self._login(Teacher, KIND_STAFF, email, password)
        from app.services.staff import StaffIdentity  # the staff's desk; not loaded on a kiosk

        return StaffIdentity.of(teacher)

    def parent_login(self, email: str, password: str) -> ParentLogin:
        account = self._login(Account, KIND_PARENT, email, password)
        return ParentLogin(
            account_id=account.id,
            name=account.name,
            must_change=account.must_change_password,
            session_epoch=account.session_epoch,
        )

    def _login(self, model: type[Model], kind: str, raw_email: str, password: str):
        email = normalize_email(raw_email, field="email")
        if not password:
            raise InvalidInput("errors.login.password_empty", field="password")
        _ = self._dummy_hash  # made at the first login of any kind, so no unknown one is slower
        row = model.get_or_none(model.email == email)
        if row is not None and kind == KIND_STAFF and not row.active:
            row = None
        if row is None:
            raise self._unknown_login(kind, email, password)
        actor = teacher_actor(row.id) if kind == KIND_STAFF else account_actor(row.id)
        with self.ctx.transaction(f"{kind}:{row.id}"):
            row = model.get_by_id(row.id)
            now = self.ctx.clock()
            self._refuse_if_waiting(row, now, "password")
            here = self._refuse_if_terminal_waits(row, now) if kind == KIND_STAFF else None
            # R32: a staff member without a password yet (imported, invited, reset) is checked
            # against the dummy hash and fails like a wrong password: the same work, the same
            # count and wait, the same answer.
            stored = row.password_hash or self._dummy_hash
            if not (verify_hash(self.ctx.hasher, stored, password) and row.password_hash):
                refusal = self._count_failure(
                    row, now, actor, kind, "errors.login.failed", "password", here
                )
            else:
                refusal = self._refuse_if_initial_expired(row, now, "password")
                row.failed_logins, row.locked_until = 0, None
                if refusal is None and self.ctx.hasher.check_needs_rehash(row.password_hash):
                    row.password_hash = hash_password(self.ctx.hasher, password)
                    if kind == KIND_PARENT:
                        self.ctx.provisioner.queue(row, "password")  # R39: the new hash
                row.save()
                if refusal is None:
                    self.ctx.audit.record(actor, "login", row.id, kind=kind)
                else:
                    self.ctx.audit.record(
                        actor, "login.failed", row.id, kind=kind, reason="initial_expired"
                    )
        if refusal is not None:
            raise refusal
        return row

    def _unknown_login(self, kind: str, email: str, password: str) -> QinziError:
        """A login nobody has fails like a wrong password (R4, R20): one Argon2 verification, a
        read and a write in one transaction, and the same wait after five tries in a row, so
        neither the answer nor its time tells a stranger which e-mails have accounts. The count
        lives in the audit log under a keyed pseudonym of the e-mail, never the e-mail itself."""
        settings = self.ctx.settings
        target = f"login:{self.ctx.keyring.digest('login', f'{kind}|{email}')[:16]}"
        if kind == KIND_STAFF:
            return self._unknown_staff_login(target, password)
        with self.ctx.transaction(f"{kind}:{target}"):
            now = self.ctx.clock()
            failures, locked_until = 0, None
            recent = (
                AuditEvent.select(AuditEvent.at, AuditEvent.detail)
                .where((AuditEvent.target == target) & (AuditEvent.action == "login.failed"))
                .order_by(AuditEvent.id.desc())
                .limit(settings.login_failures_before_wait)
            )
            for event in recent:
                if json.loads(event.detail or "{}").get("locked"):
                    locked_until = event.at + timedelta(minutes=settings.login_wait_minutes)
                    break
                failures += 1
            if locked_until is not None and now < locked_until:
                return self._waiting(locked_until, _minutes_until(locked_until, now), "password")
            verify_hash(self.ctx.hasher, self._dummy_hash, password)
            locked = failures + 1 >= settings.login_failures_before_wait
            self.ctx.audit.record(ANONYMOUS, "login.failed", target, kind=kind, locked=locked)
        if locked:
            until = now + timedelta(minutes=settings.login_wait_minutes)
            return self._waiting(until, settings.login_wait_minutes, "password")
        return RuleRefused("errors.login.failed", field="password")

    def _unknown_staff_login(self, target: str, password: str) -> QinziError:
        """A staff login nobody has, slowed exactly as a teacher's (staff_throttle): the same
        checks, one Argon2 verification, the same count and waits."""
        from app.services import staff_throttle

        events = staff_throttle.of_unknown(target)
        with self.ctx.transaction(f"{KIND_STAFF}:{target}"):
            now = self.ctx.clock()
            in_a_row, _ = staff_throttle.failures_in_a_row(events, now)
            if in_a_row >= staff_throttle.HARD_LIMIT:
                return RateLimited("errors.login.wait_it", field="password")
            waiting = self._throttled(events, now)
            if waiting is not None:
                return waiting
            verify_hash(self.ctx.hasher, self._dummy_hash, password)
            paused = in_a_row + 1 >= staff_throttle.HARD_LIMIT
            self.ctx.audit.record(ANONYMOUS, "login.failed", target, kind=KIND_STAFF, locked=paused)
            if paused:
                return RateLimited("errors.login.wait_it", field="password")
            return self._throttled(events, now) or RuleRefused("errors.login.failed",
                                                               field="password")  # fmt: skip

    def _waiting(self, until: datetime, minutes: int, field: str) -> RateLimited:
        return RateLimited(
            "errors.login.wait",
            field=field,
            failures=self.ctx.settings.login_failures_before_wait,
            minutes=minutes,
            count=minutes,
            retry_at=until,
        )

    def _refuse_if_waiting(self, row, now: datetime, field: str) -> None:
        if row.locked_until is not None and now < row.locked_until:
            if isinstance(row, Teacher):  # issue 15: only an attack from everywhere; IT lifts it
                raise RateLimited("errors.login.wait_it", field=field, retry_at=row.locked_until)
            raise self._waiting(row.locked_until, _minutes_until(row.locked_until, now), field)

    def _refuse_if_terminal_waits(self, row: Teacher, now: datetime) -> Run:
        """Issue 15: a staff password typed wrong too often waits on this terminal only. Returns
        the terminal's failures in a row and the newest one's time, to count the next one."""
        from app.services import staff_throttle

        here = staff_throttle.failures_in_a_row(
            staff_throttle.of_teacher(row.id), now, self.ctx.terminal
        )
        error = self._wait_here(here, now)
        if error is not None:
            raise error
        return here

    def _throttled(self, events: Expression, now: datetime) -> QinziError | None:
        from app.services import staff_throttle

        return self._wait_here(staff_throttle.failures_in_a_row(events, now, self.ctx.terminal),
                               now)  # fmt: skip

    def _wait_here(self, here: Run, now: datetime) -> QinziError | None:
        from app.services import staff_throttle

        settings = self.ctx.settings
        until = staff_throttle.wait_until(
            *here, now, free=settings.login_failures_before_wait,
            longest_minutes=settings.login_wait_minutes,
        )  # fmt: skip
        if until is None:
            return None
        minutes = _minutes_until(until, now)
        return RateLimited("errors.login.wait_here", field="password", minutes=minutes,
                           count=minutes, retry_at=until)  # fmt: skip

    def _count_failure(
        self, row, now: datetime, actor: str, kind: str, key: str, field: str,
        here: Run | None = None,
    ) -> QinziError:  # fmt: skip
        """R20: five wrong passwords in a row make a parent's account wait; the count starts
        again after the wait. A staff account is slowed on the terminal instead (issue 15,
        staff_throttle) and waits for IT only after an attack from everywhere. Returned, not
        raised, so the transaction keeping the count commits."""
        if kind == KIND_STAFF:
            return self._count_staff_failure(row, now, actor, key, field, here)
        settings = self.ctx.settings
        row.failed_logins += 1
        locked = row.failed_logins >= settings.login_failures_before_wait
        if locked:
            row.failed_logins = 0
            row.locked_until = now + timedelta(minutes=settings.login_wait_minutes)
        row.save(only=[type(row).failed_logins, type(row).locked_until])
        self.ctx.audit.record(actor, "login.failed", row.id, kind=kind, locked=locked)
        if locked:
            return self._waiting(row.locked_until, settings.login_wait_minutes, field)
        return RuleRefused(key, field=field)

    def _count_staff_failure(
        self, row: Teacher, now: datetime, actor: str, key: str, field: str, here: Run | None
    ) -> QinziError:
        """`here`: this terminal's failures in a row before this one, as the login read them
        under the teacher's lock; this one makes them one more, the newest now, with no second
        read (a login nobody has reads them again, for the time this row's read and write
        take)."""
        from app.services import staff_throttle

        if here is None:
            here = staff_throttle.failures_in_a_row(
                staff_throttle.of_teacher(row.id), now, self.ctx.terminal
            )
        # Counted as a login nobody has counts them (_unknown_staff_login): the failures in a
        # row on every terminal within staff_throttle.WINDOW, read from the audit trail. A count
        # kept on the row for ever paused a real account that a day's window never paused for
        # an unknown one: a stranger could tell staff e-mails by it.
        in_a_row, _ = staff_throttle.failures_in_a_row(staff_throttle.of_teacher(row.id), now)
        row.failed_logins = in_a_row + 1
        locked = row.failed_logins >= staff_throttle.HARD_LIMIT
        if locked:
            row.failed_logins, row.locked_until = 0, now + staff_throttle.HARD_WAIT
        row.save(only=[Teacher.failed_logins, Teacher.locked_until])
        self.ctx.audit.record(actor, "login.failed", row.id, kind=KIND_STAFF, locked=locked)
        if locked:
            return RateLimited("errors.login.wait_it", field=field, retry_at=row.locked_until)
        return self._wait_here((here[0] + 1, now), now) or RuleRefused(key, field=field)

    def _refuse_if_initial_expired(self, row, now: datetime, field: str) -> QinziError | None:
        if not isinstance(row, Account) or not row.must_change_password:
            return None
        if row.password_expires_at is not None and now >= row.password_expires_at:
            email_only = "" if self.ctx.settings.sms_offered else "_email"  # R38
            return RuleRefused(
                f"errors.login.initial_expired{email_only}",
                field=field,
                days=self.ctx.settings.initial_password_days,
            )
        return None

    def session_valid(self, account_id: int, epoch: int) -> bool:
        account = Account.get_or_none(Account.id == account_id)
        return account is not None and account.session_epoch == epoch

    def profile(self, account_id: int) -> AccountProfile:
        account = self._account(account_id)
        return AccountProfile(
            account_id=account.id,
            name=account.name,
            email_masked=mask_email(account.email),
            mobile_masked=mask_mobile(account.mobile) if account.mobile else None,
            id_masked=account.id_masked,
            must_change=account.must_change_password,
            password_expires_at=account.password_expires_at,
        )

    def _account(self, account_id: int) -> Account:
        account = Account.get_or_none(Account.id == account_id)
        if account is None:
            raise NotFound()
        return account

    # --- passwords (R19, R20) ------------------------------------------------------------------

    def check_password_policy(self, account: Account, new: str) -> None:
        check_common_rules(new, account.email)
        if contains_id(new, self.ctx.keyring, account.id_digest):
            raise RuleRefused("errors.password.contains_id", field=FIELD)
        check_not_default(new, self.ctx.hasher, self._initial_hashes(account))

    def _initial_hashes(self, account: Account) -> list[str]:
        """The default is known only by its hashes: the account's own while it is still in use,
        and those of the parent's applications, so it cannot come back later either."""
        hashes = [account.password_hash] if account.must_change_password else []
        query = (
            Application.select(Application.initial_password_hash)
            .where(
                (
                    (Application.parent_id_digest == account.id_digest)
                    | (Application.account == account)
                )
                & Application.initial_password_hash.is_null(False)
            )
            .order_by(Application.submitted_at.desc())
            .limit(INITIAL_HASHES_CHECKED)
        )
        hashes.extend(row.initial_password_hash for row in query)
        return hashes

    def change_password(self, account_id: int, current: str, new: str, new_again: str) -> None:
        account = self._account(account_id)
        check_entries_match(new, new_again)
        actor = account_actor(account.id)
        with self.ctx.transaction(f"{KIND_PARENT}:{account.id}"):
            account = Account.get_by_id(account.id)
            now = self.ctx.clock()
            self._refuse_if_waiting(account, now, "current_password")
            refusal = None
            if not verify_hash(self.ctx.hasher, account.password_hash, current):
                refusal = self._count_failure(
                    account,
                    now,
                    actor,
                    KIND_PARENT,
                    "errors.password.current_wrong",
                    "current_password",
                )
        if refusal is not None:
            raise refusal
        expired = self._refuse_if_initial_expired(account, self.ctx.clock(), "current_password")
        if expired is not None:
            raise expired
        self.check_password_policy(account, new)
        with self.ctx.transaction(f"{KIND_PARENT}:{account.id}"):
            account = Account.get_by_id(account.id)
            forced = account.must_change_password
            self._set_password(account, new)
            account.save()
            self.ctx.provisioner.queue(account, "password")  # R39
            self.ctx.audit.record(actor, "password.changed", account.id, forced=forced)

    def _set_password(self, account: Account, new: str) -> None:
        account.password_hash = hash_password(self.ctx.hasher, new)
        account.must_change_password = False
        account.password_expires_at = None
        account.failed_logins, account.locked_until = 0, None

    def set_staff_password(self, email: str, password: str) -> None:
        """For school IT and the CLI: the shared rules, without the parent-only ones."""
        value = normalize_email(email, field="email")
        teacher = Teacher.get_or_none(Teacher.email == value)
        if teacher is None:
            raise NotFound("errors.login.staff_unknown", field="email")
        check_common_rules(password, value)
        with self.ctx.transaction(f"{KIND_STAFF}:{teacher.id}"):
            teacher = Teacher.get_by_id(teacher.id)
            teacher.password_hash = hash_password(self.ctx.hasher, password)
            teacher.failed_logins, teacher.locked_until = 0, None
            teacher.save()
            self.ctx.audit.record(SYSTEM, "password.changed", teacher.id, kind=KIND_STAFF)

    # --- forgotten password ---------------------------------------------------------------------

    def _accounts_by_contact(self, channel: str, value: str) -> list[Account]:
        column = Account.email if channel == Channel.EMAIL else Account.mobile
        return list(Account.select().where(column == value).limit(2))

    def request_password_reset(
        self, channel: str, raw_contact: str, lang: str = DEFAULT_LANGUAGE
    ) -> CodeSent:
        """The same answer, the same work and so the same time for any contact (R4): one code
        stored, one message sent. The message is the code when one account has this contact;
        otherwise a notice that only the contact's owner reads: no account uses it, or (a mobile
        shared by several accounts cannot tell which password to reset) use the e-mail."""
        value = normalize_contact(channel, raw_contact, field="contact")
        column = Account.email if channel == Channel.EMAIL else Account.mobile
        found = Account.select(Account.id).where(column == value).limit(2).count()
        notice = None
        if not found:
            notice = "reset_unknown_sms" if channel == Channel.SMS else "reset_unknown"
        elif found > 1:
            notice = "reset_ambiguous_sms"
        return self.verification.request_code(channel, value, PURPOSE_RESET, lang, notice=notice)

    def reset_password(
        self, channel: str, raw_contact: str, code: str, new: str, new_again: str
    ) -> None:
        """The code is checked first, then the policy, and only then used up, so a refused
        password does not cost the parent a new code."""
        value = normalize_contact(channel, raw_contact, field="contact")
        check_entries_match(new, new_again)
        self.verification.verify_code(channel, value, code, PURPOSE_RESET, consume=False)
        accounts = self._accounts_by_contact(channel, value)
        if len(accounts) != 1:
            raise RuleRefused("errors.reset.unavailable", field="contact")
        account = accounts[0]
        self.check_password_policy(account, new)
        verified = self.verification.verify_code(channel, value, code, PURPOSE_RESET)
        with self.ctx.transaction(f"{KIND_PARENT}:{account.id}"):
            account = Account.get_by_id(account.id)
            self._set_password(account, new)
            account.session_epoch += 1
            account.save()
            self.ctx.provisioner.queue(account, "password")  # R39
            if channel == Channel.EMAIL and account.mobile:
                self.ctx.outbox.notify(
                    Channel.SMS, account.mobile, "password_reset_sms", account.lang
                )
            elif channel == Channel.SMS:
                self.ctx.outbox.notify(
                    Channel.EMAIL,
                    account.email,
                    "password_reset",
                    account.lang,
                    via=mask_contact(value),
                )
            self.ctx.audit.record(
                contact_actor(verified.digest), "password.reset", account.id, channel=channel
            )

    # --- children (R29: unbinding one is services.unbinding) ----------------------------------

    def children(self, account_id: int) -> list[BoundChild]:
        return bound_children(self._account(account_id))

    def verified_contact(self, account_id: int) -> VerifiedContact:
        """A logged-in parent binds another child without a new code: the login proved the
        account's e-mail, so it stands for step 1."""
        account = self._account(account_id)
        return VerifiedContact(
            channel=Channel.EMAIL,
            value=account.email,
            digest=contact_digest(self.ctx.keyring, account.email),
            verified_at=self.ctx.clock(),
        )
