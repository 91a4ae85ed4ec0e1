"""One-time codes that prove a contact (R1–R4): the kiosk's step 1, a forgotten password and a new
e-mail or mobile all start here.

A code is kept only as a keyed digest bound to the contact and the purpose, so a database dump
reveals neither the code nor which contact asked for it. Limits count rows, not memory, so every
kiosk sharing the database enforces the same hour and the same day."""

from __future__ import annotations

import hmac
import math
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.errors import InvalidInput, QinziError, RateLimited, RuleRefused
from app.i18n import DEFAULT_LANGUAGE
from app.identity import mask_contact
from app.models import Channel, VerificationCode, VerificationFailure
from app.services.audit import contact_actor
from app.services.contacts import VerifiedContact, contact_digest, normalize_contact
from app.services.context import Context

PURPOSE_BIND = "bind"
PURPOSE_RESET = "reset"
PURPOSE_CONTACT_CHANGE = "contact_change"
PURPOSE_STAFF_INVITE = "staff_invite"  # R32: a staff member's first password
PURPOSES = frozenset({PURPOSE_BIND, PURPOSE_RESET, PURPOSE_CONTACT_CHANGE, PURPOSE_STAFF_INVITE})

CODE_DIGITS = 6
HOUR = timedelta(hours=1)
DAY = timedelta(hours=24)


@dataclass(frozen=True)
class CodeSent:
    """What the screen confirms after 取得驗證碼: where the code went (masked) and until when."""

    channel: str
    masked: str
    expires_at: datetime


def normalize_code(raw: str) -> str:
    """Full-width digits from a Chinese input method, spaces and dashes are forgiven."""
    folded = unicodedata.normalize("NFKC", raw or "")
    kept = "".join(ch for ch in folded if not ch.isspace() and ch not in "-_.")
    return unicodedata.normalize("NFKC", kept)  # a dropped space may have split off a mark


def _minutes_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds() / 60))


def _blocked(until: datetime, now: datetime, field: str) -> RateLimited:
    hours = max(1, math.ceil((until - now).total_seconds() / 3600))
    return RateLimited("errors.code.blocked", field=field, hours=hours, count=hours, retry_at=until)


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown verification purpose {purpose!r}")


