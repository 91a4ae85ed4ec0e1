"""The outbox and its transports: sealed bodies (R9, R23), demo-only bodies (R25), delivery after
commit, and a real SMTP server on loopback (aiosmtpd), plain and with STARTTLS + login."""

from __future__ import annotations

import pytest

from app.models import Channel, OutboxMessage, School
from app.services import build_services
from app.services.outbox import MAX_ATTEMPTS, DeliveryReport
from app.services.transports import SmtpTransport
from tests.smtp_server import Inbox, free_port, start_server

CODE_TEXT = "您的驗證碼是 482913，60 分鐘內有效。"


def test_r23_bodies_are_sealed_in_the_database(services, settings):
    with services.ctx.transaction():
        services.outbox.enqueue(Channel.SMS, "+886912345678", "code_bind", "驗證碼", CODE_TEXT)
    row = OutboxMessage.get()
    assert "482913" not in row.body_sealed
    assert services.outbox.body_of(row) == CODE_TEXT
    if settings.database_url.endswith(".db"):
        services.ctx.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        raw = open(settings.database_url, "rb").read()  # noqa: SIM115
        assert b"482913" not in raw


def test_r25_bodies_only_in_demo_mode_and_recipients_masked(services):
    with services.ctx.transaction():
        services.outbox.enqueue(Channel.SMS, "+886912345678", "code_bind", "驗證碼", CODE_TEXT)
        services.outbox.enqueue(Channel.EMAIL, "cooc123@gmail.com", "code_bind", "驗證碼", "b")
    production = services.outbox.recent(demo=False)
    assert [v.body for v in production] == [None, None]
    demo = services.outbox.recent(demo=True)
    assert [v.recipient_masked for v in demo] == ["co***@gmail.com", "0912***678"]  # newest first
    assert demo[1].body == CODE_TEXT
    assert demo[0].status == "stored"


def test_a_rolled_back_change_sends_nothing(services):
    with pytest.raises(RuntimeError), services.ctx.transaction():
        School.create(code="E001", name="和平國小", level="elementary")
        services.outbox.enqueue(Channel.EMAIL, "a@b.example", "x", "s", "b")
        raise RuntimeError("boom")
    assert OutboxMessage.select().count() == 0
    assert School.select().count() == 0
    with services.ctx.transaction():
        services.outbox.enqueue(Channel.EMAIL, "a@b.example", "x", "s", "b")
    assert [m.status for m in OutboxMessage.select()] == ["stored"]


@pytest.fixture
def smtp_inbox():
    inbox = Inbox()
    controller = start_server(inbox)
    yield inbox, controller.port
    controller.stop()


def smtp_services(settings, clock, keyring, **smtp):
    mail_settings = settings.replace(
        mail_transport="smtp", mail_from="office@school.example", **smtp
    )
    return build_services(mail_settings, clock=clock, keyring=keyring)


def test_smtp_delivers_traditional_chinese_mail(settings, clock, keyring, smtp_inbox):
    inbox, port = smtp_inbox
    svc = smtp_services(settings, clock, keyring, smtp_host="127.0.0.1", smtp_port=port)
    with svc.ctx.transaction():
        svc.outbox.enqueue(
            Channel.EMAIL, "cooc123@gmail.com", "code_bind", "親子綁定驗證碼", CODE_TEXT
        )
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["Subject"] == "親子綁定驗證碼"
    assert mail["To"] == "cooc123@gmail.com"
    assert mail["From"] == "office@school.example"
    assert mail.get_content().strip() == CODE_TEXT
    assert OutboxMessage.get().status == "sent"
    svc.close()


def test_smtp_failure_is_recorded_and_the_change_is_kept(settings, clock, keyring):
    """The relay is down: the business change stays committed, the message is marked failed with
    the reason, and a retry delivers it once the relay is back."""
    port = free_port()
    svc = smtp_services(settings, clock, keyring, smtp_host="127.0.0.1", smtp_port=port,
                        smtp_timeout=2)  # fmt: skip
    with svc.ctx.transaction():
        School.create(code="E001", name="和平國小", level="elementary")
        svc.outbox.enqueue(Channel.EMAIL, "cooc123@gmail.com", "x", "主旨", "內容")
    assert School.select().count() == 1
    message = OutboxMessage.get()
    assert message.status == "failed"
    assert "ConnectionRefused" in message.error

    inbox = Inbox()
    from aiosmtpd.controller import Controller

    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert svc.outbox.deliver_due().delivered == 0  # backing off: not yet
        clock.advance(minutes=1)
        assert svc.outbox.deliver_due() == DeliveryReport(delivered=1)
    finally:
        controller.stop()
    assert OutboxMessage.get().status == "sent"
    assert OutboxMessage.get().attempts == 2
    assert len(inbox.messages) == 1
    svc.close()


