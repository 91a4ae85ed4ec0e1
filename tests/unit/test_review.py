"""The teacher's review queue and decisions (R18, R19, R27, R28) and unbinding (R29)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from app.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleRefused
from app.models import (
    Account,
    Application,
    AuditEvent,
    Binding,
    OutboxMessage,
    RosterGuardian,
    Status,
    UnbindRequest,
)
from app.services.staff import StaffIdentity
from tests.factories import make_account, submit_application, verified_contact

ROSTER_MOBILE = "0912345678"  # 吳志明 is on file for 吳三寶 (wu)


@pytest.fixture
def unbinding(services):
    return services.unbinding


@pytest.fixture
def review(services):
    return services.review


@pytest.fixture
def staff(roster):
    return {short: StaffIdentity.of(teacher) for short, teacher in roster.teachers.items()}


@pytest.fixture
def applied(services, roster, clock):
    """wu, wu2, ali (李老師's 301), chen (何老師's 302) at 和平國小 and lin at 光復國小 (高老師),
    one minute apart; returns their numbers by student."""
    numbers = {}
    for short in ["wu", "wu2", "ali"]:
        [done] = submit_application(services, roster, (short,))
        numbers[short] = done.number
        clock.advance(minutes=1)
    [done] = submit_application(services, roster, ("chen",), "mother", relationship="mother",
                                name="林美華", email="mother@home.example")  # fmt: skip
    numbers["chen"] = done.number
    clock.advance(minutes=1)
    [done] = submit_application(services, roster, ("lin",), "grandma", relationship="grandmother",
                                name="林阿嬤", email="grandma@home.example")  # fmt: skip
    numbers["lin"] = done.number
    return numbers


def mails(services, purpose=None):
    query = OutboxMessage.select().order_by(OutboxMessage.id)
    if purpose:
        query = query.where(OutboxMessage.purpose == purpose)
    return [(m.recipient, m.purpose, services.outbox.body_of(m)) for m in query]


# --- R18: who sees what ---------------------------------------------------------------------


def test_r18_a_teacher_sees_only_the_own_classes_and_it_the_school(review, staff, applied):
    lee = review.queue(staff["lee"])
    assert {r.number for r in lee.rows} == {applied[s] for s in ["wu", "wu2", "ali"]}
    assert (lee.total, lee.counts_by_status) == (3, {"pending": 3})
    assert [r.number for r in review.queue(staff["ho"]).rows] == [applied["chen"]]
    assert [r.number for r in review.queue(staff["kao"]).rows] == [applied["lin"]]
    assert review.queue(staff["it"]).total == 4  # all of 和平國小, none of 光復國小


def test_r9_queue_rows_are_masked(review, staff, applied):
    row = next(r for r in review.queue(staff["lee"]).rows if r.number == applied["wu"])
    assert (row.student_name_masked, row.parent_name_masked, row.classroom_name) == (
        "吳*寶",
        "吳*明",
        "301",
    )
    assert row.status == Status.PENDING and not row.needs_documents


def test_r18_queue_sorts_filters_and_searches(review, staff, applied):
    newest_first = review.queue(staff["it"]).rows
    assert [r.number for r in newest_first] == [applied[s] for s in ["chen", "ali", "wu2", "wu"]]
    by_student = review.queue(staff["it"], sort="student", descending=False).rows
    assert [r.student_name_masked[0] for r in by_student] == ["A", "吳", "吳", "陳"]
    typed = applied["chen"].lower().replace("-", "")
    assert [r.number for r in review.queue(staff["it"], search=typed).rows] == [applied["chen"]]
    assert [r.number for r in review.queue(staff["it"], search="曉明").rows] == [applied["chen"]]
    assert review.queue(staff["lee"], search="陳曉明").total == 0  # not in 李老師's class
    assert review.queue(staff["it"], roster_match=True).total == 0
    assert review.queue(staff["it"], status=Status.APPROVED).rows == []
    with pytest.raises(InvalidInput) as err:
        review.queue(staff["it"], sort="parent_id")
    assert err.value.key == "errors.review.sort_invalid"
    with pytest.raises(InvalidInput):
        review.queue(staff["it"], status="lost")


def test_r18_the_queue_is_paged_by_the_query(review, staff, applied, caplog):
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        first = review.queue(staff["it"], page=1, page_size=3)
    second = review.queue(staff["it"], page=2, page_size=3)
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (4, 2, 3, 1)
    assert not {r.number for r in first.rows} & {r.number for r in second.rows}
    selects = [str(r.msg) for r in caplog.records if '"application"' in str(r.msg)]
    assert any("LIMIT" in sql and "OFFSET" in sql for sql in selects)


def test_r18_counts_by_status_follow_decisions(review, staff, applied):
    review.approve(staff["lee"], applied["wu"])
    review.reject(staff["lee"], applied["wu2"], "請補交紙本申請書")
    page = review.queue(staff["lee"])
    assert page.counts_by_status == {"approved": 1, "rejected": 1, "pending": 1}
    assert review.queue(staff["lee"], status=Status.PENDING).total == 1


def test_r18_detail_shows_full_names_and_the_roster_beside(services, review, staff, roster):
    [done] = submit_application(services, roster, ("wu",), contact=ROSTER_MOBILE)
    detail = review.detail(staff["lee"], done.number)
    assert (detail.student_name, detail.parent_name, detail.parent_id_masked) == (
        "吳三寶",
        "吳志明",
        "A100******",
    )
    assert (detail.email, detail.mobile) == ("father@home.example", "0911222333")
    assert detail.roster_match and not detail.decided and detail.content_intact
    [guardian] = detail.guardians
    assert (guardian.name, guardian.mobile, guardian.name_matches, guardian.mobile_matches) == (
        "吳志明",
        ROSTER_MOBILE,
        True,
        True,
    )


def test_r18_another_class_is_forbidden_also_by_a_typed_or_scanned_number(review, staff, applied):
    for who, short in [("lee", "chen"), ("ho", "wu"), ("it", "lin"), ("kao", "wu")]:
        for typed in [applied[short], applied[short].lower().replace("-", " ")]:
            with pytest.raises(Forbidden) as err:
                review.find(staff[who], typed)
            assert err.value.field == "number"
        with pytest.raises(Forbidden):
            review.approve(staff[who], applied[short])
        with pytest.raises(Forbidden):
            review.reject(staff[who], applied[short], "不是我的學生")
        with pytest.raises(Forbidden):
            review.mark_paper_received(staff[who], applied[short])
    assert Application.select().where(Application.status != Status.PENDING).count() == 0
    assert review.find(staff["it"], applied["chen"].lower()).student_name == "陳曉明"
    with pytest.raises(NotFound):
        review.find(staff["it"], "QZ-0000-0000")
    with pytest.raises(InvalidInput) as err:
        review.find(staff["it"], "吳三寶")
    assert (err.value.key, err.value.field) == ("errors.review.number_invalid", "number")


# --- R19: approval --------------------------------------------------------------------------


def test_r19_approval_creates_the_account_binding_mail_and_audit(
    services, review, staff, roster, applied, clock
):
    decision = review.approve(staff["lee"], applied["wu"])
    assert (decision.status, decision.account_created) == (Status.APPROVED, True)
    account = Account.get()
    assert (account.email, account.mobile, account.name, account.id_masked) == (
        "father@home.example",
        "+886911222333",
        "吳志明",
        "A100******",
    )
    assert services.ctx.hasher.verify(account.password_hash, roster.parent_ids["father"][-6:])
    assert account.must_change_password
    assert account.password_expires_at == clock.now + timedelta(days=14)
    [binding] = Binding.select()
    assert (binding.account_id, binding.student_id) == (account.id, roster.student("wu").id)
    stored = Application.get(Application.number == applied["wu"])
    assert (stored.status, stored.decided_by_id, stored.account_id) == (
        Status.APPROVED,
        roster.teachers["lee"].id,
        account.id,
    )
    [(to, _, body)] = mails(services, "application_approved")
    assert to == "father@home.example"
    assert "father@home.example" in body and "後六碼" in body and "第一次登入" in body
    event = AuditEvent.get(AuditEvent.action == "application.approved")
    assert (event.actor, event.target) == (f"staff:{roster.teachers['lee'].id}", applied["wu"])
    detail = review.detail(staff["lee"], applied["wu"])
    assert detail.decided and detail.decided_by == "李老師"


def test_r19_the_initial_password_expires_after_the_configured_days(
    services, review, staff, applied, clock, settings
):
    settings.initial_password_days = 3
    clock.advance(days=2)
    review.approve(staff["lee"], applied["wu"])
    assert (Account.get().password_expires_at - clock.now).days == 3


def test_r19_a_second_child_joins_the_existing_account(services, review, staff, roster, applied):
    review.approve(staff["lee"], applied["wu"])
    decision = review.approve(staff["lee"], applied["wu2"])
    assert not decision.account_created
    assert Account.select().count() == 1
    assert Binding.select().count() == 2
    [(to, _, body)] = mails(services, "binding_approved")
    assert to == "father@home.example" and applied["wu2"] in body


def test_r19_random_password_mode_puts_the_password_only_in_the_mail(
    services, review, staff, roster, applied, settings
):
    settings.initial_password = "random"
    review.approve(staff["lee"], applied["wu"])
    [(_, _, body)] = mails(services, "application_approved_random")
    password = re.search(r"初始密碼：(\S+)", body).group(1)
    account = Account.get()
    assert services.ctx.hasher.verify(account.password_hash, password)
    with pytest.raises(Exception, match="not match"):
        services.ctx.hasher.verify(account.password_hash, roster.parent_ids["father"][-6:])
    assert account.must_change_password and account.password_expires_at is not None
    stored = [str(v) for m in OutboxMessage.select() for v in (m.subject, m.body_sealed)]
    stored += [e.detail for e in AuditEvent.select()]
    stored += [str(v) for row in (account, Application.get()) for v in row.__data__.values()]
    assert not [text for text in stored if password in text]
    if settings.database_url.endswith(".db"):
        services.ctx.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        with open(settings.database_url, "rb") as fh:
            assert password.encode() not in fh.read()


@pytest.mark.parametrize("step", ["binding", "mail", "audit"])
def test_r19_approval_is_all_or_nothing(services, review, staff, applied, monkeypatch, step):
    def boom(*args, **kwargs):
        raise RuntimeError(f"{step} failed")

    if step == "binding":
        monkeypatch.setattr(Binding, "create", boom)
    elif step == "mail":
        monkeypatch.setattr(services.ctx.outbox, "notify", boom)
    else:
        monkeypatch.setattr(services.ctx.audit, "record", boom)
    with pytest.raises(RuntimeError):
        review.approve(staff["lee"], applied["wu"])
    assert Account.select().count() == 0
    assert Binding.select().count() == 0
    assert mails(services, "application_approved") == []
    assert AuditEvent.select().where(AuditEvent.action == "application.approved").count() == 0
    assert Application.get(Application.number == applied["wu"]).status == Status.PENDING
    monkeypatch.undo()
    assert review.approve(staff["lee"], applied["wu"]).account_created


def test_r18_a_decided_application_cannot_be_decided_again(services, review, staff, applied):
    review.approve(staff["lee"], applied["wu"])
    review.reject(staff["lee"], applied["wu2"], "姓名與名冊不符")
    for number in [applied["wu"], applied["wu2"]]:
        with pytest.raises(Conflict) as err:
            review.approve(staff["lee"], number)
        assert err.value.key == "errors.review.already_decided"
        with pytest.raises(Conflict):
            review.reject(staff["lee"], number, "again")
    assert Account.select().count() == 1
    assert len(mails(services, "application_rejected")) == 1


def test_r17_r18_a_withdrawn_application_cannot_be_decided(services, review, staff, applied):
    services.progress.cancel(verified_contact(services).digest, applied["wu"])
    with pytest.raises(Conflict) as err:
        review.approve(staff["lee"], applied["wu"])
    assert err.value.key == "errors.review.withdrawn"
    with pytest.raises(Conflict):
        review.mark_paper_received(staff["lee"], applied["wu"])


def test_r19_an_email_taken_since_submission_stops_the_approval(
    services, review, staff, roster, applied
):
    make_account(services, roster, "mother", email="father@home.example", children=())
    with pytest.raises(RuleRefused) as err:
        review.approve(staff["lee"], applied["wu"])
    assert err.value.key == "errors.review.email_taken"
    assert Binding.select().count() == 0
    assert Application.get(Application.number == applied["wu"]).status == Status.PENDING


# --- R18: rejection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "key"),
    [("", "errors.review.reason_required"), ("   ", "errors.review.reason_required"),
     ("理" * 201, "errors.review.reason_too_long")],
)  # fmt: skip
def test_r18_a_rejection_needs_a_reason(services, review, staff, applied, reason, key):
    with pytest.raises(InvalidInput) as err:
        review.reject(staff["lee"], applied["wu"], reason)
    assert (err.value.key, err.value.field) == (key, "reason")
    assert Application.get(Application.number == applied["wu"]).status == Status.PENDING
    assert mails(services, "application_rejected") == []


def test_r18_the_parent_reads_the_reason(services, review, staff, applied):
    review.reject(staff["lee"], applied["wu"], "關係欄填寫錯誤，請重新申請")
    [(to, _, body)] = mails(services, "application_rejected")
    assert to == "father@home.example" and "關係欄填寫錯誤" in body and applied["wu"] in body
    rows = services.progress.progress(verified_contact(services).digest)
    row = next(r for r in rows if r.number == applied["wu"])
    assert (row.status, row.reject_reason) == (Status.REJECTED, "關係欄填寫錯誤，請重新申請")
    event = AuditEvent.get(AuditEvent.action == "application.rejected")
    assert event.target == applied["wu"] and "關係" not in event.detail


# --- R27: guardians' papers -----------------------------------------------------------------


def test_r27_a_guardian_application_needs_documents_checked(review, staff, applied):
    detail = review.detail(staff["kao"], applied["lin"])
    assert detail.required_documents == ("documents.guardianship_proof",)
    assert review.queue(staff["kao"]).rows[0].needs_documents
    with pytest.raises(RuleRefused) as err:
        review.approve(staff["kao"], applied["lin"])
    assert (err.value.key, err.value.field) == (
        "errors.review.documents_unchecked",
        "documents_checked",
    )
    assert Account.select().count() == 0
    review.approve(staff["kao"], applied["lin"], documents_checked=True)
    assert Application.get(Application.number == applied["lin"]).documents_checked


# --- R28: bulk and automatic approval -------------------------------------------------------


@pytest.fixture
def matched(services, roster):
    """吳志明 is on file for wu, ali (301) and chen (302); he applies for them and wu2 by SMS."""
    for short in ["ali", "chen"]:
        RosterGuardian.create(student=roster.student(short), name="吳志明", mobile="+886912345678")
    done = submit_application(services, roster, ("wu", "wu2", "ali", "chen"), contact=ROSTER_MOBILE)
    return {short: d for short, d in zip(["wu", "wu2", "ali", "chen"], done, strict=True)}


def test_r28_bulk_approves_only_matched_pending_ones_of_the_own_classes(
    services, review, staff, matched
):
    assert [matched[s].roster_match for s in ["wu", "wu2", "ali", "chen"]] == [1, 0, 1, 1]
    assert review.queue(staff["lee"], roster_match=True).total == 2
    typed = [matched[s].number for s in ["wu", "wu2", "chen"]]
    typed += [matched["ali"].number.lower(), "nonsense", "QZ-0000-0000"]
    done = review.bulk_approve(staff["lee"], typed)
    assert done == [matched["wu"].number, matched["ali"].number]
    status = {a.number: a.status for a in Application.select()}
    assert status[matched["wu2"].number] == status[matched["chen"].number] == Status.PENDING
    events = AuditEvent.select().where(AuditEvent.action == "application.approved")
    assert sorted(e.target for e in events) == sorted(done)
    assert len(mails(services, "application_approved") + mails(services, "binding_approved")) == 2
    assert review.bulk_approve(staff["lee"], typed) == []  # nothing left to approve


def test_r28_r27_bulk_skips_guardians_whose_papers_are_unchecked(services, review, staff, roster):
    RosterGuardian.create(student=roster.student("chen"), name="陳阿嬤", mobile="+886922333444")
    [done] = submit_application(services, roster, ("chen",), "grandma", relationship="grandmother",
                                name="陳阿嬤", contact="0922333444")  # fmt: skip
    assert done.roster_match
    assert review.bulk_approve(staff["ho"], [done.number]) == []


def test_r28_r27_the_queue_offers_for_bulk_exactly_what_bulk_approve_takes(
    services, review, staff, roster, matched
):
    """One rule (eligibility.bulk_approvable), asked by the queue's rows and by bulk_approve."""
    RosterGuardian.create(student=roster.student("chen"), name="陳阿嬤", mobile="+886922333444")
    [grandma] = submit_application(services, roster, ("chen",), "grandma",
                                   relationship="grandmother", name="陳阿嬤",
                                   email="grandma@home.example", contact="0922333444")  # fmt: skip
    for who, expected in [("lee", ["wu", "ali"]), ("ho", ["chen"])]:
        rows = review.queue(staff[who]).rows
        offered = [r.number for r in rows if r.bulk_approvable]
        assert sorted(offered) == sorted(matched[s].number for s in expected)
        assert sorted(review.bulk_approve(staff[who], [r.number for r in rows])) == sorted(offered)
    Application.update(documents_checked=True).where(
        Application.number == grandma.number
    ).execute()
    [row] = review.queue(staff["ho"], status=Status.PENDING).rows
    assert row.number == grandma.number and row.bulk_approvable
    assert review.bulk_approve(staff["ho"], [row.number]) == [grandma.number]


