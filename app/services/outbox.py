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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.clock import Clock
from app.i18n import t
from app.identity import mask_contact
from app.keys import Keyring
from app.models import Channel, OutboxMessage
from app.services.queue import MAX_ATTEMPTS as MAX_ATTEMPTS
from app.services.queue import OWN_TURN, RetryQueue
from app.services.queue import DeliveryReport as DeliveryReport
from app.services.transports import Outgoing, StoreOnly, Transport, TransportError

log = logging.getLogger("qinzi.outbox")


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


class OutboxService(RetryQueue):
    model = OutboxMessage
    failures = (TransportError,)
    log = log

    def __init__(
        self,
        keyring: Keyring,
        clock: Clock,
        mail: Transport | None = None,
        sms: Transport | None = None,
    ) -> None:
        super().__init__(clock)
        self._keyring = keyring
        self._transports: dict[str, Transport] = {
            Channel.EMAIL: mail or StoreOnly(),
            Channel.SMS: sms or StoreOnly(),
        }
        self._own: set[int] = set()  # what this process enqueued (R45: a browser tab's own)

    # --- writing ----------------------------------------------------------------------------

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
        self._track(message.id)
        self._own.add(message.id)
        return message

    def notify(
        self, channel: str, recipient: str, template: str, lang: str, **params: Any
    ) -> OutboxMessage:
        """Enqueue the catalog message `mail.<template>` (subject and body) in `lang`."""
        subject = t(f"mail.{template}.subject", lang, **params)
        body = t(f"mail.{template}.body", lang, **params)
        return self.enqueue(channel, recipient, template, subject, body)

    def deliver(self, message: OutboxMessage) -> bool:
        """One attempt now, if no other terminal holds the message."""
        claimed = self._claim(message.id, attempts=message.attempts)
        if claimed is None:
            return False
        ok = self._deliver(claimed)
        message.__data__.update(claimed.__data__)
        return ok

    def _about(self, message: OutboxMessage) -> str:
        # The recipient masked and never the body (R9): it may hold a code.
        return (f"message {message.id} ({message.channel}, {message.purpose}) "
                f"to {mask_contact(message.recipient)}")  # fmt: skip

    def _attempt(self, message: OutboxMessage) -> str:
        transport = self._transports[message.channel]
        body = self._keyring.unseal(message.body_sealed) or ""
        # One key per message, the same at every attempt: a gateway that knows it sends once.
        key = f"qinzi-{message.id}-{message.created_at:%Y%m%d%H%M%S}"
        transport.send(Outgoing(message.channel, message.recipient, message.subject, body, key))
        return transport.delivered_status

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
