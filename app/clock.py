"""Time as the services see it: naive UTC datetimes from an injectable clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


class FrozenClock:
    """A clock tests move by hand, so that expiry rules run without sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 9, 1, 8, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


TAIPEI = timedelta(hours=8)  # Asia/Taipei has no daylight saving time


def to_local(moment: datetime) -> datetime:
    """A stored (naive UTC) time as people in Taiwan read it."""
    return moment + TAIPEI
