"""The database seam: everything that differs between SQLite and PostgreSQL, chosen once when a
database is opened and kept beside the Peewee database (`backend(db)`).

SQLite is a file on this host: WAL, foreign keys, a busy timeout, BEGIN IMMEDIATE, and no place
on a network share. PostgreSQL serves many hosts: racing writers take advisory locks, bulk loads
go through COPY. What the rest of Qinzi asks of a database (a lock on a business key, a fast
bulk insert, a big page cache for a load, an integrity check, fresh planner statistics, query
plans, a description for the log) it asks here; what it asks of a URL before opening one,
app/dburl.py answers. Nothing else names a backend (tests/unit/test_backend.py checks), so a
new backend is one class here and one scheme in `open_backend`."""

from __future__ import annotations

import io
import os
import re
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from peewee import Database, DatabaseProxy, PostgresqlDatabase, SqliteDatabase

from app.dburl import describe, is_postgres, redacted, sqlite_path, url_problem
from app.errors import ConfigError

_ATTRIBUTE = "qinzi_backend"
BIG_CACHE_KIB = 262144  # SQLite's page cache for a bulk load
PAGE = 5000  # rows per INSERT statement: below every driver's limit
COPY_PAGE = 50_000  # rows per COPY buffer


class Backend(ABC):
    """What SQLite and PostgreSQL do differently; the base is what they share."""

    name: ClassVar[str]

    def __init__(self, db: Database, url: str) -> None:
        self.db, self.url = db, url
        setattr(db, _ATTRIBUTE, self)

    def describe(self) -> str:
        """What the log and messages name: backend and place, never a password."""
        return describe(self.url)

    @abstractmethod
    def advisory_lock(self, key: str) -> None:
        """Serialise writers racing on one business key, until the transaction ends."""

    @abstractmethod
    def large_cache(self) -> AbstractContextManager[None]:
        """A page cache fit for a bulk load, for as long as the block runs."""

    @abstractmethod
    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], on_conflict: str
    ) -> None:
        """Insert `rows` into `table` (names already quoted) in the caller's transaction, with
        `on_conflict` (an `ON CONFLICT …` clause or "") after the values."""

    @abstractmethod
    def integrity_problems(self) -> list[tuple[str, str, str]]:
        """(kind, target, detail) for each fault the storage itself reports."""

    @abstractmethod
    def refresh_statistics(self) -> None:
        """Let the planner see what a bulk load just wrote."""

    @abstractmethod
    def query_plan(self, sql: str, params: Sequence[Any] = ()) -> list[str]:
        """The lines of the plan the database would run `sql` by."""

    @abstractmethod
    def full_scans(self, plan: Sequence[str], tables: Sequence[str]) -> list[str]:
        """The plan lines that read one of `tables` whole."""


