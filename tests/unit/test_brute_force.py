"""Brute force and enumeration (issue 9, point 2): with the real services and the frozen clock,
an attacker cannot guess codes within the limits (R1–R4), cannot walk the roster (R8), and cannot
tell from the answer or its time whether a login or a contact has an account (R4, R20)."""

from __future__ import annotations

import contextlib
import gc
import math
import re
import resource
import secrets
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count

import pytest

from app.errors import NotFound, QinziError, RateLimited, SessionEnded
from app.identity import with_check_digit
from app.models import OutboxMessage, Teacher, VerificationFailure
from app.services import build_services
from app.services.contacts import contact_digest
from app.services.kiosk import KioskSession
from app.services.verification import (
    CODE_DIGITS,
    PURPOSE_BIND,
    PURPOSE_CONTACT_CHANGE,
    PURPOSE_RESET,
)
from tests.factories import TEACHER_PASSWORD, make_account, make_roster

EMAIL = "father@home.example"
MOBILE = "0911222333"
GOOD = "lantern orchard velvet"
CODE_SPACE = 10**CODE_DIGITS
DAY = timedelta(hours=24)


def refusal(fn, *args, **kwargs) -> QinziError:
    with pytest.raises(QinziError) as info:
        fn(*args, **kwargs)
    return info.value


def answer(error: QinziError) -> tuple:
    """Everything a screen could show of a refusal, in both languages."""
    params = tuple(sorted((k, v) for k, v in error.params.items() if k != "retry_at"))
    return (type(error).__name__, error.key, error.field, params,
            error.message("zh-TW"), error.message("en"))  # fmt: skip


def last_body(services, recipient: str) -> str:
    message = (
        OutboxMessage.select()
        .where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc())
        .first()
    )
    return services.outbox.body_of(message)


def code_in(body: str) -> str:
    return re.search(r"(?<!\d)\d{6}(?!\d)", body).group()


def not_the(code: str, tried: set[str]) -> str:
    """A fresh guess that is not the real code: the counts below must not end by luck."""
    while True:
        guess = f"{secrets.randbelow(CODE_SPACE):06d}"
        if guess != code and guess not in tried:
            tried.add(guess)
            return guess


def most_in_a_day(times: list[datetime]) -> int:
    """The largest number of events inside any 24-hour window."""
    times = sorted(times)
    return max((sum(1 for u in times if t <= u < t + DAY) for t in times), default=0)


# --- R1–R4: codes ------------------------------------------------------------------------------


def test_r4_a_code_takes_five_guesses_then_not_even_the_right_one(services, settings):
    """R4: the attacker's sixth guess is refused even when it is the code itself."""
    services.verification.request_code("email", EMAIL)
    code, tried = code_in(last_body(services, EMAIL)), set()
    keys = [
        refusal(services.verification.verify_code, "email", EMAIL, not_the(code, tried)).key
        for _ in range(settings.code_max_attempts)
    ]
    assert keys == ["errors.code.wrong"] * 4 + ["errors.code.too_many"]
    assert refusal(services.verification.verify_code, "email", EMAIL, code).key == (
        "errors.code.too_many"
    )


@pytest.mark.parametrize(("channel", "contact"), [("email", EMAIL), ("sms", MOBILE)])
def test_r4_new_codes_keep_the_count_and_twenty_failures_block_a_day(
    services, settings, clock, channel, contact
):
    """R4: asking for a new code never resets the contact's count; the 20th failure of a day
    blocks every code of the contact, the right one included, for 24 hours."""
    verification = services.verification
    per_code, per_day = settings.code_max_attempts, settings.contact_failures_per_day
    recipient = "+886911222333" if channel == "sms" else EMAIL
    failures = 0
    while failures < per_day - 1:
        clock.advance(hours=1)  # the hourly limit of R2/R3 is not what stops this attacker
        verification.request_code(channel, contact)
        code, tried = code_in(last_body(services, recipient)), set()
        for _ in range(min(per_code, per_day - 1 - failures)):
            error = refusal(verification.verify_code, channel, contact, not_the(code, tried))
            failures += 1
            assert error.key in ("errors.code.wrong", "errors.code.too_many")
    clock.advance(minutes=5)
    verification.request_code(channel, contact)  # a new code: the 19 failures still count
    code = code_in(last_body(services, recipient))
    error = refusal(verification.verify_code, channel, contact, not_the(code, set()))
    assert isinstance(error, RateLimited)
    assert (error.key, error.params["hours"]) == ("errors.code.blocked", 24)
    blocked_at = clock.now
    assert refusal(verification.verify_code, channel, contact, code).key == "errors.code.blocked"
    assert refusal(verification.request_code, channel, contact).key == "errors.code.blocked"
    clock.advance(hours=23, minutes=59)
    assert refusal(verification.request_code, channel, contact).key == "errors.code.blocked"
    clock.now = blocked_at + DAY
    verification.request_code(channel, contact)
    verification.verify_code(channel, contact, code_in(last_body(services, recipient)))


