"""Issue 9, point 3: every service entry point that takes what people type, fuzzed on a real
database (SQLite, and PostgreSQL when QINZI_TEST_PG is set: NUL in a string is where
PostgreSQL parts ways with SQLite).

Two properties for each call:
- it returns, or refuses with one of the app's typed errors whose message reads in zh-TW and
  English (R26); never any other exception;
- a refusal writes nothing: every table is the same before and after (never a partial write).

Some refusals write on purpose, and only there is a change allowed: a wrong code counts on the
code and on the contact's day (R4), a wrong password on the account or staff login (R20), a
failed student lookup on the session's and the contact's limits (R8), and each of these is
logged (R24), even a login to an e-mail that has no account. Those counts are what makes
guessing expensive, so they must survive the refusal. The allowance is narrow: only the
counting columns (attempts, voided_at, failed_logins, locked_until), new failure rows, and new
audit events of the refusal kinds.

Examples share the test's database. Each example builds what it needs (a fresh parent ID and
e-mail, a fresh kiosk session, the lock counters cleared, the clock moved on) so that what an
earlier example left behind cannot hide a bug or break the next one."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import unicodedata
from itertools import count

import pytest
from hypothesis import currently_in_test_context, event, given
from hypothesis import strategies as st
from peewee import fn

from app.errors import SessionEnded
from app.identity import check_id, mask_id, normalize_mobile, with_check_digit
from app.models import (
    ALL_MODELS,
    Account,
    Application,
    AuditEvent,
    Channel,
    Level,
    OutboxMessage,
    Relationship,
    School,
    Student,
    Teacher,
    VerificationCode,
    VerificationFailure,
)
from app.services.applications import NAME_MAX, clean_name
from app.services.audit import AuditFilter
from app.services.contacts import normalize_contact
from app.services.kiosk import ParentDetails, content_sha256
from app.services.numbers import parse_number
from app.services.reports import list_applications
from app.services.roster import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from app.services.staff import StaffIdentity
from app.text import drop_control
from tests.factories import (
    TEACHER_PASSWORD,
    kiosk_session,
    make_account,
    submit_application,
    verified_contact,
)
from tests.fuzz_strategies import (
    around,
    assert_renders,
    attempt,
    fullwidth,
    fuzz_settings,
    one_fuzzed,
    printable_text,
    user_text,
    variants,
)

ACCOUNT_EMAIL = "father@home.example"
ACCOUNT_MOBILE = "+886911222333"
GOOD = "lantern orchard velvet"
STUDENT_IDS = {short: with_check_digit(prefix) for short, prefix in [
    ("wu", "A12345678"), ("wu2", "A22345678"), ("chen", "B12000001"), ("lin", "F13110409"),
    ("wang", "Y14476685"), ("ali", "A80000001")]}  # fmt: skip
SCHOOL_OF = {"wu": ("E001", Level.ELEMENTARY), "wu2": ("E001", Level.ELEMENTARY),
             "chen": ("E001", Level.ELEMENTARY), "lin": ("E002", Level.ELEMENTARY),
             "wang": ("J001", Level.JUNIOR), "ali": ("E001", Level.ELEMENTARY)}  # fmt: skip
LOOKUP_REFUSALS = {"errors.application.lookup_failed", "errors.application.lookup_limit",
                   "errors.application.level_invalid"}  # fmt: skip
NAMES = ("吳志明", "Mary Chen", "歐陽娜娜", "Ａｌｉ　Ｃｈｅｎ")
UNIQUE = count(1)
SAME = "<same>"  # drawn in place of a second entry: "type the same as the first"
REAL = "<real>"  # drawn in place of a code: "type the code that was sent"

FEW = fuzz_settings(15)
SOME = fuzz_settings(30)

# --- the database before and after ---------------------------------------------------------

COUNTERS = {
    Account: ("failed_logins", "locked_until"),
    Teacher: ("failed_logins", "locked_until"),
    VerificationCode: ("attempts", "voided_at"),
}
COUNTED_REFUSALS = {
    "errors.code.wrong", "errors.code.too_many", "errors.code.blocked", "errors.login.failed",
    "errors.login.wait", "errors.login.wait_here", "errors.login.wait_it",  # staff: throttled
    "errors.login.initial_expired", "errors.password.current_wrong",
    "errors.application.lookup_failed", "errors.application.lookup_limit",
}  # fmt: skip
COUNTED_TABLES = {"Account.counters", "Teacher.counters", "VerificationCode.counters",
                  "VerificationFailure", "AuditEvent"}  # fmt: skip
REFUSAL_ACTIONS = {"login.failed", "code.failed", "application.lookup_failed",
                   "application.lookup_limit"}  # fmt: skip


# Logs only grow: their row count and last id show any write, and keep snapshots cheap as the
# examples of one test add thousands of rows.
APPEND_ONLY = {AuditEvent, OutboxMessage, VerificationFailure}


def snapshot() -> dict[str, object]:
    """Every row of every table (the counting columns of COUNTERS kept apart); of the logs,
    their size and last id."""
    state: dict[str, object] = {}
    for model in ALL_MODELS:
        pk = model._meta.primary_key
        if model in APPEND_ONLY:
            state[model.__name__] = model.select(fn.COUNT(pk), fn.MAX(pk)).tuples().get()
            continue
        counters = COUNTERS.get(model, ())
        rest = [f for f in model._meta.sorted_fields if f.name not in counters]
        state[model.__name__] = list(model.select(*rest).order_by(pk).tuples())
        if counters:
            columns = [model._meta.fields[c] for c in counters]
            rows = model.select(pk, *columns).order_by(pk).tuples()
            state[f"{model.__name__}.counters"] = list(rows)
    return state


def assert_nothing_written(before: dict[str, object], error) -> None:
    """After a refusal: no table changed, except the counts a counted refusal keeps."""
    after = snapshot()
    changed = {name for name in before if before[name] != after[name]}
    if error.key not in COUNTED_REFUSALS:
        assert not changed, f"{error!r} left a partial write in {sorted(changed)}"
        return
    assert changed <= COUNTED_TABLES, f"{error!r} changed {sorted(changed - COUNTED_TABLES)}"
    last_before = before["AuditEvent"][1] or 0
    added = AuditEvent.select(AuditEvent.action).where(AuditEvent.id > last_before)
    actions = {action for (action,) in added.tuples()}
    assert actions <= REFUSAL_ACTIONS, actions


def call(fn, *args, **kwargs):
    """Run one entry point under both properties; returns (result, refusal)."""
    before = snapshot()
    result, error = attempt(fn, *args, **kwargs)
    if currently_in_test_context():  # for --hypothesis-show-statistics
        event(f"{fn.__name__}: {error.key if error else 'done'}")
    if error is not None:
        assert_nothing_written(before, error)
    return result, error


def assert_clean_text(*values: str | None) -> None:
    """What was stored is free of control characters (R26's refusal keeps them out)."""
    for value in values:
        assert not any(unicodedata.category(ch) == "Cc" for ch in value or ""), repr(value)


# --- strategies that reach past the first check --------------------------------------------


def parent_ids() -> st.SearchStrategy[str]:
    """A fresh, checksum-valid parent ID for nearly every example."""
    return st.builds(
        lambda first, second, digits: with_check_digit(f"{first}{second}{digits:07d}"),
        st.sampled_from("ABCDEFGHJKLMNPQRSTUVXYWZIO"),
        st.sampled_from("1289"),
        st.integers(0, 9_999_999),
    )


emails_like = around("father@home.example", "吳@例子.台灣", "p.chen+kiosk@mail.example")
mobiles_like = around("0912345678", "+886 912 345 678", "0911-222-333")
names = st.one_of(st.sampled_from(NAMES), variants(st.sampled_from(NAMES)), user_text())
students = st.sampled_from(sorted(STUDENT_IDS))


def staff(roster, short: str) -> StaffIdentity:
    return StaffIdentity.of(roster.teachers[short])


def code_sent_to(services, recipient: str) -> str | None:
    message = (
        OutboxMessage.select()
        .where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc())
        .first()
    )
    body = services.outbox.body_of(message) if message else None
    found = re.search(r"(?<!\d)\d{6}(?!\d)", body or "")
    return found.group() if found else None


