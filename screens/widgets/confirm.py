"""A yes/no question before anything destructive (cancel, 註銷全部紀錄, 不同意並退出), where No has
the focus; or before a step the person means to take (確認送出 after reading the summary), where
Yes has it, so Enter goes on (issue 16)."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button

from screens.widgets.dialog import Dialog
from screens.widgets.i18n import T, TButton


class Confirm(Dialog[bool]):
    DEFAULT_CSS = """
    Confirm { align: center middle; }
    Confirm > Vertical {
        width: 64; max-width: 95%; height: auto; padding: 1 2;
        border: thick $warning; background: $surface;
    }
    Confirm .confirm-text { margin-bottom: 1; }
    Confirm Horizontal { height: auto; align: center middle; }
    Confirm Button { margin: 0 1; }
    """
    BINDINGS = [Binding("escape", "no", show=False)]

    def __init__(
        self, key: str, yes_key: str = "label.confirm_yes", *, destructive: bool = True,
        no_key: str = "label.confirm_no", **params: Any,
    ) -> None:  # fmt: skip
        """`yes_key` and `no_key` name the buttons by what they do ("Yes, cancel it", "Keep
        application") where a bare Yes / Go back would leave the reader guessing (issue 18)."""
        super().__init__()
        self.key, self.yes_key, self.no_key, self.params = key, yes_key, no_key, params
        self.destructive = destructive

    def compose(self) -> ComposeResult:
        with Vertical():
            yield T(self.key, classes="confirm-text", **self.params)
            with Horizontal():
                yes = "error" if self.destructive else "primary"
                yield TButton(self.no_key, id="no",
                              variant="primary" if self.destructive else "default")  # fmt: skip
                yield TButton(self.yes_key, id="yes", variant=yes)

    def on_mount(self) -> None:
        self.query_one("#no" if self.destructive else "#yes").focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.answer(event.button.id == "yes")

    def action_no(self) -> None:
        self.answer(False)
