"""R38: SMS leave through a real gateway — Mitake's (三竹) HTTP API against a stub written from its
documentation, Kannel for real (bearerbox, smsbox and the fake SMSC of Debian's kannel-extras) —
are retried like mail, and a production terminal with no gateway offers no SMS codes."""

from __future__ import annotations

import logging
import re

import pytest

from app import cli
from app.config import load_settings
from app.db import open_database
from app.errors import ConfigError, InvalidInput
from app.models import Channel, OutboxMessage
from app.services import build_services
from app.services.outbox import MAX_ATTEMPTS, DeliveryReport
from app.services.transports import parse_mitake
from tests.sms_gateways import MitakeStub, kannel_installed, run_kannel, start_mitake
from tests.smtp_server import free_port

MOBILE = "0912345678"


@pytest.fixture
def mitake():
    stub = MitakeStub()
    server, url = start_mitake(stub)
    yield stub, url
    server.shutdown()
    server.server_close()


def gateway_services(settings, clock, keyring, **sms):
    """Services whose SMS go through the gateway the settings name (no stand-in transport)."""
    return build_services(settings.replace(**sms), clock=clock, keyring=keyring)


def mitake_services(settings, clock, keyring, url, stub, **more):
    sms = {"sms_transport": "mitake", "sms_url": url, "sms_username": stub.username,
           "sms_password": stub.password, "sms_timeout": 2.0, **more}  # fmt: skip
    return gateway_services(settings, clock, keyring, **sms)


def sent_code(services) -> str:
    message = OutboxMessage.select().order_by(OutboxMessage.id.desc()).get()
    return re.search(r"\b(\d{6})\b", services.outbox.body_of(message)).group(1)


# --- Mitake ---------------------------------------------------------------------------------------


def test_r38_mitake_answer_is_read_as_documented():
    answer = parse_mitake("[1]\r\nmsgid=#1010079522\r\nstatuscode=1\r\nAccountPoint=99\r\n")
    assert answer == {"section": "1", "msgid": "#1010079522", "statuscode": "1",
                      "accountpoint": "99"}  # fmt: skip


def test_r38_a_code_by_sms_reaches_mitake_in_utf8_chinese(settings, clock, keyring, mitake):
    """The request carries the account, the national number and the Chinese text whole, and a
    clientid; the message is marked sent."""
    stub, url = mitake
    svc = mitake_services(settings, clock, keyring, url, stub)
    try:
        svc.verification.request_code(Channel.SMS, MOBILE)
        code = sent_code(svc)
        message = OutboxMessage.get()
    finally:
        svc.close()
    assert message.status == "sent" and message.error is None
    [request] = stub.sent
    assert request["username"] == "school" and request["password"] == "s3cret"
    assert request["dstaddr"] == MOBILE
    assert request["smbody"].startswith("【親子綁定】驗證碼 ") and code in request["smbody"]
    assert request["clientid"].startswith(f"qinzi-{message.id}-")