def unlock_all() -> None:
    """Clear the login counters an earlier example built up, so that this one reaches the
    password check instead of the wait."""
    for model in (Account, Teacher):
        model.update(failed_logins=0, locked_until=None).execute()


# --- step 1: codes (R1–R4) -----------------------------------------------------------------


@SOME
@given(
    channel=st.sampled_from([Channel.EMAIL, Channel.SMS, "fax"]),
    raw=st.one_of(emails_like, mobiles_like),
)
def test_r1_r4_requesting_a_code_with_any_contact(services, clock, channel, raw):
    """R1–R3: a code goes to the normalised contact, or the request is refused whole."""
    clock.advance(minutes=13)
    sent, error = call(services.verification.request_code, channel, raw)
    if error:
        return
    value = normalize_contact(channel, raw)
    last = OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()
    assert last.recipient == value
    assert_clean_text(value, sent.masked)


@SOME
@given(data=st.data())
def test_r4_checking_any_typed_code(services, clock, data):
    """R4: a wrong code counts (and only the counts change); a right one proves the contact."""
    clock.advance(minutes=13)
    attempt(services.verification.request_code, Channel.EMAIL, ACCOUNT_EMAIL)
    args = one_fuzzed(
        data,
        {"raw": variants(st.just(ACCOUNT_EMAIL)), "code": st.just(REAL)},
        {"raw": emails_like, "code": st.one_of(around("123456", "12 34 56"), user_text())},
    )
    code = args["code"]
    if code == REAL:
        code = fullwidth(code_sent_to(services, ACCOUNT_EMAIL) or "000000")
    verified, error = call(services.verification.verify_code, Channel.EMAIL, args["raw"], code)
    if error is None:
        assert verified.value == ACCOUNT_EMAIL == normalize_contact(Channel.EMAIL, args["raw"])


