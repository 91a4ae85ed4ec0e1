"""How messages leave: stored only (the simulated outbox), or by SMTP. SMS is always simulated
here; a real SMS gateway would be one more class with the same `send`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from app.config import Settings

if TYPE_CHECKING:
    from email.message import EmailMessage


@dataclass(frozen=True)
class Outgoing:
    channel: str
    recipient: str
    subject: str
    body: str


class TransportError(Exception):
    """Delivery failed; the message stays in the outbox marked failed, the change stays done."""


class Transport(Protocol):
    #: the status a delivered message gets: "stored" when nothing left the machine.
    delivered_status: str

    def send(self, message: Outgoing) -> None: ...


class StoreOnly:
    """The simulated outbox: the message is kept in the database and shown in demo mode."""

    delivered_status = "stored"

    def send(self, message: Outgoing) -> None:
        return None


class SmtpTransport:
    delivered_status = "sent"

    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.starttls = settings.smtp_starttls
        self.username = settings.smtp_username
        self.password = settings.smtp_password
        self.sender = settings.mail_from
        self.timeout = settings.smtp_timeout
        self.cafile = settings.smtp_cafile or None

    def build(self, message: Outgoing) -> EmailMessage:
        from email.message import EmailMessage  # smtplib and email load at the first mail
        from email.utils import format_datetime, localtime, make_msgid

        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(localtime())
        mail["Message-ID"] = make_msgid(domain=self.sender.partition("@")[2] or None)
        mail.set_content(message.body, charset="utf-8")
        return mail

    def send(self, message: Outgoing) -> None:
        import smtplib
        import ssl

        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=self.cafile))
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(self.build(message))
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}"[:480]) from exc


def mail_transport_for(settings: Settings) -> Transport:
    if settings.mail_transport == "smtp":
        return SmtpTransport(settings)
    return StoreOnly()
