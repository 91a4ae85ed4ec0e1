"""The staff terminal beside the decisions (R18, R24, R29): sorting by every column, the roster's
record beside an application, who is logged in (services.staff), unbinding requests paged like the
queue (services.unbinding), and the audit log with its CSV export for school IT
(services.audit_log)."""

from __future__ import annotations

import csv
import logging
from datetime import datetime
from pathlib import Path

import pytest

from app.errors import Forbidden, InvalidInput, NotFound
from app.models import Application, AuditEvent, Binding, Classroom, Student, UnbindRequest
from app.services.audit import SYSTEM, AuditFilter, teacher_actor
from app.services.staff import StaffIdentity
from tests.factories import make_account, submit_application


@pytest.fixture
def unbinding(services):
    return services.unbinding


@pytest.fixture
def audit_log(services):
    return services.audit_log


@pytest.fixture
def staff(roster):
    return {short: StaffIdentity.of(teacher) for short, teacher in roster.teachers.items()}


def test_r18_the_queue_sorts_by_relationship_and_roster_match(services, roster, staff, clock):
    [grandma] = submit_application(services, roster, ("wu2",), "grandma",
                                   relationship="grandmother", name="吳阿嬤",
                                   email="grandma@home.example")  # fmt: skip
    clock.advance(minutes=1)
    [matched] = submit_application(services, roster, ("wu",), contact="0912345678")
    review = services.review
    by_relationship = review.queue(staff["lee"], sort="relationship", descending=False).rows
    assert [r.relationship for r in by_relationship] == ["father", "grandmother"]
    by_match = review.queue(staff["lee"], sort="roster_match", descending=True).rows
    assert [r.number for r in by_match] == [matched.number, grandma.number]
    assert not by_match[1].documents_checked


def test_r18_the_roster_record_beside_the_application_shows_what_changed(services, roster, staff):
    [done] = submit_application(services, roster, ("wu",))
    record = services.review.detail(staff["lee"], done.number).roster
    assert (record.student_name, record.classroom_name, record.student_id_masked) == (
        "吳三寶",
        "301",
        roster.student("wu").id_masked,
    )
    assert record.school_matches and record.classroom_matches and record.level_matches
    assert record.active
    # A re-import moved the student to 302 after the parent applied.
    Student.update(classroom=roster.classrooms["E001-302"]).where(
        Student.id == roster.student("wu").id
    ).execute()
    record = services.review.detail(staff["lee"], done.number).roster
    assert record.classroom_name == "302" and not record.classroom_matches
    assert record.school_matches


def test_the_profile_names_the_school_and_classes(services, staff):
    lee = services.staff.profile(staff["lee"])
    assert (lee.name, lee.school_name, lee.classrooms, lee.is_it) == (
        "李老師",
        "臺北市大安區和平國小",
        ("301",),
        False,
    )
    it = services.staff.profile(staff["it"])
    assert it.is_it and it.classrooms == ()


# --- R29: unbinding requests, paged -----------------------------------------------------------


@pytest.fixture
def requests(services, roster, clock):
    """Three bound parents of wu (301) and chen (302) ask to unbind, a minute apart."""
    out = {}
    for parent, email, child in [("father", "f@home.example", "wu"),
                                 ("mother", "m@home.example", "wu"),
                                 ("other", "o@home.example", "chen")]:  # fmt: skip
        account = make_account(services, roster, parent, email=email, children=(child,))
        binding = Binding.get(Binding.account == account)
        out[parent] = UnbindRequest.create(binding=binding, requested_at=clock.now)
        clock.advance(minutes=1)
    return out