# --- step 2: the student (R5–R8) -----------------------------------------------------------


@SOME
@given(student=students, failures=st.integers(0, 4), data=st.data())
def test_r5_r8_looking_up_and_choosing_any_student(services, roster, student, failures, data):
    """R8: a lookup finds the student or says nothing about which part was wrong, and writes
    nothing but its count (the fifth miss ends the session); R5: the relationship and its
    note are accepted as a clean value or refused."""
    school, level = SCHOOL_OF[student]
    args = one_fuzzed(
        data,
        {"level": st.just(level), "school": st.just(school),
         "raw_id": variants(st.just(STUDENT_IDS[student])),
         "relationship": st.sampled_from(list(Relationship)), "note": printable_text(20)},
        {"level": user_text(), "school": around("E001", "E002", "J001"),
         "raw_id": st.one_of(variants(st.sampled_from(sorted(STUDENT_IDS.values()))),
                             user_text()),
         "relationship": user_text(), "note": user_text()},
    )  # fmt: skip
    apps = services.applications
    session = kiosk_session(services, f"c{next(UNIQUE)}@home.example")
    session = dataclasses.replace(session, failed_lookups=failures)
    found, error = call(apps.lookup_student, session, args["level"], args["school"], args["raw_id"])
    if error:
        assert isinstance(error, SessionEnded) == (error.session or session).ended
        assert error.key in LOOKUP_REFUSALS or error.key.startswith("errors.id."), error
        return
    assert found.value.school_code == args["school"].strip()
    chose, error = call(apps.choose_student, found.session, found.value, args["relationship"],
                        args["note"])  # fmt: skip
    if error is None:
        chosen = chose.students[-1]
        assert chosen.relationship in set(Relationship)
        assert chosen.note is None or 0 < len(chosen.note) <= 20
        assert_clean_text(chosen.note)


# --- step 4: the parent and the submission (R11–R16) ---------------------------------------


def ready_session(services, student: str, relationship: str, note: str | None):
    """A kiosk session at step 4, or None when choosing the student was (rightly) refused."""
    apps = services.applications
    session = kiosk_session(services, f"c{next(UNIQUE)}@home.example")
    code, level = SCHOOL_OF[student]
    found = apps.lookup_student(session, level, code, STUDENT_IDS[student])
    session, error = call(apps.choose_student, found.session, found.value, relationship, note)
    if error:
        return None
    return apps.give_consent(session, scrolled_to_end=True)


