"""Storage: SQLite pragmas and locking, schema version and forward migrations, on both backends."""

from __future__ import annotations

import sqlite3

import pytest
from peewee import CharField
from playhouse.migrate import migrate

import app.db as dbmod
from app.backend import backend
from app.db import open_database, schema_version
from app.errors import ConfigError
from app.models import ALL_MODELS, SchemaVersion, School, database


def test_new_database_is_created_at_the_current_version(db_url):
    db = open_database(db_url)
    assert schema_version(db) == dbmod.SCHEMA_VERSION
    tables = set(db.get_tables())
    assert {m._meta.table_name for m in ALL_MODELS} <= tables
    db.close()


def test_sqlite_runs_wal_with_foreign_keys_busy_timeout_and_begin_immediate(tmp_path):
    db = open_database(str(tmp_path / "q.db"))
    assert backend(db).name == "sqlite"
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000
    # A write transaction takes the write lock at BEGIN: a second writer is refused at once
    # (timeout 0) instead of deadlocking later on a lock upgrade.
    other = sqlite3.connect(tmp_path / "q.db", timeout=0)
    with db.atomic(), pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.rollback()
    other.close()
    db.close()


def test_sqlite_url_forms_name_the_same_file(tmp_path):
    path = tmp_path / "sub" / "q.db"
    db = open_database(f"sqlite:///{path}")
    db.close()
    assert path.exists()


def test_reopening_keeps_data_and_version(db_url):
    db = open_database(db_url)
    School.create(code="E001", name="和平國小", level="elementary")
    db.close()
    db = open_database(db_url)
    assert School.get(School.code == "E001").name == "和平國小"
    assert SchemaVersion.select().count() == 1
    db.close()


def test_a_later_release_migrates_an_older_database_forward(db_url, monkeypatch):
    """A database written at version 1 gains version 2's column when opened by a release that
    knows version 2; the migration runs once and is recorded."""
    db = open_database(db_url)
    School.create(code="E001", name="和平國小", level="elementary")
    db.close()

    calls = []

    def add_district(db, migrator):
        calls.append(1)
        migrate(migrator.add_column("school", "district", CharField(null=True)))

    later = dbmod.SCHEMA_VERSION + 1
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", later)
    monkeypatch.setitem(dbmod.MIGRATIONS, later, add_district)
    db = open_database(db_url)
    assert schema_version(db) == later
    assert "district" in {c.name for c in db.get_columns("school")}
    assert School.get(School.code == "E001").name == "和平國小"
    db.close()
    db = open_database(db_url)  # already at the later version: nothing runs again
    assert calls == [1]
    db.close()


def test_a_database_newer_than_this_release_is_refused(db_url, monkeypatch):
    db = open_database(db_url)
    SchemaVersion.create(version=99, applied_at=SchemaVersion.get().applied_at)
    db.close()
    with pytest.raises(ConfigError) as err:
        open_database(db_url)
    assert err.value.key == "errors.config.db_too_new"
    assert err.value.params["found"] == 99
    database.obj.close()


def test_a_foreign_database_is_not_touched(tmp_path):
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(ConfigError) as err:
        open_database(str(path))
    assert err.value.key == "errors.config.not_qinzi_db"
    database.obj.close()
    con = sqlite3.connect(path)
    assert [r[0] for r in con.execute("SELECT name FROM sqlite_master")] == ["invoices"]
    con.close()


def test_unsupported_database_url_is_refused():
    with pytest.raises(ConfigError) as err:
        open_database("mysql://root@localhost/test")
    assert err.value.key == "errors.config.unsupported_db"


MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
fileserver:/export/school /srv/share nfs4 rw,vers=4.2 0 0
//nas/office /mnt/office cifs rw 0 0
"""


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/srv/share/qinzi.db", "nfs4"), ("/mnt/office/sub/q.db", "cifs"), ("/home/it/q.db", "ext4")],
)
def test_filesystem_of_a_path_is_read_from_the_mount_table(path, kind):
    from pathlib import Path

    from app.backend import filesystem_type

    assert filesystem_type(Path(path), MOUNTS) == kind


def test_sqlite_on_a_network_share_is_refused_with_advice_to_use_postgresql():
    """SPEC "Data at scale": WAL does not work across hosts or network shares."""
    from pathlib import Path

    from app.backend import refuse_network_filesystem

    with pytest.raises(ConfigError) as err:
        refuse_network_filesystem(Path("/srv/share/qinzi.db"), MOUNTS)
    assert err.value.key == "errors.config.network_fs"
    assert "PostgreSQL" in err.value.message("en")
    refuse_network_filesystem(Path("/home/it/qinzi.db"), MOUNTS)  # a local disk is fine


def test_version_2_databases_gain_outbox_retries_and_their_waiting_mail_is_due(db_url):
    """Migration 3 on a real version-2 database: the column and its index appear, and a message
    left queued under the older release is due at once (issue 9's stranded mail)."""
    from datetime import datetime

    from playhouse.migrate import SchemaMigrator

    from app.models import OutboxMessage

    db = open_database(db_url)
    table = OutboxMessage._meta.table_name
    migrator = SchemaMigrator.from_database(db)
    index = next(i.name for i in db.get_indexes(table) if i.columns == ["next_attempt_at"])
    migrate(migrator.drop_index(table, index), migrator.drop_column(table, "next_attempt_at"))
    SchemaVersion.update(version=2).execute()  # one row: the version it was created at
    created = datetime(2026, 5, 1, 8, 0)
    db.execute_sql(
        f"INSERT INTO {table} (channel, recipient, purpose, subject, body_sealed, created_at,"
        " status, attempts) VALUES ('email', 'a@b.example', 'x', 's', 'b', %s, 'queued', 0)"
        .replace("%s", "?" if db_url.endswith(".db") else "%s"),
        (created,),
    )
    db.close()
    db = open_database(db_url)
    assert schema_version(db) == dbmod.SCHEMA_VERSION >= 3
    assert any(i.columns == ["next_attempt_at"] for i in db.get_indexes(table))
    assert OutboxMessage.get().next_attempt_at == created
    db.close()


def test_version_3_databases_gain_the_going_live_columns(db_url):
    """Migration 4 on a real version-3 database (R32–R35): the staff, roster-lifecycle, binding-end
    and audit-school columns appear, existing rows keep their data and read the new defaults."""
    from playhouse.migrate import SchemaMigrator

    from app.models import AuditEvent, Binding, Student, Teacher

    db = open_database(db_url)
    migrator = SchemaMigrator.from_database(db)
    new = [(Student, "left_at"), (Teacher, "must_change_password"), (Teacher, "invited_at"),
           (Teacher, "session_epoch"), (Binding, "ended_by"), (Binding, "end_reason"),
           (AuditEvent, "school")]  # fmt: skip
    for model, name in new:
        table = model._meta.table_name
        column = model._meta.fields[name].column_name
        for index in db.get_indexes(table):
            if column in index.columns:
                migrate(migrator.drop_index(table, index.name))
        if db_url.endswith(".db") and name in ("ended_by", "school"):
            # SQLite cannot drop a column a foreign key names: copy the table without it
            keep = ", ".join(c.name for c in db.get_columns(table) if c.name != column)
            db.execute_sql(f"CREATE TABLE old_{table} AS SELECT {keep} FROM {table}")
            db.execute_sql(f"DROP TABLE {table}")
            db.execute_sql(f"ALTER TABLE old_{table} RENAME TO {table}")
        else:
            migrate(migrator.drop_column(table, column))
    SchemaVersion.update(version=3).execute()
    db.execute_sql("INSERT INTO school (code, name, level) VALUES ('300001', 'x', 'elementary')")
    school_id = db.execute_sql("SELECT id FROM school").fetchone()[0]
    true = "1" if db_url.endswith(".db") else "true"
    db.execute_sql(
        "INSERT INTO teacher (email, name, school_id, role, failed_logins, active)"
        f" VALUES ('t@x.example', 't', {school_id}, 'it', 0, {true})"
    )
    teacher_id = db.execute_sql("SELECT id FROM teacher").fetchone()[0]
    db.execute_sql(
        "INSERT INTO audit_event (at, actor, action, target, terminal, detail)"
        f" VALUES ('2026-09-01 08:00:00', 'staff:{teacher_id}', 'login', '{teacher_id}', 't', '')"
    )
    db.close()
    db = open_database(db_url)
    assert schema_version(db) == dbmod.SCHEMA_VERSION >= 4
    for model, name in new:
        column = model._meta.fields[name].column_name
        assert column in {c.name for c in db.get_columns(model._meta.table_name)}
    from app.models import School

    assert School.get().code == "300001"
    assert AuditEvent.get().school_id == school_id  # R33: an older staff event gains its school
    db.close()


def test_version_5_databases_gain_the_directory_queue_and_student_keys(db_url):
    """Migration 6 (R39): the DirectoryChange queue and Student.directory_key appear on a real
    version-5 database, whose students keep their data and have no key yet."""
    from playhouse.migrate import SchemaMigrator

    from app.models import DirectoryChange

    db = open_database(db_url)
    migrate(SchemaMigrator.from_database(db).drop_column("student", "directory_key"))
    db.drop_tables([DirectoryChange])
    SchemaVersion.delete().execute()
    SchemaVersion.create(version=5, applied_at="2026-09-01 08:00:00")
    db.close()
    db = open_database(db_url)
    assert schema_version(db) == dbmod.SCHEMA_VERSION >= 6
    assert db.table_exists(DirectoryChange._meta.table_name)
    assert "directory_key" in {c.name for c in db.get_columns("student")}
    assert DirectoryChange.select().count() == 0
    db.close()


def test_version_7_databases_gain_english_school_names(db_url):
    """Migration 8 (issue 18): School.name_en appears on a real version-7 database; the schools
    on file keep their Chinese names and have no English one until a roster gives it."""
    from playhouse.migrate import SchemaMigrator

    db = open_database(db_url)
    migrate(SchemaMigrator.from_database(db).drop_column("school", "name_en"))
    SchemaVersion.delete().execute()
    SchemaVersion.create(version=7, applied_at="2026-09-01 08:00:00")
    db.execute_sql("INSERT INTO school (code, name, level) VALUES ('353601', '和平國小', 'junior')")
    db.close()
    db = open_database(db_url)
    assert schema_version(db) == dbmod.SCHEMA_VERSION >= 8
    assert "name_en" in {c.name for c in db.get_columns("school")}
    school = School.get(School.code == "353601")
    assert (school.name, school.name_en) == ("和平國小", None)
    school.name_en = "Heping Elementary School"
    school.save()
    assert School.get(School.code == "353601").name_en == "Heping Elementary School"
    db.close()