def test_r29_unbinding_requests_are_paged_by_the_query(unbinding, staff, requests, caplog):
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        first = unbinding.page(staff["it"], page=1, page_size=2)
    second = unbinding.page(staff["it"], page=2, page_size=2)
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (3, 2, 2, 1)
    assert [r.request_id for r in first.rows + second.rows] == [
        requests[p].id for p in ["father", "mother", "other"]
    ]
    sql = [str(r.msg) for r in caplog.records if '"unbind_request"' in str(r.msg)]
    assert any("LIMIT" in q and "OFFSET" in q for q in sql)
    row = first.rows[0]
    assert (row.student_name_masked, row.student_name, row.email_masked) == (
        "吳*寶",
        "吳三寶",
        "f***@home.example",
    )
    lee = unbinding.page(staff["lee"])
    assert lee.total == 2 and unbinding.page(staff["ho"]).total == 1
    assert unbinding.page(staff["kao"]).total == 0


def test_r29_r18_one_request_opens_only_for_its_class(unbinding, staff, requests):
    assert unbinding.get(staff["lee"], requests["father"].id).student_name == "吳三寶"
    with pytest.raises(Forbidden):
        unbinding.get(staff["ho"], requests["father"].id)
    with pytest.raises(Forbidden):
        unbinding.get(staff["kao"], requests["other"].id)
    with pytest.raises(NotFound):
        unbinding.get(staff["it"], 999_999)
    unbinding.decide(staff["lee"], requests["father"].id, confirm=True)
    assert unbinding.get(staff["lee"], requests["father"].id).status == "approved"
    assert unbinding.page(staff["lee"]).total == 1


# --- R24: the audit log for school IT ---------------------------------------------------------


@pytest.fixture
def log(services, roster, clock):
    """Events on both sides of midnight in Taipei (16:00 UTC) of 2026-09-01 → 09-02, of 和平國小
    but for a parent's login (no school) and one of 光復國小 (R33: never in 和平's log)."""
    audit = services.audit
    lee, ho, kao = (teacher_actor(roster.teachers[s].id) for s in ["lee", "ho", "kao"])
    clock.now = datetime(2026, 9, 1, 15, 59)
    audit.record(lee, "application.approved", "QZ-AAAA-AAAA")
    audit.record(kao, "application.approved", "QZ-CCCC-CCCC")
    clock.now = datetime(2026, 9, 1, 16, 0)
    audit.record(ho, "application.rejected", "QZ-BBBB-BBBB")
    audit.record(SYSTEM, "retention.purge", "", school=roster.teachers["lee"].school_id)
    audit.record("account:7", "login", "7", kind="parent")
    return {"lee": lee, "ho": ho, "kao": kao}


def targets(page) -> list[str]:
    return [r.target for r in page.rows]


def test_r24_only_school_it_reads_the_log(audit_log, staff, log):
    for who in ["lee", "ho", "kao"]:
        for call in (lambda s: audit_log.page(s, AuditFilter()), audit_log.actions,
                     lambda s: audit_log.export(s, AuditFilter())):  # fmt: skip
            with pytest.raises(Forbidden) as err:
                call(staff[who])
            assert err.value.key == "errors.staff.audit_it_only"
    assert audit_log.page(staff["it"], AuditFilter()).total == 3


def test_r33_school_it_reads_only_its_own_schools_events(audit_log, staff, log):
    """R33: 和平國小's IT reads 和平's events only: not 光復國小's, not a parent's login."""
    rows = audit_log.page(staff["it"], AuditFilter()).rows
    assert [(r.actor, r.target) for r in rows] == [
        (SYSTEM, ""), (log["ho"], "QZ-BBBB-BBBB"), (log["lee"], "QZ-AAAA-AAAA"),
    ]  # fmt: skip
    assert audit_log.page(staff["it"], AuditFilter(actor=log["kao"])).total == 0
    assert "login" not in audit_log.actions(staff["it"])


