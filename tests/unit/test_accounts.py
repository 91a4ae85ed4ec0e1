"""Parent accounts and staff logins: R19 (login side), R20, R21, R29 (request side), R4 for the
forgotten password."""

from __future__ import annotations

import re
from itertools import count

import pytest

from app.errors import Conflict, Forbidden, InvalidInput, NotFound, QinziError, RateLimited
from app.identity import id_digest, mask_id
from app.models import (
    Account,
    Application,
    Binding,
    OutboxMessage,
    Status,
    UnbindRequest,
)
from app.services.passwords import common_passwords
from tests.factories import TEACHER_PASSWORD, make_account

EMAIL = "father@home.example"
MOBILE = "+886911222333"
GOOD = "lantern orchard velvet"
NUMBERS = count(1)


def refusal(fn, *args, **kwargs) -> QinziError:
    with pytest.raises(QinziError) as info:
        fn(*args, **kwargs)
    return info.value


def messages_to(recipient: str) -> list[OutboxMessage]:
    return list(
        OutboxMessage.select()
        .where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id)
    )


def code_sent_to(services, recipient: str) -> str:
    body = services.outbox.body_of(messages_to(recipient)[-1])
    return re.search(r"(?<!\d)\d{6}(?!\d)", body).group()


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def make_application(services, roster, *, parent="father", email=EMAIL, student="wu",
                     status=Status.PENDING, initial=None, account=None) -> Application:  # fmt: skip
    """An application row straight through the model (the applications service is elsewhere)."""
    ctx, pupil = services.ctx, roster.student(student)
    plain = roster.parent_ids[parent]
    now = ctx.clock()
    return Application.create(
        number=f"QZ-TEST-{next(NUMBERS):04d}",
        status=status,
        contact_digest="0" * 64,
        student=pupil,
        school=pupil.school,
        classroom=pupil.classroom,
        level=pupil.school.level,
        relationship="father",
        parent_id_digest=id_digest(ctx.keyring, plain),
        parent_id_masked=mask_id(plain),
        parent_name="吳志明",
        email=email,
        mobile=MOBILE,
        initial_password_hash=ctx.hasher.hash(initial) if initial else None,
        consent_version="2026-09",
        consent_at=now,
        signed_at=now,
        content_sha256="0" * 64,
        terminal_id="test-kiosk",
        submitted_at=now,
        account=account,
    )


@pytest.fixture
def initial_account(services, roster):
    """Just approved: holds the seed's default (last six of the ID), must change it."""
    return make_account(services, roster)


@pytest.fixture
def initial(roster) -> str:
    return roster.parent_ids["father"][-6:]


@pytest.fixture
def account(services, roster):
    """An account in normal use, password GOOD."""
    return make_account(services, roster, password=GOOD)


# --- R19: the initial password --------------------------------------------------------------


def test_r19_initial_password_logs_in_only_to_the_forced_change(services, initial_account, initial):
    login = services.accounts.parent_login(EMAIL, initial)
    assert login.account_id == initial_account.id
    assert login.must_change is True
    assert login.name == "吳志明"
    assert services.audit.events(action="login")[0].target == str(initial_account.id)


def test_r19_initial_password_typed_full_width_still_works(services, initial_account, initial):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in initial)
    assert services.accounts.parent_login(EMAIL.upper(), full_width).must_change


def test_r19_initial_password_expires_after_fourteen_days(
    services, clock, initial_account, initial
):
    clock.advance(days=13, hours=23, minutes=59)
    services.accounts.parent_login(EMAIL, initial)
    clock.advance(minutes=1)
    error = refusal(services.accounts.parent_login, EMAIL, initial)
    assert (error.key, error.field, error.params["days"]) == ("errors.login.initial_expired",
                                                             "password", 14)  # fmt: skip
    assert "忘記密碼" in error.message("zh-TW") and "學校辦公室" in error.message("zh-TW")
    assert services.audit.events(action="login.failed")[0].detail["reason"] == "initial_expired"
    error = refusal(services.accounts.change_password, initial_account.id, initial, GOOD, GOOD)
    assert error.key == "errors.login.initial_expired"


