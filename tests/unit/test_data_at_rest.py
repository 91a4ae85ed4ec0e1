"""R9, R23 (issue 9, point 5): after a full demo run, no ID number, code or password is in plain
text anywhere the run left data: the SQLite database, its -wal and -shm files, the log files, the
outbox rows as stored, every PDF (as stored, decompressed, as text and as QR codes) and the backup.

The run is what a school does with the demo, through the command-line factory (`make_services`,
`demo_setup`, `qinzi letters`, `qinzi backup`) on a temporary data folder, with mail going out
through a real SMTP relay on loopback (STARTTLS, login): codes by e-mail and SMS, parents binding
several students, the application form (下載留存) and its approved copy, the class letters,
approval and rejection by teachers, the approval e-mail (the seed's initial password and the
random one), first login through the screens with the forced change, contact changes, a
forgotten password, an unbinding, a failed delivery, the retention purge and a backup. Every
secret it handled is collected on the way and looked for in every spelling (tests/leak_scan.py)."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from app import cli
from app.clock import FrozenClock
from app.errors import RuleRefused
from app.identity import with_check_digit
from app.keys import KEY_FILE
from app.models import Channel, OutboxMessage
from app.resources import data_file
from app.services.demo.seed import DEMO_ROSTER, DEMO_STAFF_PASSWORD, demo_setup
from app.services.kiosk import KioskSession, ParentDetails
from app.services.staff import StaffIdentity
from tests.leak_scan import (
    CODE,
    DEFAULT_PASSWORD,
    KEY,
    PARENT_ID,
    PASSWORD,
    STUDENT_ID,
    Secret,
    Secrets,
    report,
    scan_bytes,
    scan_pdf,
    scan_text,
    scan_tree,
)
from tests.smtp_server import Inbox, start_server

# Fictional, checksum-valid, of every kind R7 accepts.
PARENT_A = with_check_digit("F28273645")  # national ID
PARENT_B = with_check_digit("FD3141592")  # old resident certificate
PARENT_C = with_check_digit("Q82718281")  # new resident certificate
TYPED_PASSWORDS = {
    "a_new": "Lantern-Harbour-1987",
    "a_reset": "Quiet-Orchid-Bridge-42",
    "a_wrong": "Not-My-Password-77",
    "c_new": "Camphor-Tree-Lane-9",
    "staff_wrong": "Wrong-Staff-Guess-3",
}
SMTP_PASSWORD = "relay-Secret-5150"
STAFF_PIN = "482916"
FIXED_KEY = "5a" * 32
CODE_RUN = re.compile(r"(?<!\d)\d{6}(?!\d)")


class DemoRun:
    """The data folder, the command line naming it, and what the run handled."""

    def __init__(self, tmp_path: Path, smtp_port: int, cafile: Path) -> None:
        self.data = tmp_path / "data"
        self.config = tmp_path / "config.toml"
        self.config.write_text(
            f'terminal_id = "office-kiosk-1"\nmode = "demo"\n'
            f"argon2_time_cost = 5\nargon2_memory_kib = 7168\nargon2_parallelism = 1\n"
            f'[staff]\npin = "{STAFF_PIN}"\n'
            f'[mail]\ntransport = "smtp"\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nstarttls = true\n'
            f'username = "office"\npassword = "{SMTP_PASSWORD}"\ncafile = "{cafile}"\n'
            f"timeout = 5\n",
            encoding="utf-8",
        )
        self.base = ["--config", str(self.config), "--data-dir", str(self.data),
                     "--db", str(self.data / "qinzi.db")]  # fmt: skip
        self.clock = FrozenClock()
        self.services = None
        self.pdfs: list[Path] = []

    def open(self):
        args = cli.build_parser("zh-TW").parse_args(self.base)
        self.services = cli.make_services(args, clock=self.clock, create=True)  # as demo does
        return self.services

    def close(self) -> None:
        self.services.close()

    def command(self, *argv: str) -> None:
        """A `qinzi` command on the same folder (the factory's database is one per process)."""
        self.close()
        assert cli.main([*argv, *self.base]) == 0
        self.open()

    def code_to(self, recipient: str) -> str:
        message = (
            OutboxMessage.select()
            .where(OutboxMessage.recipient == recipient)
            .order_by(OutboxMessage.id.desc())
            .get()
        )
        return CODE_RUN.search(self.services.outbox.body_of(message)).group()

    def verified(self, channel: str, contact: str):
        svc = self.services
        svc.verification.request_code(channel, contact)
        value = contact if channel == Channel.EMAIL else "+886" + contact[1:]
        return svc.verification.verify_code(channel, contact, self.code_to(value))

    def bind(self, channel, contact, rows, relationship, details: ParentDetails, note=None):
        """Steps 1–4 at the kiosk, then 下載留存."""
        apps = self.services.applications
        session = KioskSession(contact=self.verified(channel, contact), lang="zh-TW")
        for row in rows:
            level = apps.school_level(row["school_code"])
            found = apps.lookup_student(session, level, row["school_code"], row["student_id"])
            session = apps.choose_student(found.session, found.value, relationship, note)
        session = apps.give_consent(session, scrolled_to_end=True)
        session = apps.parent_prefill(session, details.raw_id).session
        submitted = apps.submit(session, details, signature=details.name).value
        numbers = [s.number for s in submitted]
        saved = self.services.forms.save(numbers, owner=session.contact.digest)
        self.pdfs.append(saved.path)
        return numbers, session.contact.digest

    def staff(self, email: str) -> StaffIdentity:
        return self.services.accounts.staff_login(email, DEMO_STAFF_PASSWORD)


def roster_rows() -> dict[str, dict[str, str]]:
    with data_file(DEMO_ROSTER).open(encoding="utf-8-sig", newline="") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


def outbox_as_stored() -> str:
    return "\n".join(
        f"{m.id} {m.channel} {m.recipient} {m.purpose} {m.subject} {m.body_sealed} {m.error}"
        for m in OutboxMessage.select()
    )


def codes_in_outbox(services) -> set[str]:
    return {c for m in OutboxMessage.select() for c in CODE_RUN.findall(services.outbox.body_of(m))}


async def first_login_on_screen(services, email: str, password: str, new: str) -> None:
    """家長登入 with the random initial password and the forced change, typed into the screens."""
    from textual.widgets import Input

    from app.factory import make_app
    from screens.account.home import AccountHomeScreen
    from screens.account.login import LoginScreen
    from screens.account.password import ChangePasswordScreen
    from tests.tui.conftest import click, settle, type_into

    app = make_app(services, kiosk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await click(pilot, "#login")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await type_into(pilot, "#login-email", email)
        await type_into(pilot, "#login-password", password)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChangePasswordScreen) and app.screen.forced
        await type_into(pilot, "#current", password)
        await type_into(pilot, "#new", new)
        await type_into(pilot, "#again", new)
        await click(pilot, "#save")
        await settle(pilot)
        assert isinstance(app.screen, AccountHomeScreen)
        await pilot.press("f10")  # 登出: everything typed is wiped (R22)
        await settle(pilot)
        assert all(not w.value for w in app.screen.query(Input))


@pytest.mark.pilot
async def test_r9_r23_a_full_demo_run_leaves_no_id_code_or_password_in_plain_text(
    tmp_path, monkeypatch
):
    from app.services import approval
    from app.services.demo import synthetic

    # What the demo and the "random" switch make up is recorded as they make it.
    made_parents: list[str] = []
    made_passwords: list[str] = []
    original_parent, original_random = synthetic.People.parent, approval.random_password

    def parent(self, *args, **kwargs):
        person = original_parent(self, *args, **kwargs)
        made_parents.append(person.plain_id)
        return person

    def random_password() -> str:
        made_passwords.append(original_random())
        return made_passwords[-1]

    monkeypatch.setattr(synthetic.People, "parent", parent)
    monkeypatch.setattr(approval, "random_password", random_password)

    inbox = Inbox()
    (tmp_path / "tls").mkdir()
    relay = start_server(inbox, tls_dir=tmp_path / "tls", login=("office", SMTP_PASSWORD))
    run = DemoRun(tmp_path, relay.port, tmp_path / "tls" / "cert.pem")
    # A fixed key makes every keyed digest the same on every run, so that the six-digit secrets
    # are checked against the same database bytes each time (no chance match in a new digest).
    run.data.mkdir()
    (run.data / KEY_FILE).write_text(FIXED_KEY + "\n")
    (run.data / KEY_FILE).chmod(0o600)
    try:
        services = run.open()
        info = demo_setup(services)
        rows = roster_rows()
        shown = [rows[s.student_id] for s in info.students]
        matched = next(rows[s.student_id] for s in info.students if s.guardian_mobile)
        plain = [r for r in shown if not r["guardian1_mobile"] and not r["student_email"]]

        # Three parents at the kiosk: codes by e-mail and by SMS, several students, 下載留存.
        a_numbers, a_owner = run.bind(Channel.EMAIL, "mei.lin@home.example", plain[:2], "mother",
                                      ParentDetails(PARENT_A, "林美惠", "mei.lin@home.example",
                                                    "0911 222 333"))  # fmt: skip
        b_numbers, _ = run.bind(Channel.SMS, "0922333444", plain[2:3], "other",
                                ParentDetails(PARENT_B, "張淑芬", "shu.fen@home.example",
                                              "0922333444"), note="姑姑")  # fmt: skip
        c_numbers, _ = run.bind(Channel.EMAIL, "chen.hao@home.example", [matched], "father",
                                ParentDetails(PARENT_C, "Hao Chen", "chen.hao@home.example",
                                              "0955666777"))  # fmt: skip

        # Teachers decide: approvals (the seed's initial password, then the random one), a
        # rejection with its reason, a wrong password on the way.
        with pytest.raises(RuleRefused):
            services.accounts.staff_login(plain[0]["teacher_email"], TYPED_PASSWORDS["staff_wrong"])
        for number, row in zip(a_numbers, plain[:2], strict=True):
            services.review.approve(run.staff(row["teacher_email"]), number)
        services.review.reject(run.staff(plain[2]["teacher_email"]), b_numbers[0],
                               "未附委託證明書，請補件後重新申請。")  # fmt: skip
        services.settings.initial_password = "random"
        services.review.approve(run.staff(matched["teacher_email"]), c_numbers[0])
        services.settings.initial_password = "id_last6"
        run.pdfs.append(services.forms.save(a_numbers, approved=True, owner=a_owner).path)

        # The class letters of the smallest class, by the command IT runs.
        sizes = Counter((r["school_code"], r["class"]) for r in rows.values())
        (school, classroom), pupils = min(sizes.items(), key=lambda item: item[1])
        letters = run.data / "letters" / "class.pdf"
        run.command("letters", "--school", school, "--class", classroom, "-o", str(letters))
        run.pdfs.append(letters)
        services = run.services

        # Parent A: a wrong password, first login with the default, the forced change, a new
        # mobile and a new e-mail (each by a code), a forgotten password, an unbinding.
        accounts = services.accounts
        with pytest.raises(RuleRefused):
            accounts.parent_login("mei.lin@home.example", TYPED_PASSWORDS["a_wrong"])
        login = accounts.parent_login("mei.lin@home.example", PARENT_A[-6:])
        assert login.must_change
        accounts.change_password(login.account_id, PARENT_A[-6:], TYPED_PASSWORDS["a_new"],
                                 TYPED_PASSWORDS["a_new"])  # fmt: skip
        account = login.account_id
        contact_change = services.contact_change
        contact_change.request(account, Channel.SMS, "0933444555")
        contact_change.confirm(account, Channel.SMS, "0933444555",
                               run.code_to("+886933444555"))  # fmt: skip
        contact_change.request(account, Channel.EMAIL, "mei.lin@new.example")
        contact_change.confirm(account, Channel.EMAIL, "mei.lin@new.example",
                               run.code_to("mei.lin@new.example"))  # fmt: skip
        accounts.request_password_reset(Channel.EMAIL, "mei.lin@new.example")
        accounts.reset_password(Channel.EMAIL, "mei.lin@new.example",
                                run.code_to("mei.lin@new.example"), TYPED_PASSWORDS["a_reset"],
                                TYPED_PASSWORDS["a_reset"])  # fmt: skip
        accounts.parent_login("mei.lin@new.example", TYPED_PASSWORDS["a_reset"])
        binding = accounts.children(account)[0].binding_id
        request = services.unbinding.request(account, binding)
        services.unbinding.decide(run.staff(plain[0]["teacher_email"]), request, True)

        # Parent C logs in for the first time on the screens, with the password the e-mail gave.
        assert len(made_passwords) == 1
        await first_login_on_screen(services, "chen.hao@home.example", made_passwords[0],
                                    TYPED_PASSWORDS["c_new"])  # fmt: skip

        # The relay goes down: a code that cannot be delivered is logged as such, masked.
        relay.stop()
        relay = None
        services.verification.request_code(Channel.EMAIL, "late.parent@home.example")
        assert OutboxMessage.get(OutboxMessage.recipient == "late.parent@home.example").status == (
            "failed"
        )

        # Every code the run sent, read back from the sealed bodies (and checked against what the
        # relay received), before the purge deletes the messages.
        codes = codes_in_outbox(services)
        relayed = {c for m in inbox.messages for c in CODE_RUN.findall(m.get_content())}
        assert relayed and relayed <= codes and len(codes) == 7
        stored_rows = outbox_as_stored()

        # Half a year on: the retention purge, then IT's backup.
        run.clock.advance(days=181)
        purged = services.retention.purge()
        assert purged.applications >= 1 and purged.codes >= 1 and purged.messages >= 1
        run.command("backup", str(run.data / "backups" / "qinzi.db"))
        services = run.services
        db = Path(services.settings.database_url)
        wal_open = {name: Path(f"{db}-{name}").read_bytes() for name in ("wal", "shm")
                    if Path(f"{db}-{name}").exists()}  # fmt: skip
        stored_rows += "\n" + outbox_as_stored()
    finally:
        if relay is not None:
            relay.stop()
        if run.services is not None:
            run.close()

    # --- the secrets the run handled -------------------------------------------------------------
    parents = [PARENT_A, PARENT_B, PARENT_C, info.parent_id, *made_parents]
    secrets = Secrets()
    secrets.extend(Secret(STUDENT_ID, sid) for sid in rows)
    secrets.extend(Secret(PARENT_ID, pid) for pid in parents)
    secrets.extend(Secret(DEFAULT_PASSWORD, pid[-6:]) for pid in parents)
    secrets.extend(Secret(CODE, code) for code in codes)
    typed = [*TYPED_PASSWORDS.values(), *made_passwords, DEMO_STAFF_PASSWORD, SMTP_PASSWORD]
    secrets.extend(Secret(PASSWORD, p) for p in [*typed, STAFF_PIN])
    secrets.add(Secret(KEY, (run.data / KEY_FILE).read_text().strip()))
    assert len(made_parents) >= 5 and len(secrets.ids) >= len(rows) + 8

    # --- where they must not be ------------------------------------------------------------------
    tree = scan_tree(run.data, secrets, skip=[run.data / KEY_FILE])
    names = {str(p.relative_to(run.data)) for p in tree.files}
    assert {"qinzi.db", "logs/qinzi.log", "backups/qinzi.db", "letters/class.pdf"} <= names
    assert set(tree.pdfs) == set(run.pdfs) and len(run.pdfs) == 5  # 4 forms, the letters
    leaks = list(tree.leaks)
    for name, data in wal_open.items():
        leaks += scan_bytes(f"qinzi.db-{name} (while open)", data, secrets)
    leaks += scan_text("outbox rows as stored", stored_rows, secrets)
    assert not leaks, report(leaks)
    forms_seen = [payload for scan in tree.pdfs.values() for payload in scan.qr]

    # The scan saw what it should: the numbers on the forms, the class on the letters, the
    # printed form's full contacts (R9), and the log's events with their masked recipients.
    assert set(a_numbers + b_numbers + c_numbers) <= set(forms_seen)
    assert forms_seen.count(f"QZCLASS:{school}:{classroom}") == pupils
    form_a = tree.pdfs[run.pdfs[0]].text
    assert all(full in form_a for full in ("林美惠", "mei.lin@home.example", "0911222333"))
    assert PARENT_A[:4] + "******" in form_a
    log = (run.data / "logs" / "qinzi.log").read_text(encoding="utf-8")
    for expected in ("start", "office-kiosk-1", "application.approved by staff:",
                     "application.rejected", "password.reset", "unbind.confirmed",
                     "retention.purge", "(email, code_bind) to me***@home.example: sent",
                     "(sms, code_bind_sms) to 0922***444: stored",
                     "to la***@home.example not delivered", "backup written",
                     "stop: exit 0"):  # fmt: skip
        assert expected in log, expected
    for full in ("mei.lin@home.example", "0922333444", "林美惠", "張淑芬"):
        assert full not in log


def test_the_scan_finds_what_it_looks_for_in_the_demo_roster_and_the_relay():
    """The positive control for the scan above: the demo roster file holds every student ID in
    plain text, so the same scan must name them all."""
    rows = roster_rows()
    secrets = Secrets(Secret(STUDENT_ID, sid) for sid in rows)
    leaks = scan_bytes("demo_roster.csv", data_file(DEMO_ROSTER).read_bytes(), secrets)
    assert len(leaks) == len(rows)
    assert all(leak.kind == STUDENT_ID and leak.masked.endswith("******") for leak in leaks)


# --- the scanner itself -------------------------------------------------------------------------

PLANTED = with_check_digit("A17320508")
JUNK = bytes(range(256)) * 4


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize(
    ("spelling", "data"),
    [
        ("ascii", PLANTED.encode()),
        ("lower case", PLANTED.lower().encode()),
        ("full-width UTF-8", fullwidth(PLANTED).encode()),
        ("full-width lower case", fullwidth(PLANTED.lower()).encode()),
        ("UTF-16-LE", PLANTED.encode("utf-16-le")),
        ("UTF-16-BE", PLANTED.encode("utf-16-be")),
        ("UTF-16-LE at an odd offset", b"\x07" + PLANTED.encode("utf-16-le")),
        ("full-width UTF-16-BE", fullwidth(PLANTED).encode("utf-16-be")),
        ("inside a sentence", f"身分證：{PLANTED}。".encode()),
    ],
)
def test_r23_the_scanner_finds_a_planted_id_in_any_spelling(tmp_path, spelling, data):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "planted.log").write_bytes(JUNK + data + JUNK)
    (tmp_path / "clean.bin").write_bytes(JUNK)
    secrets = Secrets([Secret(PARENT_ID, PLANTED)])
    found = scan_tree(tmp_path, secrets)
    assert len(found.files) == 2
    assert {(leak.where, leak.kind) for leak in found.leaks} == {("logs/planted.log", PARENT_ID)}
    message = report(found.leaks)
    assert PLANTED[:4] + "******" in message
    assert PLANTED not in message and PLANTED[4:] not in message


