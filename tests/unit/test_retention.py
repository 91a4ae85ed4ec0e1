"""R30: closed applications, finished codes, failed-entry records and messages go after the
retention period; pending and approved applications and the audit trail stay (R24)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.identity import id_digest, mask_id
from app.models import (
    Account,
    Application,
    AuditEvent,
    Binding,
    Channel,
    OutboxMessage,
    Status,
    VerificationCode,
    VerificationFailure,
)

DAY = timedelta(days=1)


@pytest.fixture
def make_application(services, roster):
    """An application straight through the models, `age` days after it was closed or decided."""
    ctx, counter = services.ctx, iter(range(1000))

    def make(status: str, age: float, student: str = "wu") -> Application:
        n = next(counter)
        now = ctx.clock()
        when = now - timedelta(days=age)
        decided = status in (Status.APPROVED, Status.REJECTED)
        closed = status in (Status.CANCELLED, Status.VOIDED)
        parent = roster.parent_ids["father"]
        return Application.create(
            number=f"QZ-TEST-{n:04d}",
            status=status,
            contact_digest="c" * 64,
            student=roster.student(student),
            school=roster.student(student).school,
            classroom=roster.student(student).classroom,
            level="elementary",
            relationship="father",
            parent_id_digest=id_digest(ctx.keyring, f"{parent}-{n}"),
            parent_id_masked=mask_id(parent),
            parent_name="吳志明",
            email=f"father{n}@home.example",
            mobile="+886911222333",
            consent_version="2026-09",
            consent_at=when - DAY,
            signed_at=when - DAY,
            content_sha256="0" * 64,
            terminal_id="kiosk-1",
            submitted_at=when - DAY,
            decided_at=when if decided else None,
            closed_at=when if closed else None,
            reject_reason="紙本未繳回" if status == Status.REJECTED else None,
        )

    return make


def test_r30_closed_applications_go_after_180_days_open_and_approved_ones_never(
    services, make_application, roster
):
    old = {s: make_application(s, 181) for s in ("cancelled", "voided", "rejected", "pending")}
    approved = make_application("approved", 400)
    account = Account.create(
        email="father@home.example",
        name="吳志明",
        id_digest="d" * 64,
        id_masked="A123******",
        password_hash="x",
        created_at=services.ctx.clock(),
    )
    Binding.create(
        account=account,
        student=roster.student("wu"),
        application=approved,
        created_at=services.ctx.clock(),
    )
    recent = make_application("rejected", 179)
    report = services.retention.purge()
    assert report.applications == 3
    left = {a.number for a in Application.select()}
    assert left == {old["pending"].number, approved.number, recent.number}
    assert Binding.get().application_id == approved.id


def test_r30_the_age_counts_from_closing_not_from_submission(services, make_application):
    app = make_application("cancelled", 10)
    Application.update(submitted_at=services.ctx.clock() - 400 * DAY).where(
        Application.id == app.id
    ).execute()
    assert services.retention.purge().applications == 0


def test_r30_finished_codes_failures_and_messages_go_too(services, clock):
    with services.ctx.transaction():
        services.outbox.enqueue(Channel.EMAIL, "a@home.example", "code_bind", "驗證碼", "123456")
    now = clock.advance(days=181)
    old, recent = now - 181 * DAY, now - 30 * DAY
    for created, used, voided in [
        (old, old, None),  # used
        (old, None, old),  # voided
        (old, None, None),  # expired unused
        (recent, recent, None),  # used, but within the period
    ]:
        VerificationCode.create(
            contact_digest="c" * 64,
            channel="email",
            purpose="bind",
            code_hash="h" * 64,
            created_at=created,
            expires_at=created + timedelta(minutes=60),
            used_at=used,
            voided_at=voided,
        )
    VerificationFailure.create(contact_digest="c" * 64, at=old)
    VerificationFailure.create(contact_digest="c" * 64, at=recent)
    with services.ctx.transaction():
        services.outbox.enqueue(Channel.EMAIL, "b@home.example", "code_bind", "驗證碼", "654321")
    report = services.retention.purge()
    assert (report.codes, report.failures, report.messages) == (3, 1, 1)
    assert [m.recipient for m in OutboxMessage.select()] == ["b@home.example"]
    assert [c.created_at for c in VerificationCode.select()] == [recent]
    assert [f.at for f in VerificationFailure.select()] == [recent]


def test_r30_the_period_is_configurable_and_now_can_be_given(services, make_application):
    make_application("rejected", 40)
    services.ctx.settings.retention_days = 30
    earlier = services.ctx.clock() - 20 * DAY
    assert services.retention.purge(now=earlier).applications == 0
    report = services.retention.purge()
    assert report.applications == 1
    assert report.cutoff == services.ctx.clock() - 30 * DAY


def test_r24_the_purge_is_audited_and_the_trail_stays(services, make_application):
    app = make_application("cancelled", 200)
    services.ctx.audit.record("contact:abc", "application.cancelled", app.number)
    before = AuditEvent.select().count()
    report = services.retention.purge()
    assert report.total == 1
    assert AuditEvent.select().count() == before + 1
    event = AuditEvent.get(AuditEvent.action == "retention.purge")
    assert json.loads(event.detail) == {
        "applications": 1,
        "codes": 0,
        "days": 180,
        "directory_changes": 0,  # R39
        "failures": 0,
        "messages": 0,
    }
    assert AuditEvent.get(AuditEvent.action == "application.cancelled").target == app.number


def test_r30_a_purge_with_nothing_to_do_changes_nothing_but_is_recorded(services, make_application):
    make_application("pending", 500)
    report = services.retention.purge()
    assert report.total == 0
    assert Application.select().count() == 1
    assert AuditEvent.select().where(AuditEvent.action == "retention.purge").count() == 1