def test_r38_without_sms_the_expired_password_advice_names_e_mail_only(
    services, clock, initial_account, initial
):
    """R38: a production terminal with no SMS gateway never suggests a code by mobile."""
    services.ctx.settings.sms_transport = "outbox"
    clock.advance(days=20)
    error = refusal(services.accounts.parent_login, EMAIL, initial)
    assert error.key == "errors.login.initial_expired_email"
    assert "手機" not in error.message("zh-TW") and "mobile" not in error.message("en")


def test_r19_expired_initial_password_is_replaced_by_a_reset(services, clock, initial_account):
    clock.advance(days=20)
    services.accounts.request_password_reset("email", EMAIL)
    code = code_sent_to(services, EMAIL)
    services.accounts.reset_password("email", EMAIL, code, GOOD, GOOD)
    login = services.accounts.parent_login(EMAIL, GOOD)
    assert login.must_change is False
    assert Account.get_by_id(initial_account.id).password_expires_at is None


def test_r19_forced_change_ends_the_initial_password(services, initial_account, initial):
    services.accounts.change_password(initial_account.id, initial, GOOD, GOOD)
    stored = Account.get_by_id(initial_account.id)
    assert stored.must_change_password is False and stored.password_expires_at is None
    assert stored.password_hash.startswith("$argon2id$") and GOOD not in stored.password_hash
    assert services.accounts.parent_login(EMAIL, GOOD).must_change is False
    assert refusal(services.accounts.parent_login, EMAIL, initial).key == "errors.login.failed"
    event = services.audit.events(action="password.changed")[0]
    assert event.detail == {"forced": True} and event.target == str(initial_account.id)


# --- R20: login throttle ----------------------------------------------------------------------


def test_r20_unknown_login_and_wrong_password_read_the_same(services, account):
    unknown = refusal(services.accounts.parent_login, "nobody@home.example", GOOD)
    wrong_pw = refusal(services.accounts.parent_login, EMAIL, "not the password")
    assert (unknown.key, unknown.field) == (wrong_pw.key, wrong_pw.field)
    assert unknown.key == "errors.login.failed" and unknown.field == "password"
    assert unknown.message("zh-TW") == wrong_pw.message("zh-TW")
    known, stranger = (e.target for e in services.audit.events(action="login.failed"))
    assert known == str(account.id)  # the stranger's count (R20) is kept under a pseudonym
    assert stranger.startswith("login:") and "nobody" not in stranger


def test_r20_login_input_is_checked(services, account):
    assert refusal(services.accounts.parent_login, "father", GOOD).field == "email"
    error = refusal(services.accounts.parent_login, EMAIL, "")
    assert (error.key, error.field) == ("errors.login.password_empty", "password")


def test_r20_five_failures_in_a_row_wait_fifteen_minutes(services, clock, account):
    for _ in range(4):
        assert refusal(services.accounts.parent_login, EMAIL, "nope").key == "errors.login.failed"
    error = refusal(services.accounts.parent_login, EMAIL, "nope")
    assert isinstance(error, RateLimited)
    assert (error.key, error.field, error.params["minutes"]) == ("errors.login.wait",
                                                                "password", 15)  # fmt: skip
    assert "15" in error.message("zh-TW")
    error = refusal(services.accounts.parent_login, EMAIL, GOOD)  # even the right one waits
    assert error.key == "errors.login.wait"
    clock.advance(minutes=14)
    assert refusal(services.accounts.parent_login, EMAIL, GOOD).params["minutes"] == 1
    clock.advance(minutes=1)
    assert services.accounts.parent_login(EMAIL, GOOD).account_id == account.id


def test_r20_a_success_resets_the_count(services, account):
    for _ in range(4):
        refusal(services.accounts.parent_login, EMAIL, "nope")
    services.accounts.parent_login(EMAIL, GOOD)
    for _ in range(4):
        assert refusal(services.accounts.parent_login, EMAIL, "nope").key == "errors.login.failed"


