"""For test modules that look only at screens (contrast, layout, whole text, keys): they run
once, on SQLite, as the snapshots do. What a screen draws does not depend on the backend, and
each of these walks every screen, so a second run on PostgreSQL only doubled CI's time. The
backend's own behaviour at the terminal (an outage, a full disk) keeps both backends.

Use: `from tests.screens_on_sqlite import sqlite_db_url  # noqa: F401` in the module."""

from __future__ import annotations

import pytest


@pytest.fixture(name="db_url", params=["sqlite"])
def sqlite_db_url(tmp_path):
    return str(tmp_path / "qinzi.db")