def test_r28_automatic_approval_follows_the_switch(services, review, roster, settings):
    [done] = submit_application(services, roster, ("wu",), contact=ROSTER_MOBILE)
    application = Application.get(Application.number == done.number)
    assert not services.applications.approver.approve_automatically(application)
    assert Account.select().count() == 0
    settings.auto_approve_roster_match = True
    assert services.applications.approver.approve_automatically(application)
    stored = Application.get_by_id(application.id)
    assert stored.status == Status.APPROVED and stored.decided_by_id is None
    assert AuditEvent.get(AuditEvent.action == "application.approved").actor == "system"
    assert review.detail(
        StaffIdentity.of(roster.teachers["lee"]), done.number
    ).decided_automatically


def test_r28_an_unmatched_application_is_never_approved_automatically(
    services, review, roster, settings
):
    settings.auto_approve_roster_match = True
    [done] = submit_application(services, roster, ("wu2",), contact=ROSTER_MOBILE)
    assert done.status == Status.PENDING
    application = Application.get(Application.number == done.number)
    assert not services.applications.approver.approve_automatically(application)


# --- paper forms ----------------------------------------------------------------------------


def test_the_paper_form_is_marked_received_once(services, review, staff, applied, clock):
    at = review.mark_paper_received(staff["lee"], applied["wu"].lower())
    assert at == clock.now
    clock.advance(hours=2)
    assert review.mark_paper_received(staff["lee"], applied["wu"]) == at
    assert review.detail(staff["lee"], applied["wu"]).paper_received_at == at
    events = AuditEvent.select().where(AuditEvent.action == "application.paper_received")
    assert [e.target for e in events] == [applied["wu"]]


