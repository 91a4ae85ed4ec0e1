"""A radio set a parent can answer with the keys they expect (issue 16): an arrow key moves to the
next choice *and* chooses it, as radio buttons do in a browser, and stays so a parent can look at
each one; Enter or Space chooses and moves on to the next field. Textual's RadioSet only moved a
highlight with the arrows, so a parent who pressed ↓ and went on had chosen nothing."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widgets import RadioButton, RadioSet

from screens.widgets.marks import Marked


class Choice(Marked, RadioButton):
    """One answer of a `Choices`: (●) chosen, ( ) not; › where the arrows are, while the list has
    focus (issue 18: a highlighted, unchosen 國小 looked chosen beside "please choose a level")."""

    MARKS = ("( )", "(●)")

    def has_cursor(self) -> bool:
        return self.has_class("-selected") and self.parent is not None and self.parent.has_focus


class Choices(RadioSet):
    """`go_on=False` when the choice shows the field that comes next: the screen moves focus in
    its Changed handler, where that field exists, asking `took_answer()` (Enter, not an arrow)."""

    # The key bar names the two that matter while a choice has focus (issue 16: key hints).
    BINDINGS = [
        Binding("down", "choose_next", "label.keybar.choose_next"),
        Binding("right", "choose_next", show=False),
        Binding("up,left", "choose_previous", show=False),
        Binding("enter", "choose_and_go_on", "label.keybar.choose_go_on"),
        Binding("space", "choose_and_go_on", show=False),
    ]

    def __init__(self, *buttons: RadioButton, go_on: bool = True, **kw: Any) -> None:
        super().__init__(*buttons, **kw)
        self.go_on = go_on
        self._answered = False

    def on_focus(self) -> None:
        """Something is highlighted as soon as the choice has focus (its choices may have been
        hidden when it was mounted, and Textual highlights only then)."""
        if self._selected is None:
            self.action_next_button()
        self.query(RadioButton).refresh()  # the › comes with focus

    def on_blur(self) -> None:
        self.query(RadioButton).refresh()  # and goes with it

    def action_choose_next(self) -> None:
        self._answered = False
        self.action_next_button()
        self.action_toggle_button()

    def action_choose_previous(self) -> None:
        self._answered = False
        self.action_previous_button()
        self.action_toggle_button()

    def action_choose_and_go_on(self) -> None:
        if self._selected is None:  # its choices were hidden when it was mounted
            self.action_next_button()
        button = self._nodes[self._selected] if self._selected is not None else None
        if not isinstance(button, RadioButton):
            return
        if button.value or self.go_on:  # nothing changes, or the next field is there already
            self.screen.focus_next()
        if not button.value:
            self._answered = True
            button.toggle()

    def took_answer(self) -> bool:
        """Whether the change being handled came from Enter or Space (once)."""
        answered, self._answered = self._answered, False
        return answered
