"""R32 staff accounts on the real services (SQLite, and PostgreSQL when QINZI_TEST_PG is set):
the invitation (a code by e-mail, 72 hours, R1/R4 rules) that sets a first password, resets that
end sessions, IT's temporary password and deactivation within its own school, and the states
`qinzi staff list` shows."""

from __future__ import annotations

import re

import pytest

from app.errors import Forbidden, QinziError, SessionEnded
from app.models import AuditEvent, OutboxMessage, Teacher, VerificationCode
from app.services import build_services
from app.services.verification import PURPOSE_STAFF_INVITE
from tests.factories import TEACHER_PASSWORD
from tests.smtp_server import Inbox, start_server

GOOD = "lantern orchard velvet"
OTHER = "copper meadow whistle"
NEW_IT = "it2@school.example"


def refusal(fn, *args, **kwargs) -> QinziError:
    with pytest.raises(QinziError) as info:
        fn(*args, **kwargs)
    return info.value


def invitation_code(services, email: str) -> str:
    """The code of the newest invitation mail to `email`, as the person reads it."""
    message = (
        OutboxMessage.select()
        .where((OutboxMessage.recipient == email) & (OutboxMessage.purpose == "code_staff_invite"))
        .order_by(OutboxMessage.id.desc())
        .first()
    )
    assert message is not None, f"no invitation to {email}"
    return re.search(r"\b(\d{6})\b", services.outbox.body_of(message)).group(1)


def snapshot() -> tuple:
    """What a refused command must leave as it was."""
    return (
        sorted((t.email, t.password_hash, t.active, t.session_epoch) for t in Teacher.select()),
        OutboxMessage.select().count(),
        VerificationCode.select().count(),
    )


def test_r32_add_makes_an_it_account_without_password_and_invites_it(services, roster):
    sent = services.staff_accounts.add("E001", NEW_IT, role="it", name="資訊組 王")
    teacher = Teacher.get(Teacher.email == NEW_IT)
    assert (teacher.role, teacher.name, teacher.password_hash) == ("it", "資訊組 王", None)
    assert teacher.invited_at is not None
    assert (sent.expires_at - services.clock()).total_seconds() == 72 * 3600
    code = invitation_code(services, NEW_IT)
    stored = VerificationCode.get(VerificationCode.purpose == PURPOSE_STAFF_INVITE)
    assert code not in stored.code_hash and stored.contact_digest != NEW_IT  # R1, R23
    mail = OutboxMessage.get(OutboxMessage.recipient == NEW_IT)
    assert code not in mail.body_sealed and "72" in services.outbox.body_of(mail)
    rows = {r.email: r for r in services.staff_accounts.members("E001")}
    assert rows[NEW_IT].state == "invited" and rows[NEW_IT].role == "it"


def test_r32_the_invitation_code_sets_the_first_password_then_login_works(services, roster):
    services.staff_accounts.add("E001", NEW_IT)
    code = invitation_code(services, NEW_IT)
    weak = refusal(services.staff_accounts.accept_invitation, NEW_IT, code, "password", "password")
    assert weak.key == "errors.password.too_short" or weak.key == "errors.password.common"
    staff = services.staff_accounts.accept_invitation(NEW_IT, code, GOOD, GOOD)  # code still good
    assert staff.is_it and not staff.must_change
    assert services.accounts.staff_login(NEW_IT, GOOD).teacher_id == staff.teacher_id
    again = refusal(services.staff_accounts.accept_invitation, NEW_IT, code, OTHER, OTHER)
    assert again.key == "errors.staff_accounts.invitation_none"  # single use (R1)
    rows = {r.email: r.state for r in services.staff_accounts.members("E001")}
    assert rows[NEW_IT] == "active"


def test_r32_an_invitation_lasts_72_hours(services, roster, clock):
    services.staff_accounts.add("E001", NEW_IT)
    code = invitation_code(services, NEW_IT)
    clock.advance(hours=72, minutes=1)
    error = refusal(services.staff_accounts.accept_invitation, NEW_IT, code, GOOD, GOOD)
    assert error.key == "errors.staff_accounts.invitation_expired"
    assert "72" in error.message("en") and "72" in error.message("zh-TW")
    rows = {r.email: r.state for r in services.staff_accounts.members("E001")}
    assert rows[NEW_IT] == "no-password"  # the list tells IT to invite again


def test_r32_r4_five_wrong_invitation_codes_void_it(services, roster):
    services.staff_accounts.add("E001", NEW_IT)
    code = invitation_code(services, NEW_IT)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    keys = [refusal(services.staff_accounts.accept_invitation, NEW_IT, wrong, GOOD, GOOD).key
            for _ in range(5)]  # fmt: skip
    assert keys == ["errors.code.wrong"] * 4 + ["errors.staff_accounts.invitation_too_many"]
    error = refusal(services.staff_accounts.accept_invitation, NEW_IT, code, GOOD, GOOD)
    assert error.key == "errors.staff_accounts.invitation_too_many"
    assert Teacher.get(Teacher.email == NEW_IT).password_hash is None