def test_r20_staff_login_and_its_throttle(services, clock, roster):
    lee = roster.teachers["lee"]
    staff = services.accounts.staff_login("Lee@School.example", TEACHER_PASSWORD)
    assert staff.teacher_id == lee.id and not staff.is_it
    assert staff.classroom_ids == {roster.classrooms["E001-301"].id}
    assert services.accounts.staff_login("it@school.example", TEACHER_PASSWORD).is_it
    unknown = refusal(services.accounts.staff_login, "nobody@school.example", TEACHER_PASSWORD)
    assert unknown.key == "errors.login.failed"
    for _ in range(4):
        refusal(services.accounts.staff_login, "lee@school.example", "nope")
    assert (
        refusal(services.accounts.staff_login, "lee@school.example", "x").key
        == "errors.login.wait_here"
    )
    clock.advance(minutes=15)
    services.accounts.staff_login("lee@school.example", TEACHER_PASSWORD)
    lee.active = False
    lee.save()
    error = refusal(services.accounts.staff_login, "lee@school.example", TEACHER_PASSWORD)
    assert error.key == "errors.login.failed"


# --- R20: the password policy -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "key"),
    [
        ("password1", "errors.password.common"),
        ("PassWord1", "errors.password.common"),
        ("abcdefg", "errors.password.too_short"),
        ("x" * 129, "errors.password.too_long"),
        ("father@home.example!", "errors.password.contains_login"),
        ("my-father-is-kind", "errors.password.contains_login"),
    ],
)
def test_r20_policy_refusals(services, account, new, key):
    error = refusal(services.accounts.change_password, account.id, GOOD, new, new)
    assert (error.key, error.field) == (key, "new_password")
    assert services.accounts.parent_login(EMAIL, GOOD)  # nothing changed


def test_r20_the_blocklist_is_zxcvbn_and_loaded_once():
    assert "password1" in common_passwords() and len(common_passwords()) > 25_000
    assert common_passwords() is common_passwords()


def test_r20_too_short_names_the_minimum(services, account):
    error = refusal(services.accounts.change_password, account.id, GOOD, "abcdefg", "abcdefg")
    assert error.params["minimum"] == 8 and "8" in error.message("zh-TW")


def test_r20_password_must_not_contain_the_id(services, roster, account):
    plain = roster.parent_ids["father"]
    for new in (f"my{plain}pw", f"x{plain.lower()}", f"pw-{plain}"):
        error = refusal(services.accounts.change_password, account.id, GOOD, new, new)
        assert (error.key, error.field) == ("errors.password.contains_id", "new_password")
    other = roster.parent_ids["mother"]  # someone else's ID is no hint to this account
    services.accounts.change_password(account.id, GOOD, f"my{other}pw", f"my{other}pw")


def test_r20_the_default_six_is_refused_alone_and_inside(services, initial_account, initial):
    error = refusal(services.accounts.change_password, initial_account.id, initial,
                    initial, initial)  # fmt: skip
    assert error.key == "errors.password.too_short"
    for new in (f"ab{initial}", f"{initial}-kite"):
        error = refusal(services.accounts.change_password, initial_account.id, initial, new, new)
        assert (error.key, error.field) == ("errors.password.has_default", "new_password")


def test_r20_a_random_default_cannot_be_kept(services, roster):
    """R19 with initial_password = random: the default is long enough to pass the length rule."""
    random_default = "Rnd-7Kq2-Zp9x"
    acc = make_account(services, roster, password=random_default)
    acc.must_change_password = True
    acc.save()
    error = refusal(services.accounts.change_password, acc.id, random_default,
                    random_default, random_default)  # fmt: skip
    assert (error.key, error.field) == ("errors.password.is_default", "new_password")


def test_r20_the_default_cannot_come_back_later(services, roster, account):
    plain = roster.parent_ids["father"]
    make_application(services, roster, status=Status.APPROVED, initial=plain[-6:], account=account)
    new = f"zz{plain[-6:]}zz"
    error = refusal(services.accounts.change_password, account.id, GOOD, new, new)
    assert error.key == "errors.password.has_default"


