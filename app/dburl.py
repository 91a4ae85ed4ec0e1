"""What a database URL names, without loading a database driver (the log names the database
before `qinzi demo` has opened one)."""

from __future__ import annotations

from pathlib import Path


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:") else Path(url)
