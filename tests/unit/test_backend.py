"""The database seam (app/backend.py, app/dburl.py): chosen once when a database is opened, it
holds everything SQLite and PostgreSQL do differently (advisory lock, bulk insert and upsert,
page cache, integrity check, description), on a real SQLite file and on PostgreSQL; and no other
module asks which backend it is."""

from __future__ import annotations

import re
import sqlite3
import zlib
from datetime import datetime
from pathlib import Path

import pytest

from app.backend import backend
from app.db import advisory_lock, open_database
from app.dburl import describe, file_path, redacted
from app.models import OutboxMessage, School
from app.services.bulk import bulk_insert, large_cache
from app.services.consistency import check_consistency

ROOT = Path(__file__).resolve().parents[2]
SEAM = {"app/backend.py", "app/db.py", "app/dburl.py"}
BACKEND_QUESTIONS = re.compile(r"\b(PostgresqlDatabase|SqliteDatabase|is_postgres|psycopg2)\b")


def test_nothing_outside_the_seam_asks_which_backend_it_is():
    """One seam: a module that checks the backend type or the URL's scheme itself is a second
    place a new backend would have to go."""
    sources = [p for p in (ROOT / "app").rglob("*.py") if str(p.relative_to(ROOT)) not in SEAM]
    sources += [ROOT / "tests/unit/test_scale.py", ROOT / "tests/bench/stress.py"]
    offenders = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in sources
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if BACKEND_QUESTIONS.search(line)
    ]
    assert offenders == []


def test_the_scan_would_notice_a_backend_check():
    assert BACKEND_QUESTIONS.search("    if isinstance(db, PostgresqlDatabase):")
    assert BACKEND_QUESTIONS.search("from app.dburl import is_postgres")
    assert not BACKEND_QUESTIONS.search("backend(db).advisory_lock(key)")


# --- chosen once, named without a password ------------------------------------------------------


def test_the_backend_is_chosen_once_when_the_database_is_opened(db_url):
    db = open_database(db_url)
    seam = backend(db)
    assert seam is backend(db) and seam.db is db
    assert seam.name == ("sqlite" if file_path(db_url) else "postgresql")
    assert seam.describe() == describe(db_url)
    db.close()


def test_r40_a_database_is_described_by_place_and_never_by_password(tmp_path):
    assert describe(str(tmp_path / "qinzi.db")) == f"sqlite {tmp_path / 'qinzi.db'}"
    assert describe(f"sqlite:///{tmp_path}/q.db") == f"sqlite {tmp_path}/q.db"
    assert describe("postgresql://qinzi:hunter2@db.school.tw:6543/qinzi?sslmode=require") == (
        "postgresql qinzi@db.school.tw:6543/qinzi"
    )
    assert describe("postgres://qinzi:hunter2@db/qz") == "postgresql qinzi@db:5432/qz"
    assert describe("postgresql:///qz?host=/run/postgresql&user=kiosk&password=hunter2") == (
        "postgresql kiosk@/run/postgresql:5432/qz"
    )
    assert "sec/ret" not in describe("postgresql://u:sec/ret@h/db")  # an unquoted / in it


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://qinzi:hunter2@127.0.0.1:1/qinzi", "postgresql://qinzi:***@127.0.0.1:1/qinzi"),
        ("postgresql://u:p@ss/w@h/db", "postgresql://u:***@h/db"),
        ("postgresql://kiosk@h/db", "postgresql://kiosk@h/db"),
        ("postgresql://h/db?user=a&password=hunter2&x=1", "postgresql://h/db?user=a&password=***&x=1"),
        ("/var/lib/qinzi/qinzi.db", "/var/lib/qinzi/qinzi.db"),
    ],
)  # fmt: skip
def test_r40_a_url_is_printed_with_its_password_hidden(url, shown):
    assert redacted(url) == shown


def test_backup_has_a_file_only_for_an_embedded_database(tmp_path):
    assert file_path(str(tmp_path / "q.db")) == tmp_path / "q.db"
    assert file_path("postgresql://u@h/db") is None


def test_a_database_opened_elsewhere_gets_the_backend_of_its_type(tmp_path):
    from peewee import SqliteDatabase

    db = SqliteDatabase(str(tmp_path / "other.db"))
    assert backend(db).name == "sqlite" and backend(db).describe().endswith("other.db")


