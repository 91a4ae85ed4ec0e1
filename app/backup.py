"""`qinzi backup` and `qinzi restore` for the SQLite database, with SQLite's online backup API.

The backup API copies a consistent snapshot while kiosks keep writing (WAL lets the copy read one
version of every page), which a plain file copy of a live database does not promise. A restore
goes through the same API into the target, so a process that still has the file open sees either
the old database or the restored one, never half of each. PostgreSQL has its own tools (pg_dump,
pg_restore), which the README names instead.

Both files hold personal data (names, contacts): they are written readable by their owner only.
The secret key (secret.key or QINZI_SECRET) is not in the database and must be kept apart."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from app.db import SCHEMA_VERSION
from app.dburl import file_path
from app.errors import ConfigError, RuleRefused
from app.models import SchemaVersion

SCHEMA_TABLE = SchemaVersion._meta.table_name


@dataclass(frozen=True)
class BackupReport:
    """What the command prints: where the copy is, how big, which schema version it holds."""

    path: str
    size_bytes: int
    schema_version: int
    tables: int


@dataclass(frozen=True)
class RestoreReport:
    path: str
    schema_version: int
    problems: int  # found by the consistency check after the restore; 0 is the good answer


def _sqlite_target(url: str) -> Path:
    path = file_path(url)
    if path is None:  # a database server: pg_dump and pg_restore are its tools
        raise RuleRefused("errors.backup.postgres", field="db")
    return path


def _verify(conn: sqlite3.Connection, path: Path) -> tuple[int, int]:
    """A backup is only as good as its last check: the page structure must be sound and the
    schema one this program can open (the same version or an older one it migrates)."""
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    if rows != ["ok"]:
        raise ConfigError("errors.backup.damaged", path=str(path), reason=rows[0])
    tables = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        if not r[0].startswith("sqlite_")
    ]
    if SCHEMA_TABLE not in tables:
        raise ConfigError("errors.backup.not_qinzi", path=str(path))
    (version,) = conn.execute(f'SELECT MAX(version) FROM "{SCHEMA_TABLE}"').fetchone()
    version = version or 0
    if version > SCHEMA_VERSION:
        raise ConfigError("errors.config.db_too_new", found=version, supported=SCHEMA_VERSION)
    return version, len(tables)


def _private_file(path: Path) -> None:
    """Create (or truncate) `path` with mode 0600 before SQLite writes personal data into it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def backup(database_url: str, destination: Path) -> BackupReport:
    """Copy the live database to `destination` (a new SQLite file) and check the copy."""
    source_path = _sqlite_target(database_url)
    if not source_path.is_file():
        raise ConfigError("errors.backup.no_database", path=str(source_path))
    destination = Path(destination)
    if destination.resolve() == source_path.resolve():
        raise RuleRefused("errors.backup.same_file", field="file")
    if os.path.lexists(destination):
        # R40: never over anything: an older backup, the secret key, a device node, a link
        raise RuleRefused("errors.backup.destination_exists", field="file", path=str(destination))
    partial = destination.with_name(destination.name + ".partial")
    try:
        _private_file(partial)
    except OSError as exc:
        raise ConfigError(
            "errors.backup.cannot_write", path=str(destination), reason=exc.strerror or str(exc)
        ) from None
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=15)
    target = sqlite3.connect(partial)
    try:
        # One step (pages=-1): the whole copy reads one snapshot; stepping in chunks would
        # restart every time a kiosk commits.
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        version, tables = _verify(target, destination)
    except BaseException:
        target.close()
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    target.close()
    try:
        os.link(partial, destination)  # fails, unlike a rename, if the name was taken meanwhile
    except OSError as exc:
        raise ConfigError(
            "errors.backup.cannot_write", path=str(destination), reason=exc.strerror or str(exc)
        ) from None
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(str(destination), destination.stat().st_size, version, tables)


def in_use(path: Path) -> bool:
    """Another process has the database open. Leaving WAL mode needs every other connection
    gone, so SQLite itself answers; the file goes back to WAL when no one else was there."""
    conn = sqlite3.connect(path, timeout=0)
    try:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            conn.execute("BEGIN EXCLUSIVE")
            conn.rollback()
            return False
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA journal_mode=WAL")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def _holds_data(path: Path) -> bool:
    if not path.is_file() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=15)
    try:
        count = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()
        return bool(count[0])
    except sqlite3.DatabaseError:
        return True  # not a database we can read: still something a restore would destroy
    finally:
        conn.close()


def restore(backup_file: Path, database_url: str, *, force: bool = False) -> RestoreReport:
    """Put a backup in place of the configured database, then check what landed there.

    An existing database is replaced only with `force`; one that another process (a kiosk, the
    review desk) has open is refused with its own message, since its users would lose their
    work in progress."""
    backup_file = Path(backup_file)
    target_path = _sqlite_target(database_url)
    if not backup_file.is_file():
        raise ConfigError("errors.backup.missing", path=str(backup_file))
    try:
        source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
        try:
            _verify(source, backup_file)
        finally:
            source.close()
    except sqlite3.DatabaseError as exc:
        raise ConfigError("errors.backup.damaged", path=str(backup_file), reason=str(exc)) from exc
    if backup_file.resolve() == target_path.resolve():
        raise RuleRefused("errors.backup.same_file", field="file")
    if _holds_data(target_path) and not force:
        key = "errors.backup.in_use" if in_use(target_path) else "errors.backup.exists"
        raise RuleRefused(key, field="force", path=str(target_path))
    if not target_path.exists():
        _private_file(target_path)
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    target = sqlite3.connect(target_path, timeout=15)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
        version, _ = _verify(target, target_path)
    finally:
        source.close()
        target.close()
    return RestoreReport(str(target_path), version, len(consistency_problems(str(target_path))))


def consistency_problems(database_url: str) -> list[object]:
    """The scale issue's consistency check on a database (a fresh connection, migrated)."""
    from app.db import open_database
    from app.services.consistency import check_consistency

    db = open_database(database_url)
    try:
        return list(check_consistency(db))
    finally:
        db.close()
