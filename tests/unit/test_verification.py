"""Verification codes: R1–R4 at their edges, with the injected clock."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.errors import InvalidInput, QinziError, RateLimited, RuleRefused
from app.i18n import t
from app.models import ALL_MODELS, AuditEvent, OutboxMessage, VerificationCode, VerificationFailure
from app.services.audit import contact_actor
from app.services.verification import normalize_code

EMAIL = "parent@home.example"
MOBILE = "0912345678"
MOBILE_E164 = "+886912345678"


def refusal(fn, *args, **kwargs) -> QinziError:
    with pytest.raises(QinziError) as info:
        fn(*args, **kwargs)
    return info.value


def last_message(recipient: str) -> OutboxMessage | None:
    return (
        OutboxMessage.select()
        .where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc())
        .first()
    )


def code_sent_to(services, recipient: str) -> str:
    body = services.outbox.body_of(last_message(recipient))
    return re.search(r"(?<!\d)\d{6}(?!\d)", body).group()


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def request(services, channel="email", contact=EMAIL, **kw) -> str:
    services.verification.request_code(channel, contact, **kw)
    return code_sent_to(services, EMAIL if channel == "email" else MOBILE_E164)


def fail_times(services, code: str, times: int, channel="email", contact=EMAIL) -> QinziError:
    error = None
    for _ in range(times):
        error = refusal(services.verification.verify_code, channel, contact, other_code(code))
    return error


# --- R1 ---------------------------------------------------------------------------------------


def test_r1_code_of_six_digits_arrives_in_the_outbox(services, clock):
    sent = services.verification.request_code("email", " Parent@Home.example ")
    assert sent.channel == "email"
    assert sent.masked == "pa***@home.example"
    assert sent.expires_at == clock.now.replace(hour=9)  # 60 minutes
    message = last_message(EMAIL)
    assert message.purpose == "code_bind"
    code = code_sent_to(services, EMAIL)
    assert len(code) == 6 and code.isdigit()
    assert code not in message.subject


def test_r1_code_is_never_stored_plainly(services):
    code = request(services)
    sms_code = request(services, "sms", MOBILE)
    for model in ALL_MODELS:
        for row in model.select().dicts():
            text = " ".join(str(v) for v in row.values())
            assert code not in text, model.__name__
            assert sms_code not in text, model.__name__
    assert VerificationCode.select().count() == 2


def test_r1_code_is_single_use(services):
    code = request(services)
    verified = services.verification.verify_code("email", EMAIL, code)
    assert verified.value == EMAIL and verified.channel == "email"
    assert verified.masked == "pa***@home.example"
    assert (
        refusal(services.verification.verify_code, "email", EMAIL, code).key == "errors.code.used"
    )


def test_r1_check_without_consuming_leaves_the_code_usable(services):
    code = request(services, purpose="reset")
    services.verification.verify_code("email", EMAIL, code, "reset", consume=False)
    services.verification.verify_code("email", EMAIL, code, "reset")
    error = refusal(services.verification.verify_code, "email", EMAIL, code, "reset")
    assert error.key == "errors.code.used"


def test_r1_code_is_bound_to_its_purpose_and_contact(services):
    code = request(services)
    error = refusal(services.verification.verify_code, "email", EMAIL, code, "reset")
    assert error.key == "errors.code.none"
    error = refusal(services.verification.verify_code, "email", "someone@home.example", code)
    assert error.key == "errors.code.none"
    services.verification.verify_code("email", EMAIL, code, "bind")


def test_r1_code_is_valid_sixty_minutes(services, clock):
    code = request(services)
    clock.advance(minutes=59, seconds=59)
    services.verification.verify_code("email", EMAIL, code)
    code = request(services)
    clock.advance(minutes=60)
    error = refusal(services.verification.verify_code, "email", EMAIL, code)
    assert isinstance(error, RuleRefused)
    assert (error.key, error.field, error.params["minutes"]) == ("errors.code.expired", "code", 60)


def test_r1_ttl_is_configurable(services, clock):
    services.ctx.settings.code_ttl_minutes = 10
    sent = services.verification.request_code("sms", MOBILE)
    assert sent.expires_at == clock.now.replace(minute=10)
    assert "10" in services.outbox.body_of(last_message(MOBILE_E164))


def test_r1_full_width_digits_and_spaces_are_accepted(services):
    code = request(services)
    typed = "".join(chr(ord(c) + 0xFEE0) for c in code[:3]) + " " + code[3:]
    assert normalize_code(typed) == code
    assert services.verification.verify_code("email", EMAIL, typed).value == EMAIL


@pytest.mark.parametrize(
    ("typed", "key"),
    [("", "errors.code.empty"), ("12345", "errors.code.format"), ("12a456", "errors.code.format")],
)
def test_r1_malformed_code_is_refused_without_counting(services, typed, key):
    request(services)
    error = refusal(services.verification.verify_code, "email", EMAIL, typed)
    assert isinstance(error, InvalidInput)
    assert (error.key, error.field) == (key, "code")
    assert VerificationFailure.select().count() == 0


def test_r1_unknown_purpose_is_a_programming_error(services):
    with pytest.raises(ValueError):
        services.verification.request_code("email", EMAIL, "login")


def test_r1_bad_contact_is_refused_beside_the_field(services):
    assert refusal(services.verification.request_code, "email", "not-an-email").field == "contact"
    assert refusal(services.verification.request_code, "sms", "02-2345-6789").field == "contact"
    assert refusal(services.verification.request_code, "fax", EMAIL).field == "contact"
    assert OutboxMessage.select().count() == 0


def test_r1_sms_text_is_short_and_in_the_chosen_language(services):
    services.verification.request_code("sms", MOBILE)
    body = services.outbox.body_of(last_message(MOBILE_E164))
    assert len(body) <= 70  # one SMS in UCS-2
    services.verification.request_code("sms", "0922333444", lang="en")
    body = services.outbox.body_of(last_message("+886922333444"))
    assert len(body) <= 160 and "code" in body


# --- R2 ---------------------------------------------------------------------------------------


def test_r2_third_sms_within_an_hour_is_refused_with_email_advice(services, clock):
    services.verification.request_code("sms", MOBILE)
    clock.advance(minutes=10)
    services.verification.request_code("sms", MOBILE)
    error = refusal(services.verification.request_code, "sms", MOBILE)
    assert isinstance(error, RateLimited)
    assert (error.key, error.field) == ("errors.code.sms_limit", "contact")
    assert error.params["minutes"] == 50
    assert "電子郵件信箱" in error.message("zh-TW") and "50" in error.message("zh-TW")
    assert "email" in error.message("en")
    assert OutboxMessage.select().count() == 2
    clock.advance(minutes=49, seconds=59)
    assert refusal(services.verification.request_code, "sms", MOBILE).params["minutes"] == 1
    clock.advance(seconds=1)
    services.verification.request_code("sms", MOBILE)  # the first one left the hour
    assert refusal(services.verification.request_code, "sms", MOBILE).params["minutes"] == 10


def test_r2_limit_is_per_number_and_counts_every_purpose(services):
    services.verification.request_code("sms", MOBILE, "bind")
    services.verification.request_code("sms", MOBILE, "reset")
    assert refusal(services.verification.request_code, "sms", MOBILE, "contact_change")
    services.verification.request_code("sms", "0922333444")
    services.verification.request_code("email", EMAIL)


# --- R3 ---------------------------------------------------------------------------------------


def test_r3_sixth_email_within_an_hour_is_refused(services, clock):
    for _ in range(5):
        services.verification.request_code("email", EMAIL)
        clock.advance(minutes=1)
    error = refusal(services.verification.request_code, "email", EMAIL)
    assert (error.key, error.field, error.params["limit"]) == (
        "errors.code.email_limit",
        "contact",
        5,
    )
    assert error.params["minutes"] == 55
    clock.advance(minutes=56)
    services.verification.request_code("email", EMAIL)


def test_r3_a_new_code_voids_the_previous_one(services):
    first = request(services)
    second = request(services)
    while second == first:  # one chance in a million
        second = request(services)
    rows = list(VerificationCode.select().order_by(VerificationCode.id))
    assert rows[0].voided_at is not None and rows[-1].voided_at is None
    error = refusal(services.verification.verify_code, "email", EMAIL, first)
    assert error.key == "errors.code.replaced"
    assert VerificationFailure.select().count() == 0
    services.verification.verify_code("email", EMAIL, second)


def test_r3_new_code_voids_only_the_same_purpose(services):
    bind = request(services, purpose="bind")
    request(services, purpose="reset")
    services.verification.verify_code("email", EMAIL, bind, "bind")


# --- R4 ---------------------------------------------------------------------------------------


def test_r4_five_wrong_entries_void_the_code(services):
    code = request(services)
    for remaining in (4, 3, 2, 1):
        error = refusal(services.verification.verify_code, "email", EMAIL, other_code(code))
        assert (error.key, error.field, error.params["remaining"]) == (
            "errors.code.wrong",
            "code",
            remaining,
        )
    error = refusal(services.verification.verify_code, "email", EMAIL, other_code(code))
    assert error.key == "errors.code.too_many"
    assert "取得驗證碼" in error.message("zh-TW")
    error = refusal(services.verification.verify_code, "email", EMAIL, code)
    assert error.key == "errors.code.too_many"
    assert VerificationFailure.select().count() == 5
    fresh = request(services)
    services.verification.verify_code("email", EMAIL, fresh)


def test_r4_twenty_failures_block_the_contact_for_a_day(services, clock):
    for _ in range(3):
        code = request(services)
        assert fail_times(services, code, 5).key == "errors.code.too_many"
        clock.advance(minutes=1)
    code = request(services)  # a new code does not reset the day's count
    assert VerificationFailure.select().count() == 15
    assert fail_times(services, code, 4).key == "errors.code.wrong"
    clock.advance(minutes=30)
    twentieth = clock.now
    error = fail_times(services, code, 1)
    assert isinstance(error, RateLimited)
    assert (error.key, error.field, error.params["hours"]) == ("errors.code.blocked", "code", 24)
    error = refusal(services.verification.request_code, "email", EMAIL)
    assert (error.key, error.field) == ("errors.code.blocked", "contact")
    clock.advance(hours=23, minutes=59)
    assert refusal(services.verification.request_code, "email", EMAIL).params["hours"] == 1
    clock.now = twentieth + timedelta(hours=24)
    code = request(services)
    services.verification.verify_code("email", EMAIL, code)


def test_r4_a_blocked_contact_cannot_use_a_live_code(services, clock):
    codes = []
    for _ in range(4):
        codes.append(request(services))
        fail_times(services, codes[-1], 5)
    error = refusal(services.verification.verify_code, "email", EMAIL, codes[-1])
    assert error.key == "errors.code.blocked"
    assert services.verification.request_code("sms", MOBILE)  # the other contact still works


def test_r4_the_day_is_rolling(services, clock):
    for _ in range(2):
        fail_times(services, request(services), 5)
    clock.advance(hours=24, minutes=1)
    for _ in range(2):
        fail_times(services, request(services), 5)
    assert VerificationFailure.select().count() == 20
    code = request(services)  # never 20 within one day
    services.verification.verify_code("email", EMAIL, code)


def test_r4_messages_name_no_account(services):
    """R4: code refusals speak of the code only, the same for any contact."""
    request(services, "email", EMAIL)
    known = refusal(services.verification.verify_code, "email", EMAIL, "000000")
    unknown = refusal(services.verification.verify_code, "email", "x@home.example", "000000")
    for error in (known, unknown):
        assert "帳號" not in error.message("zh-TW")
        assert "account" not in error.message("en")


# --- R24 --------------------------------------------------------------------------------------


def test_r24_code_events_are_audited_without_the_contact(services):
    code = request(services)
    refusal(services.verification.verify_code, "email", EMAIL, other_code(code))
    verified = services.verification.verify_code("email", EMAIL, code)
    actions = [e.action for e in services.audit.events()]
    assert actions == ["code.verified", "code.failed", "code.sent"]
    for event in services.audit.events():
        assert event.actor == contact_actor(verified.digest)
        assert event.terminal == "test-kiosk"
    for row in AuditEvent.select():
        assert EMAIL not in row.detail and "parent" not in row.actor
        assert code not in row.detail


def test_r1_messages_exist_in_both_languages():
    for key in ("errors.code.wrong", "mail.code_bind_sms.body", "mail.code_contact_change.body"):
        assert t(key, "zh-TW") != key and t(key, "en") != key
