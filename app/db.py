"""Database URL → Peewee database bound to the models, schema version and forward migrations.

SQLite (a path or sqlite:///…) is the embedded default: WAL, foreign keys, a busy timeout, and every
write transaction opened with BEGIN IMMEDIATE so two kiosks never deadlock upgrading a read lock.
PostgreSQL (postgresql://…) serves many hosts. What differs between them is app/backend.py's."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from peewee import Database

from app.backend import backend, open_backend
from app.clock import utcnow
from app.errors import ConfigError
from app.models import ALL_MODELS, AUDIT_TARGET_INDEX, SchemaVersion, database

if TYPE_CHECKING:
    from playhouse.migrate import SchemaMigrator

# The schema this release writes. A migration N takes a database from N-1 to N; each one runs in
# its own transaction and is recorded in schema_version, so a later release opens an older file.
SCHEMA_VERSION = 8
Migration = Callable[[Database, "SchemaMigrator"], None]


def _v2_audit_target_index(db: Database, migrator: SchemaMigrator) -> None:
    """The audit trail of one record is read by its number (issue 7: no full scans at scale)."""
    db.execute(AUDIT_TARGET_INDEX)  # CREATE INDEX IF NOT EXISTS


def _v3_outbox_retries(db: Database, migrator: SchemaMigrator) -> None:
    """Messages a crash or a mail outage left behind are delivered later by any terminal; what
    was waiting when the release changed is due at once."""
    from playhouse.migrate import migrate

    from app.models import OutboxMessage

    table = OutboxMessage._meta.table_name
    if "next_attempt_at" not in {c.name for c in db.get_columns(table)}:
        migrate(migrator.add_column(table, "next_attempt_at", OutboxMessage.next_attempt_at))
    OutboxMessage.update(next_attempt_at=OutboxMessage.created_at).where(
        OutboxMessage.status.in_(("queued", "failed"))
    ).execute()


def _v4_going_live(db: Database, migrator: SchemaMigrator) -> None:
    """Issue 14: staff invitations and temporary passwords (R32), audit events by school (R33),
    students who left the roster (R34) and bindings ended by staff (R35)."""
    from peewee import Value
    from playhouse.migrate import migrate

    from app.models import Application, AuditEvent, Binding, Student, Teacher

    wanted = [
        (Student, "left_at"),
        (Teacher, "must_change_password"),
        (Teacher, "invited_at"),
        (Teacher, "session_epoch"),
        (Binding, "ended_by"),
        (Binding, "end_reason"),
        (AuditEvent, "school"),
    ]
    for model, name in wanted:
        table = model._meta.table_name
        field = model._meta.fields[name]
        if field.column_name not in {c.name for c in db.get_columns(table)}:
            migrate(migrator.add_column(table, field.column_name, field))
    table, column = AuditEvent._meta.table_name, AuditEvent.school.column_name
    db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{table}_{column}" ON "{table}" ("{column}")')
    # The events written before: the school of their application, else of the staff member.
    of_application = Application.select(Application.school).where(
        Application.number == AuditEvent.target
    )
    AuditEvent.update(school=of_application).where(
        AuditEvent.school.is_null(), AuditEvent.target.startswith("QZ-")
    ).execute()
    of_staff = Teacher.select(Teacher.school).where(
        Value("staff:").concat(Teacher.id) == AuditEvent.actor
    )
    AuditEvent.update(school=of_staff).where(
        AuditEvent.school.is_null(), AuditEvent.actor.startswith("staff:")
    ).execute()


def _v5_key_check(db: Database, migrator: SchemaMigrator) -> None:
    """R40: the database remembers its secret key's check value (written at the next open)."""
    from app.models import KeyCheck

    db.create_tables([KeyCheck], safe=True)


