"""R34: a full roster import is the truth for the schools it covers. Students it no longer lists
have left (never deleted), their pending applications close and the parent is told, their
bindings end after the grace period unless they reappear at another school of the database; a
class change takes pending applications to the new teacher; a dry run writes nothing."""

from __future__ import annotations

import csv

import pytest

from app.models import (
    ALL_MODELS,
    Application,
    AuditEvent,
    Binding,
    OutboxMessage,
    Status,
    Student,
    UnbindRequest,
)
from app.services.roster_lifecycle import (
    ACTION_APPLICATION_CLOSED,
    ACTION_APPLICATION_MOVED,
    ACTION_BINDING_ENDED,
    MAIL_APPLICATION_CLOSED,
    MAIL_BINDING_ENDED,
)
from app.services.staff import StaffIdentity
from tests.factories import make_account, submit_application

COLUMNS = [
    "school_code", "school_name", "level", "class", "student_id", "student_name",
    "teacher_email", "teacher_name",
]  # fmt: skip
SCHOOLS = {
    "E001": ("臺北市大安區和平國小", "國小"),
    "E002": ("臺北市信義區光復國小", "國小"),
}
TEACHERS = {
    ("E001", "301"): ("lee@school.example", "李老師"),
    ("E001", "302"): ("ho@school.example", "何老師"),
    ("E002", "101"): ("kao@school.example", "高老師"),
}
# The roster fixture's students as their school lists them: short name -> (school, class).
E001 = {"wu": ("E001", "301"), "wu2": ("E001", "301"), "chen": ("E001", "302"),
        "ali": ("E001", "301")}  # fmt: skip


def roster_file(path, roster, placed: dict[str, tuple[str, str]]):
    """A full roster naming exactly `placed` (short name -> school code, class)."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for short, (code, room) in placed.items():
            school_name, level = SCHOOLS[code]
            teacher, teacher_name = TEACHERS[(code, room)]
            student = roster.student(short)
            writer.writerow([code, school_name, level, room, roster.ids[short], student.name,
                             teacher, teacher_name])  # fmt: skip
    return path


def without(placed: dict, *shorts: str) -> dict:
    return {k: v for k, v in placed.items() if k not in shorts}


def fresh(student: Student) -> Student:
    return Student.get_by_id(student.id)


def mails(services, purpose: str) -> list[tuple[str, str, str]]:
    query = OutboxMessage.select().where(OutboxMessage.purpose == purpose)
    return [(m.recipient, m.subject, services.outbox.body_of(m)) for m in query]


@pytest.fixture
def imported(services, roster, tmp_path):
    """Import a roster file for the fixture's students; returns the report."""
    counter = iter(range(100))

    def run(placed: dict[str, tuple[str, str]], **kwargs):
        path = roster_file(tmp_path / f"roster{next(counter)}.csv", roster, placed)
        report = services.roster.import_csv(path, **kwargs)
        assert report.ok, report.problems
        return report

    return run


def test_r34_a_student_missing_from_a_full_import_has_left_and_is_kept(
    services, roster, imported, clock
):
    report = imported(without(E001, "chen"))
    chen = fresh(roster.student("chen"))
    assert (chen.active, chen.left_at) == (False, clock())  # marked, never deleted
    assert chen.name == "陳曉明" and Student.select().count() == 6
    # The school the file does not cover keeps its students.
    assert fresh(roster.student("lin")).active and fresh(roster.student("lin")).left_at is None
    assert (report.lifecycle.left, report.students_updated) == (1, 3)
    assert [s.id_masked for s in report.plan.left] == [chen.id_masked]
    # A student who left cannot be found at the kiosk any more (R8 looks up active ones only).
    from app.errors import QinziError
    from tests.factories import kiosk_session

    with pytest.raises(QinziError):
        services.applications.lookup_student(
            kiosk_session(services), "elementary", "E001", roster.ids["chen"]
        )


