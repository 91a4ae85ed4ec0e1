"""What a database URL names, without loading a database driver (the log names the database
before `qinzi demo` has opened one). The URL half of the database seam; app/backend.py is the
other half, for a database once it is open."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

POSTGRES_SCHEMES = ("postgres://", "postgresql://")
HIDDEN = "***"
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*")


def url_problem(url: str) -> str | None:
    """What keeps `url` from naming a database, as a word for the message catalog, or None: a
    PostgreSQL URL without a database name ("no_database"), with a broken host ("bad_host") or a
    port out of range ("bad_port"), or a sqlite URL with two slashes ("sqlite_slashes":
    sqlite://x.db is no path, sqlite:///x.db is)."""
    if is_postgres(url):
        try:
            parts = urlsplit(url)
        except ValueError:  # an unclosed [IPv6 address
            return "bad_host"
        try:
            parts.port  # noqa: B018 - raises for a port out of range
        except ValueError:
            return "bad_port"
        database = parts.path.lstrip("/") or dict(parse_qsl(parts.query)).get("dbname", "")
        return None if database else "no_database"
    if url.startswith("sqlite:") and not url.startswith("sqlite:///"):
        return "sqlite_slashes"
    return None


def is_postgres(url: str) -> bool:
    return url.startswith(POSTGRES_SCHEMES)


def spare_postgres_driver(url: str) -> None:
    """R45's memory: a process that will only ever open this SQLite database loads no
    PostgreSQL driver. Peewee imports psycopg2 (with libpq and OpenSSL, about 5 MB resident)
    whenever it is installed; a browser tab's process on SQLite blocks the import before peewee
    is loaded. Only for such one-database processes: PostgreSQL stays out of them for good."""
    if not is_postgres(url):
        sys.modules.setdefault("psycopg2", None)  # type: ignore[assignment]


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:") else Path(url)


def file_path(url: str) -> Path | None:
    """The file an embedded database lives in; None for a database server."""
    return None if is_postgres(url) else sqlite_path(url)


def redacted(url: str) -> str:
    """The URL fit to print (R40): a password, in the user part or as `password=` in the
    query, is shown as ***. The user part ends at the last @, so a password with an unquoted
    / or @ in it stays hidden too."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    userinfo, at, host = rest.rpartition("@")
    if at and ":" in userinfo:
        rest = f"{userinfo.split(':', 1)[0]}:{HIDDEN}@{host}"
    return _QUERY_PASSWORD.sub(rf"\g<1>{HIDDEN}", f"{scheme}://{rest}")


def describe(url: str) -> str:
    """The database as the log and messages name it: `sqlite /path/qinzi.db` or
    `postgresql user@host:port/db`, never a password."""
    if not is_postgres(url):
        return f"sqlite {sqlite_path(url)}"
    parts = urlsplit(redacted(url))  # the user part parsed as redacted() finds it
    query = dict(parse_qsl(parts.query))
    host = parts.hostname or query.get("host") or "localhost"
    try:
        port = parts.port or query.get("port") or 5432
    except ValueError:
        port = "?"
    user = parts.username or query.get("user")
    database = parts.path.lstrip("/") or query.get("dbname", "")
    return f"postgresql {user + '@' if user else ''}{host}:{port}/{database}"