def test_r32_invite_a_school_reaches_only_staff_without_password(services, roster):
    Teacher.update(password_hash=None).where(Teacher.email.in_(
        ["lee@school.example", "ho@school.example", "kao@school.example"])).execute()  # fmt: skip
    invited = services.staff_accounts.invite(school_code="E001")
    assert invited.emails == ("ho@school.example", "lee@school.example")  # not kao of E002
    again = services.staff_accounts.invite(school_code="E001")
    assert again.emails == () and again.already_invited == 2
    named = services.staff_accounts.invite(["lee@school.example"])  # a new code on demand
    assert named.emails == ("lee@school.example",)
    states = {r.email: r.state for r in services.staff_accounts.members("E001")}
    assert states == {"it@school.example": "active", "ho@school.example": "invited",
                      "lee@school.example": "invited"}  # fmt: skip


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda s: s.add("X999", NEW_IT), "errors.staff_accounts.unknown_school"),
        (lambda s: s.add("E001", "kao@school.example"), "errors.staff_accounts.other_school"),
        (lambda s: s.add("E001", "lee@school.example"), "errors.staff_accounts.exists"),
        (lambda s: s.invite(school_code="X999"), "errors.staff_accounts.unknown_school"),
        (lambda s: s.invite(["lee@school.example"]), "errors.staff_accounts.already_active"),
        (lambda s: s.invite(["nobody@school.example"]), "errors.staff_accounts.unknown_staff"),
        (lambda s: s.invite(["kao@school.example"], "E001"), "errors.staff_accounts.other_school"),
        (lambda s: s.members("X999"), "errors.staff_accounts.unknown_school"),
        (lambda s: s.reset("nobody@school.example"), "errors.staff_accounts.unknown_staff"),
    ],
)
def test_r32_bad_input_is_refused_with_one_message_and_changes_nothing(
    services, roster, call, key
):
    Teacher.update(password_hash=None).where(Teacher.email == "kao@school.example").execute()
    before = snapshot()
    error = refusal(call, services.staff_accounts)
    assert error.key == key
    for lang in ("zh-TW", "en"):
        text = error.message(lang)
        assert "\n" not in text and not text.startswith("errors.")
    assert snapshot() == before


def test_r32_reset_ends_the_password_and_open_sessions_and_invites_again(services, roster):
    staff = services.accounts.staff_login("lee@school.example", TEACHER_PASSWORD)
    services.staff_accounts.check_session(staff)
    services.staff_accounts.reset("lee@school.example")
    assert refusal(services.staff_accounts.check_session, staff).key == (
        "errors.staff.access_ended"
    )
    assert isinstance(refusal(services.staff_accounts.check_session, staff), SessionEnded)
    error = refusal(services.accounts.staff_login, "lee@school.example", TEACHER_PASSWORD)
    assert error.key == "errors.login.failed"  # like a wrong password (R32)
    code = invitation_code(services, "lee@school.example")
    services.staff_accounts.accept_invitation("lee@school.example", code, GOOD, GOOD)
    assert services.accounts.staff_login("lee@school.example", GOOD)


def test_r32_it_gives_a_temporary_password_that_must_be_changed(services, roster):
    it = services.accounts.staff_login("it@school.example", TEACHER_PASSWORD)
    ho = services.accounts.staff_login("ho@school.example", TEACHER_PASSWORD)
    services.staff_accounts.set_temporary_password(it, "ho@school.example", "tulip-harbor-42")
    assert isinstance(refusal(services.staff_accounts.check_session, ho), SessionEnded)
    ho = services.accounts.staff_login("ho@school.example", "tulip-harbor-42")
    assert ho.must_change
    same = refusal(services.staff_accounts.change_temporary_password, ho,
                   "tulip-harbor-42", "tulip-harbor-42")  # fmt: skip
    assert same.key == "errors.staff_accounts.same_as_temporary"
    changed = services.staff_accounts.change_temporary_password(ho, GOOD, GOOD)
    assert not changed.must_change
    assert not services.accounts.staff_login("ho@school.example", GOOD).must_change