def test_r20_no_composition_rules_and_entries_must_match(services, account):
    error = refusal(
        services.accounts.change_password, account.id, GOOD, "kite runner", "kite runne"
    )
    assert isinstance(error, InvalidInput)
    assert (error.key, error.field) == ("errors.password.mismatch", "new_password_again")
    error = refusal(services.accounts.change_password, account.id, GOOD, "", "")
    assert (error.key, error.field) == ("errors.password.empty", "new_password")
    services.accounts.change_password(account.id, GOOD, "kite runner", "kite runner")
    assert services.accounts.parent_login(EMAIL, "kite runner")


def test_r20_wrong_current_password_counts_towards_the_wait(services, account):
    for _ in range(4):
        error = refusal(services.accounts.change_password, account.id, "nope", "kite runner",
                        "kite runner")  # fmt: skip
        assert (error.key, error.field) == ("errors.password.current_wrong", "current_password")
    error = refusal(services.accounts.change_password, account.id, "nope", "kite runner",
                    "kite runner")  # fmt: skip
    assert error.key == "errors.login.wait"
    assert refusal(services.accounts.parent_login, EMAIL, GOOD).key == "errors.login.wait"


def test_r20_staff_password_set_by_school_it(services, roster):
    error = refusal(services.accounts.set_staff_password, "lee@school.example", "password1")
    assert (error.key, error.field) == ("errors.password.common", "new_password")
    error = refusal(
        services.accounts.set_staff_password, "lee@school.example", "lee@school.example1"
    )
    assert error.key == "errors.password.contains_login"
    error = refusal(services.accounts.set_staff_password, "nobody@school.example", GOOD)
    assert isinstance(error, NotFound) and error.field == "email"
    services.accounts.set_staff_password("lee@school.example", GOOD)
    assert services.accounts.staff_login("lee@school.example", GOOD).teacher_id
    assert refusal(services.accounts.staff_login, "lee@school.example", TEACHER_PASSWORD)
    assert services.audit.events(action="password.changed")[0].detail == {"kind": "staff"}


# --- forgotten password (R4, R20) -------------------------------------------------------------


def test_r4_reset_answers_the_same_for_unknown_contacts(services, account):
    known = services.accounts.request_password_reset("email", EMAIL)
    unknown = services.accounts.request_password_reset("email", "stranger@home.example")
    assert (known.channel, known.expires_at) == (unknown.channel, unknown.expires_at)
    assert unknown.masked == "st***@home.example"
    # One message each, so the time is the same too; the stranger's holds no code.
    [notice] = messages_to("stranger@home.example")
    assert len(messages_to(EMAIL)) == 1 and notice.purpose == "reset_unknown"
    assert re.search(r"\d{6}", services.outbox.body_of(notice)) is None
    a = refusal(services.accounts.reset_password, "email", EMAIL, "000000", GOOD, GOOD)
    b = refusal(services.accounts.reset_password, "email", "stranger@home.example", "000000",
                GOOD, GOOD)  # fmt: skip
    assert (a.key, a.params) == (b.key, b.params) == (
        "errors.code.wrong", {"remaining": 4, "count": 4}
    )
    for _ in range(2):  # the same limits too
        services.accounts.request_password_reset("sms", "0933444555")
    error = refusal(services.accounts.request_password_reset, "sms", "0933444555")
    assert error.key == "errors.code.sms_limit"


