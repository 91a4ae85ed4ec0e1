"""The staff PIN that lets a kiosk be left (R22), with guessing throttled.

A kiosk stands in a school office where a parent may be alone with it; a four- or six-digit PIN
falls to patient guessing unless wrong tries cost time. After `FAILURES_BEFORE_WAIT` wrong PINs in
a row the kiosk refuses further tries for `FIRST_WAIT`, and every further wrong PIN doubles the
wait up to `LONGEST_WAIT`; a right PIN starts the count again, and so do `WINDOW` hours without a
wrong one. Tries refused while waiting are not compared at all, so they teach nothing.

The state is not kept in memory nor in a table of its own: it is read back from this terminal's
audit events (the wrong PINs and the unlocks that IT reads anyway), so restarting the app or the
machine does not clear it and no schema change is needed.

The PIN may be configured in plain text (`staff_pin`, kept for existing deployments) or as an
Argon2id hash (`staff_pin_hash`, made by `qinzi config --hash-pin`); the hash wins when both are
set. Either way the comparison takes the same time whatever the typed PIN shares with the right
one."""

from __future__ import annotations

import hashlib
import hmac
import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.config import Settings
from app.errors import ConfigError, InvalidInput, QinziError, RateLimited, RuleRefused
from app.models import AuditEvent
from app.services.context import Context
from app.services.passwords import argon2_hasher

KIOSK = "kiosk"  # the audit actor: nobody is known at a kiosk's PIN screen
PIN_FAILED = "kiosk.pin_failed"
PIN_LOCKED = "kiosk.pin_locked"
UNLOCKED = "kiosk.unlocked"
FIELD = "pin"
MIN_HASHED_PIN = 6  # `qinzi config --hash-pin` asks for at least this many characters
MAX_PIN = 128  # longer input is not a PIN; refused before any hashing


def normalize_pin(raw: str) -> str:
    """Full-width digits typed with a Chinese input method are the same PIN; spaces around it
    are a slip of the finger."""
    return unicodedata.normalize("NFKC", raw or "").strip()


def hash_pin(settings: Settings, pin: str) -> str:
    """What `staff_pin_hash` holds for this PIN."""
    pin = normalize_pin(pin)
    if len(pin) < MIN_HASHED_PIN or len(pin) > MAX_PIN:
        raise InvalidInput("errors.kiosk.pin_short", field=FIELD, minimum=MIN_HASHED_PIN)
    return argon2_hasher(settings).hash(pin)


@dataclass(frozen=True)
class PinState:
    failures: int  # wrong PINs in a row on this terminal, within the window
    wait_until: datetime | None  # no try is compared before this time

    def minutes_left(self, now: datetime) -> int:
        if self.wait_until is None or now >= self.wait_until:
            return 0
        return max(1, math.ceil((self.wait_until - now).total_seconds() / 60))