@SOME
@given(raw_id=st.one_of(variants(parent_ids()), user_text()), student=students)
def test_r7_r11_parent_id_prefill_with_anything(services, roster, raw_id, student):
    """Step 4 驗證: the parent ID is checked (R7), never the student's own, and the answer
    carries only the masked ID (R9); it writes nothing."""
    session = ready_session(services, student, Relationship.FATHER, None)
    answer, error = call(services.applications.parent_prefill, session, raw_id)
    if error is None:
        assert answer.value.parent_id_masked == mask_id(check_id(raw_id).normalized)


@SOME
@given(student=students, data=st.data())
def test_r11_r16_submitting_any_parent_details(services, roster, student, data):
    """R11–R16: the submission writes every application whole or nothing at all; what it
    stores is the cleaned text, free of control characters, and hashes to the stored SHA-256
    (R16), so the database kept every character as given."""
    args = one_fuzzed(
        data,
        {"parent": parent_ids(), "relationship": st.just(Relationship.FATHER),
         "note": st.none(), "name": st.one_of(st.sampled_from(NAMES), printable_text(50)),
         "email": st.just(SAME), "mobile": variants(st.just("0911222333")),
         "signature": st.just(SAME)},
        {"parent": st.one_of(variants(parent_ids()), user_text()),
         "relationship": st.sampled_from([Relationship.OTHER, Relationship.GRANDMOTHER]),
         "note": st.one_of(printable_text(20), user_text()), "name": names,
         "email": emails_like, "mobile": mobiles_like,
         "signature": st.one_of(names, st.just(SAME).map(lambda s: s + "\x00"))},
    )  # fmt: skip
    session = ready_session(services, student, args["relationship"], args["note"])
    if session is None:
        return
    name = args["name"]
    email = f"p{next(UNIQUE)}@home.example" if args["email"] == SAME else args["email"]
    signature = args["signature"].replace(SAME, name)
    details = ParentDetails(args["parent"], name, email, args["mobile"])
    answer, error = call(services.applications.submit, session, details, signature)
    if error:
        return
    (row,) = answer.value
    app = Application.get(Application.number == row.number)
    assert app.parent_name == clean_name(name) and 0 < len(app.parent_name) <= NAME_MAX
    assert app.parent_id_masked == mask_id(check_id(args["parent"]).normalized)
    assert app.mobile == normalize_mobile(args["mobile"])
    assert content_sha256(app) == app.content_sha256
    assert_clean_text(app.parent_name, app.email, app.relationship_note)


@pytest.mark.process  # a rare character is looked up with fc-list (R43)
@FEW
@given(name=printable_text(50), note=printable_text(20))
def test_r9_the_printed_form_renders_any_accepted_name(services, roster, name, note):
    """下載留存: whatever name and note the kiosk accepted, the form prints (fonts, bidi,
    emoji and combining marks included) instead of failing at the last step."""
    session = ready_session(services, "wu", Relationship.OTHER, note)
    if session is None:
        return
    parent = with_check_digit(f"C1{next(UNIQUE):07d}")
    details = ParentDetails(parent, name, f"p{next(UNIQUE)}@home.example", "0911222333")
    answer, error = call(services.applications.submit, session, details, name)
    if error:
        return
    saved = services.forms.save([answer.value[0].number], owner=session.contact.digest)
    assert saved.path.read_bytes().startswith(b"%PDF")


# --- step 5: the progress page, printing by number (R17, R31) -------------------------------


@pytest.fixture
def submitted(services, roster):
    return submit_application(services, roster, ("wu", "chen"))


@SOME
@given(own=st.sampled_from([None, 0, 1]), data=st.data())
def test_r17_r31_cancelling_and_printing_any_number(services, roster, submitted, own, data):
    """R17: the trash icon, and printing by number, take any typed number: a canonical one of
    this contact's, or a refusal that changes nothing."""
    typed = around("QZ-7K3M-9PXA") if own is None else variants(st.just(submitted[own].number))
    number = data.draw(typed, label="number")
    digest = verified_contact(services).digest
    call(services.forms.applications, [number], owner=digest)
    found = services.progress.get_by_number(number)
    assert found is None or found.number == parse_number(number)
    _, error = call(services.progress.cancel, digest, number)
    if error is None:
        assert Application.get(Application.number == found.number).status == "cancelled"


