"""The scan field: an application number typed by hand or by a USB QR scanner, which types the
number printed on the form (QZ-7K3M-9PXA) and presses Enter. It opens that application through
the same check as the queue (R18), so a number from another class opens nothing.

A scanner does not know where the focus is: the queue catches the first upper-case letter or
digit typed outside an input (its own keys are lower case) before any widget sees it, hands it
here, and the rest of the number follows."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import Input

from app.services.review_views import ApplicationDetail
from screens.widgets.field import Field

# Crockford base32 and the prefix: what a scanner types first. Lower-case keys stay the queue's.
SCAN_START = frozenset("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


class ScanField(Field):
    """`Field("number", …)`: a refusal of `find` (not found, another class) shows beside it."""

    class Found(Message):
        def __init__(self, detail: ApplicationDetail) -> None:
            super().__init__()
            self.detail = detail

    def __init__(self) -> None:
        super().__init__(
            "number",
            "label.staff.scan",
            Input(id="scan", compact=True, max_length=40, select_on_focus=False),
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.app, "lang", self._relabel)

    def _relabel(self, lang: str) -> None:
        self.input.placeholder = self.app.tr("label.staff.scan_placeholder")

    @property
    def input(self) -> Input:
        return self.query_one("#scan", Input)

    def start(self, character: str) -> None:
        """The first key of a scan, typed while something else had the focus. The focus moves
        at once, not after the next refresh: the scanner's next key is already on its way."""
        self.screen.set_focus(self.input)
        self.input.insert_text_at_cursor(character)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            return
        screen = self.screen
        screen.clear_errors()
        screen.call(self.app.services.review.find, self.app.staff, event.value, done=self._found)

    def _found(self, detail: ApplicationDetail) -> None:
        self.input.value = ""
        self.show(None)
        self.post_message(self.Found(detail))