def test_r32_r33_it_manages_only_its_own_school_and_teachers_nothing(services, roster):
    it = services.accounts.staff_login("it@school.example", TEACHER_PASSWORD)
    lee = services.accounts.staff_login("lee@school.example", TEACHER_PASSWORD)
    before = snapshot()
    assert isinstance(refusal(services.staff_accounts.reset, "kao@school.example", by=it),
                      Forbidden)  # fmt: skip
    assert refusal(services.staff_accounts.deactivate, it, "kao@school.example").key == (
        "errors.staff_accounts.other_school"
    )
    assert refusal(services.staff_accounts.set_temporary_password, lee, "ho@school.example",
                   GOOD).key == "errors.staff_accounts.it_only"  # fmt: skip
    assert refusal(services.staff_accounts.members, by=lee).key == "errors.staff_accounts.it_only"
    assert refusal(services.staff_accounts.deactivate, it, "it@school.example").key == (
        "errors.staff_accounts.not_yourself"
    )
    assert snapshot() == before
    assert {r.email for r in services.staff_accounts.members(by=it)} == {
        "it@school.example", "lee@school.example", "ho@school.example"}  # fmt: skip


def test_r32_deactivation_ends_the_session_and_logins_fail_like_a_wrong_password(
    services, roster
):
    it = services.accounts.staff_login("it@school.example", TEACHER_PASSWORD)
    ho = services.accounts.staff_login("ho@school.example", TEACHER_PASSWORD)
    services.staff_accounts.deactivate(it, "ho@school.example")
    assert isinstance(refusal(services.staff_accounts.check_session, ho), SessionEnded)
    wrong = refusal(services.accounts.staff_login, "ho@school.example", "wrong password")
    right = refusal(services.accounts.staff_login, "ho@school.example", TEACHER_PASSWORD)
    assert wrong.key == right.key == "errors.login.failed"
    states = {r.email: r.state for r in services.staff_accounts.members("E001")}
    assert states["ho@school.example"] == "inactive"
    inactive = refusal(services.staff_accounts.invite, ["ho@school.example"])
    assert inactive.key == "errors.staff_accounts.inactive"
    assert AuditEvent.select().where(AuditEvent.action == "staff.deactivated").count() == 1


def test_r32_r20_five_failures_show_the_account_as_locked(services, roster):
    for _ in range(5):
        refusal(services.accounts.staff_login, "lee@school.example", "wrong password")
    states = {r.email: r.state for r in services.staff_accounts.members("E001")}
    assert states["lee@school.example"] == "locked"


def test_r20_it_lifts_a_staff_members_wait_and_the_audit_says_so(services, roster):
    """Issue 15: five wrong passwords from anyone kept a teacher out for 15 minutes; IT lifts
    the wait for its own school (not another's), and the right password works at once."""
    from app.models import AuditEvent
    from app.services.staff import StaffIdentity
    from tests.factories import TEACHER_PASSWORD

    for _ in range(5):
        refusal(services.accounts.staff_login, "lee@school.example", "wrong password")
    it = StaffIdentity.of(roster.teachers["it"])
    with pytest.raises(QinziError):  # 光復國小's teacher is not 和平's IT's to manage
        services.staff_accounts.lift_wait("kao@school.example", by=it)
    assert services.staff_accounts.lift_wait("lee@school.example", by=it) is True
    assert services.accounts.staff_login("lee@school.example", TEACHER_PASSWORD)
    event = AuditEvent.get(AuditEvent.action == "staff.wait_lifted")
    assert event.actor == f"staff:{it.teacher_id}" and '"was_waiting": true' in event.detail
    assert services.staff_accounts.lift_wait("lee@school.example") is False  # from the CLI


def test_r32_a_login_without_a_password_fails_like_a_wrong_one(services, roster):
    """Imported and invited staff have no password: any password, even the dummy hash's own
    text, is answered with the wrong-password message and counts towards R20's wait."""
    Teacher.update(password_hash=None).where(Teacher.email == "ho@school.example").execute()
    answers = [
        refusal(services.accounts.staff_login, email, password).key
        for email, password in [("ho@school.example", "qinzi-no-such-account"),
                                ("lee@school.example", "wrong password")]
    ]  # fmt: skip
    assert answers == ["errors.login.failed", "errors.login.failed"]
    for _ in range(4):
        last = refusal(services.accounts.staff_login, "ho@school.example", "x")
    assert last.key == "errors.login.wait_here"


def test_r32_the_invitation_goes_through_the_outbox_to_a_real_smtp_server(
    settings, clock, keyring
):
    """The invitation is a mail like every other: queued in the outbox, delivered after commit
    over SMTP (aiosmtpd on loopback), with the code and the 72 hours in its body."""
    inbox = Inbox()
    controller = start_server(inbox)
    try:
        svc = build_services(
            settings.replace(mail_transport="smtp", mail_from="office@school.example",
                             smtp_host="127.0.0.1", smtp_port=controller.port),
            clock=clock, keyring=keyring,
        )  # fmt: skip
        try:
            from tests.factories import make_roster

            make_roster(svc)
            svc.staff_accounts.add("E001", NEW_IT, lang="en")
            code = invitation_code(svc, NEW_IT)
        finally:
            svc.close()
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == NEW_IT
    body = mail.get_content()
    assert code in body and "72 hours" in body and NEW_IT in body