# --- logins, passwords, contacts (R19–R21) -------------------------------------------------


@pytest.fixture
def account(services, roster):
    return make_account(services, roster, password=GOOD)


@pytest.fixture
def password() -> dict[str, str]:
    """The account's password as the examples of one test change it."""
    return {"current": GOOD}


@SOME
@given(staff_login=st.booleans(), data=st.data())
def test_r20_logging_in_with_anything(services, roster, account, staff_login, data):
    """R20: a login succeeds or answers "that did not work"; a wrong password counts on the
    account (or, for an unknown e-mail, in the log) and nothing else changes."""
    email, secret = ("lee@school.example", TEACHER_PASSWORD) if staff_login else (ACCOUNT_EMAIL,
                                                                                  GOOD)  # fmt: skip
    args = one_fuzzed(
        data,
        {"email": variants(st.just(email)), "password": st.just(secret)},
        {"email": emails_like, "password": st.one_of(variants(st.just(secret)), user_text())},
    )
    unlock_all()
    login = services.accounts.staff_login if staff_login else services.accounts.parent_login
    call(login, args["email"], args["password"])


@SOME
@given(data=st.data())
def test_r19_r20_changing_a_password_to_anything(services, roster, account, password, data):
    """R20: the policy refuses with its own messages and a refused change leaves the old
    password working; an accepted one opens the account."""
    args = one_fuzzed(
        data,
        {"current": st.just(SAME), "new": variants(st.just("a quiet harbour at dawn")),
         "again": st.just(SAME)},
        {"current": user_text(), "new": user_text(), "again": user_text()},
    )  # fmt: skip
    unlock_all()
    current = password["current"] if args["current"] == SAME else args["current"]
    new = args["new"]
    again = new if args["again"] == SAME else args["again"]
    _, error = call(services.accounts.change_password, account.id, current, new, again)
    if error is None:
        password["current"] = new
        assert services.accounts.parent_login(ACCOUNT_EMAIL, new).account_id == account.id
    else:
        unlock_all()
        login = services.accounts.parent_login(ACCOUNT_EMAIL, password["current"])
        assert login.account_id == account.id


@SOME
@given(channel=st.sampled_from([Channel.EMAIL, Channel.SMS]), data=st.data())
def test_r4_r20_resetting_a_password_with_anything(services, clock, roster, account, channel,
                                                   data):  # fmt: skip
    """The forgotten password: the same answer for any contact (R4), a wrong code counts, a
    refused password costs nothing, and only a right code with a good password resets it."""
    contact = ACCOUNT_EMAIL if channel == Channel.EMAIL else "0911222333"
    args = one_fuzzed(
        data,
        {"raw": variants(st.just(contact)), "code": st.just(REAL),
         "new": variants(st.just("a quiet harbour at dawn")), "again": st.just(SAME)},
        {"raw": st.one_of(emails_like, mobiles_like), "code": around("123456"),
         "new": user_text(), "again": user_text()},
    )  # fmt: skip
    clock.advance(minutes=13)
    unlock_all()
    call(services.accounts.request_password_reset, channel, args["raw"])
    code = args["code"]
    if code == REAL:
        recipient = ACCOUNT_EMAIL if channel == Channel.EMAIL else ACCOUNT_MOBILE
        code = code_sent_to(services, recipient) or "000000"
    new = args["new"]
    again = new if args["again"] == SAME else args["again"]
    _, error = call(services.accounts.reset_password, channel, args["raw"], code, new, again)
    if error is None:
        unlock_all()
        assert services.accounts.parent_login(ACCOUNT_EMAIL, new).account_id == account.id