def test_r34_pending_applications_of_a_student_who_left_close_and_the_parent_is_told(
    services, roster, imported
):
    [wu_app] = submit_application(services, roster, ("wu",), email="father@home.example")
    [chen_app] = submit_application(
        services, roster, ("chen",), "mother", name="陳媽媽", email="mother@home.example"
    )
    imported(without(E001, "wu"))
    wu_row = Application.get(Application.number == wu_app.number)
    assert (wu_row.status, wu_row.closed_at) == (Status.VOIDED, services.ctx.clock())
    assert Application.get(Application.number == chen_app.number).status == Status.PENDING
    [(to, subject, body)] = mails(services, MAIL_APPLICATION_CLOSED)
    assert to == "father@home.example"
    assert wu_app.number in body and "吳*寶" in body and "吳三寶" not in body  # R9 masked
    assert "名冊" in subject
    event = AuditEvent.get(AuditEvent.action == ACTION_APPLICATION_CLOSED)
    assert event.target == wu_app.number
    assert roster.ids["wu"] not in event.detail + body


def test_r34_bindings_end_after_the_grace_period_and_the_parent_is_told(
    services, roster, imported, clock
):
    account = make_account(services, roster, children=("wu", "chen"), email="dad@home.example")
    imported(without(E001, "wu"))
    clock.advance(minutes=60 * 24 * 29)
    assert services.retention.purge().bindings_ended == 0  # still within the 30 days
    assert Binding.select().where(Binding.removed_at.is_null()).count() == 2
    clock.advance(minutes=60 * 24 * 2)
    report = services.retention.purge()
    assert report.bindings_ended == 1
    ended = Binding.get(Binding.student == roster.student("wu"))
    assert (ended.removed_at, ended.end_reason, ended.ended_by) == (clock(), "left", None)
    assert Binding.get(Binding.student == roster.student("chen")).removed_at is None
    [(to, _, body)] = mails(services, MAIL_BINDING_ENDED)
    assert to == account.email and "吳*寶" in body
    assert AuditEvent.get(AuditEvent.action == ACTION_BINDING_ENDED).target == f"binding:{ended.id}"
    # The next purge finds nothing more to end and tells nobody twice.
    assert services.retention.purge().bindings_ended == 0
    assert len(mails(services, MAIL_BINDING_ENDED)) == 1


def test_r34_the_grace_period_is_a_setting(services, roster, imported, clock):
    services.ctx.settings.roster_left_grace_days = 5
    make_account(services, roster, children=("wu",))
    imported(without(E001, "wu"))
    clock.advance(minutes=60 * 24 * 5 + 1)
    assert services.retention.purge().bindings_ended == 1


def test_r34_a_pending_unbind_request_of_an_ended_binding_is_closed(
    services, roster, imported, clock
):
    make_account(services, roster, children=("wu",))
    binding = Binding.get()
    UnbindRequest.create(binding=binding, requested_at=clock())
    imported(without(E001, "wu"))
    clock.advance(minutes=60 * 24 * 31)
    services.retention.purge()
    assert UnbindRequest.get().status == Status.CANCELLED


@pytest.mark.parametrize("order", ["left_first", "moved_first"])
def test_r34_a_student_active_at_another_school_keeps_the_bindings(
    services, roster, imported, clock, order
):
    """One student is one row (the ID digest is unique in the database): a move to another
    school updates that row, so whichever school imports first, the student is active."""
    make_account(services, roster, children=("wu",))
    elsewhere = {"wu": ("E002", "101"), "lin": ("E002", "101")}
    if order == "left_first":
        imported(without(E001, "wu"))
        assert fresh(roster.student("wu")).left_at is not None
        back = imported(elsewhere)
        assert len(back.plan.returned) == 1 and len(back.plan.moved) == 1
    else:
        imported(elsewhere)
        report = imported(without(E001, "wu"))
        assert report.lifecycle.left == 0  # wu is no longer E001's student to lose
    wu = fresh(roster.student("wu"))
    assert (wu.active, wu.left_at, wu.school.code, wu.classroom.name) == (True, None, "E002", "101")
    clock.advance(minutes=60 * 24 * 60)
    assert services.retention.purge().bindings_ended == 0
    assert Binding.get().removed_at is None
    assert mails(services, MAIL_BINDING_ENDED) == []


def test_r34_a_student_who_reappears_is_active_again(services, roster, imported, clock):
    imported(without(E001, "ali"))
    assert not fresh(roster.student("ali")).active
    report = imported(E001)
    ali = fresh(roster.student("ali"))
    assert (ali.active, ali.left_at) == (True, None)
    assert report.lifecycle.returned == 1 and report.lifecycle.left == 0


