"""A radio set a parent can answer with the keys they expect (issue 16): an arrow key moves to the
next choice *and* chooses it, as radio buttons do in a browser, and Enter or Space still choose
the highlighted one. Textual's RadioSet only moves a highlight with the arrows, so a parent who
pressed ↓ and went on had chosen nothing."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import RadioSet


class Choices(RadioSet):
    BINDINGS = [
        Binding("down,right", "choose_next", show=False),
        Binding("up,left", "choose_previous", show=False),
    ]

    def action_choose_next(self) -> None:
        self.action_next_button()
        self.action_toggle_button()

    def action_choose_previous(self) -> None:
        self.action_previous_button()
        self.action_toggle_button()