@SOME
@given(channel=st.sampled_from([Channel.EMAIL, Channel.SMS]), data=st.data())
def test_r21_changing_a_contact_to_anything(services, clock, roster, account, channel, data):
    """R21: a new e-mail or mobile is refused whole, or a code goes to it; confirming needs
    that code, and the stored contact is the normalised one."""
    fresh = f"new{next(UNIQUE)}@home.example" if channel == Channel.EMAIL else "0922333444"
    args = one_fuzzed(
        data,
        {"raw": variants(st.just(fresh)), "code": st.just(REAL)},
        {"raw": st.one_of(emails_like, mobiles_like), "code": around("123456")},
    )
    clock.advance(minutes=13)
    contact_change = services.contact_change
    call(contact_change.request, account.id, channel, args["raw"])
    code = args["code"]
    if code == REAL:
        value, bad = attempt(normalize_contact, channel, args["raw"])
        code = (code_sent_to(services, value) if bad is None else None) or "000000"
    _, error = call(contact_change.confirm, account.id, channel, args["raw"], code)
    if error is None:
        stored = Account.get_by_id(account.id)
        value = normalize_contact(channel, args["raw"])
        assert value == (stored.email if channel == Channel.EMAIL else stored.mobile)


@FEW
@given(email=st.one_of(st.just("lee@school.example"), emails_like), new=user_text())
def test_r20_setting_a_staff_password_to_anything(services, roster, email, new):
    """School IT's `qinzi` command sets a staff password: the shared rules, or a refusal."""
    _, error = call(services.accounts.set_staff_password, email, new)
    if error is None:
        unlock_all()
        assert services.accounts.staff_login(email, new).teacher_id


# --- the teacher's review (R18, R24, R27, R28) ---------------------------------------------


@SOME
@given(data=st.data())
def test_r18_searching_and_opening_anything(services, roster, submitted, data):
    """R18: the queue's search and the number box (typed or scanned) take any text; `%` and `_`
    are letters, not wildcards, so a search finds only names that contain what was typed."""
    args = one_fuzzed(
        data,
        {"search": st.sampled_from(["吳", "%", "_", "%%", "吳%", "_寶", "' OR '1'='1", "\\",
                                    "[b]", "Ali", ""]),
         "status": st.sampled_from([None, "pending", "approved"]),
         "sort": st.sampled_from(["submitted_at", "student", "number"]),
         "number": variants(st.sampled_from([s.number for s in submitted]))},
        {"search": st.one_of(around("吳", "QZ-7K3M-9PXA", "Ali"), printable_text()),
         "status": user_text(), "sort": user_text(), "number": around("QZ-7K3M-9PXA")},
    )  # fmt: skip
    teacher = staff(roster, "lee")
    search = args["search"]
    page, _ = call(services.review.queue, teacher, search=search, status=args["status"],
                   sort=args["sort"])  # fmt: skip
    text = " ".join(drop_control(search).split())  # a scanner's control characters go
    looks_numbered = any(ch.isdigit() for ch in text) or text.upper().startswith("QZ")
    if page is not None and text and not looks_numbered:
        for row in page.rows:
            app = Application.get(Application.number == row.number)
            assert text.casefold() in app.student.name.casefold()
    review = services.review
    for entry in (review.find, review.mark_paper_received, review.approve):
        call(entry, teacher, args["number"])
    assert set(review.bulk_approve(teacher, [args["number"]])) <= {s.number for s in submitted}


@SOME
@given(reason=st.one_of(st.just("身分不符"), printable_text(), user_text()))
def test_r18_rejecting_with_any_reason(services, roster, reason):
    """R18: a rejection stores the reason as typed (spaces collapsed), or refuses and leaves
    the application pending."""
    roster.parent_ids["fuzz"] = with_check_digit(f"D1{next(UNIQUE):07d}")
    (row,) = submit_application(services, roster, ("wu",), "fuzz",
                                email=f"p{next(UNIQUE)}@home.example")  # fmt: skip
    _, error = call(services.review.reject, staff(roster, "lee"), row.number, reason)
    app = Application.get(Application.number == row.number)
    if error:
        assert app.status == "pending"
        return
    assert app.status == "rejected" and app.reject_reason == " ".join(reason.split())
    assert_clean_text(app.reject_reason)


