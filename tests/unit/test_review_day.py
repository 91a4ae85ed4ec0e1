"""The teacher's start-of-term day and staff ending a binding (issue 14, points 3–5): full names
for the class's own teacher (R9 with R18/R33), the not-yet-bound list and its CSV, class letters
for just those students, the paper form as a condition of approval, and R35."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.errors import Conflict, Forbidden, InvalidInput, RuleRefused
from app.models import AuditEvent, Binding, OutboxMessage, Status, Student
from app.services.reports import list_applications, parse_status
from app.services.staff import StaffIdentity
from tests.factories import submit_application
from tests.unit.test_forms import (
    cli_db,  # noqa: F401 - a fixture
    page_texts,
    run,
)


@pytest.fixture
def staff(roster):
    return {short: StaffIdentity.of(teacher) for short, teacher in roster.teachers.items()}


def mails(services, purpose):
    query = OutboxMessage.select().where(OutboxMessage.purpose == purpose)
    return [(m.recipient, services.outbox.body_of(m)) for m in query.order_by(OutboxMessage.id)]


def approved_wu(services, roster, staff) -> str:
    [done] = submit_application(services, roster, ("wu",))
    services.review.approve(staff["lee"], done.number)
    return done.number


# --- R9 with R18/R33: whose lists show full names ------------------------------------------


def test_r9_r18_the_homeroom_teacher_tells_two_masked_namesakes_apart(services, roster, staff):
    """吳三寶 and 吳大寶 of 301 both mask to 吳*寶: their teacher sees them by name."""
    for short in ("wu", "wu2"):
        submit_application(services, roster, (short,))
    lee = services.review.queue(staff["lee"])
    assert sorted(r.student_name_shown for r in lee.rows) == ["吳三寶", "吳大寶"]
    assert {r.student_name_masked for r in lee.rows} == {"吳*寶"}


def test_r9_r33_school_it_and_other_teachers_see_list_rows_masked(services, roster, staff):
    submit_application(services, roster, ("wu",))
    it_rows = services.review.queue(staff["it"]).rows
    assert [r.student_name_shown for r in it_rows] == ["吳*寶"]
    # …while the application's own page, opened under may_see, names the student in full.
    assert services.review.detail(staff["it"], it_rows[0].number).student_name == "吳三寶"


# --- R35: staff end a binding -----------------------------------------------------------------


def test_r35_teacher_ends_a_binding_with_a_reason_parent_told_audit_names_who_and_why(
    services, roster, staff
):
    number = approved_wu(services, roster, staff)
    binding_id = services.unbinding.end(staff["lee"], number, "custody_order")
    binding = Binding.get_by_id(binding_id)
    assert binding.removed_at is not None
    assert (binding.ended_by_id, binding.end_reason) == (roster.teachers["lee"].id, "custody_order")
    [(to, body)] = mails(services, "binding_ended")
    assert to == "father@home.example"
    assert "法院裁定或監護權變更" in body and "吳*寶" in body and "吳三寶" not in body
    event = AuditEvent.get(AuditEvent.action == "binding.ended")
    assert event.actor == f"staff:{roster.teachers['lee'].id}"
    assert json.loads(event.detail) == {"application": number, "reason": "custody_order",
                                        "role": "teacher"}  # fmt: skip
    state = services.review.detail(staff["lee"], number).binding
    assert (state.active, state.ended_by, state.end_reason) == (False, "李老師", "custody_order")
    with pytest.raises(Conflict):
        services.unbinding.end(staff["lee"], number, "custody_order")


def test_r35_school_it_may_end_and_other_teachers_may_not(services, roster, staff):
    number = approved_wu(services, roster, staff)
    with pytest.raises(Forbidden):
        services.unbinding.end(staff["ho"], number, "mistaken_approval")
    with pytest.raises(Forbidden):
        services.unbinding.end(staff["kao"], number, "mistaken_approval")
    services.unbinding.end(staff["it"], number, "mistaken_approval")
    event = AuditEvent.get(AuditEvent.action == "binding.ended")
    assert json.loads(event.detail)["role"] == "it"


def test_r35_a_reason_is_required_and_only_a_live_binding_ends(services, roster, staff):
    [pending] = submit_application(services, roster, ("wu2",))
    number = approved_wu(services, roster, staff)
    with pytest.raises(InvalidInput) as bad:
        services.unbinding.end(staff["lee"], number, "")
    assert bad.value.key == "errors.review_day.end_reason_invalid"
    with pytest.raises(Conflict):
        services.unbinding.end(staff["lee"], pending.number, "other")
    assert Binding.select().where(Binding.removed_at.is_null()).count() == 1


def test_r35_a_pending_parent_request_for_the_binding_is_settled(services, roster, staff):
    from app.models import UnbindRequest

    number = approved_wu(services, roster, staff)
    binding = Binding.get()
    services.unbinding.request(binding.account_id, binding.id)
    services.unbinding.end(staff["lee"], number, "other")
    assert UnbindRequest.get().status == Status.APPROVED
    assert services.unbinding.page(staff["lee"]).total == 0


# --- the not-yet-bound list -------------------------------------------------------------------


def test_r18_unbound_list_is_the_own_classes_without_binding_or_pending_application(
    services, roster, staff, clock
):
    approved_wu(services, roster, staff)  # wu bound
    [wu2] = submit_application(services, roster, ("wu2",), "mother", relationship="mother",
                               name="林美華", email="mother@home.example")  # fmt: skip
    names = [r.student_name_shown for r in services.unbound.students(staff["lee"])]
    assert names == ["Ali Chen"]  # wu bound, wu2 pending
    services.review.reject(staff["lee"], wu2.number, "請補正")
    rows = services.unbound.students(staff["lee"])
    assert [(r.student_name_shown, r.last_status) for r in rows] == [
        ("吳大寶", Status.REJECTED), ("Ali Chen", None)]  # fmt: skip
    # school IT: every class of the school, names masked (R9); another school's teacher: none
    it_rows = services.unbound.students(staff["it"])
    assert {(r.classroom_name, r.student_name_shown) for r in it_rows} == {
        ("301", "吳*寶"), ("301", "A** C***"), ("302", "陳*明")}  # fmt: skip
    assert [r.classroom_name for r in services.unbound.students(staff["kao"])] == ["101"]


def test_r35_a_student_whose_binding_staff_ended_is_unbound_again(services, roster, staff):
    number = approved_wu(services, roster, staff)
    services.unbinding.end(staff["lee"], number, "custody_order")
    assert "吳三寶" in [r.student_name_shown for r in services.unbound.students(staff["lee"])]


def test_r9_r42_unbound_csv_masks_names_and_never_starts_a_formula(services, roster, staff):
    Student.update(name="=HYPERLINK(1)").where(Student.id == roster.student("ali").id).execute()
    done = services.unbound.export(staff["lee"], None, "zh-TW")
    text = Path(done.path).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "班級,學生,身分證字號,最近一次申請"
    assert done.rows == 3 and len(lines) == 4
    assert "吳三寶" not in text and "吳*寶" in text
    assert roster.ids["wu"] not in text and roster.ids["wu"][:4] + "******" in text
    assert any(line.startswith("301,'=") for line in lines)
    import os
    import stat

    assert stat.S_IMODE(os.stat(done.path).st_mode) == 0o600  # R40
    assert AuditEvent.get(AuditEvent.action == "unbound.exported").detail == '{"rows": 3}'


def test_r18_unbound_export_of_another_teachers_class_is_refused(services, roster, staff):
    room = roster.classrooms["E001-302"].id
    with pytest.raises(Exception) as refused:
        services.unbound.export(staff["lee"], room, "zh-TW")
    assert refused.value.key == "errors.review_day.unknown_class"


def test_r9_letters_unbound_prints_only_the_students_not_yet_bound(services, roster, staff):
    approved_wu(services, roster, staff)
    texts = page_texts(services.forms.letters("E001", "301", unbound_only=True))
    assert len(texts) == 2  # 吳大寶 and Ali Chen; 吳三寶 is bound
    assert "A** C***" in texts[1]
    submit_application(services, roster, ("wu2",), "mother", relationship="mother",
                       name="林美華", email="mother@home.example")  # fmt: skip
    submit_application(services, roster, ("ali",), "other", name="陳大文",
                       email="chen@home.example")  # fmt: skip
    with pytest.raises(RuleRefused) as none:
        services.forms.letters("E001", "301", unbound_only=True)
    assert none.value.key == "errors.review_day.no_unbound"


# --- the paper form (the seed's 簽名切結) ------------------------------------------------------


def test_require_paper_form_makes_paper_received_a_condition_of_approval(services, roster, staff):
    services.ctx.settings.review_require_paper_form = True
    [done] = submit_application(services, roster, ("wu",))
    assert services.review.detail(staff["lee"], done.number).paper_required
    with pytest.raises(RuleRefused) as refused:
        services.review.approve(staff["lee"], done.number)
    assert refused.value.key == "errors.review_day.paper_required"
    assert services.review.bulk_approve(staff["lee"], [done.number]) == []
    services.review.mark_paper_received(staff["lee"], done.number)
    assert services.review.approve(staff["lee"], done.number).status == Status.APPROVED


def test_r28_require_paper_form_holds_back_automatic_approval(services, roster):
    services.ctx.settings.review_require_paper_form = True
    services.ctx.settings.auto_approve_roster_match = True
    [done] = submit_application(services, roster, ("wu",), contact="0912345678")
    assert [r.status for r in list_applications()] == [Status.PENDING]
    assert done.number


def test_r18_approve_and_open_next_offers_the_oldest_pending_of_the_own_classes(
    services, roster, staff, clock
):
    numbers = []
    for short, parent in (("wu", "father"), ("wu2", "mother"), ("chen", "other")):
        [done] = submit_application(services, roster, (short,), parent,
                                    email=f"{parent}@home.example")  # fmt: skip
        numbers.append(done.number)
        clock.advance(minutes=1)
    assert services.review.next_pending(staff["lee"], numbers[0]) == numbers[1]
    services.review.approve(staff["lee"], numbers[1])
    assert services.review.next_pending(staff["lee"], numbers[0]) is None  # chen is 302's


def test_cli_statuses_follow_the_seed_words():
    assert [parse_status(w) for w in ("申請", "認證", "不通過", "approved")] == [
        Status.PENDING, Status.APPROVED, Status.REJECTED, Status.APPROVED]  # fmt: skip


# --- the command line -------------------------------------------------------------------------


def test_cli_letters_unbound_prints_just_the_students_not_yet_bound(cli_db, tmp_path, capsys):  # noqa: F811
    """wu applied, wu2 is bound: of 301 only Ali Chen gets a letter."""
    base, _, _ = cli_db
    out_file = tmp_path / "letters.pdf"
    code, _, _ = run(capsys, "letters", "--school", "E001", "--class", "301", "--unbound",
                       "-o", str(out_file), *base)  # fmt: skip
    assert code == 0
    [text] = page_texts(out_file.read_bytes())
    assert "A** C***" in text


def test_cli_applications_shows_and_filters_by_the_seed_words(cli_db, capsys):  # noqa: F811
    base, pending, approved = cli_db
    code, out, _ = run(capsys, "applications", "--status", "認證", *base)
    assert code == 0 and approved in out and pending not in out and "認證" in out
    code, out, _ = run(capsys, "applications", "--status", "申請", *base)
    assert code == 0 and pending in out and approved not in out


def test_config_file_review_require_paper_form(tmp_path):
    from app.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text("[review]\nrequire_paper_form = true\n")
    assert load_settings(config, env={}).review_require_paper_form is True
    assert load_settings(None, env={}).review_require_paper_form is False


def test_r35_the_binding_ended_mail_goes_out_over_smtp(settings, clock, keyring):
    """R35 through the real path: the outbox hands the mail to an SMTP relay (aiosmtpd)."""
    from app.services import build_services
    from tests.factories import make_roster
    from tests.smtp_server import Inbox, start_server

    inbox = Inbox()
    controller = start_server(inbox)
    mail_settings = settings.replace(mail_transport="smtp", mail_from="office@school.example",
                                     smtp_host="127.0.0.1", smtp_port=controller.port)  # fmt: skip
    svc = build_services(mail_settings, clock=clock, keyring=keyring)
    try:
        roster = make_roster(svc)
        lee = StaffIdentity.of(roster.teachers["lee"])
        [done] = submit_application(svc, roster, ("wu",))
        svc.review.approve(lee, done.number)
        svc.unbinding.end(lee, done.number, "mistaken_approval")
        [mail] = [m for m in inbox.messages if m["Subject"] == "親子綁定已由學校結束"]
        assert mail["To"] == "father@home.example"
        body = mail.get_content()
        assert "誤核" in body and "吳*寶" in body and "臺北市大安區和平國小" in body
        assert OutboxMessage.get(OutboxMessage.purpose == "binding_ended").status == "sent"
    finally:
        svc.close()
        controller.stop()