# --- R29: unbinding -------------------------------------------------------------------------


@pytest.fixture
def unbind(services, roster, clock):
    """The father is bound to wu (301) and chen (302) and asks to unbind both."""
    account = make_account(services, roster, "father", children=("wu", "chen"))
    requests = {}
    for binding in Binding.select().where(Binding.account == account):
        short = "wu" if binding.student_id == roster.student("wu").id else "chen"
        requests[short] = UnbindRequest.create(binding=binding, requested_at=clock.now)
    return requests


def test_r29_staff_see_the_unbind_requests_of_their_classes(unbinding, staff, unbind):
    [row] = unbinding.page(staff["lee"]).rows
    assert (row.request_id, row.student_name, row.parent_name_masked) == (
        unbind["wu"].id,
        "吳三寶",
        "吳*明",
    )
    assert row.email_masked == "fa***@home.example"
    assert [r.request_id for r in unbinding.page(staff["ho"]).rows] == [unbind["chen"].id]
    assert len(unbinding.page(staff["it"]).rows) == 2
    assert unbinding.page(staff["kao"]).rows == []


def test_r29_a_confirmed_unbinding_ends_the_binding_and_tells_the_parent(
    services, unbinding, staff, unbind, clock
):
    assert unbinding.decide(staff["lee"], unbind["wu"].id, confirm=True) == Status.APPROVED
    binding = Binding.get_by_id(unbind["wu"].binding_id)
    assert binding.removed_at == clock.now
    [(to, _, body)] = mails(services, "unbind_confirmed")
    assert to == "father@home.example" and "吳*寶" in body
    event = AuditEvent.get(AuditEvent.action == "unbind.confirmed")
    assert event.target == f"binding:{binding.id}"
    assert unbinding.page(staff["lee"]).rows == []
    with pytest.raises(Conflict) as err:
        unbinding.decide(staff["lee"], unbind["wu"].id, confirm=False)
    assert err.value.key == "errors.review.unbind_decided"