def test_r24_the_log_filters_by_actor_action_and_taipei_day(audit_log, staff, roster, log):
    it = staff["it"]
    page = audit_log.page(it, AuditFilter(actor="lee@school.example"))
    assert targets(page) == ["QZ-AAAA-AAAA"] and page.names == {log["lee"]: "李老師"}
    assert targets(audit_log.page(it, AuditFilter(actor=log["ho"]))) == ["QZ-BBBB-BBBB"]
    assert audit_log.page(it, AuditFilter(actor="staff")).total == 2
    assert audit_log.page(it, AuditFilter(actor="System")).total == 1
    assert audit_log.page(it, AuditFilter(actor="nobody@school.example")).total == 0
    assert targets(audit_log.page(it, AuditFilter(action="application.rejected"))) == [
        "QZ-BBBB-BBBB"
    ]
    assert targets(audit_log.page(it, AuditFilter(until="2026-09-01"))) == ["QZ-AAAA-AAAA"]
    assert audit_log.page(it, AuditFilter(since="2026/9/2")).total == 2
    assert audit_log.page(it, AuditFilter(since="２０２６０９０２", until="2026-09-02")).total == 2
    assert {"application.approved", "retention.purge"} <= set(audit_log.actions(it))


@pytest.mark.parametrize(
    ("wanted", "key", "field"),
    [(AuditFilter(since="yesterday"), "errors.staff.date_invalid", "since"),
     (AuditFilter(until="2026-02-30"), "errors.staff.date_invalid", "until"),
     (AuditFilter(since="2026-09-02", until="2026-09-01"), "errors.staff.date_order", "until")],
)  # fmt: skip
def test_r24_a_bad_date_is_refused_beside_its_field(audit_log, staff, log, wanted, key, field):
    with pytest.raises(InvalidInput) as err:
        audit_log.page(staff["it"], wanted)
    assert (err.value.key, err.value.field) == (key, field)
    with pytest.raises(InvalidInput):
        audit_log.export(staff["it"], wanted)
    assert not (audit_log.ctx.settings.data_dir / "exports").exists()


def test_r24_the_log_is_paged_by_the_query(audit_log, staff, log, caplog):
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        first = audit_log.page(staff["it"], AuditFilter(), page=1, page_size=2)
    second = audit_log.page(staff["it"], AuditFilter(), page=2, page_size=2)
    assert (first.pages, len(first.rows), len(second.rows)) == (2, 2, 1)
    sql = [str(r.msg) for r in caplog.records if '"audit_event"' in str(r.msg)]
    assert any("LIMIT" in q and "OFFSET" in q for q in sql)


def test_r24_the_export_writes_a_csv_under_the_data_folder_and_is_logged(
    services, audit_log, staff, log, settings
):
    done = audit_log.export(staff["it"], AuditFilter(actor="staff"))
    path = Path(done.path)
    assert path.parent == settings.data_dir / "exports" and path.suffix == ".csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # a spreadsheet reads it as UTF-8
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert done.rows == len(rows) == 2
    assert [(r["actor_name"], r["action"], r["target"]) for r in rows] == [
        ("何老師", "application.rejected", "QZ-BBBB-BBBB"),
        ("李老師", "application.approved", "QZ-AAAA-AAAA"),
    ]
    assert rows[1]["at_taipei"] == "2026-09-01 23:59:00"
    event = AuditEvent.get(AuditEvent.action == "audit.exported")
    assert (event.actor, event.target) == (teacher_actor(staff["it"].teacher_id), path.name)
    again = audit_log.export(staff["it"], AuditFilter())
    assert again.path != done.path and again.rows == 4  # the first export is in the log too


def test_r9_the_export_holds_no_personal_data(services, audit_log, staff, roster):
    [done] = submit_application(services, roster, ("wu",))
    services.review.approve(staff["lee"], done.number)
    path = Path(audit_log.export(staff["it"], AuditFilter()).path)
    text = path.read_text(encoding="utf-8-sig")
    assert done.number in text
    for secret in [roster.ids["wu"], roster.parent_ids["father"], "吳志明", "吳三寶",
                   "father@home.example", "0911222333"]:  # fmt: skip
        assert secret not in text
    assert Application.select().count() == 1 and Classroom.select().count() == 4
