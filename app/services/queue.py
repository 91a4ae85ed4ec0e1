"""Work written inside a business transaction and carried out after it commits: the outbox's
messages and the city directory's changes (R39) share this one reliable mechanism.

A row is queued in the transaction; the enqueuing terminal tries it right after the commit
(`flush`); what a crash or an outage left behind is tried later by `deliver_due`, which every
terminal runs once a minute. Each attempt first claims the row with one UPDATE that only one
terminal wins (its attempt count moves on), so two terminals never carry out one row twice; a
failure backs off 1, 2, 4 … minutes, and after MAX_ATTEMPTS the row is given up for IT."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from app.clock import Clock

OWN_TURN = timedelta(minutes=2)  # the enqueuing terminal tries first; others wait this long
LEASE = timedelta(minutes=5)  # a claimed row is left alone this long, even if its sender dies
MAX_ATTEMPTS = 10  # then given up: `qinzi check` names it for IT
RETRYABLE = ("queued", "failed")


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after the n-th failure, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    undeliverable: int = 0


class RetryQueue:
    """The claim, the back-off and the give-up over a model with `status`, `attempts`, `error`,
    `sent_at` and `next_attempt_at`. A subclass says how one row is carried out (`_attempt`,
    which raises one of `failures`), how it is named in the log (`_about`, masked: R9) and, if
    some rows must wait for others, which due rows to leave for now (`_skip`)."""

    model: ClassVar[Any]
    failures: ClassVar[tuple[type[Exception], ...]]
    log: ClassVar[logging.Logger]

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._local = threading.local()

    def _attempt(self, row: Any) -> str:
        """Carry the row out; returns the status it ends in (sent, stored …)."""
        raise NotImplementedError

    def _about(self, row: Any) -> str:
        raise NotImplementedError

    def _pending(self) -> list[int]:
        if not hasattr(self._local, "pending"):
            self._local.pending = []
        return self._local.pending

    def _track(self, row_id: int) -> None:
        self._pending().append(row_id)

    def discard_pending(self) -> None:
        self._pending().clear()

    def flush(self) -> None:
        """Carry out what the committed transaction queued, unless another terminal got to it."""
        pending, self._local.pending = list(self._pending()), []
        for row_id in pending:
            row = self._claim(row_id, attempts=0)
            if row is not None:
                self._deliver(row)

    def _claim(self, row_id: int, *, attempts: int, due: datetime | None = None):
        """Take the row for one attempt: one UPDATE that succeeds for one terminal only, and a
        lease in case this process dies while sending."""
        model = self.model
        query = model.update(attempts=model.attempts + 1, next_attempt_at=self._clock() + LEASE)
        query = query.where(
            (model.id == row_id) & (model.attempts == attempts) & model.status.in_(RETRYABLE)
        )
        if due is not None:
            query = query.where(model.next_attempt_at <= due)
        if query.execute() != 1:
            return None
        return model.get_by_id(row_id)

    def _deliver(self, row: Any) -> bool:
        now = self._clock()
        try:
            status = self._attempt(row)
        except self.failures as exc:
            row.error = str(exc)[:500]
            # A failure no retry can help (a gateway refusing this very message) is given up now.
            if getattr(exc, "permanent", False) or row.attempts >= MAX_ATTEMPTS:
                row.status, row.next_attempt_at = "undeliverable", None
                self.log.error("%s given up after %d attempts: %s", self._about(row),
                               row.attempts, exc)  # fmt: skip
            else:
                row.status, row.next_attempt_at = "failed", now + backoff(row.attempts)
                self.log.warning("%s not delivered, attempt %d: %s", self._about(row),
                                 row.attempts, exc)  # fmt: skip
            row.save()
            return False
        row.status, row.error = status, None
        row.sent_at, row.next_attempt_at = now, None
        row.save()
        self.log.info("%s: %s", self._about(row), row.status)
        return True

    def _skip(self, row_id: int) -> bool:
        return False

    def deliver_due(self, limit: int = 100) -> DeliveryReport:
        """Rows whose turn has come — left queued by a crash, or failed and backed off."""
        model, now = self.model, self._clock()
        due = (
            model.select(model.id, model.attempts)
            .where(model.status.in_(RETRYABLE) & (model.next_attempt_at <= now))
            .order_by(model.next_attempt_at, model.id)
            .limit(limit)
            .tuples()
        )
        delivered = failed = given_up = 0
        for row_id, attempts in list(due):
            if self._skip(row_id):
                continue
            row = self._claim(row_id, attempts=attempts, due=now)
            if row is None:
                continue  # another terminal took it
            if self._deliver(row):
                delivered += 1
            elif row.status == "undeliverable":
                given_up += 1
            else:
                failed += 1
        return DeliveryReport(delivered, failed, given_up)