def test_r29_a_declined_unbinding_keeps_the_binding(services, unbinding, staff, unbind):
    assert unbinding.decide(staff["it"], unbind["chen"].id, confirm=False) == Status.REJECTED
    assert Binding.get_by_id(unbind["chen"].binding_id).removed_at is None
    assert len(mails(services, "unbind_declined")) == 1
    assert AuditEvent.get(AuditEvent.action == "unbind.declined").actor.startswith("staff:")


def test_r29_another_class_cannot_decide_an_unbinding(unbinding, staff, unbind):
    with pytest.raises(Forbidden):
        unbinding.decide(staff["ho"], unbind["wu"].id, confirm=True)
    with pytest.raises(Forbidden):
        unbinding.decide(staff["kao"], unbind["chen"].id, confirm=True)
    with pytest.raises(NotFound):
        unbinding.decide(staff["it"], 999_999, confirm=True)
    assert Binding.select().where(Binding.removed_at.is_null()).count() == 2
    assert UnbindRequest.select().where(UnbindRequest.status == Status.PENDING).count() == 2


def test_r31_a_number_without_digits_is_found_by_search(review, staff, applied):
    """QZ-HZVF-YWQP has no digit: typed with its prefix it is still a number, not a name."""
    number = applied["chen"]
    Application.update(number="QZ-HZVF-YWQP").where(Application.number == number).execute()
    for typed in ("qz hzvf ywqp", "QZ-HZVF-YWQP", "qzhzvfywqp"):
        assert [r.number for r in review.queue(staff["it"], search=typed).rows] == ["QZ-HZVF-YWQP"]
