"""The kiosk's binding applications, steps 2–5 of the parent flow: R5–R17, R27, R28, R31."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import threading

import pytest

from app.errors import InvalidInput, NotFound, RuleRefused, SessionEnded
from app.i18n import t
from app.identity import id_digest, with_check_digit
from app.models import (
    Account,
    Application,
    AuditEvent,
    Binding,
    Level,
    OutboxMessage,
    Relationship,
    RosterGuardian,
    Status,
    Student,
)
from app.services import numbers
from app.services.kiosk import (
    RELATIONSHIP_GROUPS,
    ParentDetails,
    canonical_content,
    required_documents,
)
from tests.factories import kiosk_session, make_account, submit_application, verified_contact

ROSTER_MOBILE = "0912345678"  # 吳志明, on file for 吳三寶 (wu)


@pytest.fixture
def apps(services):
    return services.applications


@pytest.fixture
def progress(services):
    return services.progress


def look_up(apps, session, roster, short):
    """The lookup's answer: the session that found the student, and the student's card."""
    student = roster.student(short)
    return apps.lookup_student(
        session, student.school.level, student.school.code, roster.ids[short]
    )


def choose(apps, session, roster, short, rel="father", note=None):
    found = look_up(apps, session, roster, short)
    return apps.choose_student(found.session, found.value, rel, note)


def ready_session(services, roster, shorts=("wu",), contact="father@home.example", rel="father"):
    """A session at step 4: students chosen, consent given."""
    apps = services.applications
    session = kiosk_session(services, contact)
    for short in shorts:
        session = choose(apps, session, roster, short, rel)
    return apps.give_consent(session, scrolled_to_end=True)


def parent(roster, who="father", name="吳志明", email="father@home.example", mobile="0911222333"):
    return ParentDetails(roster.parent_ids[who], name, email, mobile)


def outbox(services):
    return [
        (m.recipient, m.purpose, m.subject, services.outbox.body_of(m))
        for m in OutboxMessage.select().order_by(OutboxMessage.id)
    ]


# --- step 2: schools, IDs, lookups, relationships ------------------------------------------


def test_r6_schools_are_listed_by_level(apps, roster):
    assert [s.code for s in apps.schools(Level.ELEMENTARY)] == ["E001", "E002"]
    assert [s.name for s in apps.schools("junior")] == ["臺北市中正區南門國中"]
    assert apps.schools(Level.SPECIAL) == []
    with pytest.raises(InvalidInput) as err:
        apps.schools("kindergarten")
    assert (err.value.key, err.value.field) == ("errors.application.level_invalid", "level")


def test_r6_issue18_schools_and_students_found_carry_the_english_name(services, apps, roster):
    """The English name the roster gave (school_name_en) reaches the list and the student
    found; a reader of English sees it, a reader of zh-TW the Chinese name."""
    from app.models import School

    School.update(name_en="Nanmen Junior High School").where(School.code == "J001").execute()
    [nanmen] = apps.schools("junior")
    assert (nanmen.name_en, nanmen.english_in("en"), nanmen.english_in("zh-TW")) == (
        "Nanmen Junior High School", "Nanmen Junior High School", None)  # fmt: skip
    assert {s.name_en for s in apps.schools(Level.ELEMENTARY)} == {None}
    card = apps.lookup_student(kiosk_session(services), "junior", "J001", roster.ids["wang"]).value
    assert card.school_in("en") == "Nanmen Junior High School"
    assert card.school_in("zh-TW") == "臺北市中正區南門國中"


def test_r7_the_verify_button_normalises_or_names_the_reason(apps, roster):
    plain = roster.ids["wu"]
    typed = " " + plain[0].lower() + "".join(chr(ord(c) + 0xFEE0) for c in plain[1:])
    assert apps.check_id(typed, "student_id") == plain
    bad_check = plain[:-1] + str((int(plain[-1]) + 1) % 10)
    for raw, reason in [("", "empty"), ("12345", "format"), (bad_check, "checksum")]:
        with pytest.raises(InvalidInput) as err:
            apps.check_id(raw, "parent_id")
        assert (err.value.key, err.value.field) == (f"errors.id.{reason}", "parent_id")


def test_r8_lookup_finds_the_student_only_when_id_level_and_school_match(services, apps, roster):
    session = kiosk_session(services)
    card = apps.lookup_student(session, "elementary", "E001", roster.ids["wu"].lower()).value
    assert card.student_id == roster.student("wu").id
    assert (card.name_masked, card.school_name, card.classroom_name) == (
        "吳*寶",
        "臺北市大安區和平國小",
        "301",
    )
    misses = [
        ("elementary", "E002", roster.ids["chen"]),  # right level, wrong school
        ("junior", "E001", roster.ids["chen"]),  # wrong level
        ("elementary", "E001", roster.ids["wang"]),  # a student of another school
    ]
    errors = []
    for level, school, raw in misses:
        with pytest.raises(NotFound) as err:
            apps.lookup_student(session, level, school, raw)
        errors.append(err.value)
        session = err.value.session
    # The same message whatever part was wrong; only the count of tries left changes.
    assert {(e.key, e.field) for e in errors} == {
        ("errors.application.lookup_failed", "student_id")
    }
    assert [e.params["left"] for e in errors] == [4, 3, 2]
    assert "學校" in errors[0].message("zh-TW") and "2" in errors[2].message("en")


def test_r8_an_inactive_student_is_not_found(services, apps, roster):
    Student.update(active=False).where(Student.id == roster.student("wu").id).execute()
    with pytest.raises(NotFound):
        apps.lookup_student(kiosk_session(services), "elementary", "E001", roster.ids["wu"])


def test_r8_the_fifth_failed_lookup_ends_the_session(services, apps, roster, settings):
    session = kiosk_session(services)
    with pytest.raises(InvalidInput) as err:  # a malformed ID is refused before any lookup
        apps.lookup_student(session, "elementary", "E001", "A123")
    assert err.value.session is None and session.failed_lookups == 0  # no count
    for _ in range(settings.lookup_failures_per_session - 1):
        with pytest.raises(NotFound) as err:
            apps.lookup_student(session, "elementary", "E002", roster.ids["wu"])
        session = err.value.session
    with pytest.raises(SessionEnded) as err:
        apps.lookup_student(session, "elementary", "E002", roster.ids["wu"])
    assert err.value.key == "errors.application.lookup_limit"
    session = err.value.session
    assert session.ended
    with pytest.raises(SessionEnded):  # even the right answer is refused now
        apps.lookup_student(session, "elementary", "E001", roster.ids["wu"])
    with pytest.raises(SessionEnded):
        apps.give_consent(session, scrolled_to_end=True)
    event = AuditEvent.get(AuditEvent.action == "application.lookup_limit")
    assert event.actor.startswith("contact:") and roster.ids["wu"] not in event.detail


def test_r8_a_miss_is_counted_in_the_session_its_refusal_carries(services, apps, roster, settings):
    """R8: a refusal raised after the count moved carries the session with the count in it, so
    the kiosk that keeps `error.session` cannot be given fresh tries by a refusal; the session
    passed in stays as it was."""
    limit = settings.lookup_failures_per_session
    session = kiosk_session(services)
    for n in range(1, limit):
        given = copy.deepcopy(session)
        with pytest.raises(NotFound) as err:
            apps.lookup_student(session, "elementary", "E002", roster.ids["wu"])
        assert session == given  # untouched
        assert err.value.session.failed_lookups == n and not err.value.session.ended
        assert err.value.session.contact == session.contact
        session = err.value.session
    with pytest.raises(SessionEnded) as err:
        apps.lookup_student(session, "elementary", "E001", with_check_digit("A19999999"))
    assert (err.value.session.failed_lookups, err.value.session.ended) == (limit, True)
    assert (session.failed_lookups, session.ended) == (limit - 1, False)
    ended = err.value.session
    with pytest.raises(SessionEnded) as err:  # the ended session, handed back, stays ended
        apps.lookup_student(ended, "elementary", "E001", roster.ids["wu"])
    assert err.value.session == ended


def test_r8_parent_ids_tried_survive_a_refusal(services, apps, roster):
    """Issue 9 with R11: the student's own ID typed as the parent's is refused, and the refusal
    carries the session that counted it among the IDs tried."""
    session = ready_session(services, roster)
    with pytest.raises(RuleRefused) as err:
        apps.parent_prefill(session, roster.ids["wu"])
    assert err.value.key == "errors.application.parent_is_student"
    assert len(err.value.session.parent_ids_tried) == 1 and not session.parent_ids_tried
    session = err.value.session
    for n in (1111111, 2222222):
        session = apps.parent_prefill(session, with_check_digit(f"A1{n:07d}")).session
    with pytest.raises(SessionEnded) as err:
        apps.parent_prefill(session, with_check_digit("A13333333"))
    assert err.value.session.ended and len(err.value.session.parent_ids_tried) == 4


def test_no_step_changes_the_session_it_is_given(services, apps, roster):
    """Issue 13: the UI thread reads the session while a worker runs a service, so every step
    answers with a new session and leaves the one it was given exactly as it was."""
    given = []

    def keep(session):
        given.append((session, copy.deepcopy(session)))
        return session

    found = apps.lookup_student(keep(kiosk_session(services)), "elementary", "E001",
                                roster.ids["wu"])  # fmt: skip
    session = apps.choose_student(keep(found.session), found.value, "father")
    session = choose(apps, keep(session), roster, "wu2")
    session = apps.remove_student(keep(session), 1)
    with pytest.raises(NotFound):
        apps.lookup_student(keep(session), "elementary", "E002", roster.ids["chen"])
    session = apps.give_consent(keep(session), scrolled_to_end=True)
    session = apps.parent_prefill(keep(session), roster.parent_ids["father"]).session
    done = apps.submit(keep(session), parent(roster), "吳志明")
    assert [d.student_name_masked for d in done.value] == ["吳*寶"]
    assert all(session == before for session, before in given)
    with pytest.raises(dataclasses.FrozenInstanceError):
        session.failed_lookups = 0  # type: ignore[misc]
    assert isinstance(session.students, tuple)
    assert isinstance(session.found_student_ids, frozenset)


def test_r8_the_same_student_twice_in_a_session_is_refused(services, apps, roster):
    found = look_up(apps, kiosk_session(services), roster, "wu")
    session = apps.choose_student(found.session, found.value, Relationship.FATHER)
    with pytest.raises(RuleRefused) as err:
        look_up(apps, session, roster, "wu")
    assert err.value.key == "errors.application.student_already_chosen"
    with pytest.raises(RuleRefused):
        apps.choose_student(session, found.value, Relationship.FATHER)
    assert len(session.students) == 1
    assert session.failed_lookups == 0


def test_r5_every_relationship_of_the_seed_is_accepted(services, apps, roster):
    for rel in Relationship:
        found = look_up(apps, kiosk_session(services), roster, "wu")
        [chosen] = apps.choose_student(found.session, found.value, rel.value, "姑姑").students
        assert chosen.relationship is rel
        assert chosen.note == ("姑姑" if rel is Relationship.OTHER else None)


def test_r5_the_two_groups_hold_every_relationship_once():
    """R5: 法定代理人 is 父親 and 母親; 監護人 is the grandparents and 其他. The screen offers
    these groups as they are; each relationship is in exactly one."""
    groups = RELATIONSHIP_GROUPS
    assert list(groups) == ["legal", "guardian"]
    assert groups["legal"] == (Relationship.FATHER, Relationship.MOTHER)
    assert sorted(groups["legal"] + groups["guardian"]) == sorted(Relationship)
    assert all(r.is_legal_representative for r in groups["legal"])
    assert not any(r.is_legal_representative for r in groups["guardian"])
    assert groups["guardian"][-1] is Relationship.OTHER


@pytest.mark.parametrize(
    ("rel", "note", "key"),
    [
        ("uncle", None, "errors.application.relationship_invalid"),
        ("", None, "errors.application.relationship_invalid"),
        ("other", None, "errors.application.note_required"),
        ("other", "   ", "errors.application.note_required"),
        ("other", "寄" * 21, "errors.application.note_too_long"),
    ],
)
def test_r5_a_bad_relationship_is_refused_beside_its_field(services, apps, roster, rel, note, key):
    found = look_up(apps, kiosk_session(services), roster, "wu")
    with pytest.raises(InvalidInput) as err:
        apps.choose_student(found.session, found.value, rel, note)
    assert err.value.key == key
    assert err.value.field in ("relationship", "relationship_note")
    assert found.session.students == ()


def test_r5_other_takes_a_note_of_up_to_twenty_characters(services, apps, roster):
    session = choose(apps, kiosk_session(services), roster, "wu", "other", "  寄養家庭" + "親" * 16)
    [chosen] = session.students
    assert chosen.note == "寄養家庭" + "親" * 16


def test_r8_only_a_looked_up_student_can_be_chosen_and_one_can_be_removed(services, apps, roster):
    found = look_up(apps, kiosk_session(services), roster, "wu")
    other = kiosk_session(services, "mother@home.example")
    with pytest.raises(InvalidInput) as err:
        apps.choose_student(other, found.value, "mother")
    assert err.value.key == "errors.application.student_not_verified"
    with pytest.raises(InvalidInput):  # the session from before the lookup did not find it
        apps.choose_student(kiosk_session(services), found.value, "father")
    session = apps.choose_student(found.session, found.value, "father")
    session = choose(apps, session, roster, "wu2")
    after = apps.remove_student(session, 0)
    assert [c.card.student_id for c in after.students] == [roster.student("wu2").id]
    assert len(session.students) == 2  # the session passed in is left as it was
    with pytest.raises(NotFound):
        apps.remove_student(after, 5)


# --- step 3: consent ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_r10_the_statement_carries_the_configured_version_and_must_be_scrolled(
    apps, settings, lang
):
    statement = apps.privacy_statement(lang)
    assert statement.version == settings.privacy_statement_version
    assert len(statement.text.splitlines()) > 40  # longer than any kiosk box: it must scroll
    assert (
        "個人資料保護法" if lang == "zh-TW" else "Personal Data Protection Act"
    ) in statement.text


def test_r10_consent_counts_only_after_scrolling_to_the_end(services, apps, roster, clock):
    session = choose(apps, kiosk_session(services), roster, "wu")
    with pytest.raises(RuleRefused) as err:
        apps.give_consent(session, scrolled_to_end=False)
    assert (err.value.key, err.value.field) == (
        "errors.application.consent_not_scrolled",
        "consent",
    )
    assert not session.has_consent
    with pytest.raises(RuleRefused) as err:
        apps.submit(session, parent(roster), "吳志明")
    assert err.value.key == "errors.application.consent_missing"
    assert Application.select().count() == 0
    clock.advance(minutes=3)
    consented = apps.give_consent(session, scrolled_to_end=True)
    assert consented.has_consent and not session.has_consent
    apps.submit(consented, parent(roster), "吳志明")
    stored = Application.get()
    assert (stored.consent_version, stored.consent_at) == ("2026-09", clock.now)


# --- step 4: the parent ---------------------------------------------------------------------


def test_r11_prefill_checks_the_parent_id_and_reveals_no_contact(services, apps, roster):
    session = ready_session(services, roster)
    fresh = apps.parent_prefill(session, roster.parent_ids["father"]).value
    assert (fresh.account_exists, fresh.name, fresh.parent_id_masked) == (False, None, "A100******")
    with pytest.raises(RuleRefused) as err:
        apps.parent_prefill(session, roster.ids["wu"])
    assert (err.value.key, err.value.field) == ("errors.application.parent_is_student", "parent_id")
    with pytest.raises(InvalidInput) as err:
        apps.parent_prefill(session, "A123456788")
    assert (err.value.key, err.value.field) == ("errors.id.checksum", "parent_id")
    make_account(services, roster, "father", email="dad.wu@home.example", children=())
    known = apps.parent_prefill(session, roster.parent_ids["father"]).value
    assert known.account_exists and known.name == "吳*明"  # anyone may have typed the ID
    assert (known.email_masked, known.mobile_masked) == ("da***@home.example", "0911***333")


def test_r9_prefill_cannot_walk_the_parents_one_session_checks_three_ids(services, apps, roster):
    """Issue 9: 驗證 tells whether an ID has an account, so a session may check the parent's own
    ID and a couple of typos — the same one again costs nothing — and a fourth different ID
    ends the session, audited, as R8 ends a walk of the roster."""
    from app.identity import with_check_digit
    from app.models import AuditEvent

    session = ready_session(services, roster)
    tried = [with_check_digit(f"A1{n:07d}") for n in (1111111, 2222222, 3333333, 4444444)]
    for parent_id in tried[:3]:
        answer = apps.parent_prefill(session, parent_id)
        assert answer.value.account_exists is False
        session = answer.session
    answer = apps.parent_prefill(session, tried[0])  # again: free
    assert answer.value.account_exists is False and answer.session == session
    with pytest.raises(SessionEnded) as err:
        apps.parent_prefill(session, tried[3])
    assert err.value.key == "errors.application.parent_id_limit"
    assert t(err.value.key, "zh-TW") != t(err.value.key, "en")
    ended = err.value.session
    with pytest.raises(SessionEnded):
        apps.parent_prefill(ended, tried[0])  # the session is over
    assert AuditEvent.get(AuditEvent.action == "application.parent_id_limit").actor.startswith(
        "contact:"
    )


@pytest.mark.parametrize(
    ("change", "key", "field"),
    [
        ({"name": ""}, "errors.application.name_empty", "name"),
        ({"name": "吳" * 51}, "errors.application.name_too_long", "name"),
        ({"email": "not-an-email"}, "errors.contact.email_invalid", "email"),
        ({"email": ""}, "errors.contact.email_empty", "email"),
        ({"mobile": "0212345678"}, "errors.contact.mobile_invalid", "mobile"),
        ({"mobile": "09123"}, "errors.contact.mobile_invalid", "mobile"),
        ({"raw_id": "A12345678"}, "errors.id.format", "parent_id"),
        ({"raw_id": "student"}, "errors.application.parent_is_student", "parent_id"),
    ],
)
def test_r11_bad_parent_details_are_refused_and_nothing_is_stored(
    services, apps, roster, change, key, field
):
    session = ready_session(services, roster)
    values = {"raw_id": roster.parent_ids["father"], "name": "吳志明"}
    values |= {"email": "father@home.example", "mobile": "0911222333"} | change
    if values["raw_id"] == "student":
        values["raw_id"] = roster.ids["wu"]
    with pytest.raises((InvalidInput, RuleRefused)) as err:
        apps.submit(session, ParentDetails(**values), values["name"] or "吳志明")
    assert (err.value.key, err.value.field) == (key, field)
    assert Application.select().count() == 0 and OutboxMessage.select().count() == 0
    assert len((err.value.session or session).students) == 1  # R26: nothing typed is lost


def test_r11_contacts_are_normalised_and_the_mobile_stored_in_e164(services, apps, roster):
    session = ready_session(services, roster)
    details = ParentDetails(
        roster.parent_ids["father"], " 吳志明 ", "Father@Home.Example", "0911-222-333"
    )
    apps.submit(session, details, "吳志明")
    stored = Application.get()
    assert (stored.parent_name, stored.email, stored.mobile) == (
        "吳志明",
        "father@home.example",
        "+886911222333",
    )


def test_r12_a_students_account_email_is_refused_with_the_fix(services, apps, roster):
    session = ready_session(services, roster)
    with pytest.raises(RuleRefused) as err:
        apps.submit(session, parent(roster, email="WU.DABAO@student.example"), "吳志明")
    assert (err.value.key, err.value.field) == ("errors.application.email_is_student", "email")
    text = err.value.message("zh-TW")
    assert "此 E-mail 為學生帳號使用" in text and "聯絡資訊更改" in text
    assert Application.select().count() == 0


def test_r13_an_email_of_another_persons_account_is_refused(services, apps, roster):
    make_account(
        services, roster, "mother", email="shared@home.example", name="林美華", children=()
    )
    session = ready_session(services, roster)
    with pytest.raises(RuleRefused) as err:
        apps.submit(session, parent(roster, email="shared@home.example"), "吳志明")
    assert (err.value.key, err.value.field) == ("errors.application.email_has_account", "email")
    text = err.value.message("zh-TW")
    assert "此 E-mail 已有帳號，不得再次申請" in text and "忘記密碼" in text
    assert Application.select().count() == 0


def test_r13_a_parent_with_an_account_applies_with_its_own_details(services, apps, roster):
    make_account(services, roster, "father", email="dad.wu@home.example", children=("wu",))
    session = ready_session(services, roster, shorts=("chen",))
    typed = parent(roster, name="吳志明", email="ignored@home.example", mobile="0999888777")
    apps.submit(session, typed, "吳志明")
    stored = Application.get()
    assert (stored.email, stored.mobile) == ("dad.wu@home.example", "+886911222333")


def test_r14_an_email_in_another_parents_application_is_refused(services, apps, roster):
    submit_application(services, roster, ("wu",), "mother", relationship="mother",
                       name="林美華", email="shared@home.example")  # fmt: skip
    session = ready_session(services, roster, shorts=("wu2",), contact="0911222333")
    with pytest.raises(RuleRefused) as err:
        apps.submit(session, parent(roster, email="shared@home.example"), "吳志明")
    assert (err.value.key, err.value.field) == ("errors.application.email_has_application", "email")
    assert "此 E-mail 已有申請紀錄，不得再次申請" in err.value.message("zh-TW")
    # Once the mother withdraws her records the address is free again.
    mother_contact = verified_contact(services, "shared@home.example")
    assert services.progress.void_all(mother_contact.digest) == 1
    apps.submit(session, parent(roster, email="shared@home.example"), "吳志明")
    assert Application.select().where(Application.status == Status.PENDING).count() == 1


def test_r14_the_same_parent_may_use_the_email_again(services, apps, roster):
    submit_application(services, roster, ("wu",))
    submit_application(services, roster, ("chen",))
    assert Application.select().count() == 2


def test_r15_a_pair_already_bound_is_refused_with_login_advice(services, apps, roster):
    make_account(services, roster, "father", children=("wu",))
    session = ready_session(services, roster)
    with pytest.raises(RuleRefused) as err:
        apps.submit(session, parent(roster), "吳志明")
    assert (err.value.key, err.value.field) == ("errors.application.already_bound", "parent_id")
    text = err.value.message("zh-TW")
    assert "中介資料庫已綁定過親子關係" in text and "家長登入" in text


def test_r15_a_removed_binding_can_be_applied_for_again(services, apps, roster, clock):
    make_account(services, roster, "father", children=("wu",))
    Binding.update(removed_at=clock.now).execute()
    submit_application(services, roster, ("wu",))
    assert Application.select().count() == 1


def test_r15_a_second_pending_application_for_the_pair_is_refused(services, apps, roster):
    submit_application(services, roster, ("wu",))
    session = ready_session(services, roster, contact="0911222333")
    with pytest.raises(RuleRefused) as err:
        apps.submit(session, parent(roster), "吳志明")
    assert (err.value.key, err.value.field) == ("errors.application.already_pending", "parent_id")


def test_r15_the_database_index_refuses_a_pending_pair_that_slipped_past(
    services, apps, roster, monkeypatch
):
    """Racing kiosks: if the check were passed by both, the partial unique index still holds,
    and its error becomes the same refusal with nothing stored."""
    submit_application(services, roster, ("wu",))
    monkeypatch.setattr(
        "app.services.applications.refuse_bound_pair",
        lambda digest, student_id: Student.get_by_id(student_id),
    )
    session = ready_session(services, roster, shorts=("chen", "wu"), contact="0911222333")
    with pytest.raises(RuleRefused) as err:
        apps.submit(session, parent(roster), "吳志明")
    assert err.value.key == "errors.application.already_pending"
    assert Application.select().count() == 1  # chen's application went with the refusal


def test_r14_racing_kiosks_with_one_email_store_one_application(services, roster):
    """Two parents press 送出資料 at once with the same e-mail: the transaction's lock keys
    serialise them, so the second sees the first and is refused (R14)."""
    apps = services.applications
    sessions = [
        ready_session(services, roster, shorts=("wu",), contact="0911000001"),
        ready_session(services, roster, shorts=("chen",), contact="0911000002", rel="mother"),
    ]
    people = [parent(roster, "father"), parent(roster, "mother", name="林美華")]
    people = [ParentDetails(p.raw_id, p.name, "same@home.example", p.mobile) for p in people]
    barrier, results = threading.Barrier(2), []

    def run(i):
        barrier.wait()
        try:
            apps.submit(sessions[i], people[i], people[i].name)
            results.append("ok")
        except RuleRefused as exc:
            results.append(exc.key)
        finally:
            services.ctx.db.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == ["errors.application.email_has_application", "ok"]
    assert Application.select().count() == 1


def test_r16_the_signature_must_be_the_name_as_entered(services, apps, roster):
    session = ready_session(services, roster)
    with pytest.raises(InvalidInput) as err:
        apps.submit(session, parent(roster), "  ")
    assert (err.value.key, err.value.field) == ("errors.application.signature_empty", "signature")
    for wrong in ["吳志名", "吳 志明", "王大明"]:
        with pytest.raises(RuleRefused) as err:
            apps.submit(session, parent(roster), wrong)
        assert (err.value.key, err.value.field) == (
            "errors.application.signature_mismatch",
            "signature",
        )
    assert Application.select().count() == 0
    apps.submit(session, parent(roster, name="Mary  Chen"), " Ｍａｒｙ Chen ")
    assert Application.get().parent_name == "Mary Chen"


def test_r16_the_signature_record_covers_the_content(services, apps, roster, clock):
    clock.advance(minutes=7)
    [done] = submit_application(services, roster, ("wu",))
    stored = Application.get(Application.number == done.number)
    assert (stored.signed_at, stored.terminal_id) == (clock.now, "test-kiosk")
    assert stored.content_sha256 == hashlib.sha256(canonical_content(stored)).hexdigest()
    assert b'"signature":"\xe5\x90\xb3\xe5\xbf\x97\xe6\x98\x8e"' in canonical_content(stored)
    stored.email = "someone.else@home.example"
    assert hashlib.sha256(canonical_content(stored)).hexdigest() != stored.content_sha256


def test_r9_r23_the_parent_id_is_stored_only_as_digest_mask_and_password_hash(
    services, apps, roster, keyring
):
    plain = roster.parent_ids["father"]
    submit_application(services, roster, ("wu", "chen"))
    stored = Application.get(Application.student == roster.student("wu"))
    assert stored.parent_id_digest == id_digest(keyring, plain)
    assert stored.parent_id_masked == plain[:4] + "******"
    assert services.ctx.hasher.verify(stored.initial_password_hash, plain[-6:])
    row_text = " ".join(str(v) for v in stored.__data__.values())
    assert plain not in row_text and plain[-6:] not in row_text
    for event in AuditEvent.select():
        assert plain not in event.detail and "吳志明" not in event.detail
    for _, _, subject, body in outbox(services):
        assert plain not in subject and plain not in body


def test_several_students_are_one_transaction(services, apps, roster):
    """One refusal stores none of the session's applications."""
    make_account(services, roster, "father", children=("chen",))
    session = ready_session(services, roster, shorts=("wu", "chen"))
    with pytest.raises(RuleRefused):
        apps.submit(session, parent(roster), "吳志明")
    assert Application.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "application.submitted").count() == 0
    session = apps.remove_student(session, 1)
    assert [s.number for s in apps.submit(session, parent(roster), "吳志明").value]