def test_r20_reset_sets_the_password_and_ends_other_sessions(services, clock, account):
    before = services.accounts.parent_login(EMAIL, GOOD)
    for _ in range(5):
        refusal(services.accounts.parent_login, EMAIL, "nope")
    services.accounts.request_password_reset("email", EMAIL)
    assert messages_to(EMAIL)[-1].purpose == "code_reset"
    code = code_sent_to(services, EMAIL)
    services.accounts.reset_password("email", EMAIL, code, "kite runner", "kite runner")
    assert services.accounts.session_valid(account.id, before.session_epoch) is False
    after = services.accounts.parent_login(EMAIL, "kite runner")  # the wait is lifted
    assert after.session_epoch == before.session_epoch + 1
    assert services.accounts.session_valid(account.id, after.session_epoch) is True
    notice = messages_to(MOBILE)[-1]  # told by the other channel
    assert (notice.channel, notice.purpose) == ("sms", "password_reset_sms")
    event = services.audit.events(action="password.reset")[0]
    assert event.target == str(account.id) and event.actor.startswith("contact:")
    error = refusal(services.accounts.reset_password, "email", EMAIL, code, GOOD, GOOD)
    assert error.key == "errors.code.used"


def test_r20_reset_by_sms_tells_the_email(services, account):
    services.accounts.request_password_reset("sms", "0911222333")
    code = code_sent_to(services, MOBILE)
    services.accounts.reset_password("sms", "0911 222 333", code, "kite runner", "kite runner")
    notice = messages_to(EMAIL)[-1]
    assert notice.purpose == "password_reset"
    assert "0911***333" in services.outbox.body_of(notice)


def test_r20_a_refused_new_password_keeps_the_reset_code(services, account):
    services.accounts.request_password_reset("email", EMAIL)
    code = code_sent_to(services, EMAIL)
    error = refusal(services.accounts.reset_password, "email", EMAIL, code, "password1",
                    "password1")  # fmt: skip
    assert error.key == "errors.password.common"
    error = refusal(services.accounts.reset_password, "email", EMAIL, code, "kite runner", "kite")
    assert error.key == "errors.password.mismatch"
    error = refusal(services.accounts.reset_password, "email", EMAIL, wrong(code), GOOD, GOOD)
    assert error.key == "errors.code.wrong"
    services.accounts.reset_password("email", EMAIL, code, "kite runner", "kite runner")
    assert services.accounts.parent_login(EMAIL, "kite runner")


def test_r20_a_shared_mobile_is_told_to_use_email(services, roster, account):
    make_account(services, roster, "mother", email="mother@home.example", password=GOOD)
    services.accounts.request_password_reset("sms", "0911222333")
    [notice] = messages_to(MOBILE)
    assert notice.purpose == "reset_ambiguous_sms"
    assert re.search(r"\d{6}", services.outbox.body_of(notice)) is None


def test_session_of_an_unknown_account_is_not_valid(services):
    assert services.accounts.session_valid(999, 0) is False


def test_r9_profile_is_masked(services, account):
    profile = services.accounts.profile(account.id)
    assert profile.email_masked == "fa***@home.example"
    assert profile.mobile_masked == "0911***333"
    assert profile.id_masked.endswith("******")
    assert refusal(services.accounts.profile, 999).key == "errors.not_found"


# --- R21: a new e-mail or mobile --------------------------------------------------------------


def test_r21_new_email_needs_a_code_and_the_old_one_is_told(services, account):
    sent = services.contact_change.request(account.id, "email", "New.Dad@home.example")
    assert sent.masked == "ne***@home.example"
    [to_new] = messages_to("new.dad@home.example")
    assert to_new.purpose == "code_contact_change"
    code = code_sent_to(services, "new.dad@home.example")
    error = refusal(services.contact_change.confirm, account.id, "email",
                    "new.dad@home.example", wrong(code))  # fmt: skip
    assert error.key == "errors.code.wrong"
    assert Account.get_by_id(account.id).email == EMAIL
    services.contact_change.confirm(account.id, "email", "new.dad@home.example", code)
    assert Account.get_by_id(account.id).email == "new.dad@home.example"
    notice = messages_to(EMAIL)[-1]
    assert notice.purpose == "email_changed"
    assert "ne***@home.example" in services.outbox.body_of(notice)
    assert services.accounts.parent_login("new.dad@home.example", GOOD)
    assert refusal(services.accounts.parent_login, EMAIL, GOOD).key == "errors.login.failed"
    event = services.audit.events(action="contact.changed")[0]
    assert event.detail == {"channel": "email"} and event.target == str(account.id)


