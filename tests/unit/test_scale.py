"""City-size data (issue 7, SPEC "Data at scale"): the queries a parent and a teacher wait for use
an index, on SQLite (EXPLAIN QUERY PLAN) and on PostgreSQL (EXPLAIN), in a seeded database big
enough that PostgreSQL's planner would rather scan a table that has no fitting index; and an
existing version-1 database gains the index schema version 2 adds."""

from __future__ import annotations

from contextlib import contextmanager

from app import db as dbmod
from app.backend import backend
from app.db import open_database, schema_version
from app.models import AUDIT_TARGET_INDEX, Application, AuditEvent, SchemaVersion, Teacher
from app.services.demo.seed import seed
from app.services.kiosk import KioskSession
from app.services.staff import StaffIdentity
from tests.factories import submit_application, verified_contact


@contextmanager
def captured_selects(db):
    """Every SELECT the services send while the block runs, with its parameters."""
    seen: list[tuple[str, tuple]] = []
    original = db.execute_sql

    def spy(sql, params=None, *args, **kwargs):
        if sql.lstrip().upper().startswith("SELECT"):
            seen.append((sql, tuple(params or ())))
        return original(sql, params, *args, **kwargs)

    db.execute_sql = spy
    try:
        yield seen
    finally:
        del db.execute_sql


# The tables that grow with the city. A seeded test database is small, and PostgreSQL rightly
# reads a 30-row school table whole; these tables hold 100,000s of rows in a city.
BIG = ("student", "application", "audit_event", "roster_guardian", "account", "binding")


def full_scans(db, statements) -> list[str]:
    """The plan lines that read a whole big table (SQLite's `SCAN t`, PostgreSQL's `Seq Scan`)."""
    seam = backend(db)
    return [
        f"{line}  <- {sql[:160]}"
        for sql, params in statements
        for line in seam.full_scans(seam.query_plan(sql, params), BIG)
    ]


def test_r8_r18_lookup_queue_and_search_use_indexes_at_scale(services, roster):
    """R8 (the student lookup), R18 (IT's and a teacher's queue page, counts and a search by
    name or number, and one record's audit history) read by index, never a whole table."""
    seed(services, schools=30, students=6_000, applications=3_000, rng_seed=7)
    db = services.ctx.db
    backend(db).refresh_statistics()
    [item] = submit_application(services, roster)
    it = StaffIdentity.of(roster.teachers["it"])
    teacher = StaffIdentity.of(Teacher.get(Teacher.role == "teacher", Teacher.id > 10))
    session = KioskSession(contact=verified_contact(services), lang="zh-TW")
    student = roster.student("chen")
    with captured_selects(db) as seen:
        card = services.applications.lookup_student(
            session, student.school.level, student.school.code, roster.ids["chen"]
        ).value
        it_page = services.review.queue(it)
        services.review.queue(teacher, status="pending", page=2)
        found = services.review.queue(it, search="吳三寶")
        by_number = services.review.queue(it, search=item.number)
        history = services.audit.events(target=item.number)
    assert card.student_id == student.id
    assert it_page.total >= 1 and found.total == 1 and by_number.total == 1
    assert [e.action for e in history] == ["application.submitted"]
    assert len(seen) >= 8
    assert full_scans(db, seen) == []


def test_full_scan_detection_can_fail(services, roster):
    """The check above would notice a query without a usable index (a guard on the guard)."""
    seed(services, schools=5, students=2_000, applications=1_000, rng_seed=7)
    db = services.ctx.db
    backend(db).refresh_statistics()
    with captured_selects(db) as seen:
        list(Application.select().where(Application.parent_name == "吳志明"))
    assert len(full_scans(db, seen)) == 1


def test_a_version_1_database_gains_the_audit_target_index(db_url):
    """Schema version 2 adds the index on audit_event.target; a database written by version 1
    gains it on the next start, once, and keeps its data."""
    db = open_database(db_url)
    name = AUDIT_TARGET_INDEX._name
    # Make it what release 1 wrote: no index on target, schema version 1.
    db.execute_sql(f'DROP INDEX "{name}"')
    SchemaVersion.update(version=1).execute()
    AuditEvent.create(
        at=SchemaVersion.get().applied_at, actor="system", action="x", target="QZ", terminal="t"
    )
    assert name not in {i.name for i in db.get_indexes("audit_event")}
    db.close()

    db = open_database(db_url)
    assert schema_version(db) == dbmod.SCHEMA_VERSION >= 2
    assert name in {i.name for i in db.get_indexes("audit_event")}
    versions = [v.version for v in SchemaVersion.select().order_by(SchemaVersion.version)]
    assert versions == list(range(1, dbmod.SCHEMA_VERSION + 1))  # each migration once
    assert AuditEvent.get(AuditEvent.target == "QZ").action == "x"
    db.close()
