"""What every staff-terminal screen shares: the frame (header with who is logged in, body, the
outbox pane in demo mode, a key bar that wraps so every key stays visible at 80 columns), and the
few ways times and tables are written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Header

from app.clock import to_local
from app.resources import shipped
from app.services.review import ReviewService
from screens.base import Body, QinziScreen
from screens.widgets.i18n import T
from screens.widgets.keybar import KeyBar
from screens.widgets.outbox_pane import OutboxPane
from screens.widgets.paragraph import Paragraph


class ReviewScreen(QinziScreen[None]):
    """A staff screen. `SCROLL_BODY = False` gives a fixed body for a table that fills the
    height. The key bar wraps onto more rows, so every key stays visible at 80 columns."""

    CSS_PATH = [str(p) for p in sorted(shipped("styles").glob("*.tcss")) if p.name != "app.tcss"]
    SCROLL_BODY = True

    def compose(self) -> ComposeResult:
        yield Header()
        body = Body(id="body") if self.SCROLL_BODY else Vertical(id="body")
        with body:
            yield from self.compose_body()
        yield OutboxPane()
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _: self.update_sub_title())

    def update_sub_title(self) -> None:
        """Who is logged in, in the header: someone walking up to the terminal sees it."""
        staff = self.staff
        if staff is None:
            self.sub_title = ""
            return
        key = "label.staff.sub_it" if staff.is_it else "label.staff.sub_teacher"
        self.sub_title = self.tr(key, name=staff.name)

    @property
    def review(self) -> ReviewService:
        return self.services.review

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Every action of a logged-in staff member first asks whether the session still stands
        (R32: a reset, a temporary password or a deactivation since the login ends it); if not,
        the refusal ends the visit like any ended session."""
        staff = self.staff
        if staff is None:
            super().call(fn, *args, **kwargs)
            return
        check = self.services.staff_accounts.check_session

        def checked(*a: Any, **kw: Any) -> Any:
            check(staff)
            return fn(*a, **kw)

        checked.__name__ = getattr(fn, "__name__", "call")
        super().call(checked, *args, **kwargs)


def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (naive UTC) time as Taipei reads it; an empty string for no time."""
    return f"{to_local(moment):{fmt}}" if moment else ""


def short(moment: datetime | None) -> str:
    return local(moment, "%m-%d %H:%M")


def fill_table(
    table: DataTable, columns: list[tuple[str, str | Text]], rows: list[tuple[str, list[str]]]
) -> None:
    """Replace a table's columns and rows. Widths are measured here, not left to the table: its
    own measuring runs when it is idle and can leave cells already drawn at the old width."""

    def width(value: str | Text) -> int:
        return value.cell_len if isinstance(value, Text) else cell_len(value)

    table.clear(columns=True)
    for i, (key, label) in enumerate(columns):
        wide = max([width(label), *(width(cells[i]) for _, cells in rows)])
        table.add_column(label, key=key, width=wide)
    for key, cells in rows:
        # Cells are data (names a parent typed): Text, which a DataTable never reads as markup.
        table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells), key=key)


Fact = tuple[str, str, str]  # label key, value, "" / "ok" / "bad"


def fact(label_key: str, value: str, state: str = "") -> Horizontal:
    mark = {"ok": "✓ ", "bad": "✗ "}.get(state, "")
    return Horizontal(
        T(label_key, classes="fact-label"),
        Paragraph(mark + value, markup=False, classes=f"fact-value -{state or 'plain'}"),  # data
        classes="fact",
    )