@pytest.mark.parametrize("code", ["v", "u", "6"])
def test_r38_mitake_refusing_the_message_gives_it_up_at_once(
    settings, clock, keyring, mitake, caplog, code
):
    """An invalid number or an empty text can never succeed: given up after one attempt, for
    `qinzi check` to name, with a log line that says why (and masks the number, R9)."""
    stub, url = mitake
    stub.codes = [code]
    svc = mitake_services(settings, clock, keyring, url, stub)
    try:
        with caplog.at_level(logging.INFO, logger="qinzi.outbox"):
            svc.verification.request_code(Channel.SMS, MOBILE)
        message = OutboxMessage.get()
        assert message.status == "undeliverable" and message.attempts == 1
        clock.advance(hours=2)
        assert svc.outbox.deliver_due() == DeliveryReport()
    finally:
        svc.close()
    assert len(stub.requests) == 1 and stub.sent == []
    line = next(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert f"statuscode {code}" in line and "0912***678" in line
    assert MOBILE not in caplog.text and "s3cret" not in caplog.text


def test_r38_a_wrong_mitake_password_is_retried_and_says_what_to_check(
    settings, clock, keyring, mitake, caplog
):
    """statuscode e concerns the account, not the message: IT can fix it, so it is retried,
    and the log says which settings to check — never the password itself."""
    stub, url = mitake
    svc = mitake_services(settings, clock, keyring, url, stub, sms_password="wrong-one")
    try:
        with caplog.at_level(logging.INFO, logger="qinzi.outbox"):
            svc.verification.request_code(Channel.SMS, MOBILE)
        message = OutboxMessage.get()
    finally:
        svc.close()
    assert message.status == "failed" and message.next_attempt_at is not None
    assert "statuscode e" in message.error and "[sms] username and password" in message.error
    assert "wrong-one" not in caplog.text and "wrong-one" not in message.error


def test_r38_a_lost_mitake_answer_is_retried_and_the_sms_sent_once(
    settings, clock, keyring, mitake
):
    """Mitake took the message but its answer came too late: the retry carries the same
    clientid, so Mitake answers Duplicate=Y and the parent gets one SMS, not two."""
    stub, url = mitake
    stub.delays = [1.5, 0.0]
    svc = mitake_services(settings, clock, keyring, url, stub, sms_timeout=0.5)
    try:
        svc.verification.request_code(Channel.SMS, MOBILE)
        message = OutboxMessage.get()
        assert message.status == "failed" and "no answer within 0.5 s" in message.error
        clock.advance(minutes=1)
        assert svc.outbox.deliver_due() == DeliveryReport(delivered=1)
        message = OutboxMessage.get()
    finally:
        svc.close()
    assert message.status == "sent" and message.attempts == 2
    assert len(stub.requests) == 2 and len(stub.sent) == 1
    assert stub.requests[0]["clientid"] == stub.requests[1]["clientid"]


def test_r38_a_mitake_that_never_answers_is_given_up_after_the_last_attempt(
    settings, clock, keyring, mitake
):
    stub, url = mitake
    stub.delays = [0.6]
    svc = mitake_services(settings, clock, keyring, url, stub, sms_timeout=0.2)
    try:
        svc.verification.request_code(Channel.SMS, MOBILE)
        for _ in range(MAX_ATTEMPTS - 1):
            message = OutboxMessage.get()
            assert message.status == "failed"
            clock.advance(minutes=60)
            svc.outbox.deliver_due()
        message = OutboxMessage.get()
    finally:
        svc.close()
    assert message.status == "undeliverable" and message.attempts == MAX_ATTEMPTS
    assert len(stub.sent) == 1  # each attempt the same clientid: sent once all the same


# --- Kannel's answers, without Kannel (the fast tier) ------------------------------------------


@pytest.fixture
def kannel_answer():
    """A loopback server that answers every sendsms as Kannel would, with the status and text
    the test sets; it records the requests."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread
    from urllib.parse import parse_qs, urlsplit

    state = {"answer": (202, "0: Accepted for delivery"), "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state["requests"].append(
                {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
            )
            status, text = state["answer"]
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(text.encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/sendsms"
    yield state
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "text", "outcome", "says"),
    [(202, "3: Queued for later delivery", "sent", None),
     (503, "Service unavailable", "failed", "HTTP 503"),
     (403, "Authorization failed for sendsms", "failed", "[sms] username and password"),
     (400, "Sender missing and no global set, rejected", "failed", "[sms] sender"),
     (404, "Unknown service", "failed", "[sms] url"),
     (403, "Number(s) has/have been denied by white- and/or black-lists.", "undeliverable",
      "denied"),
     (400, "Text too long", "undeliverable", "HTTP 400: Text too long")],
)  # fmt: skip
def test_r38_kannels_answers_are_sent_retried_or_given_up(
    settings, clock, keyring, kannel_answer, status, text, outcome, says
):
    """Accepted or queued by Kannel is sent; what a setting or time fixes is retried, saying
    what to check; a refusal of the message itself is given up at once."""
    kannel_answer["answer"] = (status, text)
    svc = gateway_services(settings, clock, keyring, sms_transport="kannel",
                           sms_url=kannel_answer["url"], sms_username="qinzi",
                           sms_password="pw-k", sms_timeout=2.0)  # fmt: skip
    try:
        svc.verification.request_code(Channel.SMS, MOBILE)
        message = OutboxMessage.get()
    finally:
        svc.close()
    assert message.status == outcome
    assert says is None or says in message.error
    [request] = kannel_answer["requests"]
    assert (request["to"], request["charset"], request["coding"]) == ("+886912345678", "UTF-8", "2")
    assert request["text"].startswith("【親子綁定】驗證碼 ")


# --- start-up and `qinzi check` ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "key"),
    [('transport = "kannel"\nusername = "q"', "sms_url"),
     ('transport = "kannel"\nurl = "127.0.0.1:13013"\nusername = "q"', "sms_url"),
     ('transport = "mitake"', "sms_username"),
     ('transport = "twilio"', "sms_transport")],
)  # fmt: skip
def test_r38_an_sms_gateway_without_what_it_needs_stops_start_up(tmp_path, table, key):
    config = tmp_path / "config.toml"
    config.write_text(f"[sms]\n{table}\n")
    with pytest.raises(ConfigError) as refused:
        load_settings(config, env={})
    assert refused.value.params["key"] == key


def test_r38_the_sms_settings_load_from_the_sms_table(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '[sms]\ntransport = "kannel"\nurl = "http://10.0.0.5:13013/cgi-bin/sendsms"\n'
        'username = "qinzi"\npassword = "pw"\nsender = "School"\ntimeout = 3\n'
    )
    s = load_settings(config, env={})
    assert (s.sms_transport, s.sms_username, s.sms_sender, s.sms_timeout) == (
        "kannel", "qinzi", "School", 3.0)  # fmt: skip
    assert s.sms_offered and not s.replace(sms_transport="outbox").sms_offered
    assert s.replace(sms_transport="outbox", mode="demo").sms_offered


def check_config(tmp_path, table: str) -> list[str]:
    config = tmp_path / "config.toml"
    config.write_text(
        "argon2_time_cost = 5\nargon2_memory_kib = 7168\nargon2_parallelism = 1\n"
        f"[sms]\n{table}\n"
    )
    data = tmp_path / "data"
    open_database(str(data / "qinzi.db")).close()
    return ["--lang", "en", "check", "--config", str(config), "--data-dir", str(data),
            "--db", str(data / "qinzi.db")]  # fmt: skip


def test_r38_qinzi_check_names_an_sms_gateway_that_does_not_answer(tmp_path, capsys):
    port = free_port()  # nothing listens there
    url = f"http://127.0.0.1:{port}/cgi-bin/sendsms"
    table = f'transport = "kannel"\nurl = "{url}"\nusername = "q"\npassword = "pw-77"\ntimeout = 1'
    args = check_config(tmp_path, table)
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert f"SMS gateway Kannel http://127.0.0.1:{port} cannot be used" in err
    assert "cannot connect" in err and "pw-77" not in err
    log = (tmp_path / "data" / "logs" / "qinzi.log").read_text(encoding="utf-8")
    assert "SMS gateway Kannel" in log and "pw-77" not in log


def test_r38_qinzi_check_asks_mitake_about_the_account_and_sends_nothing(
    tmp_path, capsys, mitake
):
    stub, url = mitake
    good = f'transport = "mitake"\nurl = "{url}"\nusername = "school"\npassword = "s3cret"'
    assert cli.main(check_config(tmp_path, good)) == 0
    (tmp_path / "bad").mkdir()
    assert cli.main(check_config(tmp_path / "bad", good.replace("s3cret", "oops"))) == 1
    err = capsys.readouterr().err
    assert "statuscode e" in err and "oops" not in err
    assert stub.queries == 2 and stub.requests == []


def test_r38_qinzi_outbox_sends_a_stranded_sms_once_and_says_so(tmp_path, capsys, mitake):
    """`qinzi outbox` from cron hands a code SMS left by a crashed kiosk to the gateway, once;
    a gateway refusing it ends the command with 1 for cron to mail IT."""
    from datetime import timedelta

    from app import factory

    stub, url = mitake
    args = check_config(
        tmp_path, f'transport = "mitake"\nurl = "{url}"\nusername = "school"\npassword = "s3cret"'
    )
    options = args[args.index("--config") :]
    services = factory.make_services(cli.build_parser("en").parse_args(["outbox", *options]))
    with services.ctx.transaction():
        for number in ("+886912345678", "+886987654321"):
            services.outbox.enqueue(Channel.SMS, number, "code_bind", "驗證碼", "驗證碼 123456")
        services.outbox.discard_pending()  # killed between COMMIT and delivery
    for message in OutboxMessage.select():
        message.next_attempt_at = message.created_at - timedelta(minutes=5)
        message.save()
    services.close()
    stub.codes = ["1", "v"]  # the second number is refused for good
    assert cli.main(["--lang", "en", "outbox", *options]) == 1
    out = capsys.readouterr().out
    assert "Sent: 1. Failed and will be tried again: 0. Given up: 1." in out
    assert cli.main(["--lang", "en", "outbox", *options]) == 0
    assert [r["dstaddr"] for r in stub.sent] == ["0912345678"]


# --- no gateway in production -----------------------------------------------------------------


def test_r38_a_production_terminal_without_a_gateway_sends_no_sms_code(
    settings, clock, keyring
):
    """transport "outbox" in production: an SMS code would be stored and reach no one, so the
    service refuses it beside the channel choice; e-mail still works."""
    svc = gateway_services(settings, clock, keyring, sms_transport="outbox")
    try:
        with pytest.raises(InvalidInput) as refused:
            svc.verification.request_code(Channel.SMS, MOBILE)
        assert refused.value.key == "errors.contact.sms_unavailable"
        assert refused.value.field == "contact"  # beside the one contact field
        assert OutboxMessage.select().count() == 0
        svc.verification.request_code(Channel.EMAIL, "parent@home.example")
        svc.ctx.settings.mode = "demo"  # the demo shows SMS in its simulated outbox
        svc.verification.request_code(Channel.SMS, MOBILE)
        assert OutboxMessage.select().count() == 2
    finally:
        svc.close()


# --- Kannel, for real -------------------------------------------------------------------------


@pytest.fixture
def kannel(tmp_path):
    if not kannel_installed():
        pytest.skip("Kannel is not installed (apt-get install kannel kannel-extras; .ci/run does)")
    runner = run_kannel(tmp_path)
    yield next(runner)
    runner.close()


def kannel_services(settings, clock, keyring, kannel, **more):
    sms = {"sms_transport": "kannel", "sms_url": kannel.sendsms_url,
           "sms_username": kannel.username, "sms_password": kannel.password,
           "sms_sender": "Qinzi", "sms_timeout": 5.0, **more}  # fmt: skip
    return gateway_services(settings, clock, keyring, **sms)


@pytest.mark.process
def test_r38_a_code_by_sms_arrives_at_kannels_smsc_as_chinese_in_one_part(
    settings, clock, keyring, kannel
):
    """Through bearerbox and smsbox to the fake SMSC: UCS-2, so the Chinese text arrives whole
    and within one 70-character part, to the number in international form."""
    svc = kannel_services(settings, clock, keyring, kannel)
    try:
        svc.verification.request_code(Channel.SMS, MOBILE)
        code = sent_code(svc)
        message = OutboxMessage.get()
    finally:
        svc.close()
    assert message.status == "sent", message.error
    [part] = kannel.parts(1)
    assert part.receiver == "+886912345678" and part.sender == "Qinzi" and part.udh == b""
    assert part.text.startswith("【親子綁定】驗證碼 ") and code in part.text
    assert len(part.text) <= 70


@pytest.mark.process
def test_r38_a_long_chinese_sms_is_split_into_parts_of_at_most_70_characters(
    settings, clock, keyring, kannel
):
    text = "親子綁定申請已收到，導師審核後會通知您。" * 6  # 120 characters
    svc = kannel_services(settings, clock, keyring, kannel)
    try:
        with svc.ctx.transaction():
            svc.outbox.enqueue(Channel.SMS, "+886912345678", "notice", "主旨", text)
        assert OutboxMessage.get().status == "sent"
    finally:
        svc.close()
    parts = kannel.parts(2)
    assert len(parts) == 2 and all(len(p.text) <= 70 for p in parts)
    assert all(p.udh[:3] == b"\x05\x00\x03" for p in parts)  # concatenation header
    assert "".join(p.text for p in parts) == text


@pytest.mark.process
def test_r38_kannel_without_a_sender_is_retried_with_what_to_set(settings, clock, keyring, kannel):
    """Kannel refuses a message with no sender when no global-sender is set: a setting, so the
    message waits for IT (retried), and the error says which setting."""
    svc = kannel_services(settings, clock, keyring, kannel, sms_sender="")
    try:
        svc.verification.request_code(Channel.SMS, MOBILE)
        message = OutboxMessage.get()
    finally:
        svc.close()
    assert message.status == "failed" and "HTTP 400" in message.error
    assert "[sms] sender" in message.error


@pytest.mark.process
def test_r38_qinzi_check_passes_a_working_kannel_and_sends_nothing(tmp_path, capsys, kannel):
    table = (f'transport = "kannel"\nurl = "{kannel.sendsms_url}"\n'
             f'username = "{kannel.username}"\npassword = "{kannel.password}"')  # fmt: skip
    assert cli.main(check_config(tmp_path, table)) == 0
    (tmp_path / "bad").mkdir()
    assert cli.main(check_config(tmp_path / "bad", table.replace(kannel.password, "nope"))) == 1
    err = capsys.readouterr().err
    assert "HTTP 403" in err and "[sms] username and password" in err and "nope" not in err
    assert kannel.parts(1, timeout=1) == []


@pytest.mark.process
def test_r38_kannel_refusing_our_user_is_retried_and_nothing_sent(
    settings, clock, keyring, kannel, caplog
):
    svc = kannel_services(settings, clock, keyring, kannel, sms_password="not-it")
    try:
        with caplog.at_level(logging.INFO, logger="qinzi.outbox"):
            svc.verification.request_code(Channel.SMS, MOBILE)
        message = OutboxMessage.get()
    finally:
        svc.close()
    assert message.status == "failed" and "HTTP 403" in message.error
    assert "[sms] username and password" in message.error
    assert "not-it" not in caplog.text and "not-it" not in message.error
    assert kannel.parts(1, timeout=1) == []