def test_submit_needs_a_student(services, apps, roster):
    session = apps.give_consent(kiosk_session(services), scrolled_to_end=True)
    with pytest.raises(RuleRefused) as err:
        apps.submit(session, parent(roster), "吳志明")
    assert err.value.key == "errors.application.no_students"


def test_submit_tells_the_verified_contact_and_audits_each_application(services, apps, roster):
    done = submit_application(services, roster, ("wu", "chen"), contact="0911222333")
    assert [d.status for d in done] == [Status.PENDING, Status.PENDING]
    [(to, purpose, _, body)] = outbox(services)
    assert (to, purpose) == ("+886911222333", "application_received_sms")
    assert done[0].number in body and done[1].number in body
    events = AuditEvent.select().where(AuditEvent.action == "application.submitted")
    assert sorted(e.target for e in events) == sorted(d.number for d in done)
    assert {e.actor for e in events} == {
        "contact:" + verified_contact(services, "0911222333").digest[:12]
    }


def test_submit_leaves_the_session_ready_for_the_next_student(services, apps, roster):
    session = ready_session(services, roster)
    after = apps.submit(session, parent(roster), "吳志明").session
    assert after.students == () and not after.has_consent
    assert after.contact == session.contact and len(session.students) == 1


def test_r31_a_number_already_taken_is_drawn_again(services, apps, roster, monkeypatch):
    [first] = submit_application(services, roster, ("wu",))
    draws = iter([first.number, first.number, "QZ-AAAA-BBBB"])
    monkeypatch.setattr(numbers, "new_number", lambda: next(draws))
    [second] = submit_application(services, roster, ("chen",))
    assert second.number == "QZ-AAAA-BBBB"


