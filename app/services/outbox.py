"""The outbox: every SMS and e-mail is stored as an OutboxMessage, then handed to its transport.

Messages are written inside the business transaction and delivered after it commits
(Context.transaction), so a failed delivery is recorded on the message and never loses the change.
What a crash between commit and delivery, or a mail outage, leaves behind is delivered later by
`deliver_due` — every terminal runs it once a minute, and `qinzi outbox` from cron — with a claim
in the database, so that two terminals never send one message twice.
Bodies are sealed with the keyring: a code or an initial password never sits in the database in
plain text (R9, R23); the pane shows bodies only in demo mode (R25)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.clock import Clock
from app.i18n import t
from app.identity import mask_contact
from app.keys import Keyring
from app.models import Channel, OutboxMessage
from app.services.transports import Outgoing, StoreOnly, Transport, TransportError

log = logging.getLogger("qinzi.outbox")

OWN_TURN = timedelta(minutes=2)  # the enqueuing terminal delivers first; others wait this long
LEASE = timedelta(minutes=5)  # a claimed message is left alone this long, even if its sender dies
MAX_ATTEMPTS = 10  # then "undeliverable": `qinzi check` names it for IT
RETRYABLE = ("queued", "failed")


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after the n-th failure, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    undeliverable: int = 0


@dataclass(frozen=True)
class OutboxView:
    """One row of the outbox pane: the recipient masked, the body only in demo mode."""

    id: int
    channel: str
    recipient_masked: str
    created_at: datetime
    subject: str
    body: str | None
    status: str


class OutboxService:
    def __init__(
        self,
        keyring: Keyring,
        clock: Clock,
        mail: Transport | None = None,
        sms: Transport | None = None,
    ) -> None:
        self._keyring = keyring
        self._clock = clock
        self._transports: dict[str, Transport] = {
            Channel.EMAIL: mail or StoreOnly(),
            Channel.SMS: sms or StoreOnly(),
        }
        self._local = threading.local()
        self._own: set[int] = set()  # what this process enqueued (R45: a browser tab's own)

    # --- writing ----------------------------------------------------------------------------

    def _pending(self) -> list[int]:
        if not hasattr(self._local, "pending"):
            self._local.pending = []
        return self._local.pending

    def enqueue(
        self, channel: str, recipient: str, purpose: str, subject: str, body: str
    ) -> OutboxMessage:
        message = OutboxMessage.create(
            channel=channel,
            recipient=recipient,
            purpose=purpose,
            subject=subject,
            body_sealed=self._keyring.seal(body),
            created_at=(now := self._clock()),
            next_attempt_at=now + OWN_TURN,
        )
        self._pending().append(message.id)
        self._own.add(message.id)
        return message

    def notify(
        self, channel: str, recipient: str, template: str, lang: str, **params: Any
    ) -> OutboxMessage:
        """Enqueue the catalog message `mail.<template>` (subject and body) in `lang`."""
        subject = t(f"mail.{template}.subject", lang, **params)
        body = t(f"mail.{template}.body", lang, **params)
        return self.enqueue(channel, recipient, template, subject, body)

    def discard_pending(self) -> None:
        self._pending().clear()

    def flush(self) -> None:
        """Deliver what the committed transaction enqueued, unless another terminal got to it."""
        pending, self._local.pending = list(self._pending()), []
        for message_id in pending:
            message = self._claim(message_id, attempts=0)
            if message is not None:
                self._send(message)

    def _claim(self, message_id: int, *, attempts: int, due: datetime | None = None):
        """Take the message for one attempt: one UPDATE that succeeds for one terminal only
        (its attempt count moves on), and a lease in case this process dies while sending."""
        now = self._clock()
        query = OutboxMessage.update(
            attempts=OutboxMessage.attempts + 1, next_attempt_at=now + LEASE
        ).where(
            (OutboxMessage.id == message_id)
            & (OutboxMessage.attempts == attempts)
            & OutboxMessage.status.in_(RETRYABLE)
        )
        if due is not None:
            query = query.where(OutboxMessage.next_attempt_at <= due)
        if query.execute() != 1:
            return None
        return OutboxMessage.get_by_id(message_id)

    def deliver(self, message: OutboxMessage) -> bool:
        """One attempt now, if no other terminal holds the message."""
        claimed = self._claim(message.id, attempts=message.attempts)
        if claimed is None:
            return False
        ok = self._send(claimed)
        message.__data__.update(claimed.__data__)
        return ok

    def _send(self, message: OutboxMessage) -> bool:
        transport = self._transports[message.channel]
        body = self._keyring.unseal(message.body_sealed) or ""
        now = self._clock()
        # Logged with the recipient masked and never the body (R9): it may hold a code.
        about = (message.id, message.channel, message.purpose, mask_contact(message.recipient))
        # One key per message, the same at every attempt: a gateway that knows it sends once.
        key = f"qinzi-{message.id}-{message.created_at:%Y%m%d%H%M%S}"
        try:
            transport.send(
                Outgoing(message.channel, message.recipient, message.subject, body, key)
            )
        except TransportError as exc:
            message.error = str(exc)
            if exc.permanent or message.attempts >= MAX_ATTEMPTS:
                message.status, message.next_attempt_at = "undeliverable", None
                log.error("message %s (%s, %s) to %s given up after %d attempts: %s", *about,
                          message.attempts, exc)  # fmt: skip
            else:
                message.status = "failed"
                message.next_attempt_at = now + backoff(message.attempts)
                log.warning("message %s (%s, %s) to %s not delivered, attempt %d: %s", *about,
                            message.attempts, exc)  # fmt: skip
            message.save()
            return False
        message.status, message.error = transport.delivered_status, None
        message.sent_at, message.next_attempt_at = now, None
        message.save()
        log.info("message %s (%s, %s) to %s: %s", *about, message.status)
        return True

    def deliver_due(self, limit: int = 100) -> DeliveryReport:
        """Messages whose turn has come — left queued by a crash, or failed and backed off."""
        now = self._clock()
        due = (
            OutboxMessage.select(OutboxMessage.id, OutboxMessage.attempts)
            .where(OutboxMessage.status.in_(RETRYABLE) & (OutboxMessage.next_attempt_at <= now))
            .order_by(OutboxMessage.next_attempt_at)
            .limit(limit)
            .tuples()
        )
        delivered = failed = given_up = 0
        for message_id, attempts in list(due):
            message = self._claim(message_id, attempts=attempts, due=now)
            if message is None:
                continue  # another terminal took it
            if self._send(message):
                delivered += 1
            elif message.status == "undeliverable":
                given_up += 1
            else:
                failed += 1
        return DeliveryReport(delivered, failed, given_up)

    # --- reading ----------------------------------------------------------------------------

    def recent(
        self, *, demo: bool, limit: int = 50, since_id: int = 0, own_only: bool = False
    ) -> list[OutboxView]:
        """Newest first. Bodies (and so codes) are revealed only when `demo` is true (R25);
        with `own_only`, only what this process sent (R45: a browser tab never sees another
        tab's codes)."""
        query = (
            OutboxMessage.select()
            .where(OutboxMessage.id > since_id)
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
        if own_only:
            query = query.where(OutboxMessage.id.in_(sorted(self._own)))
        return [
            OutboxView(
                id=m.id,
                channel=m.channel,
                recipient_masked=mask_contact(m.recipient),
                created_at=m.created_at,
                subject=m.subject,
                body=self._keyring.unseal(m.body_sealed) if demo else None,
                status=m.status,
            )
            for m in query
        ]

    def body_of(self, message: OutboxMessage) -> str | None:
        return self._keyring.unseal(message.body_sealed)
