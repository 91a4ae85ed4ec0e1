"""One page of a list that may be long (the queue, unbinding requests, the audit log): every
list a staff terminal shows is paged by its query, so the database never hands over more rows
than one screen shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
MAX_PAGE_SIZE = 500


def page_bounds(page: int, page_size: int) -> tuple[int, int]:
    """A page number from 1 and a size from 1 to MAX_PAGE_SIZE, whatever a screen asked for."""
    return max(1, page), max(1, min(page_size, MAX_PAGE_SIZE))


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """At least one, so that an empty list still reads "page 1 of 1"."""
        return max(1, -(-self.total // self.page_size))