def test_r34_a_class_change_takes_pending_applications_to_the_new_teacher(
    services, roster, imported
):
    [wu_app] = submit_application(services, roster, ("wu",))
    lee = StaffIdentity.of(roster.teachers["lee"])
    ho = StaffIdentity.of(roster.teachers["ho"])
    assert [r.number for r in services.review.queue(lee).rows] == [wu_app.number]
    report = imported({**E001, "wu": ("E001", "302")})
    assert report.lifecycle.applications_moved == 1 and report.lifecycle.moved == 1
    assert [(c.classroom, c.new_classroom) for c in report.plan.moved] == [("301", "302")]
    assert services.review.queue(lee).rows == []
    assert [r.number for r in services.review.queue(ho).rows] == [wu_app.number]
    app = Application.get(Application.number == wu_app.number)
    assert (app.classroom.name, app.status) == ("302", Status.PENDING)
    assert AuditEvent.get(AuditEvent.action == ACTION_APPLICATION_MOVED).target == wu_app.number


def test_r34_a_dry_run_reports_every_change_and_writes_nothing(
    services, roster, imported, tmp_path
):
    submit_application(services, roster, ("wu",))
    imported(without(E001, "ali"))  # ali left earlier
    before = {m.__name__: [tuple(r) for r in m.select().order_by(m._meta.primary_key).tuples()]
              for m in ALL_MODELS}  # fmt: skip
    path = roster_file(
        tmp_path / "next.csv",
        roster,
        {"wu": ("E001", "302"), "chen": ("E001", "302"), "ali": ("E001", "301")},
    )
    report = services.roster.import_csv(path, dry_run=True)
    after = {m.__name__: [tuple(r) for r in m.select().order_by(m._meta.primary_key).tuples()]
             for m in ALL_MODELS}  # fmt: skip
    assert after == before
    plan = report.plan
    assert report.dry_run and report.lifecycle is None
    assert (plan.added, plan.updated) == (0, 3)
    assert [c.name_masked for c in plan.moved] == ["吳*寶"]
    assert [c.name_masked for c in plan.returned] == ["A** C***"]
    assert [c.name_masked for c in plan.left] == ["吳*寶"]  # wu2, 吳大寶
    assert (plan.applications_to_move, plan.applications_to_close) == (1, 0)
    # The same file, imported, does what the dry run said.
    done = services.roster.import_csv(path)
    assert (done.lifecycle.moved, done.lifecycle.returned, done.lifecycle.left) == (1, 1, 1)


def test_r34_the_import_audit_event_counts_the_lifecycle(services, roster, imported):
    imported(without(E001, "chen"))
    import json

    detail = json.loads(AuditEvent.get(AuditEvent.action == "roster.import").detail)
    assert detail["students_left"] == 1 and detail["students_returned"] == 0


def test_r34_a_dry_run_before_any_import_counts_everyone_as_added(services, tmp_path, roster):
    path = roster_file(tmp_path / "r.csv", roster, E001)
    Student.delete().execute()
    report = services.roster.import_csv(path, dry_run=True)
    assert (report.plan.added, report.plan.updated, len(report.plan.left)) == (4, 0, 0)
    assert Student.select().count() == 0


def test_r34_left_students_are_not_touched_again_by_the_next_import(
    services, roster, imported, clock
):
    imported(without(E001, "chen"))
    first = fresh(roster.student("chen")).left_at
    clock.advance(minutes=60 * 24)
    report = imported(without(E001, "chen"))
    assert report.lifecycle.left == 0
    assert fresh(roster.student("chen")).left_at == first  # the grace period runs from the first


def test_r34_masked_only_in_what_a_plan_shows(services, roster, imported):
    report = imported(without(E001, "chen"))
    [change] = report.plan.left
    assert change.id_masked.endswith("******") and roster.ids["chen"] not in repr(report)
    assert "陳曉明" not in repr(report)


def test_r34_the_grace_period_is_read_from_the_config_file(tmp_path):
    from app.config import load_settings
    from app.errors import ConfigError

    assert load_settings(config_file=None, env={}).roster_left_grace_days == 30
    config = tmp_path / "config.toml"
    config.write_text("[roster]\nleft_grace_days = 0\n")
    assert load_settings(config, env={}).roster_left_grace_days == 0
    config.write_text("[roster]\nleft_grace_days = -1\n")
    with pytest.raises(ConfigError) as exc:
        load_settings(config, env={})
    assert exc.value.params["key"] == "roster_left_grace_days"
    from_env = load_settings(None, env={"QINZI_ROSTER_LEFT_GRACE_DAYS": "45"})
    assert from_env.roster_left_grace_days == 45