@pytest.mark.parametrize(("channel", "contact"), [("email", EMAIL), ("sms", MOBILE)])
def test_r1_r4_guesses_per_contact_per_day_are_few_and_success_unlikely(
    services, settings, clock, channel, contact
):
    """R1–R4: an attacker who does not receive the codes guesses for three days as fast as the
    service lets them, asking for new codes, switching purposes and waiting out every limit.
    The most guesses the service checks in any 24 hours is what its settings promise, and the
    chance that one of them is right is below 1 in 10,000 a day."""
    verification = services.verification
    s = settings
    codes_per_hour = s.sms_codes_per_hour if channel == "sms" else s.email_codes_per_hour
    bound = min(24 * codes_per_hour * s.code_max_attempts, s.contact_failures_per_day)
    recipient = "+886911222333" if channel == "sms" else EMAIL
    purposes = [PURPOSE_BIND, PURPOSE_RESET, PURPOSE_CONTACT_CHANGE]
    end = clock.now + 3 * DAY
    turn = count()
    while clock.now < end:
        purpose = purposes[next(turn) % len(purposes)]
        try:
            verification.request_code(channel, contact, purpose)
        except RateLimited as limit:
            clock.now = limit.params["retry_at"]
            continue
        code, tried = code_in(last_body(services, recipient)), set()
        while True:
            clock.advance(seconds=2)
            error = refusal(verification.verify_code, channel, contact, not_the(code, tried),
                            purpose)  # fmt: skip
            if isinstance(error, RateLimited):
                clock.now = max(clock.now, error.params["retry_at"])
                break
            if error.key != "errors.code.wrong":
                break
    digest = contact_digest(services.ctx.keyring, _normalised(channel, contact))
    checked = [f.at for f in VerificationFailure.select().where(
        VerificationFailure.contact_digest == digest)]  # fmt: skip
    assert most_in_a_day(checked) == bound == s.contact_failures_per_day == 20
    assert len(checked) <= 3 * bound + bound  # three days, and a window may straddle the end
    # Codes are uniform over 10**6 values (R1), so each checked guess is right with chance
    # 1/10**6 and a day's guesses, whatever codes they were spread over, at most bound/10**6.
    chance_per_day = bound / CODE_SPACE
    assert chance_per_day == 2e-5 < 1e-4


def _normalised(channel: str, contact: str) -> str:
    from app.services.contacts import normalize_contact

    return normalize_contact(channel, contact)


def test_r1_codes_come_from_secrets_as_six_even_digits(services, monkeypatch):
    """R1: every code is one `secrets.randbelow(10**6)` draw, zero-padded to six digits; over
    300 codes the digits are spread evenly and repeats are as rare as chance makes them."""
    draws: list[int] = []
    real = secrets.randbelow

    def spy(n: int) -> int:
        draws.append(n)
        return real(n)

    monkeypatch.setattr(secrets, "randbelow", spy)
    codes = []
    for i in range(300):
        recipient = f"parent{i}@home.example"
        services.verification.request_code("email", recipient)
        codes.append(code_in(last_body(services, recipient)))
    assert draws == [CODE_SPACE] * 300
    assert all(len(c) == 6 and c.isascii() and c.isdigit() for c in codes)
    assert any(c.startswith("0") for c in codes)  # zero-padded, not drawn from 100000 up
    assert sum(n - 1 for n in Counter(codes).values()) <= 3  # 0.08 repeats expected
    for position in range(CODE_DIGITS):
        assert len({c[position] for c in codes}) == 10
    digits = Counter("".join(codes))
    expected = len(codes) * CODE_DIGITS / 10
    chi2 = sum((digits[d] - expected) ** 2 / expected for d in "0123456789")
    assert chi2 < 40  # 9 degrees of freedom: p < 1e-5 for an honest source