def _v6_directory_changes(db: Database, migrator: SchemaMigrator) -> None:
    """R39 (issue 17): the queue of changes for the city directory, and the directory's own
    identifier of a student from the roster's student_key column."""
    from playhouse.migrate import migrate

    from app.models import DirectoryChange, Student

    db.create_tables([DirectoryChange], safe=True)
    table = Student._meta.table_name
    if "directory_key" not in {c.name for c in db.get_columns(table)}:
        migrate(migrator.add_column(table, "directory_key", Student.directory_key))


def _v7_step4_contacts(db: Database, migrator: SchemaMigrator) -> None:
    """Issue 16. R37: an application is found by the e-mail and mobile given at step 4 as well
    as by the step-1 contact (the keyed digests of older applications are filled in when the
    database is next opened with its key, `fill_step4_digests`); and the name a parent with an
    account signed with, where it differs from the account's."""
    from playhouse.migrate import migrate

    from app.models import Application

    table = Application._meta.table_name
    present = {c.name for c in db.get_columns(table)}
    for name in ("email_digest", "mobile_digest", "signed_name"):
        if name not in present:
            migrate(migrator.add_column(table, name, Application._meta.fields[name]))
    for name in ("email_digest", "mobile_digest"):
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{table}_{name}" ON "{table}" ("{name}")')


def _v8_school_english_names(db: Database, migrator: SchemaMigrator) -> None:
    """Issue 18: a school's optional English name, for the English school list; schools on file
    have none until a roster with the school_name_en column is imported."""
    from playhouse.migrate import migrate

    from app.models import School

    table = School._meta.table_name
    if "name_en" not in {c.name for c in db.get_columns(table)}:
        migrate(migrator.add_column(table, "name_en", School.name_en))


MIGRATIONS: dict[int, Migration] = {
    2: _v2_audit_target_index,
    3: _v3_outbox_retries,
    4: _v4_going_live,
    5: _v5_key_check,
    6: _v6_directory_changes,
    7: _v7_step4_contacts,
    8: _v8_school_english_names,
}


def open_database(url: str, *, migrate: bool = True, create: bool = True) -> Database:
    """Open the database named by `url`, bind the models to it and bring its schema up to date.
    Its backend (app/backend.py) is chosen here, once, and reached later with `backend(db)`.
    Without `create`, a database file that does not exist is refused (R40)."""
    db = open_backend(url, create=create).db
    database.initialize(db)
    db.connect(reuse_if_open=True)
    if migrate:
        ensure_schema(db)
    return db


def advisory_lock(db: Database, key: str) -> None:
    """Serialise writers that race on the same business key (an e-mail, a parent–student pair);
    on SQLite BEGIN IMMEDIATE already admits one writer at a time."""
    backend(db).advisory_lock(key)


def schema_version(db: Database) -> int | None:
    if not db.table_exists(SchemaVersion._meta.table_name):
        return None
    row = SchemaVersion.select(SchemaVersion.version).order_by(SchemaVersion.version.desc()).first()
    return row.version if row else 0


def ensure_schema(db: Database) -> int:
    """Create a new database at the current version, or migrate an older one forward."""
    with db.atomic():
        advisory_lock(db, "qinzi-schema")
        current = schema_version(db)
        if current is None:
            foreign = [t for t in db.get_tables() if not t.startswith("sqlite_")]
            if foreign:
                raise ConfigError("errors.config.not_qinzi_db", tables=", ".join(foreign[:5]))
            db.create_tables(ALL_MODELS)
            SchemaVersion.create(version=SCHEMA_VERSION, applied_at=utcnow())
            return SCHEMA_VERSION
        if current > SCHEMA_VERSION:
            raise ConfigError("errors.config.db_too_new", found=current, supported=SCHEMA_VERSION)
    if current == SCHEMA_VERSION:
        return current  # nothing to migrate: playhouse's migrator (and all it loads) stays out
    from playhouse.migrate import SchemaMigrator

    migrator = SchemaMigrator.from_database(db)
    for version in range(current + 1, SCHEMA_VERSION + 1):
        with db.atomic():
            MIGRATIONS[version](db, migrator)
            SchemaVersion.create(version=version, applied_at=utcnow())
    return SCHEMA_VERSION
