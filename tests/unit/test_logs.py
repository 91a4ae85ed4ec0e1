"""The log file for school IT (app/logs.py): where it is, what it says, and that it says nothing a
parent would not want on a school PC's disk (R9: masked IDs, contacts and names; R23: never a
code or password), with the redaction filter as the safety net for text we do not write."""

from __future__ import annotations

import logging
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app import cli, logs
from app.config import load_settings
from app.db import open_database
from app.errors import ConfigError
from app.identity import with_check_digit
from app.models import Channel
from app.services.transports import SmtpTransport
from tests.factories import make_roster, submit_application
from tests.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]
CHEAP = "argon2_time_cost = 5\nargon2_memory_kib = 7168\nargon2_parallelism = 1\n"
AN_ID = with_check_digit("A17320508")


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.fixture
def cli_options(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'terminal_id = "office-2"\n{CHEAP}')
    data = tmp_path / "data"
    open_database(str(data / "qinzi.db")).close()  # R40: only import, seed and demo create one
    return ["--config", str(config), "--data-dir", str(data), "--db", str(data / "qinzi.db")], data


def read_log(data: Path) -> str:
    return (data / "logs" / "qinzi.log").read_text(encoding="utf-8")


# --- where and what ------------------------------------------------------------------------------


def test_r24_every_command_logs_start_and_stop_with_terminal_and_database(cli_options, capsys):
    """School IT finds which terminal ran which command on which database, and how it ended."""
    options, data = cli_options
    assert cli.main(["purge", *options]) == 0
    assert cli.main(["form", "QZ-0000-0000", "-o", str(data / "x.pdf"), *options]) == 1
    text = read_log(data)
    assert "office-2" in text and f"database sqlite {data / 'qinzi.db'}" in text
    assert "start purge" in text and "retention.purge by system" in text and "stop: exit 0" in text
    assert "start form" in text and "refused: errors.forms.not_found" in text
    assert "stop: exit 1" in text
    mode = stat.S_IMODE((data / "logs" / "qinzi.log").stat().st_mode)
    assert mode == 0o600  # the log is the school's, not every local user's
    capsys.readouterr()


def test_r40_a_postgresql_database_is_logged_by_role_and_place_never_by_password(tmp_path):
    """The log names the server database as app/dburl.py describes it; the address filter
    leaves its role alone (a role before host:port/ is not an e-mail address)."""
    url = "postgresql://qinzi:hunter2@db.school.tw:6543/qinzi?password=hunter2"
    settings = load_settings(None, env={}, db=url, data_dir=tmp_path).replace(
        log_dir=str(tmp_path)
    )
    logs.setup_logging(settings)
    logs.log_start(settings, "review")
    logs.close_logging()
    text = (tmp_path / "qinzi.log").read_text()
    assert "database postgresql qinzi@db.school.tw:6543/qinzi" in text
    assert "hunter2" not in text


def test_r26_log_level_and_folder_answer_to_the_file_and_the_environment(tmp_path, cli_options):
    options, data = cli_options
    elsewhere = tmp_path / "var-log"
    env = {"QINZI_LOG_DIR": str(elsewhere), "QINZI_LOG_LEVEL": "warning"}
    settings = load_settings(Path(options[1]), env=env, data_dir=data)
    assert (settings.log_dir, settings.log_level) == (str(elsewhere), "warning")
    assert logs.setup_logging(settings) == elsewhere / "qinzi.log"
    logs.log.info("not at this level")
    logs.log.warning("kept")
    logs.close_logging()
    assert (elsewhere / "qinzi.log").read_text().count("\n") == 1
    with pytest.raises(ConfigError) as refused:
        load_settings(Path(options[1]), env={"QINZI_LOG_LEVEL": "verbose"})
    assert refused.value.params["key"] == "log_level"
    off = settings.replace(log_level="off", log_dir=str(tmp_path / "none"))
    assert logs.setup_logging(off) is None
    logs.log.error("nowhere")
    assert not (tmp_path / "none").exists()


def test_r26_an_unwritable_log_folder_stops_with_a_message(
    tmp_path, cli_options, capsys, monkeypatch
):
    options, _ = cli_options
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("QINZI_LOG_DIR", str(blocker / "logs"))
    code = cli.main(["--lang", "en", "purge", *options])
    err = capsys.readouterr().err
    assert code == 1 and "Cannot write to the log file" in err and "Traceback" not in err


def test_r24_audit_events_are_logged_when_their_change_commits_and_never_when_it_fails(
    cli_options, clock
):
    """R24 in the log: each committed event with its pseudonymous actor and record number; a
    refused submission, rolled back, leaves no line saying it happened."""
    options, data = cli_options
    services = cli.make_services(cli.build_parser("en").parse_args(options), clock=clock)
    try:
        roster = make_roster(services)
        submitted = submit_application(services, roster, ("wu",), email="mum@home.example")
        with pytest.raises(Exception):  # noqa: B017 - R15: the same pair again is refused
            submit_application(services, roster, ("wu",), email="mum@home.example")
        services.ctx.settings.sms_transport = "kannel"  # R38: SMS offered; kept in the outbox
        services.verification.request_code(Channel.SMS, "0912345678")
    finally:
        services.close()
        logs.close_logging()
    text = read_log(data)
    number = submitted[0].number
    assert text.count("application.submitted by contact:") == 1 and number in text
    assert "code.sent by contact:" in text and '"channel": "sms"' in text
    assert "(sms, code_bind_sms) to 0912***678: stored" in text
    for secret in (roster.ids["wu"], roster.parent_ids["father"], "mum@home.example",
                   "0912345678", "吳志明"):  # fmt: skip
        assert secret not in text


