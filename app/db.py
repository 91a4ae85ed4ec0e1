"""Database URL → Peewee database, pragmas, schema version and forward migrations.

SQLite (a path or sqlite:///…) is the embedded default: WAL, foreign keys, a busy timeout, and every
write transaction opened with BEGIN IMMEDIATE so two kiosks never deadlock upgrading a read lock.
PostgreSQL (postgresql://…) serves many hosts."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from peewee import Database, PostgresqlDatabase, SqliteDatabase

from app.clock import utcnow
from app.dburl import is_postgres, sqlite_path
from app.errors import ConfigError
from app.models import ALL_MODELS, AUDIT_TARGET_INDEX, SchemaVersion, database

if TYPE_CHECKING:
    from playhouse.migrate import SchemaMigrator

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 15000,
    "synchronous": "normal",
}

# The schema this release writes. A migration N takes a database from N-1 to N; each one runs in
# its own transaction and is recorded in schema_version, so a later release opens an older file.
SCHEMA_VERSION = 3
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


MIGRATIONS: dict[int, Migration] = {2: _v2_audit_target_index, 3: _v3_outbox_retries}


# SQLite's WAL needs shared memory between the processes that open the file: it does not work
# across hosts, and file locking on network shares is unreliable (SPEC "Data at scale").
NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "ncpfs", "afs", "9p", "ceph",
     "glusterfs", "lustre", "gpfs", "davfs", "fuse.sshfs", "fuse.davfs2", "fuse.glusterfs",
     "fuse.cephfs", "fuse.s3fs", "fuse.rclone"}
)  # fmt: skip


def filesystem_type(path: Path, mounts: str | None = None) -> str | None:
    """The type of the filesystem holding `path`, from /proc/mounts (None where there is none)."""
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text()
        except OSError:
            return None
    target = path.resolve()
    best, kind = -1, None
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        point = Path(parts[1].replace("\\040", " "))
        if (target == point or point in target.parents) and len(str(point)) > best:
            best, kind = len(str(point)), parts[2]
    return kind


def refuse_network_filesystem(path: Path, mounts: str | None = None) -> None:
    kind = filesystem_type(path.parent, mounts)
    if kind in NETWORK_FILESYSTEMS:
        raise ConfigError("errors.config.network_fs", path=str(path), fstype=kind)


def open_database(url: str, *, migrate: bool = True) -> Database:
    """Open the database named by `url`, bind the models to it and bring its schema up to date."""
    if is_postgres(url):
        from playhouse.db_url import connect as connect_url  # with all of playhouse: PG only

        db: Database = connect_url(url)
    elif url.startswith(("mysql", "cockroach")):
        raise ConfigError("errors.config.unsupported_db", url=url.split(":", 1)[0])
    else:
        path = sqlite_path(url)
        refuse_network_filesystem(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = SqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", timeout=15)
    database.initialize(db)
    db.connect(reuse_if_open=True)
    if migrate:
        ensure_schema(db)
    return db


def advisory_lock(db: Database, key: str) -> None:
    """Serialise writers that race on the same business key (an e-mail, a parent–student pair).
    SQLite needs nothing: BEGIN IMMEDIATE already admits one writer at a time."""
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (zlib.crc32(key.encode()),))


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
    from playhouse.migrate import SchemaMigrator

    migrator = SchemaMigrator.from_database(db)
    for version in range(current + 1, SCHEMA_VERSION + 1):
        with db.atomic():
            MIGRATIONS[version](db, migrator)
            SchemaVersion.create(version=version, applied_at=utcnow())
    return SCHEMA_VERSION