class KioskLock:
    FAILURES_BEFORE_WAIT = 5
    FIRST_WAIT = timedelta(minutes=1)
    LONGEST_WAIT = timedelta(minutes=15)
    WINDOW = timedelta(hours=24)

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        # R41: tries made while the database was away, written to the audit trail once it is
        # back; the wrong ones count towards the waits meanwhile.
        self._offline: list[tuple[str, dict[str, object]]] = []
        self._offline_failures = 0
        self._offline_wait_until: datetime | None = None

    @property
    def configured(self) -> bool:
        settings = self.ctx.settings
        return bool(settings.staff_pin_hash.strip() or settings.staff_pin)

    def wait_after(self, failures: int) -> timedelta | None:
        """1, 2, 4, 8, 15, 15 … minutes after the 5th, 6th, 7th … wrong PIN in a row."""
        if failures < self.FAILURES_BEFORE_WAIT:
            return None
        doublings = min(failures - self.FAILURES_BEFORE_WAIT, 16)
        return min(self.FIRST_WAIT * 2**doublings, self.LONGEST_WAIT)

    def state(self) -> PinState:
        """Count this terminal's wrong PINs since its last unlock, within the window."""
        now = self.ctx.clock()
        rows = (
            AuditEvent.select(AuditEvent.action, AuditEvent.at)
            .where(
                AuditEvent.actor == KIOSK,
                AuditEvent.terminal == self.ctx.terminal,
                AuditEvent.action.in_((PIN_FAILED, UNLOCKED)),
                AuditEvent.at > now - self.WINDOW,
            )
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(1000)  # a day holds about a hundred tries at most, given the waits
            .tuples()
        )
        failures, last = 0, None
        for action, at in rows:
            if action == UNLOCKED:
                break
            failures += 1
            last = last or at
        wait = self.wait_after(failures)
        return PinState(failures, last + wait if wait and last else None)

    def refuse_if_waiting(self) -> PinState:
        state = self.state()
        minutes = state.minutes_left(self.ctx.clock())
        if minutes:
            raise RateLimited(
                "errors.kiosk.pin_wait",
                field=FIELD,
                failures=state.failures,
                minutes=minutes,
                count=minutes,
                retry_at=state.wait_until,
            )
        return state

    def unlock(self, typed: str) -> None:
        """Return when `typed` is the staff PIN; otherwise raise why not. A wrong PIN and the
        wait it starts are written to the audit trail before the refusal is raised. Without the
        database the PIN is still checked (R41: a kiosk can always be left)."""
        from app.backend import unavailable

        if not self.configured:
            raise ConfigError("errors.kiosk.pin_not_set", field=FIELD)
        try:
            state = self.refuse_if_waiting()
            self._write_offline()
        except QinziError:
            raise
        except Exception as exc:
            if not unavailable(exc):
                raise
            return self._unlock_offline(typed)
        if self._matches(typed):
            with self.ctx.transaction():
                self.ctx.audit.record(KIOSK, UNLOCKED, self.ctx.terminal, after=state.failures)
            return
        raise self._count_failure()

    def _unlock_offline(self, typed: str) -> None:
        """R41: the PIN lives in the configuration, so it is checked without the database; wrong
        ones count and wait as usual, in memory, and every try is audited once it is back."""
        now = self.ctx.clock()
        if self._offline_wait_until is not None and now < self._offline_wait_until:
            minutes = math.ceil((self._offline_wait_until - now).total_seconds() / 60)
            raise RateLimited("errors.kiosk.pin_wait", field=FIELD, minutes=minutes, count=minutes,
                              failures=self._offline_failures,
                              retry_at=self._offline_wait_until)  # fmt: skip
        at = now.isoformat(timespec="seconds")
        if self._matches(typed):
            self._offline.append((UNLOCKED, {"after": self._offline_failures, "offline_at": at}))
            self._offline_failures, self._offline_wait_until = 0, None
            return
        self._offline_failures += 1
        failures = self._offline_failures
        self._offline.append((PIN_FAILED, {"failures": failures, "offline_at": at}))
        wait = self.wait_after(failures)
        if wait is None:
            left = self.FAILURES_BEFORE_WAIT - failures
            raise RuleRefused("errors.kiosk.pin_wrong", field=FIELD, left=left, count=left)
        self._offline_wait_until = now + wait
        minutes = math.ceil(wait.total_seconds() / 60)
        raise RateLimited("errors.kiosk.pin_wait", field=FIELD, failures=failures,
                          minutes=minutes, count=minutes,
                          retry_at=self._offline_wait_until)  # fmt: skip

    def _write_offline(self) -> None:
        """The database is back: what happened without it goes to the audit trail."""
        if not self._offline:
            return
        with self.ctx.transaction():
            for action, detail in self._offline:
                self.ctx.audit.record(KIOSK, action, self.ctx.terminal, **detail)
        self._offline.clear()
        self._offline_failures, self._offline_wait_until = 0, None

    def _count_failure(self) -> QinziError:
        with self.ctx.transaction(f"kiosk-pin:{self.ctx.terminal}"):
            failures = self.state().failures + 1
            self.ctx.audit.record(KIOSK, PIN_FAILED, self.ctx.terminal, failures=failures)
            wait = self.wait_after(failures)
            if wait is not None:
                minutes = math.ceil(wait.total_seconds() / 60)
                self.ctx.audit.record(
                    KIOSK, PIN_LOCKED, self.ctx.terminal, failures=failures, minutes=minutes
                )
        if wait is None:
            left = self.FAILURES_BEFORE_WAIT - failures
            return RuleRefused("errors.kiosk.pin_wrong", field=FIELD, left=left, count=left)
        return RateLimited(
            "errors.kiosk.pin_wait",
            field=FIELD,
            failures=failures,
            minutes=minutes,
            count=minutes,
            retry_at=self.ctx.clock() + wait,
        )

    def _matches(self, typed: str) -> bool:
        settings = self.ctx.settings
        pin = normalize_pin(typed)
        if not pin or len(pin) > MAX_PIN:
            return False
        stored = settings.staff_pin_hash.strip()
        if stored:
            from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

            try:
                return argon2_hasher(settings).verify(stored, pin)
            except VerifyMismatchError:
                return False
            except (InvalidHashError, VerificationError):  # not a hash, or a damaged one
                raise ConfigError("errors.kiosk.pin_hash_invalid", field=FIELD) from None
        # Digests of equal length, so that compare_digest does not even leak the PIN's length.
        expected = hashlib.sha256(normalize_pin(settings.staff_pin).encode()).digest()
        return hmac.compare_digest(hashlib.sha256(pin.encode()).digest(), expected)