def test_r4_a_contact_with_an_account_gets_the_same_answers_as_a_stranger(
    services, roster, clock
):
    """R4: step by step, a contact that has an account and one nobody knows get the same
    answers to every code request and every guess, the hourly limit and the block included."""
    make_account(services, roster, password=GOOD)
    verification = services.verification
    answers: dict[str, list] = {EMAIL: [], "stranger@home.example": []}
    tried: set[str] = set()
    for step in range(30):
        clock.advance(minutes=7)
        for contact, seen in answers.items():
            try:
                sent = verification.request_code("email", contact)
                seen.append(("sent", sent.channel, sent.expires_at))
            except QinziError as error:
                seen.append(answer(error))
        tried.update(code_in(last_body(services, contact)) for contact in answers)
        for _ in range(step % 3):
            guess = not_the("", tried)
            for contact, seen in answers.items():
                seen.append(answer(refusal(verification.verify_code, "email", contact, guess)))
    assert answers[EMAIL] == answers["stranger@home.example"]
    keys = {a[1] for a in answers[EMAIL]}
    assert {"errors.code.wrong", "errors.code.blocked", "errors.code.email_limit"} <= keys


# --- R8: the roster cannot be walked ---------------------------------------------------------


def test_r8_five_misses_end_the_session_and_then_nothing_is_looked_up(services, roster, settings):
    """R8: five misses of any kind end the session; after that even the right answer is refused
    and nothing more about the roster can be learnt in it."""
    session = KioskSession(contact=_verified(services, EMAIL))
    apps = services.applications
    misses = [("elementary", "E002", roster.ids["wu"]), ("junior", "E001", roster.ids["wu"]),
              ("elementary", "E001", roster.ids["lin"]), ("junior", "J001", roster.ids["chen"]),
              ("elementary", "E001", with_check_digit("A19999999"))]  # fmt: skip
    assert len(misses) == settings.lookup_failures_per_session
    errors = []
    for miss in misses:  # the kiosk keeps the session each refusal carries
        errors.append(refusal(apps.lookup_student, session, *miss))
        session = errors[-1].session
    assert [type(e) for e in errors] == [NotFound] * 4 + [SessionEnded]
    assert session.ended
    # The right answer now, or any other step, finds nothing and says nothing new.
    right = refusal(apps.lookup_student, session, "elementary", "E001", roster.ids["wu"])
    assert isinstance(right, SessionEnded) and right.session.found_student_ids == frozenset()


def test_r8_a_miss_never_says_which_part_was_wrong(services, roster):
    """R8: a wrong (checksum-valid) ID, a wrong level, a wrong school, a student of another
    school or nothing right at all: each first miss reads exactly the same."""
    wu = roster.ids["wu"]
    misses = {
        "wrong id": ("elementary", "E001", with_check_digit("A19999999")),
        "wrong level": ("junior", "E001", wu),
        "wrong school": ("elementary", "E002", wu),
        "another school's student": ("elementary", "E001", roster.ids["lin"]),
        "everything wrong": ("junior", "J001", with_check_digit("B29999999")),
        "a level without that school": ("special", "E001", wu),
    }
    seen = {}
    for what, miss in misses.items():
        session = KioskSession(contact=_verified(services, f"{len(seen)}@home.example"))
        seen[what] = answer(refusal(services.applications.lookup_student, session, *miss))
    assert len(set(seen.values())) == 1, seen
    assert seen["wrong id"][1] == "errors.application.lookup_failed"


def _verified(services, contact: str, channel: str = "email"):
    """Step 1 the way a parent does it: a code to the contact, read and typed back."""
    verification = services.verification
    verification.request_code(channel, contact)
    recipient = _normalised(channel, contact)
    return verification.verify_code(channel, contact, code_in(last_body(services, recipient)))