# --- R27 and R28 ----------------------------------------------------------------------------


def test_r27_guardians_are_told_which_papers_to_bring(services, roster):
    [grandma] = submit_application(services, roster, ("wu",), "grandma", relationship="grandmother",
                                   name="吳林阿嬌", email="grandma@home.example")  # fmt: skip
    [aunt] = submit_application(services, roster, ("chen",), "other", relationship="other",
                                note="姑姑", name="陳小芬", email="aunt@home.example")  # fmt: skip
    [dad] = submit_application(services, roster, ("lin",))
    assert grandma.required_documents == ("documents.guardianship_proof",)
    assert aunt.required_documents == ("documents.delegation_letter",)
    assert dad.required_documents == ()
    assert "委託證明書" in t(aunt.required_documents[0], "zh-TW")
    assert "court" in t(grandma.required_documents[0], "en")
    assert all(required_documents(r) for r in Relationship if not r.is_legal_representative)


def test_r28_a_roster_match_needs_the_name_and_the_sms_verified_mobile(services, roster):
    [matched] = submit_application(services, roster, ("wu",), contact=ROSTER_MOBILE)
    assert matched.roster_match
    assert Application.get(Application.number == matched.number).roster_match


@pytest.mark.parametrize(
    ("contact", "name"),
    [
        ("father@home.example", "吳志明"),  # e-mail session: no mobile was proven
        ("0911222333", "吳志明"),  # another mobile
        (ROSTER_MOBILE, "吳志銘"),  # another name
    ],
)
def test_r28_anything_less_is_no_match(services, roster, contact, name):
    [done] = submit_application(services, roster, ("wu",), contact=contact, name=name,
                                mobile=ROSTER_MOBILE)  # fmt: skip
    assert not done.roster_match


