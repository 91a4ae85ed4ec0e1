"""Many terminals on one database (issue 7, SPEC "Data at scale"): the stress script of
tests/bench/stress.py at a small size, on SQLite and on PostgreSQL (`db_url`), and the R14/R15
race of two kiosks pressing 送出 at the same instant. Timings are measured by `make bench`, never
asserted here."""

from __future__ import annotations

import pytest

from app.db import open_database
from app.models import Application, AuditEvent, Binding, Status
from app.services.consistency import check_consistency
from tests.bench import stress
from tests.factories import make_account, submit_application


def _plan(db_url, tmp_path, workers=3, submissions=6, teachers=1) -> stress.Plan:
    return stress.Plan(
        url=db_url,
        data_dir=str(tmp_path / "data"),
        workers=workers,
        submissions=submissions,
        teachers=teachers,
        argon2=stress.CHEAP,
    )
@pytest.mark.stress


def test_r15_many_kiosks_and_a_teacher_lose_and_duplicate_nothing(db_url, tmp_path):
    """R15, R19, R24: three kiosks and a staff terminal at once; every number a parent was shown
    is stored once, every decision and cancellation sticks, nothing waits on a lock, and the
    consistency check (integrity_check on SQLite) finds nothing."""
    result = stress.run(_plan(db_url, tmp_path))
    assert result.submitted == 18, result.errors
    assert result.lost == 0
    assert result.duplicated == 0
    assert result.unacknowledged == 0
    assert result.locked == 0
    assert result.errors == {}
    assert result.problems == []
    assert result.decided + result.cancelled == 18  # the teacher emptied the queue
    assert result.ok


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("email", "errors.application.email_has_application"),  # R14
        ("pair", "errors.application.already_pending"),  # R15
    ],
)
@pytest.mark.stress
def test_r14_r15_two_kiosks_at_the_same_instant_exactly_one_wins(db_url, tmp_path, kind, key):
    """R14 (one e-mail, two parents) and R15 (one parent–student pair, two kiosks): both press
    送出 together; one gets an application number, the other the rule's message."""
    outcomes = stress.race(_plan(db_url, tmp_path, workers=1, submissions=1), kind)
    assert [o[0] for o in outcomes] == ["refused", "won"]
    assert outcomes[0][1] == key
    open_database(db_url)
    assert Application.select().count() == 1
    assert Application.get().number == outcomes[1][1]


# --- the consistency check ----------------------------------------------------------------------


def _kinds(services) -> list[str]:
    return [p.kind for p in check_consistency(services.ctx.db)]


def test_r19_a_clean_database_passes_the_check(services, roster):
    """R19/R24: a submission and its approval leave everything the check asks for."""
    from app.services.staff import StaffIdentity

    [item] = submit_application(services, roster)
    services.review.approve(StaffIdentity.of(roster.teachers["lee"]), item.number)
    assert _kinds(services) == []


def test_r19_an_approval_without_its_account_binding_or_audit_is_found(services, roster):
    """R19, R24: an approved application must have its account, binding and audit event."""
    from app.services.staff import StaffIdentity

    [item] = submit_application(services, roster)
    services.review.approve(StaffIdentity.of(roster.teachers["lee"]), item.number)
    AuditEvent.delete().where(AuditEvent.action == "application.approved").execute()
    assert _kinds(services) == ["approved_without_audit"]
    Binding.delete().execute()
    assert _kinds(services) == ["approved_without_binding", "approved_without_audit"]
    Application.update(account=None).execute()
    assert "approved_without_account" in _kinds(services)


def test_r19_a_binding_without_an_approved_application_is_found(services, roster):
    """R19: a binding exists only because of an approved application."""
    from app.services.staff import StaffIdentity

    make_account(services, roster)  # a binding written by hand, with no application
    assert _kinds(services) == ["binding_without_application"]
    Binding.delete().execute()
    [item] = submit_application(services, roster, parent="mother", email="m@home.example")
    services.review.approve(StaffIdentity.of(roster.teachers["lee"]), item.number)
    Application.update(status=Status.REJECTED).execute()
    assert _kinds(services) == ["binding_not_approved"]


def test_r15_two_pending_applications_for_one_pair_are_found(services, roster, db_url):
    """R15: the partial unique index forbids it; a restored database without it is caught."""
    [item] = submit_application(services, roster)
    db = services.ctx.db
    db.execute_sql("DROP INDEX application_parent_id_digest_student_id")
    row = Application.get(Application.number == item.number)
    row.id, row.number = None, "QZ-0000-0000"
    row.save(force_insert=True)
    assert _kinds(services) == ["pending_twice"]


def _check_args(settings) -> list[str]:
    return [
        "check",
        "--db",
        settings.database_url,
        "--data-dir",
        str(settings.data_dir),
        "--lang",
        "en",
    ]


def test_check_command_says_consistent_and_exits_0(services, roster, settings, capsys):
    """`qinzi check` on a sound database: exit 0 and one line saying so."""
    from app.cli import main

    services.close()
    assert main(_check_args(settings)) == 0
    assert "consistent" in capsys.readouterr().out


def test_check_command_prints_problems_and_exits_1(services, roster, settings, capsys):
    """`qinzi check` on a broken database: exit 1 and one line per problem."""
    from app.cli import main

    make_account(services, roster)
    services.close()
    assert main(_check_args(settings)) == 1
    err = capsys.readouterr().err
    assert "1 problem found." in err and "has no application behind it" in err