def _walk(services, session_for: Callable[[], KioskSession], clock, until: datetime):
    """An attacker guessing the school of a child whose ID they know, until `until`: one new
    session after another, each started the cheapest way the kiosk offers. Returns the times
    of the guesses the roster answered (a miss, or the miss that ended a session) and the
    number of sessions started."""
    apps, guesses, sessions = services.applications, [], 0
    schools = [("junior", "J001"), ("elementary", "E002")]
    target = with_check_digit("A12345678")  # 吳三寶 attends E001, which the walk never tries
    while clock.now < until:
        try:
            session = session_for()
        except RateLimited as limit:
            clock.now = limit.params["retry_at"]
            continue
        sessions += 1
        for i in count():
            clock.advance(seconds=20)
            try:
                apps.lookup_student(session, *schools[i % 2], target)
            except NotFound as miss:
                guesses.append(clock.now)
                session = miss.session
                continue
            except SessionEnded as ended:
                if i > 0:  # a session's first lookup may be refused unanswered; count any other
                    guesses.append(clock.now)
                clock.now = max(clock.now, ended.params.get("retry_at", clock.now))
                break
    return guesses, sessions


def test_r8_new_sessions_cost_codes_and_a_contact_misses_twenty_a_day_at_most(
    services, roster, settings, clock
):
    """R8 with R2–R4: an attacker who owns the mailbox walks the schools for two days. Every new
    session needs a new code, so a contact gets at most `codes per hour × 5` misses an hour,
    and across sessions its misses stop at the day's budget (20, R4's number)."""

    def by_code() -> KioskSession:
        clock.advance(minutes=1)
        return KioskSession(contact=_verified(services, EMAIL))

    sent_before = OutboxMessage.select().count()
    misses, sessions = _walk(services, by_code, clock, clock.now + 2 * DAY)
    per_session = settings.lookup_failures_per_session
    bound = min(24 * settings.email_codes_per_hour * per_session,
                settings.contact_failures_per_day)  # fmt: skip
    assert most_in_a_day(misses) == bound == 20
    assert OutboxMessage.select().count() - sent_before >= math.ceil(len(misses) / per_session)
    assert sessions >= len(misses) / per_session