def test_r28_auto_approval_is_off_by_default(services, roster):
    [done] = submit_application(services, roster, ("wu",), contact=ROSTER_MOBILE)
    assert done.status == Status.PENDING
    assert Account.select().count() == 0


def test_r28_auto_approval_switch_approves_matches_at_once(services, roster, settings):
    settings.auto_approve_roster_match = True
    done = submit_application(services, roster, ("wu", "wu2"), contact=ROSTER_MOBILE)
    assert [(d.roster_match, d.status) for d in done] == [
        (True, Status.APPROVED),
        (False, Status.PENDING),
    ]
    account = Account.get()
    assert [b.student_id for b in account.bindings] == [roster.student("wu").id]
    approved = AuditEvent.get(AuditEvent.action == "application.approved")
    assert (approved.actor, approved.target) == ("system", done[0].number)


def test_r28_r27_auto_approval_leaves_guardians_to_the_teacher(services, roster, settings):
    settings.auto_approve_roster_match = True
    RosterGuardian.create(student=roster.student("chen"), name="陳阿嬤", mobile="+886922333444")
    [done] = submit_application(services, roster, ("chen",), "grandma", relationship="grandmother",
                                name="陳阿嬤", contact="0922333444")  # fmt: skip
    assert done.roster_match and done.status == Status.PENDING