@SOME
@given(export=st.booleans(), data=st.data())
def test_r24_audit_filters_with_anything(services, roster, export, data):
    """R24: school IT's filters take any text: a page of the log, or a refusal beside the
    field; an export writes its file and one audit event, or nothing."""
    args = one_fuzzed(
        data,
        {"actor": st.sampled_from(["", "staff", "lee@school.example", "system", "staff:1"]),
         "action": st.sampled_from(["", "login", "code.sent"]),
         "since": st.sampled_from(["", "2026-09-01", "2026/9/1"]),
         "until": st.sampled_from(["", "2026/9/30", "20261231"])},
        {"actor": user_text(), "action": user_text(),
         "since": around("2026-09-01", "0001-01-01", "9999-12-31"), "until": around("2026/9/30")},
    )  # fmt: skip
    it = staff(roster, "it")
    wanted = AuditFilter(**args)
    call(services.audit_log.page, it, wanted)
    if export:
        before = AuditEvent.select().count()
        done, _ = call(services.audit_log.export, it, wanted)
        if done is not None:
            assert AuditEvent.select().count() == before + 1


@FEW
@given(
    level=st.one_of(st.sampled_from(list(Level)), user_text()),
    code=around("E001", "J001"),
    class_name=st.one_of(st.none(), around("301")),
)
def test_lists_by_any_level_status_or_code(services, roster, level, code, class_name):
    """Step 2's school list (R6), a class letter's scanned school code, the letters the
    school prints and `qinzi applications --status`: any text gives a list, a level, a PDF,
    or a refusal."""
    call(services.applications.schools, level)
    call(list_applications, level)
    found = services.applications.school_level(code)
    assert found is None or found in set(Level)
    if class_name is not None:
        pdf, _ = call(services.forms.letters, code, class_name)
        assert pdf is None or pdf.startswith(b"%PDF")


# --- the roster import (R7, R23, R24) ------------------------------------------------------

COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
VALID_CELLS = {
    "school_code": st.sampled_from(["E001", "E009"]),
    "school_name": st.just("臺北市大安區和平國小"),
    "level": st.sampled_from(["國小", "elementary"]),
    "class": st.sampled_from(["301", "忠"]),
    "student_id": st.one_of(st.sampled_from(sorted(STUDENT_IDS.values())), parent_ids()),
    "student_name": st.one_of(st.sampled_from(NAMES), printable_text(50)),
    "teacher_email": st.just("lee@school.example"),
    "teacher_name": st.just("李老師"),
    "student_email": st.just(""),
    "guardian1_name": st.one_of(st.just(""), st.sampled_from(NAMES)),
    "guardian1_mobile": st.sampled_from(["", "0912345678"]),
    "guardian2_name": st.just(""),
    "guardian2_mobile": st.just(""),
}
FUZZED_CELLS = {
    "school_code": around("E001"),
    "school_name": st.one_of(printable_text(), user_text()),
    "level": around("國小", "國中"),
    "class": around("301", "忠"),
    "student_id": st.one_of(variants(parent_ids()), user_text()),
    "student_name": names,
    "teacher_email": around("lee@school.example", "new.teacher@school.example"),
    "teacher_name": st.one_of(printable_text(), user_text()),
    "student_email": emails_like,
    "guardian1_name": names,
    "guardian1_mobile": mobiles_like,
    "guardian2_name": names,
    "guardian2_mobile": mobiles_like,
}


