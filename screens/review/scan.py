"""The scan field: an application number typed by hand or by a USB QR scanner, which types the
number printed on the form (QZ-7K3M-9PXA) and presses Enter. The queue opens that application
through the same check as its rows (R18), so a number from another class opens nothing.

A scanner does not know where the focus is: the queue catches the first upper-case letter or
digit typed outside an input (its own keys are lower case) before any widget sees it, hands it
here, and the rest of the number follows."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.message import Message
from textual.widgets import Input

from screens.widgets.field import Field

# Crockford base32 and the prefix: what a scanner types first. Lower-case keys stay the queue's.
SCAN_START = frozenset("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


class ScanField(Field):
    """`Field("number", …)`: a refusal (not found, another class) shows beside it."""

    @dataclass
    class Scanned(Message):
        """A number was typed and Enter pressed."""

        number: str

    def __init__(self) -> None:
        super().__init__(
            "number",
            "label.staff.scan",
            Input(id="scan", compact=True, max_length=40, select_on_focus=False),
        )

    def on_mount(self) -> None:
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

    @on(Input.Submitted, "#scan")
    def scanned(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.post_message(self.Scanned(event.value))

    def ready_again(self) -> None:
        """The number opened nothing (mistyped, not found, another class): with its reason
        shown beside the field, the field is emptied and focused again, so the next scan is
        read on its own instead of appended to the number that failed."""
        self.input.value = ""
        self.screen.set_focus(self.input)

    def opened(self) -> None:
        """The number opened its application: ready for the next scan."""
        self.input.value = ""
        self.show(None)