def test_smtp_with_starttls_and_login(settings, clock, keyring, tmp_path):
    inbox = Inbox()
    controller = start_server(inbox, tls_dir=tmp_path, login=("office", "s3cret-relay"))
    try:
        svc = smtp_services(
            settings, clock, keyring, smtp_host="127.0.0.1", smtp_port=controller.port,
            smtp_starttls=True, smtp_username="office", smtp_password="s3cret-relay",
            smtp_cafile=str(tmp_path / "cert.pem"),
        )  # fmt: skip
        with svc.ctx.transaction():
            svc.outbox.enqueue(Channel.EMAIL, "cooc123@gmail.com", "x", "主旨", "內容")
        assert OutboxMessage.get().status == "sent"
        assert len(inbox.messages) == 1

        bad = SmtpTransport(svc.settings.replace(smtp_password="wrong", smtp_timeout=2))
        svc.outbox._transports[Channel.EMAIL] = bad
        with svc.ctx.transaction():
            svc.outbox.enqueue(Channel.EMAIL, "x@y.example", "x", "主旨", "內容")
        message = OutboxMessage.select().order_by(OutboxMessage.id.desc()).get()
        assert message.status == "failed"
        assert message.error
        svc.close()
    finally:
        controller.stop()


def stranded(svc) -> OutboxMessage:
    """A message committed with its change whose terminal died before handing it over: the
    transaction's own delivery never ran."""
    with svc.ctx.transaction():
        svc.outbox.enqueue(Channel.EMAIL, "cooc123@gmail.com", "approved", "主旨", "內容")
        svc.outbox.discard_pending()  # what a SIGKILL after COMMIT amounts to
    return OutboxMessage.get()


def test_r19_a_message_stranded_by_a_crash_is_delivered_later_exactly_once(
    settings, clock, keyring
):
    """Issue 9 (crash safety): the approval e-mail of a terminal killed between commit and
    delivery reaches the parent once its own turn has passed, by whichever terminal runs
    `deliver_due` first — two terminals never both send it."""
    inbox = Inbox()
    controller = start_server(inbox)
    try:
        one = smtp_services(settings, clock, keyring, smtp_host="127.0.0.1",
                            smtp_port=controller.port)  # fmt: skip
        message = stranded(one)
        assert message.status == "queued"
        assert one.outbox.deliver_due() == DeliveryReport()  # its own terminal's turn first
        clock.advance(minutes=3)
        other = smtp_services(settings, clock, keyring, smtp_host="127.0.0.1",
                              smtp_port=controller.port)  # fmt: skip
        stale = OutboxMessage.get()  # both terminals read it as due, then race to claim it
        assert one.outbox.deliver_due() == DeliveryReport(delivered=1)
        assert other.outbox.deliver(stale) is False
        assert other.outbox.deliver_due() == DeliveryReport()
        assert len(inbox.messages) == 1
        assert OutboxMessage.get().status == "sent" and OutboxMessage.get().attempts == 1
        one.close()
    finally:
        controller.stop()


def test_a_mail_outage_backs_off_then_gives_up_for_it_to_see(settings, clock, keyring):
    """A relay that stays down: tries at growing intervals, then "undeliverable" (named by
    `qinzi check`), never a busy loop and never silently dropped."""
    svc = smtp_services(settings, clock, keyring, smtp_host="127.0.0.1", smtp_port=free_port(),
                        smtp_timeout=1)  # fmt: skip
    with svc.ctx.transaction():
        svc.outbox.enqueue(Channel.EMAIL, "cooc123@gmail.com", "approved", "主旨", "內容")
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        message = OutboxMessage.get()
        assert message.status == "failed"
        waits.append((message.next_attempt_at - clock()).total_seconds() / 60)
        assert svc.outbox.deliver_due() == DeliveryReport()  # not yet due
        clock.advance(minutes=waits[-1])
        svc.outbox.deliver_due()
    assert waits[:4] == [1, 2, 4, 8] and max(waits) == 60
    message = OutboxMessage.get()
    assert message.status == "undeliverable" and message.attempts == MAX_ATTEMPTS
    assert message.next_attempt_at is None
    svc.close()