# --- the progress page (R17) ----------------------------------------------------------------


def test_r37_the_step4_email_and_mobile_open_the_progress_page_too(services, progress, roster):
    """Issue 16: the decision mail goes to the step-4 address and tells the parent to come back
    with it; that address (or the step-4 mobile), proven by its own code, finds the application,
    and may cancel it, while a stranger's contact finds nothing."""
    [done] = submit_application(services, roster, ("wu",), contact="0922000111",
                                email="dad.work@office.example", mobile="0933444555")  # fmt: skip
    for typed in ("dad.work@office.example", "0933444555", "0922000111"):
        contact = verified_contact(services, typed)
        assert progress.has_applications(contact.digest), typed
        assert [r.number for r in progress.progress(contact.digest)] == [done.number]
    assert not progress.has_applications(verified_contact(services, "mum@home.example").digest)
    with pytest.raises(NotFound):
        progress.cancel(verified_contact(services, "mum@home.example").digest, done.number)
    progress.cancel(verified_contact(services, "0933444555").digest, done.number)
    assert not progress.has_applications(verified_contact(services, "0922000111").digest)


def test_r37_applications_from_before_the_rule_are_found_once_the_database_opens_again(
    services, progress, roster
):
    from app.models import Application
    from app.services.progress import fill_step4_digests

    [done] = submit_application(services, roster, ("wu",), contact="0922000111")
    Application.update(email_digest=None, mobile_digest=None).execute()  # as schema 6 left it
    work = verified_contact(services, "father@home.example")
    assert not progress.has_applications(work.digest)
    assert fill_step4_digests(services.ctx.keyring) == 1
    assert [r.number for r in progress.progress(work.digest)] == [done.number]
    assert fill_step4_digests(services.ctx.keyring) == 0


