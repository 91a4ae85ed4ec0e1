"""R22: leaving a kiosk takes the staff PIN from the configuration, and guessing it is throttled
(app/services/kiosk_lock.py): after five wrong PINs the screen says how many minutes to wait and
refuses every try until then. The field is emptied after every try, right or wrong."""

from __future__ import annotations

import logging

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input

from app.errors import QinziError
from screens.widgets.dialog import Dialog
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton

log = logging.getLogger("qinzi.ui")


class StaffPinScreen(Dialog[bool]):
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

    checking = False  # a try is being checked (Argon2 takes a moment): Enter again is ignored

    def compose(self) -> ComposeResult:
        with Vertical():
            yield T("label.pin_title")
            yield Field("pin", "label.pin", Input(id="pin", password=True))
            with Horizontal():
                yield TButton("label.cancel", id="cancel")
                yield TButton("label.pin_leave", id="leave", variant="warning")

    def on_mount(self) -> None:
        self.lock = self.app.services.kiosk_lock
        self.query_one("#pin", Input).focus()
        self.run_worker(self._show_wait, thread=True, group="pin", exit_on_error=False)

    def _show_wait(self) -> None:
        """Opened while a wait is running: say so at once, before anyone types."""
        try:
            self.lock.refuse_if_waiting()
        except QinziError as error:
            self.app.call_from_thread(self.refused, error)

    @on(Input.Submitted)
    @on(Button.Pressed, "#leave")
    def leave_pressed(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.check()

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.answer(False)

    def action_cancel(self) -> None:
        self.answer(False)

    def check(self) -> None:
        pin = self.query_one("#pin", Input)
        typed, pin.value = pin.value, ""
        if self.checking:
            return
        self.checking = True
        self.run_worker(lambda: self._try(typed), thread=True, group="pin", exit_on_error=False)

    def _try(self, typed: str) -> None:
        try:
            self.lock.unlock(typed)
        except QinziError as error:
            self.app.call_from_thread(self.refused, error)
        except Exception:  # the database went away: say so plainly, the log keeps the detail
            log.exception("staff PIN check failed")
            self.app.call_from_thread(self.refused, QinziError("errors.generic"))
        else:
            self.app.call_from_thread(self.opened)
        finally:
            self.checking = False

    def opened(self) -> None:
        self.answer(True)  # only while on top: not wiped, no countdown over it

    def refused(self, error: QinziError) -> None:
        if self.is_current:  # not wiped meanwhile (a removed screen stays "mounted")
            self.query_one(Field).show(error)
            self.query_one("#pin", Input).value = ""