class SqliteBackend(Backend):
    name = "sqlite"
    PRAGMAS: ClassVar[dict[str, Any]] = {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 15000,
        "synchronous": "normal",
    }

    @classmethod
    def connect(cls, url: str, *, create: bool = True) -> SqliteBackend:
        path = sqlite_path(url)
        if not create and not path.is_file():
            raise ConfigError("errors.config.db_missing", path=str(path))
        refuse_network_filesystem(path)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            # R40: personal data, readable by its owner only; SQLite gives the -wal and -shm
            # files beside it the database file's own mode.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        db = SqliteDatabase(str(path), pragmas=cls.PRAGMAS, lock_type="IMMEDIATE", timeout=15)
        return cls(db, url)

    def advisory_lock(self, key: str) -> None:
        """Nothing to do: BEGIN IMMEDIATE already admits one writer at a time."""

    @contextmanager
    def large_cache(self) -> Iterator[None]:
        """The default 2 MB page cache makes index inserts of random digests thrash; a bulk
        write of a city runs about a third faster with 256 MB, returned when it is done."""
        (before,) = self.db.execute_sql("PRAGMA cache_size").fetchone()
        self.db.execute_sql(f"PRAGMA cache_size = -{BIG_CACHE_KIB}")
        try:
            yield
        finally:
            self.db.execute_sql(f"PRAGMA cache_size = {int(before)}")

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], on_conflict: str
    ) -> None:
        """One prepared statement over every row: Peewee would render SQL text per value."""
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}){on_conflict}"
        self.db.cursor().executemany(sql, rows)

    def integrity_problems(self) -> list[tuple[str, str, str]]:
        """The page structure (PRAGMA integrity_check) and every foreign key."""
        rows = [r[0] for r in self.db.execute_sql("PRAGMA integrity_check").fetchall()]
        problems = [("integrity", "", r) for r in rows if r != "ok"]
        for table, rowid, parent, _ in self.db.execute_sql("PRAGMA foreign_key_check"):
            problems.append(("foreign_key", f"{table}#{rowid}", parent))
        return problems

    def refresh_statistics(self) -> None:
        """Nothing to do: the planner needs no ANALYZE to choose an index."""

    def query_plan(self, sql: str, params: Sequence[Any] = ()) -> list[str]:
        return [r[-1] for r in self.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]

    def full_scans(self, plan: Sequence[str], tables: Sequence[str]) -> list[str]:
        """`SCAN t`, with or without an index (a full index walk is a scan too). Plans name
        tables by their alias (t1…), so every table counts."""
        return [line for line in plan if line.startswith("SCAN ")]


def _reconnecting_postgres() -> type[PostgresqlDatabase]:
    """PostgreSQL that opens a new connection when the server or the network dropped the old
    one (R41: a restarted server or proxy made every later action fail until the program was
    restarted). Peewee's ReconnectMixin retries a statement once on a new connection, never
    inside a transaction, where the work so far is lost with the connection and the error goes
    to the caller."""
    from peewee import InterfaceError, OperationalError
    from playhouse.shortcuts import ReconnectMixin

    class ReconnectingPostgresqlDatabase(ReconnectMixin, PostgresqlDatabase):
        reconnect_errors = (
            (OperationalError, "server closed the connection"),
            (OperationalError, "terminating connection"),
            (OperationalError, "connection to server"),
            (OperationalError, "could not receive data"),
            (OperationalError, "ssl connection has been closed"),
            (InterfaceError, "connection already closed"),
        )

    return ReconnectingPostgresqlDatabase


class PostgresBackend(Backend):
    name = "postgresql"

    @classmethod
    def connect(cls, url: str) -> PostgresBackend:
        from playhouse.db_url import connect as connect_url  # with all of playhouse: PG only

        parsed = connect_url(url)  # the URL's parameters, in Peewee's own reading of it
        return cls(_reconnecting_postgres()(parsed.database, **parsed.connect_params), url)

    def advisory_lock(self, key: str) -> None:
        """A transaction-scoped lock on the key's CRC-32, released at COMMIT or ROLLBACK."""
        self.db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (zlib.crc32(key.encode()),))

    @contextmanager
    def large_cache(self) -> Iterator[None]:
        """Nothing to change: the server's shared buffers are the server's business."""
        yield

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], on_conflict: str
    ) -> None:
        """COPY … FROM STDIN, several times faster than INSERTs; an upsert cannot COPY, so it
        goes as multi-row INSERTs (execute_values), a page at a time."""
        cursor = self.db.cursor()
        names = ", ".join(columns)
        if not on_conflict:
            _copy(cursor, table, names, rows)
            return
        from psycopg2.extras import execute_values

        sql = f"INSERT INTO {table} ({names}) VALUES %s{on_conflict}"
        for start in range(0, len(rows), PAGE):
            batch = rows[start : start + PAGE]
            execute_values(cursor, sql, batch, page_size=len(batch))

    def integrity_problems(self) -> list[tuple[str, str, str]]:
        """None to ask for: PostgreSQL checks its pages itself, and amcheck needs a superuser."""
        return []

    def refresh_statistics(self) -> None:
        """Autovacuum would gather them minutes later; until then the planner reads a freshly
        loaded table whole."""
        self.db.execute_sql("ANALYZE")

    def query_plan(self, sql: str, params: Sequence[Any] = ()) -> list[str]:
        return [r[0] for r in self.db.execute_sql("EXPLAIN " + sql, params)]

    def full_scans(self, plan: Sequence[str], tables: Sequence[str]) -> list[str]:
        scan = re.compile(rf"Seq Scan on ({'|'.join(map(re.escape, tables))}) ")
        return [line.strip() for line in plan if scan.search(line)]


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).translate(_COPY_ESCAPES)