def test_step1_a_contact_with_applications_goes_to_the_progress_page(services, progress, roster):
    contact = verified_contact(services, "father@home.example")
    assert not progress.has_applications(contact.digest)
    [done] = submit_application(services, roster, ("wu",))
    assert progress.has_applications(contact.digest)
    assert not progress.has_applications(verified_contact(services, "0955666777").digest)
    [row] = progress.progress(contact.digest)
    assert (row.number, row.student_name_masked, row.status, row.cancellable) == (
        done.number,
        "吳*寶",
        Status.PENDING,
        True,
    )
    progress.cancel(contact.digest, done.number)
    assert not progress.has_applications(contact.digest)


def test_r17_the_trash_icon_cancels_a_pending_application(services, progress, roster):
    contact = verified_contact(services, "father@home.example")
    done = submit_application(services, roster, ("wu", "chen"))
    progress.cancel(contact.digest, done[0].number.lower().replace("-", ""))
    assert [r.number for r in progress.progress(contact.digest)] == [done[1].number]
    stored = Application.get(Application.number == done[0].number)
    assert stored.status == Status.CANCELLED and stored.closed_at is not None
    event = AuditEvent.get(AuditEvent.action == "application.cancelled")
    assert event.target == done[0].number
    with pytest.raises(NotFound):  # already gone
        progress.cancel(contact.digest, done[0].number)


