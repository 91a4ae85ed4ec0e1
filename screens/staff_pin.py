"""R22: leaving a kiosk takes the staff PIN from the configuration."""

from __future__ import annotations

import hmac

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input

from app.errors import InvalidInput
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton


class StaffPinScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    StaffPinScreen { align: center middle; }
    StaffPinScreen > Vertical {
        width: 56; max-width: 95%; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    StaffPinScreen Horizontal { height: auto; align: center middle; }
    StaffPinScreen Button { margin: 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield T("label.pin_title")
            yield Field("pin", "label.pin", Input(id="pin", password=True))
            with Horizontal():
                yield TButton("label.cancel", id="cancel")
                yield TButton("label.pin_leave", id="leave", variant="warning")

    def on_input_submitted(self) -> None:
        self.check()

    def on_button_pressed(self, event: TButton.Pressed) -> None:
        event.stop()
        if event.button.id == "leave":
            self.check()
        else:
            self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def check(self) -> None:
        expected = self.app.services.settings.staff_pin
        typed = self.query_one("#pin", Input).value
        if expected and hmac.compare_digest(typed.encode(), expected.encode()):
            self.dismiss(True)
            return
        key = "errors.kiosk.pin_wrong" if expected else "errors.kiosk.pin_not_set"
        self.query_one(Field).show(InvalidInput(key, field="pin"))
        self.query_one("#pin", Input).value = ""
