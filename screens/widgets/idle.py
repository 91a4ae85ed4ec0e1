"""R22: after the idle limit, a countdown; unless someone touches a key, everything typed is wiped
and the welcome screen returns."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from screens.widgets.dialog import Dialog
from screens.widgets.i18n import T, TButton


class IdleCountdown(Dialog[bool]):
    DEFAULT_CSS = """
    IdleCountdown { align: center middle; }
    IdleCountdown > Vertical {
        width: 60; max-width: 95%; height: auto; padding: 1 2;
        border: thick $warning; background: $surface;
    }
    IdleCountdown #idle-text { margin-bottom: 1; text-style: bold; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            left = self.seconds_left()
            yield T("label.idle_warning", id="idle-text", seconds=left, count=left)
            yield TButton("label.idle_stay", id="stay", variant="primary")

    def on_mount(self) -> None:
        self.started = self.app.services.clock()
        self.set_interval(1.0, self.tick)

    def seconds_left(self) -> int:
        total = self.app.services.settings.idle_countdown_seconds
        started = getattr(self, "started", None)
        if started is None:
            return total
        return max(0, total - int((self.app.services.clock() - started).total_seconds()))

    def tick(self) -> None:
        left = self.seconds_left()
        if left <= 0:
            self.answer(False)
        else:
            self.query_one("#idle-text", T).set("label.idle_warning", seconds=left, count=left)

    def on_key(self) -> None:
        self.answer(True)  # once: the rest of a burst of keys finds it closed

    def on_button_pressed(self) -> None:  # the one button: 繼續使用
        self.answer(True)