def test_r21_new_mobile_needs_a_code_and_the_old_one_is_told(services, account):
    services.contact_change.request(account.id, "sms", "0922333444")
    code = code_sent_to(services, "+886922333444")
    services.contact_change.confirm(account.id, "sms", "0922-333-444", code)
    assert Account.get_by_id(account.id).mobile == "+886922333444"
    notice = messages_to(MOBILE)[-1]
    assert (notice.channel, notice.purpose) == ("sms", "mobile_changed_sms")


def test_r21_a_first_mobile_is_told_by_email(services, roster):
    acc = make_account(services, roster, mobile=None, password=GOOD)
    services.contact_change.request(acc.id, "sms", "0922333444")
    code = code_sent_to(services, "+886922333444")
    services.contact_change.confirm(acc.id, "sms", "0922333444", code)
    assert messages_to(EMAIL)[-1].purpose == "mobile_changed"


def test_r21_refusals(services, roster, account):
    make_account(services, roster, "mother", email="mother@home.example", password=GOOD,
                 children=("chen",))  # fmt: skip
    make_application(services, roster, parent="grandma", email="grandma@home.example")
    cases = [
        ("email", "FATHER@home.example", "errors.contact_change.same"),
        ("sms", "0911222333", "errors.contact_change.same"),
        ("email", "wu.dabao@student.example", "errors.contact_change.email_student"),  # R12
        ("email", "mother@home.example", "errors.contact_change.email_taken"),  # R13
        ("email", "grandma@home.example", "errors.contact_change.email_applied"),  # R14
    ]
    for channel, value, key in cases:
        error = refusal(services.contact_change.request, account.id, channel, value)
        assert (error.key, error.field) == (key, "contact")
    assert "學生帳號" in refusal(services.contact_change.request, account.id, "email",
                                 "wu.dabao@student.example").message("zh-TW")  # fmt: skip
    assert OutboxMessage.select().count() == 0
    error = refusal(services.contact_change.request, account.id, "email", "nope")
    assert error.field == "contact"


def test_r21_taken_between_request_and_confirm(services, roster, account):
    services.contact_change.request(account.id, "email", "shared@home.example")
    code = code_sent_to(services, "shared@home.example")
    make_account(services, roster, "mother", email="shared@home.example", password=GOOD,
                 children=("chen",))  # fmt: skip
    error = refusal(services.contact_change.confirm, account.id, "email",
                    "shared@home.example", code)  # fmt: skip
    assert error.key == "errors.contact_change.email_taken"
    assert Account.get_by_id(account.id).email == EMAIL


# --- R29: children and the request to unbind --------------------------------------------------


def test_r29_children_are_listed_masked(services, clock, roster):
    acc = make_account(services, roster, children=("wu", "lin"), password=GOOD)
    children = services.accounts.children(acc.id)
    assert [(c.student_name, c.school_name, c.class_name) for c in children] == [
        ("吳*寶", "臺北市大安區和平國小", "301"),
        ("林*美", "臺北市信義區光復國小", "101"),
    ]
    assert children[0].since == clock.now and not children[0].unbind_pending
    Binding.update(removed_at=clock.now).where(Binding.id == children[1].binding_id).execute()
    assert len(services.accounts.children(acc.id)) == 1


def test_r29_unbind_request_is_recorded_and_the_parent_told(services, account):
    [child] = services.accounts.children(account.id)
    request_id = services.unbinding.request(account.id, child.binding_id)
    request = UnbindRequest.get_by_id(request_id)
    assert (request.binding_id, request.status) == (child.binding_id, Status.PENDING)
    notice = messages_to(EMAIL)[-1]
    assert notice.purpose == "unbind_requested"
    body = services.outbox.body_of(notice)
    assert "吳*寶" in body and "吳三寶" not in body
    assert services.accounts.children(account.id)[0].unbind_pending is True
    event = services.audit.events(action="unbind.requested")[0]
    assert event.target == str(request_id) and event.detail == {"binding": child.binding_id}
    error = refusal(services.unbinding.request, account.id, child.binding_id)
    assert isinstance(error, Conflict) and error.key == "errors.unbind.already_requested"
    assert UnbindRequest.select().count() == 1


