"""Bulk approval (R28): the roster-matched applications the teacher picked, listed once, approved
with one confirmation. Each still gets its own transaction, audit event and e-mail (R19); the
service skips any that changed meanwhile, and the queue says how many."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable

from app.services.review_views import QueueRow
from screens.widgets.dialog import Dialog
from screens.widgets.i18n import T, TButton

SHOWN = 8  # rows listed by name; the rest are counted


class BulkConfirm(Dialog[bool]):
    DEFAULT_CSS = """
    BulkConfirm { align: center middle; }
    BulkConfirm > Vertical {
        width: 72; max-width: 96%; height: auto; max-height: 96%; padding: 1 2;
        border: thick $warning; background: $surface;
    }
    BulkConfirm #bulk-rows { height: auto; max-height: 10; margin: 1 0; }
    BulkConfirm Horizontal { height: auto; align: center middle; }
    BulkConfirm Button { margin: 0 1; }
    """
    BINDINGS = [Binding("escape", "no", show=False)]

    def __init__(self, rows: list[QueueRow]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        n = len(self.rows)
        with Vertical():
            yield T("label.staff.bulk_confirm", id="bulk-question", count=n)
            with VerticalScroll(id="bulk-rows"):
                for r in self.rows[:SHOWN]:
                    yield T("label.staff.bulk_row", number=r.number, student=r.student_name_shown,
                            classroom=r.classroom_name, parent=r.parent_name_masked)  # fmt: skip
                if n > SHOWN:
                    yield T("label.staff.bulk_more", count=n - SHOWN, classes="muted")
            yield T("label.staff.bulk_note", classes="muted")
            with Horizontal():
                yield TButton("label.confirm_no", id="no", variant="primary")
                yield TButton("label.staff.bulk_yes", id="yes", variant="success")

    def on_mount(self) -> None:
        self.query_one("#no").focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.answer(event.button.id == "yes")

    def action_no(self) -> None:
        self.answer(False)


class BulkPicking:
    """The queue's side of bulk approval: Space picks a row that qualifies, B asks once and
    approves the picks (or, with none picked, every one on the page that qualifies). The queue
    provides `picked`, `result`, `current_row()`, `show_status()`, `load()` and `call()`."""

    picked: dict[str, QueueRow]
    result: Any

    def action_pick(self) -> None:
        row = self.current_row()
        if row is None:
            return
        if row.number in self.picked:
            del self.picked[row.number]
        elif row.bulk_approvable:
            self.picked[row.number] = row
        else:
            self.notify(self.app.tr("label.staff.pick_refused"), severity="warning")
            return
        table = self.query_one("#queue", DataTable)
        table.update_cell(row.number, "pick", "✓" if row.number in self.picked else "")
        table.action_cursor_down()
        self.show_status()

    def action_bulk(self) -> None:
        rows = list(self.picked.values()) or [
            r for r in (self.result[0].rows if self.result else []) if r.bulk_approvable
        ]
        if not rows:
            self.notify(self.app.tr("label.staff.bulk_none"), severity="warning")
            return
        self.app.push_screen(BulkConfirm(rows), lambda ok: self._bulk(ok, rows))

    def _bulk(self, ok: bool | None, rows: list[QueueRow]) -> None:
        if not ok:
            return
        numbers = [r.number for r in rows]
        self.call(self.review.bulk_approve, self.staff, numbers,
                  done=lambda done: self._bulk_done(numbers, done))  # fmt: skip

    def _bulk_done(self, asked: list[str], done: list[str]) -> None:
        self.picked.clear()
        self.notify(self.app.tr("label.staff.bulk_done", approved=len(done),
                                skipped=len(asked) - len(done)))  # fmt: skip
        self.load()