def test_r8_a_spent_contact_is_refused_even_the_right_lookup_until_its_misses_age(
    services, roster, settings, clock
):
    """R8: once a contact's misses of the last 24 hours reach the budget, a fresh session ends
    at its first lookup, right or wrong, and says roughly when lookups reopen."""
    apps, wu = services.applications, roster.ids["wu"]
    per_session, budget = settings.lookup_failures_per_session, settings.contact_failures_per_day
    first_miss = clock.now + timedelta(seconds=30)
    for _ in range(budget // per_session):
        session = KioskSession(contact=_verified(services, EMAIL))
        for _ in range(per_session):
            clock.advance(seconds=30)
            session = refusal(apps.lookup_student, session, "elementary", "E002", wu).session
        assert session.ended
    session = KioskSession(contact=_verified(services, EMAIL))
    error = refusal(apps.lookup_student, session, "elementary", "E001", wu)
    assert (type(error), error.key, error.params["hours"]) == (
        SessionEnded, "errors.application.lookup_day_limit", 24)  # fmt: skip
    assert "學校辦公室" in error.message("zh-TW") and error.session.ended
    clock.now = first_miss + DAY - timedelta(minutes=1)
    session = KioskSession(contact=_verified(services, EMAIL))
    error = refusal(apps.lookup_student, session, "elementary", "E001", wu)
    assert (error.key, error.params["hours"]) == ("errors.application.lookup_day_limit", 1)
    clock.now = first_miss + DAY  # the first miss is a day old: one lookup again
    session = KioskSession(contact=_verified(services, EMAIL))
    assert apps.lookup_student(session, "elementary", "E001", wu).value.student_id == (
        roster.student("wu").id
    )


def test_r8_a_logged_in_parent_cannot_buy_lookups_with_logins(services, roster, settings, clock):
    """A logged-in parent binds another child without a code (the login proved the e-mail), and
    the session-ending wipe logs them out. Logins are not limited when they succeed, so without
    a budget across sessions an account would buy five more guesses with every login."""
    make_account(services, roster, password=GOOD)

    def by_login() -> KioskSession:
        clock.advance(minutes=1)
        login = services.accounts.parent_login(EMAIL, GOOD)
        return KioskSession(contact=services.accounts.verified_contact(login.account_id))

    misses, sessions = _walk(services, by_login, clock, clock.now + DAY)
    assert most_in_a_day(misses) == settings.contact_failures_per_day
    assert sessions < 2 * settings.contact_failures_per_day / settings.lookup_failures_per_session


# --- R4, R20: logins and resets name no account ----------------------------------------------


KINDS = {
    "parent": ("parent_login", EMAIL, "nobody@home.example"),
    "staff": ("staff_login", "lee@school.example", "nobody@school.example"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_r20_an_unknown_login_fails_and_waits_exactly_like_a_wrong_password(
    services, roster, clock, kind
):
    """R20 keeps its message: after five wrong passwords in a row the account waits 15 minutes
    and the screen says so. Were only real accounts to wait, that message would tell a
    stranger which e-mails have accounts; so an unknown login (or a deactivated teacher) counts
    its failures and waits in the same way, and every answer, the wait included, is the same."""
    make_account(services, roster, password=GOOD)
    method, known, unknown = KINDS[kind]
    login = getattr(services.accounts, method)
    right = GOOD if kind == "parent" else TEACHER_PASSWORD
    seen: dict[str, list] = {known: [], unknown: []}
    if kind == "staff":
        roster.teachers["ho"].active = False
        roster.teachers["ho"].save()
        seen["ho@school.example"] = []
        # R32: a teacher without a password yet (imported, invited or reset) answers the same.
        Teacher.update(password_hash=None).where(Teacher.id == roster.teachers["kao"].id).execute()
        seen["kao@school.example"] = []
    script = ["nope"] * 5 + [right, "+14", "nope", "+1"] + ["nope"] * 5 + ["+15"]
    for step in script:
        if step.startswith("+"):
            clock.advance(minutes=int(step))
            continue
        for email, answers in seen.items():
            answers.append(answer(refusal(login, email, step)))
    first, *others = seen.values()
    assert all(other == first for other in others)
    failed = "errors.login.failed"
    if kind == "parent":
        wait = "errors.login.wait"
        assert [a[1] for a in first] == [failed] * 4 + [wait] * 3 + [failed] * 4 + [wait]
        assert [dict(a[3])["minutes"] for a in first if a[1] == wait] == [15, 15, 1, 15]
    else:  # issue 15: staff are slowed on the terminal, 1, 2, 4 … minutes, not locked out
        wait = "errors.login.wait_here"
        assert [a[1] for a in first] == [failed] * 4 + [wait] * 8
        assert [dict(a[3])["minutes"] for a in first[4:]] == [1, 1, 2, 1, 1, 1, 1, 1]
    assert login(known, right)  # the wait is over: the right password works again


def test_r20_issue15_slow_failures_over_days_pause_a_staff_account_no_sooner_than_an_unknown_one(
    services, roster, clock
):
    """R20, R4, issue 15: only HARD_LIMIT failures within a day pause a staff account for IT,
    as they pause a login nobody has. A real teacher's count once ran for ever while the unknown
    login's dropped failures older than a day: after a hundred wrong passwords, one every 16
    minutes (each after the terminal's longest wait), the real account answered "ask school IT"
    while the unknown one still answered "wait here", telling a stranger which e-mails belong to
    staff (and a real account's pause skipped the Argon2 work, timing it too)."""
    from app.services.staff_throttle import HARD_LIMIT

    known, unknown = KINDS["staff"][1:]
    seen: dict[str, list] = {known: [], unknown: []}
    for _ in range(HARD_LIMIT + 10):
        clock.advance(minutes=16)
        for email, answers in seen.items():
            answers.append(answer(refusal(services.accounts.staff_login, email, "nope")))
    assert seen[known] == seen[unknown]
    assert "errors.login.wait_it" not in {a[1] for a in seen[known]}
    clock.advance(minutes=16)
    assert services.accounts.staff_login(known, TEACHER_PASSWORD)


def test_r4_reset_answers_the_same_for_any_contact(services, roster, clock):
    """R4: a forgotten-password request and a wrong reset code read the same whether the
    contact has one account, several, or none; each gets exactly one message."""
    make_account(services, roster, password=GOOD)
    make_account(services, roster, "mother", email="mother@home.example", mobile="+886922333444",
                 password=GOOD)  # fmt: skip
    make_account(services, roster, "grandma", email="grandma@home.example",
                 mobile="+886922333444", password=GOOD)  # fmt: skip
    contacts = {"one account": ("email", EMAIL), "no account": ("email", "x@home.example"),
                "one mobile": ("sms", MOBILE), "shared mobile": ("sms", "0922333444"),
                "unknown mobile": ("sms", "0933444555")}  # fmt: skip
    seen: dict[str, list] = {what: [] for what in contacts}
    for _ in range(3):
        clock.advance(minutes=31)  # two SMS an hour (R2): every request here is allowed
        for what, (channel, value) in contacts.items():
            sent = services.accounts.request_password_reset(channel, value)
            seen[what].append((sent.channel, sent.expires_at))
            seen[what].append(answer(refusal(services.accounts.reset_password, channel, value,
                                             "000000", GOOD, GOOD)))  # fmt: skip
    by_channel = {}
    for what, (channel, _) in contacts.items():
        by_channel.setdefault(channel, []).append(seen[what])
    for same in by_channel.values():
        assert all(answers == same[0] for answers in same)
    for channel, value in contacts.values():
        recipient = _normalised(channel, value)
        assert OutboxMessage.select().where(OutboxMessage.recipient == recipient).count() == 3


# --- the same time ---------------------------------------------------------------------------

# Argon2id as a kiosk might afford it: cheaper than the shipped 64 MiB, dear enough (about 4 ms)
# to dominate the database work around it, yet cheap enough that the 0.4 ms of extra writes the
# unknown login used to skip showed as a 9 % gap. One lane: Argon2 then runs in the calling
# thread, whose CPU time is measured.
TIMED_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 8192, "argon2_parallelism": 1}
PAIRS = 60
TOLERANCE = 0.05
MEASUREMENTS = 3
MIN_UNDISTURBED = 15

Call = Callable[[], object]


@dataclass
class Timings:
    cpu: list[int] = field(default_factory=list)
    wall: list[int] = field(default_factory=list)  # only calls no other process interrupted


def _timed(call: Call, into: Timings) -> None:
    switches = resource.getrusage(resource.RUSAGE_THREAD).ru_nivcsw
    cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
    with contextlib.suppress(QinziError):
        call()
    wall, cpu = time.perf_counter_ns() - wall, time.thread_time_ns() - cpu
    into.cpu.append(cpu)
    if resource.getrusage(resource.RUSAGE_THREAD).ru_nivcsw == switches:
        into.wall.append(wall)


def _gap(a: list[int], b: list[int]) -> tuple[float, float, float] | None:
    if min(len(a), len(b)) < MIN_UNDISTURBED:
        return None
    x, y = statistics.median(a), statistics.median(b)
    return abs(x - y) / min(x, y), x / 1e6, y / 1e6


def measure(known: Call, unknown: Call, between: Call, pairs: int) -> dict[str, tuple | None]:
    """Time `known` and `unknown` alternately (known first, then unknown first, so drift and
    caches favour neither), `between` untimed after each pair. Two medians per side: the
    thread's CPU time, which no other process on a busy CI machine can inflate, and the wall
    time of the calls the scheduler did not interrupt (it also counts waiting for the disk or
    the PostgreSQL server, which the CPU time does not)."""
    times = {known: Timings(), unknown: Timings()}
    gc.collect()
    gc.disable()
    try:
        for i in range(pairs):
            for call in (known, unknown) if i % 2 == 0 else (unknown, known):
                _timed(call, times[call])
            between()
    finally:
        gc.enable()
    k, u = times[known], times[unknown]
    return {"cpu": _gap(k.cpu, u.cpu), "wall": _gap(k.wall, u.wall)}


def assert_same_time(known: Call, unknown: Call, between: Call, pairs: int = PAIRS) -> None:
    """Both medians within TOLERANCE. A wall time can be judged only when enough calls ran
    undisturbed; on a machine so loaded that none did, the CPU time decides alone. A gap is
    measured again (up to MEASUREMENTS times) before it counts: a neighbour's burst of work can
    still skew one measurement, a real difference shows every time."""
    report = []
    for _ in range(MEASUREMENTS):
        gaps = measure(known, unknown, between, pairs)
        report.append(", ".join(
            f"{what} {g[1]:.3f}/{g[2]:.3f} ms ({g[0]:.1%})" if g else f"{what} -"
            for what, g in gaps.items()))  # fmt: skip
        if all(g is None or g[0] < TOLERANCE for g in gaps.values()):
            return
    pytest.fail("known/unknown medians differ: " + "; ".join(report))


@pytest.fixture
def timed(settings, clock, keyring):
    """Services with the Argon2id cost of TIMED_ARGON2 and the roster, hashed with it. On SQLite
    only: there every statement runs in this process, so the two paths' whole work is in the
    measurement. A PostgreSQL commit waits for the server's disk, whose latency on a shared CI
    machine varies by more than the 5 % judged here; the paths send it the same statements
    but for one UPDATE of the failure count, which the SQLite measurement includes."""
    if settings.database_url.startswith("postgres"):
        pytest.skip("timed on SQLite, where the whole work runs in the measured process")
    services = build_services(settings.replace(**TIMED_ARGON2), clock=clock, keyring=keyring)
    make_account(services, make_roster(services), password=GOOD)
    yield services
    services.close()


@pytest.mark.parametrize("kind", KINDS)
def test_r20_a_wrong_password_and_an_unknown_login_take_as_long(timed, clock, kind):
    """R20, R4: the median time of a wrong password for a real account and of any password for
    an unknown login are within 5 %: both verify one Argon2id hash of the same cost and do the
    same reads and writes (the unknown one keeps its throttle count too). The clock moves 16
    minutes a pair, so both go through the same cycle of four failures and a wait."""
    method, known, unknown = KINDS[kind]
    login = getattr(timed.accounts, method)
    for _ in range(3):  # warm: the dummy hash, statement caches
        refusal(login, known, "wrong password")
        refusal(login, unknown, "wrong password")
    assert_same_time(lambda: login(known, "wrong password"),
                     lambda: login(unknown, "wrong password"),
                     lambda: clock.advance(minutes=16))  # fmt: skip


NO_PASSWORD = {"reset": "ho@school.example", "imported": "lee@s.example"}


@pytest.mark.parametrize("who", NO_PASSWORD)
def test_r32_a_login_without_a_password_takes_as_long_as_a_wrong_one(timed, clock, tmp_path, who):
    """R32, R20: a staff member who has no password yet, whether reset or freshly imported from
    the roster, is answered in the time of a wrong password (it once took 1 ms against 126 ms,
    which told a stranger who is on the roster): the dummy hash is verified and the failure
    counted on the row, as for a wrong password."""
    from tests.unit.test_cli import roster_csv, student_line

    if who == "reset":
        timed.staff_accounts.reset("ho@school.example")
    else:
        path = roster_csv(tmp_path / "r.csv", [student_line("A12345001")])
        assert timed.roster.import_csv(path).ok
    target = NO_PASSWORD[who]
    assert Teacher.get(Teacher.email == target).password_hash is None
    login, known = timed.accounts.staff_login, KINDS["staff"][1]
    for _ in range(3):
        assert refusal(login, known, "wrong password").key == "errors.login.failed"
        assert refusal(login, target, "wrong password").key == "errors.login.failed"
    assert_same_time(lambda: login(known, "wrong password"),
                     lambda: login(target, "wrong password"),
                     lambda: clock.advance(minutes=16))  # fmt: skip


def test_r4_a_reset_request_takes_as_long_for_any_contact(timed, clock):
    """R4: asking for a reset stores one code and sends one message for a known contact (the
    code) and an unknown one (a notice), so the answer comes as fast for both."""
    request = timed.accounts.request_password_reset
    assert_same_time(lambda: request("email", EMAIL),
                     lambda: request("email", "stranger@home.example"),
                     lambda: clock.advance(minutes=61), pairs=2 * PAIRS)  # fmt: skip


def test_r4_a_wrong_reset_code_takes_as_long_for_any_contact(timed, clock):
    """R4: a wrong code for a known contact and for an unknown one runs the same checks."""
    accounts, wrong = timed.accounts, ["000000"]

    def fresh_codes() -> None:
        clock.advance(hours=2)  # twelve failures a day at most: the contact is never blocked
        accounts.request_password_reset("email", EMAIL)
        accounts.request_password_reset("email", "stranger@home.example")
        wrong[0] = f"{(int(code_in(last_body(timed, EMAIL))) + 1) % CODE_SPACE:06d}"

    fresh_codes()
    assert_same_time(lambda: accounts.reset_password("email", EMAIL, wrong[0], GOOD, GOOD),
                     lambda: accounts.reset_password("email", "stranger@home.example",
                                                     wrong[0], GOOD, GOOD),
                     fresh_codes, pairs=2 * PAIRS)  # fmt: skip
