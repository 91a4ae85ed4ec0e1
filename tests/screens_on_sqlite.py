"""For test modules that look only at screens (contrast, layout, whole text, keys) or walk the
kiosk's flow (the wizard, the end of a visit): they run once, on SQLite, as the snapshots do.
What a screen draws and where the flow goes do not depend on the backend; the services under
them run on both backends in tests/unit, and a second run of every walk on PostgreSQL only
pushed CI past 15 minutes. The backend's own behaviour at the terminal (an outage, a full disk)
and the account and review desks keep both backends.

Use: `from tests.screens_on_sqlite import sqlite_db_url  # noqa: F401` in the module."""

from __future__ import annotations

import pytest


@pytest.fixture(name="db_url", params=["sqlite"])
def sqlite_db_url(tmp_path):
    return str(tmp_path / "qinzi.db")
