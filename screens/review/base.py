"""What every staff-terminal screen shares: the kiosk frame (refusals beside their field, service
calls in thread workers, the outbox pane), a footer that wraps onto a second row so that every key
stays visible at 80 columns, and the few ways times and codes are written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import HorizontalGroup, Vertical, VerticalScroll
from textual.widgets import DataTable, Header
from textual.widgets._footer import FooterKey

from app.clock import to_local
from app.services.staff import StaffIdentity
from screens.base import KioskScreen
from screens.widgets.footer import TFooter
from screens.widgets.outbox_pane import OutboxPane


class ReviewFooter(TFooter):
    """The key footer in as many rows as the keys need (at most three)."""

    DEFAULT_CSS = """
    ReviewFooter { layout: vertical; height: auto; max-height: 3; }
    ReviewFooter > .footer-row { height: 1; width: 100%; }
    """

    def __init__(self) -> None:
        super().__init__(show_command_palette=False, compact=True)
        self._rows_for = 0

    def compose(self) -> ComposeResult:
        keys = [w for w in super().compose() if isinstance(w, FooterKey)]
        width = self.size.width or self.app.size.width
        self._rows_for = width
        rows: list[list[FooterKey]] = [[]]
        used = 0
        for key in keys:
            need = cell_len(key.key_display) + cell_len(key.description) + 2
            if rows[-1] and used + need > width:
                rows.append([])
                used = 0
            rows[-1].append(key)
            used += need
        for row in rows:
            yield HorizontalGroup(*row, classes="footer-row")

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._rows_for:
            self.call_after_refresh(self.recompose)


class ReviewScreen(KioskScreen):
    """A staff screen. `SCROLL_BODY = False` gives a fixed body for a table that fills the
    height; `CAN_GO_BACK = False` for the screens Escape must not leave (login, queue)."""

    SCROLL_BODY = True
    CAN_GO_BACK = True

    def compose(self) -> ComposeResult:
        yield Header()
        body = VerticalScroll(id="body") if self.SCROLL_BODY else Vertical(id="body")
        with body:
            yield from self.compose_body()
        yield OutboxPane()
        yield ReviewFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.app, "lang", lambda _: self.update_sub_title())

    def update_sub_title(self) -> None:
        """Who is logged in, in the header: someone walking up to the terminal sees it."""
        staff = self.app.staff
        if staff is not None:
            key = "label.staff.sub_it" if staff.is_it else "label.staff.sub_teacher"
            self.sub_title = self.app.tr(key, name=staff.name)

    @property
    def staff(self) -> StaffIdentity | None:
        return self.app.staff

    @property
    def review(self) -> Any:
        return self.app.services.review

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.CAN_GO_BACK
        return True


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