def test_r9_a_failed_delivery_is_logged_with_the_recipient_masked(services, tmp_path):
    services.ctx.outbox._transports[Channel.EMAIL] = SmtpTransport(
        services.settings.replace(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout=2)
    )
    logs.setup_logging(services.settings.replace(log_dir=str(tmp_path / "logs")))
    services.verification.request_code(Channel.EMAIL, "grandma.lin@home.example")
    logs.close_logging()
    text = (tmp_path / "logs" / "qinzi.log").read_text()
    assert "WARNING qinzi.outbox" in text and "to gr***@home.example not delivered" in text
    assert "grandma.lin" not in text and "code_bind" in text


# --- the safety net ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "logged"),
    [
        (f"lookup of {AN_ID} failed", "lookup of A173****** failed"),
        (f"id={AN_ID.lower()}", "id=A173******"),
        (f"身分證{fullwidth(AN_ID)}號", "身分證A173******號"),
        ("typo A173205081 still personal", "typo A173****** still personal"),  # wrong check digit
        ("resident FD31415926 and A800000014", "resident FD31****** and A800******"),
        ("your code is 123456", "your code is ******"),
        ("驗證碼：１２３４５６", "驗證碼：******"),
        ("password=hunter2-x, user=office", "password=***, user=office"),
        ("SMTPRecipientsRefused: {'mei.lin@home.example': (550, b'no')}",
         "SMTPRecipientsRefused: {'me***@home.example': (550, b'no')}"),
        ("mobile +886912345678 or 0912-345-678", "mobile 0912***678 or 0912***678"),
        ("relay said a@b.example:25 is full", "relay said a***@b.example:25 is full"),
    ],
)  # fmt: skip
def test_r9_the_filter_masks_ids_codes_passwords_and_contacts(written, logged):
    assert logs.redact(written) == logged
    assert logs.redact(logged) == logged  # masked text stays as it is


@pytest.mark.parametrize(
    "plain",
    [
        "port 465, 123456 rows purged in 0.25 s",  # six digits without a code or password
        "message 12 (email, code_bind) to me***@home.example: sent",
        "application.approved by staff:12 on QZ-7K3M-9PXA",
        "contact:3fa1e2b4c5d6 A1234567890123 X312345678",  # not the shape of an ID
        "database sqlite /var/lib/qinzi/qinzi.db",
        "database postgresql qinzi@db.school.tw:5432/qinzi",
    ],
)
def test_r9_the_filter_leaves_what_is_not_personal(plain):
    assert logs.redact(plain) == plain


def test_r9_exception_text_goes_through_the_filter(tmp_path, services):
    logs.setup_logging(services.settings.replace(log_dir=str(tmp_path)))
    try:
        raise ValueError(f"no student {AN_ID} for guardian 0912345678")
    except ValueError:
        logging.getLogger("qinzi.ui").exception("service call lookup_student failed")
    logging.getLogger("some.library").warning("odd input %s", AN_ID.lower())
    logs.close_logging()
    text = (tmp_path / "qinzi.log").read_text()
    assert "ValueError: no student A173****** for guardian 0912***678" in text
    assert "odd input A173******" in text
    assert AN_ID not in text.upper() and "0912345678" not in text


# --- several processes, one file ----------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from app import logs
    from app.config import Settings
    logs.MAX_BYTES = 16 * 1024
    logs.setup_logging(Settings(data_dir=Path(sys.argv[1]), terminal_id=sys.argv[2]))
    for i in range(300):
        logs.log.info("line %s-%04d %s", sys.argv[2], i, "x" * 40)
    logs.close_logging()
    """
)


@pytest.mark.process
def test_r24_kiosks_sharing_one_log_file_rotate_it_without_losing_a_line(tmp_path):
    """Several kiosks on one PC write the same file; whichever finds it full rotates it, the
    others follow, and no line is lost or written twice (the five old files hold them all)."""
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), name], cwd=ROOT)
        for name in ("kiosk-1", "kiosk-2")
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    files = sorted(f for f in (tmp_path / "logs").glob("qinzi.log*") if f.suffix != ".lock")
    old = [f for f in files if f.name != "qinzi.log"]
    assert len(old) >= 3  # it did rotate
    # Each old file was full when it was rotated: no process rotated a file another had
    # just started (which would push lines out of the five kept files early).
    assert all(f.stat().st_size > 16 * 1024 - 200 for f in old)
    lines = [line.split(" line ", 1)[1][:12] for f in files for line in f.read_text().splitlines()]
    expected = [f"{k}-{i:04d}" for k in ("kiosk-1", "kiosk-2") for i in range(300)]
    assert sorted(lines) == sorted(expected)
