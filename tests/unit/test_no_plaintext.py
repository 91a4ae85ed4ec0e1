"""R9, R23: after a whole parent journey — code, binding, approval, first login, password change,
forgotten password — no ID number, code or password is anywhere in the database file, its WAL,
the audit trail or the outbox rows as stored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.identity import with_check_digit
from app.models import AuditEvent, Channel, OutboxMessage
from app.services.kiosk import ParentDetails
from app.services.staff import StaffIdentity

PARENT_ID = with_check_digit("A18273645")  # distinctive last six: 73645x
NEW_PASSWORD = "Lantern-Harbour-1987"
RESET_PASSWORD = "Quiet-Orchid-Bridge-42"


def last_code(services, to: str) -> str:
    message = (
        OutboxMessage.select()
        .where(OutboxMessage.recipient == to)
        .order_by(OutboxMessage.id.desc())
        .get()
    )
    return re.search(r"\b(\d{6})\b", services.outbox.body_of(message)).group(1)


def journey(services, roster) -> list[str]:
    """Walk every step that handles a secret; return the secrets it handled."""
    secrets: list[str] = [PARENT_ID, PARENT_ID[-6:], NEW_PASSWORD, RESET_PASSWORD]
    secrets += list(roster.ids.values())
    apps, verification = services.applications, services.verification

    verification.request_code(Channel.EMAIL, "parent@home.example")
    code = last_code(services, "parent@home.example")
    secrets.append(code)
    contact = verification.verify_code(Channel.EMAIL, "parent@home.example", code)

    from app.services.kiosk import KioskSession

    session = KioskSession(contact=contact, lang="zh-TW")
    for short in ("wu", "chen"):
        student = roster.student(short)
        found = apps.lookup_student(
            session, student.school.level, student.school.code, roster.ids[short]
        )
        session = apps.choose_student(found.session, found.value, "father")
    session = apps.give_consent(session, scrolled_to_end=True)
    session = apps.parent_prefill(session, PARENT_ID).session
    submitted = apps.submit(
        session,
        ParentDetails(PARENT_ID, "吳志明", "parent@home.example", "0911222333"),
        signature="吳志明",
    ).value
    for item, teacher in zip(submitted, ("lee", "ho"), strict=True):
        staff = StaffIdentity.of(roster.teachers[teacher])
        services.review.approve(staff, item.number)

    login = services.accounts.parent_login("parent@home.example", PARENT_ID[-6:])
    assert login.must_change
    services.accounts.change_password(login.account_id, PARENT_ID[-6:], NEW_PASSWORD, NEW_PASSWORD)
    assert not services.accounts.parent_login("parent@home.example", NEW_PASSWORD).must_change

    services.accounts.request_password_reset(Channel.EMAIL, "parent@home.example", "zh-TW")
    reset_code = last_code(services, "parent@home.example")
    secrets.append(reset_code)
    services.accounts.reset_password(
        Channel.EMAIL, "parent@home.example", reset_code, RESET_PASSWORD, RESET_PASSWORD
    )
    return secrets


def database_bytes(settings, services) -> bytes:
    path = Path(settings.database_url)
    services.ctx.db.close()
    data = path.read_bytes()
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if extra.exists():
            data += extra.read_bytes()
    return data


def test_r23_no_id_code_or_password_in_the_database_file(services, roster, settings):
    if not settings.database_url.endswith(".db"):
        pytest.skip("scans a SQLite file")
    secrets = journey(services, roster)
    blob = database_bytes(settings, services)
    assert b"parent@home.example" in blob  # the scan does see stored text
    found = [s for s in secrets if s.encode() in blob or s.lower().encode() in blob]
    assert found == []


def test_r9_audit_and_stored_outbox_rows_hold_no_secret(services, roster):
    secrets = journey(services, roster)
    audit = " ".join(f"{e.actor} {e.action} {e.target} {e.detail}" for e in AuditEvent.select())
    stored = " ".join(f"{m.recipient} {m.subject} {m.body_sealed} {m.error}"
                      for m in OutboxMessage.select())  # fmt: skip
    assert [s for s in secrets if s in audit] == []
    assert [s for s in secrets if s in stored] == []
    # The audit trail does not name people or their contacts either.
    assert "吳志明" not in audit and "parent@home.example" not in audit