def test_r17_only_a_pending_application_can_be_cancelled(services, progress, roster):
    contact = verified_contact(services, "father@home.example")
    [done] = submit_application(services, roster, ("wu",))
    Application.update(status=Status.APPROVED).execute()
    with pytest.raises(RuleRefused) as err:
        progress.cancel(contact.digest, done.number)
    assert err.value.key == "errors.application.not_cancellable"
    assert Application.get().status == Status.APPROVED


def test_r17_another_contacts_application_is_not_found(services, progress, roster):
    [done] = submit_application(services, roster, ("wu",))
    stranger = verified_contact(services, "stranger@home.example")
    for number in [done.number, "QZ-0000-0000", "nonsense"]:
        with pytest.raises(NotFound) as err:
            progress.cancel(stranger.digest, number)
        assert err.value.key == "errors.application.not_found"
    assert Application.get().status == Status.PENDING


def test_r17_void_all_removes_pending_and_rejected_never_approved(services, progress, roster):
    contact = verified_contact(services, "father@home.example")
    done = submit_application(services, roster, ("wu", "chen", "lin"))
    statuses = {done[0].number: Status.APPROVED, done[1].number: Status.REJECTED}
    for number, status in statuses.items():
        Application.update(status=status).where(Application.number == number).execute()
    assert progress.void_all(contact.digest) == 2
    rows = progress.progress(contact.digest)
    assert [(r.number, r.status, r.cancellable) for r in rows] == [
        (done[0].number, Status.APPROVED, False)
    ]
    voided = AuditEvent.select().where(AuditEvent.action == "application.voided")
    assert sorted(e.target for e in voided) == sorted([done[1].number, done[2].number])
    assert progress.void_all(contact.digest) == 0
    assert progress.void_all(verified_contact(services, "stranger@home.example").digest) == 0