def as_csv(table: list[dict[str, str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows([list(COLUMNS), *([cells[c] for c in COLUMNS] for cells in table)])
    return out.getvalue()


@SOME
@given(shape=st.sampled_from(["rows", "rows", "rows", "text", "raw"]), data=st.data())
def test_r7_r23_importing_any_roster_text(services, roster, tmp_path_factory, shape, data):
    """A roster file of any content: imported whole, or nothing is written and every problem
    is a catalog message tied to a row and column. What was imported holds no control
    characters and imports again without change (a stored value passes its own check)."""
    if shape == "rows":
        table = [one_fuzzed(data, VALID_CELLS, FUZZED_CELLS) for _ in range(data.draw(
            st.integers(1, 3), label="rows"))]  # fmt: skip
        text = as_csv(table)
    elif shape == "text":
        text = ",".join(COLUMNS) + "\n" + data.draw(user_text(), label="text")
    else:
        text = data.draw(user_text(), label="text")
    path = tmp_path_factory.mktemp("roster") / "roster.csv"
    path.write_bytes(text.encode("utf-8"))
    before = snapshot()
    report, error = call(services.roster.import_csv, path)
    if error:
        return
    if report.problems:
        assert snapshot() == before
        for problem in report.problems:
            assert_renders(problem.key, dict(problem.params))
        return
    for school in School.select():
        assert_clean_text(school.code, school.name)
    for student in Student.select():
        assert_clean_text(student.name, student.email)
    again = services.roster.import_csv(path)
    assert again.ok and again.students_added == 0


# --- what the fuzzing found, pinned so that CI checks it on every run ------------------------


def _submit(services, roster, *, name="吳志明", signature=None):
    session = ready_session(services, "wu", Relationship.FATHER, None)
    parent = with_check_digit(f"E1{next(UNIQUE):07d}")
    details = ParentDetails(parent, name, f"p{next(UNIQUE)}@home.example", "0911222333")
    return services.applications.submit, session, details, signature or name


def _choose(services, roster):
    session = kiosk_session(services, f"c{next(UNIQUE)}@home.example")
    found = services.applications.lookup_student(
        session, Level.ELEMENTARY, "E001", STUDENT_IDS["wu"]
    )
    choose = services.applications.choose_student
    return choose, found.session, found.value, Relationship.OTHER, "阿\x1b[2J姨"


def _reject(services, roster):
    (row,) = submit_application(services, roster)
    return services.review.reject, staff(roster, "lee"), row.number, "不符\x00"


def _audit(**wanted):
    return lambda services, roster: (
        services.audit_log.page,
        staff(roster, "it"),
        AuditFilter(**wanted),
    )


FOUND = {
    "name": lambda services, roster: _submit(services, roster, name="吳\x00志明"),
    "signature": lambda services, roster: _submit(services, roster, signature="吳志明\x00"),
    "relationship_note": _choose,
    "reason": _reject,
    "actor": _audit(actor="\x00"),
    "action": _audit(action="\x00"),
    "since": _audit(since="0001-01-01"),
}


@pytest.mark.parametrize("field", sorted(FOUND))
def test_r26_odd_text_is_refused_beside_its_field_before_the_database(services, roster, field):
    """NUL and escape sequences in a name, signature, note or reason, NUL in an audit filter
    (PostgreSQL refuses NUL even in a query) and a day before year 1 in UTC: each was an
    unhandled error or stored as typed; each is now a refusal beside its field that writes
    nothing."""
    fn, *args = FOUND[field](services, roster)
    _, error = call(fn, *args)
    expected = "errors.staff.date_invalid" if field == "since" else "errors.text.control"
    assert error is not None and (error.key, error.field) == (expected, field)


def test_r8_a_school_code_with_nul_is_a_plain_miss(services, roster):
    """A class letter's QR can carry %00; the lookup is an ordinary miss (R8), not a crash."""
    session = kiosk_session(services, "n@home.example")
    _, error = call(services.applications.lookup_student, session, Level.ELEMENTARY, "E0\x0001",
                    STUDENT_IDS["wu"])  # fmt: skip
    assert error.key == "errors.application.lookup_failed"
    assert services.applications.school_level("E001\x00") is None


def test_r18_r24_a_search_of_100000_characters_finds_nothing(services, roster, submitted):
    """SQLite refuses LIKE patterns over 50,000 bytes; a pasted or scanned flood in the queue's
    search or the audit log's actor box is a search that finds nothing, on either database."""
    page, error = call(services.review.queue, staff(roster, "lee"), search="吳" * 100_000)
    assert error is None and page.total == 0
    wanted = AuditFilter(actor="ａ１２３４５６７８９" * 10_000)
    page, error = call(services.audit_log.page, staff(roster, "it"), wanted)
    assert error is None and page.total == 0


def test_r7_a_roster_cell_with_a_control_character_is_a_row_problem(services, roster, tmp_path):
    row = dict.fromkeys(COLUMNS, "")
    row.update({"school_code": "E001", "school_name": "臺北市大安區和平國小", "level": "國小",
                "class": "301", "student_id": STUDENT_IDS["wu"], "student_name": "吳\x00三寶",
                "teacher_email": "lee@school.example", "teacher_name": "李老師"})  # fmt: skip
    path = tmp_path / "roster.csv"
    path.write_text(as_csv([row]), encoding="utf-8")
    report, _ = call(services.roster.import_csv, path)
    assert [(p.line, p.column, p.key) for p in report.problems] == [
        (2, "student_name", "errors.text.control")
    ]