class VerificationService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # --- issuing ------------------------------------------------------------------------------

    def request_code(
        self,
        channel: str,
        raw_contact: str,
        purpose: str = PURPOSE_BIND,
        lang: str = DEFAULT_LANGUAGE,
        *,
        notice: str | None = None,
        ttl_minutes: int | None = None,
        **mail_params: object,
    ) -> CodeSent:
        """Issue a code. With `notice` (a mail template) the code is stored but the contact gets
        that notice instead: a password reset for an unknown contact must count against the same
        limits, fail the same way and do the same work (one message) as a known one, or the
        answer or its time would tell a stranger which contacts have accounts (R4).
        `ttl_minutes` overrides the configured validity (R32's invitation: 72 hours);
        `mail_params` go to the message's template."""
        _check_purpose(purpose)
        settings = self.ctx.settings
        if channel == Channel.SMS and not settings.sms_offered:
            # R38: no gateway, so no SMS code: one would be stored and reach no one.
            raise InvalidInput("errors.contact.sms_unavailable", field="contact")
        value = normalize_contact(channel, raw_contact, field="contact")
        digest = contact_digest(self.ctx.keyring, value)
        with self.ctx.transaction(f"contact:{digest}"):
            now = self.ctx.clock()
            self._refuse_if_blocked(digest, now, field="contact")
            self._refuse_if_over_hourly_limit(channel, digest, now)
            VerificationCode.update(voided_at=now).where(
                (VerificationCode.contact_digest == digest)
                & (VerificationCode.purpose == purpose)
                & VerificationCode.used_at.is_null()
                & VerificationCode.voided_at.is_null()
            ).execute()
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            minutes = settings.code_ttl_minutes if ttl_minutes is None else ttl_minutes
            expires_at = now + timedelta(minutes=minutes)
            row = VerificationCode.create(
                contact_digest=digest,
                channel=channel,
                purpose=purpose,
                code_hash=self._code_hash(digest, purpose, code),
                created_at=now,
                expires_at=expires_at,
            )
            if notice is None:
                template = f"code_{purpose}" + ("_sms" if channel == Channel.SMS else "")
                self.ctx.outbox.notify(
                    channel, value, template, lang, code=code, minutes=minutes, **mail_params
                )
                self.ctx.audit.record(
                    contact_actor(digest), "code.sent", row.id, channel=channel, purpose=purpose
                )
            else:
                self.ctx.outbox.notify(channel, value, notice, lang)
                self.ctx.audit.record(
                    contact_actor(digest),
                    "code.withheld",
                    row.id,
                    channel=channel,
                    purpose=purpose,
                    notice=notice,
                )
        return CodeSent(channel=channel, masked=mask_contact(value), expires_at=expires_at)

    def _code_hash(self, digest: str, purpose: str, code: str) -> str:
        return self.ctx.keyring.digest("code", f"{digest}|{purpose}|{code}")

    def _refuse_if_over_hourly_limit(self, channel: str, digest: str, now: datetime) -> None:
        settings = self.ctx.settings
        sms = channel == Channel.SMS
        limit = settings.sms_codes_per_hour if sms else settings.email_codes_per_hour
        recent = [
            row.created_at
            for row in VerificationCode.select(VerificationCode.created_at)
            .where(
                (VerificationCode.contact_digest == digest)
                & (VerificationCode.created_at > now - HOUR)
            )
            .order_by(VerificationCode.created_at)
        ]
        if len(recent) < limit:
            return
        next_at = recent[len(recent) - limit] + HOUR
        minutes = _minutes_until(next_at, now)
        raise RateLimited(
            "errors.code.sms_limit" if sms else "errors.code.email_limit",
            field="contact",
            limit=limit,
            minutes=minutes,
            count=minutes,
            retry_at=next_at,
        )

    # --- the contact's day (R4) ----------------------------------------------------------------

    def blocked_until(self, digest: str, now: datetime | None = None) -> datetime | None:
        """The end of a block: 24 hours after the failure that made `contact_failures_per_day`
        within one day. Failures of the day before still count towards a window ending today."""
        now = now or self.ctx.clock()
        limit = self.ctx.settings.contact_failures_per_day
        times = [
            row.at
            for row in VerificationFailure.select(VerificationFailure.at)
            .where(
                (VerificationFailure.contact_digest == digest)
                & (VerificationFailure.at > now - 2 * DAY)
            )
            .order_by(VerificationFailure.at)
        ]
        until = None
        for i in range(limit - 1, len(times)):
            if times[i] - times[i - limit + 1] < DAY and times[i] + DAY > now:
                until = max(until, times[i] + DAY) if until else times[i] + DAY
        return until

    def _refuse_if_blocked(self, digest: str, now: datetime, *, field: str) -> None:
        until = self.blocked_until(digest, now)
        if until is not None:
            raise _blocked(until, now, field)

    # --- checking ------------------------------------------------------------------------------

    def verify_code(
        self,
        channel: str,
        raw_contact: str,
        code: str,
        purpose: str = PURPOSE_BIND,
        *,
        consume: bool = True,
    ) -> VerifiedContact:
        """Check a typed code. `consume=False` checks without using it up, so a flow that still
        has its own refusals to make (a weak new password) does not cost the parent a new code;
        wrong entries count either way."""
        _check_purpose(purpose)
        value = normalize_contact(channel, raw_contact, field="contact")
        digest = contact_digest(self.ctx.keyring, value)
        typed = normalize_code(code)
        if not typed:
            raise InvalidInput("errors.code.empty", field="code")
        if len(typed) != CODE_DIGITS or not typed.isascii() or not typed.isdigit():
            raise InvalidInput("errors.code.format", field="code", digits=CODE_DIGITS)
        with self.ctx.transaction(f"contact:{digest}"):
            now = self.ctx.clock()
            self._refuse_if_blocked(digest, now, field="code")
            live = self._live_code(digest, channel, purpose, now)
            if hmac.compare_digest(live.code_hash, self._code_hash(digest, purpose, typed)):
                if consume:
                    live.used_at = now
                    live.save()
                    self.ctx.audit.record(
                        contact_actor(digest), "code.verified", live.id, purpose=purpose
                    )
                return VerifiedContact(channel=channel, value=value, digest=digest, verified_at=now)
            if self._is_superseded(digest, channel, purpose, typed, now):
                raise RuleRefused("errors.code.replaced", field="code")
            refusal = self._record_failure(live, digest, now)
        raise refusal

    def _live_code(
        self, digest: str, channel: str, purpose: str, now: datetime
    ) -> VerificationCode:
        """The newest code of this contact and purpose, or the reason there is none to check."""
        settings = self.ctx.settings
        live = (
            VerificationCode.select()
            .where(
                (VerificationCode.contact_digest == digest)
                & (VerificationCode.channel == channel)
                & (VerificationCode.purpose == purpose)
            )
            .order_by(VerificationCode.created_at.desc(), VerificationCode.id.desc())
            .first()
        )
        if live is None:
            raise RuleRefused("errors.code.none", field="code")
        if live.used_at is not None:
            raise RuleRefused("errors.code.used", field="code")
        if live.voided_at is not None:
            raise RuleRefused(
                "errors.code.too_many", field="code", attempts=settings.code_max_attempts
            )
        if live.expires_at <= now:
            raise RuleRefused(
                "errors.code.expired", field="code", minutes=settings.code_ttl_minutes
            )
        return live

    def _is_superseded(
        self, digest: str, channel: str, purpose: str, typed: str, now: datetime
    ) -> bool:
        """A parent who types the code of an earlier message deserves to hear that a newer one
        was sent, rather than a bare "wrong code"."""
        wanted = self._code_hash(digest, purpose, typed)
        older = VerificationCode.select(VerificationCode.code_hash).where(
            (VerificationCode.contact_digest == digest)
            & (VerificationCode.channel == channel)
            & (VerificationCode.purpose == purpose)
            & VerificationCode.voided_at.is_null(False)
            & VerificationCode.used_at.is_null()
            & (VerificationCode.attempts < self.ctx.settings.code_max_attempts)
            & (VerificationCode.expires_at > now)
        )
        return any(hmac.compare_digest(row.code_hash, wanted) for row in older)

    def _record_failure(self, live: VerificationCode, digest: str, now: datetime) -> QinziError:
        """Count the wrong entry on the code and on the contact's day; the refusal is returned,
        not raised, so that the transaction keeping the count commits."""
        max_attempts = self.ctx.settings.code_max_attempts
        live.attempts += 1
        if live.attempts >= max_attempts:
            live.voided_at = now
        live.save()
        VerificationFailure.create(contact_digest=digest, at=now)
        self.ctx.audit.record(contact_actor(digest), "code.failed", live.id, attempts=live.attempts)
        until = self.blocked_until(digest, now)
        if until is not None:
            return _blocked(until, now, "code")
        if live.voided_at is not None:
            return RuleRefused("errors.code.too_many", field="code", attempts=max_attempts)
        remaining = max_attempts - live.attempts
        return RuleRefused("errors.code.wrong", field="code", remaining=remaining, count=remaining)
