"""Fixtures shared by every tier: a real database file (and PostgreSQL when QINZI_TEST_PG names
one), a frozen clock, fast Argon2 settings, and the user's own config and data kept out."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from app.clock import FrozenClock
from app.config import Settings
from app.keys import Keyring
from app.services import Services, build_services
from tests.factories import Roster, make_roster

PG_URL = os.environ.get("QINZI_TEST_PG", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(autouse=True)
def _isolate_user_dirs(tmp_path_factory, monkeypatch):
    """Never read or write the developer's own config, data folder or secret."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    for var in ("QINZI_DB", "QINZI_CONFIG", "QINZI_SECRET", "QINZI_DATA_DIR", "QINZI_MODE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(autouse=True)
def _detach_log_file():
    """A test that ran the command-line factory leaves no log file attached for the next."""
    yield
    from app.logs import close_logging

    close_logging()


def pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def fresh_pg_schema() -> str:
    """A new, empty PostgreSQL schema; returns its URL."""
    import psycopg2

    schema = f"qz_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {schema}")
    conn.close()
    return schema


def drop_pg_schema(schema: str) -> None:
    import psycopg2

    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    conn.close()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    """A real, empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path / "qinzi.db")
        return
    schema = fresh_pg_schema()
    yield pg_schema_url(schema)
    from app.models import database

    if database.obj is not None and not database.is_closed():
        database.close()
    drop_pg_schema(schema)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def settings(tmp_path, db_url) -> Settings:
    # A production terminal with an SMS gateway configured (R38: else no SMS codes at all);
    # `services` keeps what it would send in the outbox.
    return Settings(
        data_dir=tmp_path / "data",
        db=db_url,
        terminal_id="test-kiosk",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
        sms_transport="kannel",
        sms_url="http://127.0.0.1:9/cgi-bin/sendsms",
        sms_username="qinzi",
    )


@pytest.fixture
def keyring() -> Keyring:
    return Keyring(b"k" * 32)


@pytest.fixture
def services(settings, clock, keyring) -> Services:
    from app.services.transports import StoreOnly

    svc = build_services(settings, clock=clock, keyring=keyring, sms=StoreOnly())
    yield svc
    svc.close()


@pytest.fixture
def roster(services) -> Roster:
    """A small school roster with known (fictional, checksum-valid) ID numbers."""
    return make_roster(services)


SLOW_MARKERS = ("pilot", "process", "browser", "monkey", "sweep", "crash", "stress", "packaging")


def pytest_collection_modifyitems(items):
    """Whatever walks the screens, spawns a process, drives a browser, or runs the monkey, a crash
    or a stress test is slow: `make check` leaves it out, `make test` runs it."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "tui" in parts:
            item.add_marker(pytest.mark.pilot)
        if "bench" in parts:
            item.add_marker(pytest.mark.process)
        if "web" in parts:
            item.add_marker(pytest.mark.browser)
        if any(item.get_closest_marker(name) for name in SLOW_MARKERS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _fast_tier_starts_no_process(request, monkeypatch):
    """In the fast tier (QINZI_FAST_TIER=1, set by `make check`), a test that starts a process
    fails at once and says to mark it: the tier stays fast because nothing slips into it."""
    if not os.environ.get("QINZI_FAST_TIER") or request.node.get_closest_marker("slow"):
        return
    import subprocess

    def refused(*args, **kwargs):
        raise AssertionError(
            "this test starts a process: mark it @pytest.mark.process (the fast tier, "
            "make check, starts none)"
        )

    monkeypatch.setattr(subprocess.Popen, "_execute_child", refused)
    for name in ("fork", "forkpty", "posix_spawn", "posix_spawnp"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, refused)