# --- what differs ---------------------------------------------------------------------------------


def test_advisory_lock_serialises_writers_on_postgresql_and_costs_nothing_on_sqlite(services):
    """Two writers with the same business key wait for each other on PostgreSQL; on SQLite
    BEGIN IMMEDIATE has already admitted one writer, so no statement is sent."""
    db = services.ctx.db
    if backend(db).name == "sqlite":
        sent = []
        original = db.execute_sql
        db.execute_sql = lambda *a, **k: sent.append(a) or original(*a, **k)
        try:
            with db.atomic():
                advisory_lock(db, "email:a@b.example")
        finally:
            del db.execute_sql
        assert sent == []
        return
    import psycopg2

    other = psycopg2.connect(services.settings.database_url)
    try:
        crc = zlib.crc32(b"email:a@b.example")
        with db.atomic():
            advisory_lock(db, "email:a@b.example")
            with other.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (crc,))
                assert cur.fetchone()[0] is False  # held until this transaction ends
            other.rollback()
        with other.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (crc,))
            assert cur.fetchone()[0] is True
    finally:
        other.close()


ODD = "tab\there, line\nbreak, back\\slash, \\N, 「引號」"


def test_bulk_insert_and_upsert_store_every_value_as_it_is(services):
    """COPY on PostgreSQL, executemany on SQLite, execute_values for an upsert: text with tabs,
    newlines and backslashes, None, booleans and datetimes land as given."""
    db = services.ctx.db
    with services.ctx.transaction():
        assert bulk_insert(db, School, [School.code, School.name, School.level],
                           [("B1", ODD, "elementary"), ("B2", "二", "junior")]) == 2  # fmt: skip
        bulk_insert(db, School, [School.code, School.name, School.level],
                    [("B1", "changed", "senior"), ("B3", "三", "special")],
                    conflict=[School.code], update=[School.name])  # fmt: skip
        bulk_insert(db, School, [School.code, School.name, School.level],
                    [("B2", "ignored", "senior")], conflict=[School.code])  # fmt: skip
        at = datetime(2026, 9, 1, 8, 30, 15)
        bulk_insert(
            db,
            OutboxMessage,
            [OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.purpose,
             OutboxMessage.subject, OutboxMessage.body_sealed, OutboxMessage.created_at,
             OutboxMessage.next_attempt_at],
            [("email", "a@b.example", "x", ODD, "sealed", at, None)],
        )  # fmt: skip
    schools = {
        s.code: (s.name, s.level) for s in School.select().where(School.code << ["B1", "B2", "B3"])
    }
    assert schools == {
        "B1": ("changed", "elementary"),
        "B2": ("二", "junior"),
        "B3": ("三", "special"),
    }
    message = OutboxMessage.get(OutboxMessage.purpose == "x")
    assert (message.subject, message.created_at, message.next_attempt_at) == (ODD, at, None)
    assert message.status == "queued" and message.attempts == 0  # the model's defaults


def test_large_cache_is_given_back_after_a_bulk_load(services):
    db = services.ctx.db
    seam = backend(db)
    if seam.name != "sqlite":
        with large_cache(db):  # the server's own buffers: nothing to change, nothing to fail
            pass
        return
    size = lambda: db.execute_sql("PRAGMA cache_size").fetchone()[0]  # noqa: E731
    before = size()
    with large_cache(db):
        assert size() == -262144
    assert size() == before


def test_integrity_check_reports_a_broken_foreign_key_on_sqlite(services, db_url):
    """SQLite's own check runs in `qinzi check`; PostgreSQL enforces foreign keys itself."""
    db = services.ctx.db
    assert backend(db).integrity_problems() == []
    if backend(db).name != "sqlite":
        return
    raw = sqlite3.connect(db_url)
    raw.execute("PRAGMA foreign_keys = OFF")
    raw.execute("INSERT INTO classroom (school_id, name) VALUES (99999, 'orphan')")
    raw.commit()
    raw.close()
    problems = [p for p in check_consistency(db) if p.kind == "foreign_key"]
    assert [p.target.split("#")[0] for p in problems] == ["classroom"]
