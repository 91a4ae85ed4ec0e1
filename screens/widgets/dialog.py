"""The base of every question put on top of a screen (Confirm, the idle countdown, the staff
PIN, bulk approval): it answers once, and only while it is on top."""

from __future__ import annotations

from textual.screen import ModalScreen, ScreenResultType

from screens.widgets.keybar import KeysInLanguage


class Dialog(KeysInLanguage, ModalScreen[ScreenResultType]):
    def answer(self, result: ScreenResultType) -> None:
        """Dismiss with `result` if this dialog is still the top screen. Clicks and keys of one
        burst can reach it after it closed, or after a wipe took it away; Textual's dismiss
        would then pop whatever screen is on top (issue 9's monkey crashed the kiosk so)."""
        if self.is_active:
            self.dismiss(result)