def test_r23_six_digit_secrets_count_alone_never_inside_a_longer_number():
    secrets = Secrets([Secret(CODE, "246810")])
    assert scan_bytes("x", b"your code: 246810.", secrets)
    assert scan_bytes("x", fullwidth("code 246810").encode("utf-16-le"), secrets)
    assert not scan_bytes("x", b"mobile +886924681012, at 12:34:56.246810123", secrets)
    assert not scan_bytes("x", b"1246810", secrets)


def test_r23_the_scanner_reads_compressed_pdf_streams_and_qr_codes():
    """An ID the eye cannot find in the file's bytes (a compressed stream, a QR code) is found."""
    from fpdf import FPDF

    from app.services.forms.qr import draw_qr

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=f"ID {PLANTED}")
    stream_only = bytes(pdf.output())
    assert PLANTED.encode() not in stream_only  # compressed
    secrets = Secrets([Secret(STUDENT_ID, PLANTED)])
    wheres = {leak.where for leak in scan_pdf("a.pdf", stream_only, secrets).leaks}
    assert "a.pdf (extracted text)" in wheres
    assert any("decompressed" in where for where in wheres)

    pdf = FPDF()
    pdf.add_page()
    draw_qr(pdf, PLANTED, 40, 40, 40)
    scan = scan_pdf("b.pdf", bytes(pdf.output()), secrets)
    assert scan.qr == [PLANTED]
    assert {leak.where for leak in scan.leaks} == {"b.pdf (QR codes)"}
