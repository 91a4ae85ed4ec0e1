"""The outbox: every SMS and e-mail is stored as an OutboxMessage, then handed to its transport.

Messages are written inside the business transaction and delivered after it commits
(Context.transaction), so a failed delivery is recorded on the message and never loses the change.
Bodies are sealed with the keyring: a code or an initial password never sits in the database in
plain text (R9, R23); the pane shows bodies only in demo mode (R25)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.clock import Clock
from app.i18n import t
from app.identity import mask_contact
from app.keys import Keyring
from app.models import Channel, OutboxMessage
from app.services.transports import Outgoing, StoreOnly, Transport, TransportError


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
            created_at=self._clock(),
        )
        self._pending().append(message.id)
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
        """Deliver what the committed transaction enqueued."""
        pending, self._local.pending = list(self._pending()), []
        for message_id in pending:
            message = OutboxMessage.get_or_none(OutboxMessage.id == message_id)
            if message is not None:
                self.deliver(message)

    def deliver(self, message: OutboxMessage) -> bool:
        transport = self._transports[message.channel]
        body = self._keyring.unseal(message.body_sealed) or ""
        message.attempts += 1
        try:
            transport.send(Outgoing(message.channel, message.recipient, message.subject, body))
        except TransportError as exc:
            message.status, message.error = "failed", str(exc)
            message.save()
            return False
        message.status, message.error = transport.delivered_status, None
        message.sent_at = self._clock()
        message.save()
        return True

    def retry_failed(self) -> tuple[int, int]:
        """Try every failed message again; returns (delivered, still failing)."""
        ok = bad = 0
        for message in OutboxMessage.select().where(OutboxMessage.status == "failed"):
            if self.deliver(message):
                ok += 1
            else:
                bad += 1
        return ok, bad

    # --- reading ----------------------------------------------------------------------------

    def recent(self, *, demo: bool, limit: int = 50, since_id: int = 0) -> list[OutboxView]:
        """Newest first. Bodies (and so codes) are revealed only when `demo` is true (R25)."""
        query = (
            OutboxMessage.select()
            .where(OutboxMessage.id > since_id)
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
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
