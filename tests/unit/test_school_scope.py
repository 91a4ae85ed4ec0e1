"""School scope (R33): school IT sees only its school, decides only where the school allows it,
and a teacher taken off a class or deactivated loses access at the next action."""

from __future__ import annotations

import json

import pytest

from app.errors import Forbidden, SessionEnded
from app.models import AuditEvent, Status, Teacher, TeacherClassroom
from app.services.audit import teacher_actor
from app.services.staff import StaffIdentity
from tests.factories import submit_application


@pytest.fixture
def staff(roster):
    return {short: StaffIdentity.of(teacher) for short, teacher in roster.teachers.items()}


@pytest.fixture
def number(services, roster):
    [done] = submit_application(services, roster, ("wu",))  # 李老師's 301 at 和平國小
    return done.number


def it_may_decide(services, codes: tuple[str, ...]) -> None:
    services.ctx.settings = services.ctx.settings.replace(review_it_may_decide=codes)


def test_r33_school_it_may_not_decide_by_default(services, staff, number):
    """R33: decisions are the homeroom teacher's; IT sees the application, cannot decide it."""
    detail = services.review.detail(staff["it"], number)
    assert detail.may_decide is False
    for decide in (lambda: services.review.approve(staff["it"], number),
                   lambda: services.review.reject(staff["it"], number, "不符")):  # fmt: skip
        with pytest.raises(Forbidden) as err:
            decide()
        assert err.value.key == "errors.review.it_may_not_decide"
        assert "homeroom teachers decide" in err.value.message("en")
    assert services.review.bulk_approve(staff["it"], [number]) == []
    assert services.review.detail(staff["lee"], number).may_decide is True


@pytest.mark.parametrize("codes", [("*",), ("E001",)])
def test_r33_where_the_school_allows_it_it_decides_and_the_audit_says_so(
    services, staff, roster, number, codes
):
    it_may_decide(services, codes)
    assert services.review.detail(staff["it"], number).may_decide is True
    services.review.approve(staff["it"], number)
    event = AuditEvent.get(AuditEvent.action == "application.approved")
    assert event.actor == teacher_actor(roster.teachers["it"].id)
    assert json.loads(event.detail)["by"] == "it"
    assert event.school_id == roster.schools["E001"].id


def test_r33_another_schools_switch_does_not_let_it_decide(services, staff, number):
    it_may_decide(services, ("E002",))
    with pytest.raises(Forbidden):
        services.review.approve(staff["it"], number)


def test_r33_a_teacher_taken_off_the_class_loses_it_at_the_next_action(
    services, staff, roster, number
):
    """The session was opened while 李老師 had 301; 301 is given to 何老師 and the next approve,
    the next detail and the next queue page of 李老師's open session find nothing of 301."""
    lee = staff["lee"]
    assert services.review.queue(lee, status=Status.PENDING).total == 1
    TeacherClassroom.delete().where(TeacherClassroom.teacher == roster.teachers["lee"]).execute()
    with pytest.raises(Forbidden):
        services.review.approve(lee, number)
    with pytest.raises(Forbidden):
        services.review.detail(lee, number)
    assert services.review.queue(lee, status=Status.PENDING).total == 0
    assert services.review.detail(staff["it"], number).status == Status.PENDING


def test_r33_a_deactivated_teacher_is_sent_back_to_the_login_at_the_next_action(
    services, staff, roster, number
):
    Teacher.update(active=False).where(Teacher.id == roster.teachers["lee"].id).execute()
    for action in (lambda: services.review.approve(staff["lee"], number),
                   lambda: services.review.queue(staff["lee"]),
                   lambda: services.unbinding.page(staff["lee"])):  # fmt: skip
        with pytest.raises(SessionEnded) as err:
            action()
        assert err.value.key == "errors.staff.access_ended"
    assert services.review.detail(staff["it"], number).status == Status.PENDING


def test_r33_a_reset_password_ends_the_open_session(services, staff, roster):
    """A new session epoch (IT reset the password, R32) ends sessions opened before it."""
    Teacher.update(session_epoch=Teacher.session_epoch + 1).where(
        Teacher.id == roster.teachers["lee"].id
    ).execute()
    with pytest.raises(SessionEnded):
        services.review.queue(staff["lee"])
    fresh = StaffIdentity.of(Teacher.get_by_id(roster.teachers["lee"].id))
    assert services.review.queue(fresh).total == 0


def test_r33_every_event_of_an_application_carries_its_school(services, staff, roster, number):
    """Submitted (by a parent's contact), approved (by the teacher): both of 和平國小."""
    services.review.approve(staff["lee"], number)
    events = AuditEvent.select().where(AuditEvent.target == number)
    assert {e.action for e in events} >= {"application.submitted", "application.approved"}
    assert {e.school_id for e in events} == {roster.schools["E001"].id}