def test_r31_get_by_number_reads_what_was_typed(services, progress, roster):
    [done] = submit_application(services, roster, ("wu",))
    assert progress.get_by_number(done.number.lower().replace("-", " ")).number == done.number
    assert progress.get_by_number("QZ-0000-0000") is None
    assert progress.get_by_number("吳三寶") is None


def test_r16_a_parent_with_an_account_signs_with_the_name_as_typed_and_the_teacher_sees_it(
    services, roster
):
    """Issue 16: the stored name shows masked (吳*明), so the signature cannot be asked to match
    it letter for letter; the name as typed is kept, covered by the signature's hash, and shown
    to the teacher when it differs."""
    from app.models import Application
    from app.services.kiosk import content_sha256
    from app.services.staff import StaffIdentity

    make_account(services, roster, "father", name="吳志明", children=())
    [done] = submit_application(services, roster, ("wu",), name="吳志民")
    row = Application.get(Application.number == done.number)
    assert (row.parent_name, row.signed_name) == ("吳志明", "吳志民")
    assert row.content_sha256 == content_sha256(row)
    detail = services.review.detail(StaffIdentity.of(roster.teachers["lee"]), done.number)
    assert detail.signed_name == "吳志民"
    [same] = submit_application(services, roster, ("chen",), name="吳志明")
    assert Application.get(Application.number == same.number).signed_name is None


def test_r13_the_received_mail_reminds_of_papers_only_when_someone_must_bring_them(
    services, roster
):
    """Issue 16: a father was told "guardians, remember your papers" in his confirmation."""
    from app.models import OutboxMessage

    def received(email: str) -> str:
        message = OutboxMessage.get(OutboxMessage.recipient == email,
                                    OutboxMessage.purpose == "application_received")  # fmt: skip
        return services.outbox.body_of(message)

    submit_application(services, roster, ("wu",), email="dad@home.example")
    submit_application(services, roster, ("chen",), "grandma", relationship="grandmother",
                       name="陳阿嬤", email="grandma@home.example")  # fmt: skip
    assert "證明文件" not in received("dad@home.example")
    assert "證明文件" in received("grandma@home.example")