def _copy(cursor: Any, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
    buffer = io.StringIO()
    for start in range(0, len(rows), COPY_PAGE):
        buffer.seek(0)
        buffer.truncate()
        buffer.writelines(
            "\t".join(map(_copy_text, row)) + "\n" for row in rows[start : start + COPY_PAGE]
        )
        buffer.seek(0)
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)


# --- choosing one ---------------------------------------------------------------------------------


def driver_errors() -> tuple[type[Exception], ...]:
    """The database drivers' own errors: the bulk paths write through the driver's cursor
    (`insert_rows`), so they reach the caller unwrapped by Peewee."""
    import sqlite3

    try:
        from psycopg2 import Error as PostgresError
    except ImportError:
        return (sqlite3.Error,)
    return (sqlite3.Error, PostgresError)


def unavailable(exc: BaseException) -> bool:
    """R41: the database is away (a dropped or refused connection, a server restarting, SQLite
    busy past its timeout or its disk full), as opposed to a refusal of the statement itself (a
    constraint): what a terminal waits out instead of failing."""
    from peewee import IntegrityError, InterfaceError, OperationalError

    if isinstance(exc, IntegrityError):
        return False
    if isinstance(exc, InterfaceError | OperationalError):
        return True
    try:
        import psycopg2
    except ImportError:
        return False
    return isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError)


DISK_FULL_WORDS = ("disk is full", "no space left on device", "could not extend file")


def disk_full(exc: BaseException) -> bool:
    """R41: the database is away because the disk under it is full (SQLite's SQLITE_FULL,
    PostgreSQL's "could not extend file", ENOSPC), a cause IT must be told by name."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if any(words in str(current).lower() for words in DISK_FULL_WORDS):
            return True
        current = current.__cause__ or current.__context__
    return False


def open_backend(url: str, *, create: bool = True) -> Backend:
    """The backend a URL names, with its (not yet connected) Peewee database. Without `create`
    an embedded database file must exist already (R40: a mistyped path opens nothing)."""
    if problem := url_problem(url):
        raise ConfigError(f"errors.config.db_url_{problem}", url=redacted(url))
    if is_postgres(url):
        return PostgresBackend.connect(url)
    if url.startswith(("mysql", "cockroach")):
        raise ConfigError("errors.config.unsupported_db", url=url.split(":", 1)[0])
    return SqliteBackend.connect(url, create=create)


def backend(db: Database | DatabaseProxy) -> Backend:
    """The backend of a database `open_backend` made (or, for one made elsewhere, of its type)."""
    if isinstance(db, DatabaseProxy):
        db = db.obj
    found = getattr(db, _ATTRIBUTE, None)
    if found is not None:
        return found
    if isinstance(db, PostgresqlDatabase):
        params = db.connect_params
        url = "postgresql://{}@{}:{}/{}".format(
            params.get("user", ""), params.get("host", ""), params.get("port", 5432), db.database
        )
        return PostgresBackend(db, url)
    if isinstance(db, SqliteDatabase):
        return SqliteBackend(db, str(db.database))
    raise TypeError(f"no Qinzi backend for {type(db).__name__}")


# --- SQLite's place -------------------------------------------------------------------------------

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