def test_r29_unbind_refuses_a_binding_not_the_accounts(services, roster, clock, account):
    other = make_account(services, roster, "mother", email="mother@home.example", password=GOOD,
                         children=("chen",))  # fmt: skip
    [theirs] = services.accounts.children(other.id)
    error = refusal(services.unbinding.request, account.id, theirs.binding_id)
    assert isinstance(error, Forbidden) and error.key == "errors.unbind.not_yours"
    assert refusal(services.unbinding.request, account.id, 9999).key == error.key
    [mine] = services.accounts.children(account.id)
    Binding.update(removed_at=clock.now).where(Binding.id == mine.binding_id).execute()
    assert refusal(services.unbinding.request, account.id, mine.binding_id).key == error.key
    assert UnbindRequest.select().count() == 0


def test_r24_account_events_hold_no_personal_data(services, initial_account, initial):
    services.accounts.parent_login(EMAIL, initial)
    services.accounts.change_password(initial_account.id, initial, GOOD, GOOD)
    refusal(services.accounts.parent_login, EMAIL, "nope")
    for event in services.audit.events():
        text = f"{event.actor} {event.target} {event.detail}"
        assert "father" not in text and initial not in text and GOOD not in text


def test_r20_issue15_wrong_staff_passwords_slow_their_terminal_not_the_teacher(
    services, clock, roster, settings
):
    """NIST SP 800-63B throttling: after five failures in a row a terminal waits 1, 2, 4 …
    minutes (at most 15) before the next try, and another terminal is not slowed, so guessing at
    a kiosk cannot keep a teacher out of the review terminal."""
    for _ in range(5):
        last = refusal(services.accounts.staff_login, "lee@school.example", "nope")
    assert (last.key, last.params["minutes"]) == ("errors.login.wait_here", 1)
    waiting = refusal(services.accounts.staff_login, "lee@school.example", TEACHER_PASSWORD)
    assert waiting.key == "errors.login.wait_here"  # the right one waits too, here
    services.ctx.audit.terminal = "review-desk"  # the teacher's own terminal is not slowed
    assert services.accounts.staff_login("lee@school.example", TEACHER_PASSWORD)
    services.ctx.audit.terminal = settings.terminal_id
    clock.advance(minutes=1)
    assert refusal(services.accounts.staff_login, "lee@school.example", "nope").params[
        "minutes"
    ] == 2  # the sixth in a row here doubles the wait
    clock.advance(minutes=2)
    assert services.accounts.staff_login("lee@school.example", TEACHER_PASSWORD)
    assert refusal(services.accounts.staff_login, "lee@school.example", "x").key == (
        "errors.login.failed"  # a success starts the count again
    )


def test_r20_issue15_only_an_attack_from_everywhere_pauses_the_account_until_it_lifts_it(
    services, roster
):
    """R20, issue 15: HARD_LIMIT failures in a row within a day, on terminals all over, pause
    the account itself until school IT lifts the wait."""
    from app.models import Teacher
    from app.services.audit import teacher_actor
    from app.services.staff_throttle import HARD_LIMIT

    lee, here = Teacher.get(Teacher.email == "lee@school.example"), services.ctx.audit.terminal
    for n in range(HARD_LIMIT - 1):
        services.ctx.audit.terminal = f"kiosk-{n}"
        services.ctx.audit.record(teacher_actor(lee.id), "login.failed", lee.id, kind="staff")
    services.ctx.audit.terminal = here
    paused = refusal(services.accounts.staff_login, "lee@school.example", "nope")
    assert paused.key == "errors.login.wait_it"
    again = refusal(services.accounts.staff_login, "lee@school.example", TEACHER_PASSWORD)
    assert again.key == "errors.login.wait_it"
    assert services.staff_accounts.lift_wait("lee@school.example") is True
    assert services.accounts.staff_login("lee@school.example", TEACHER_PASSWORD)
