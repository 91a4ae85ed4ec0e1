"""Changing the password; forced at the first login with the initial one (R19, R20), where the
flow gives the screen no way back. The rules are shown before typing, and each refusal says
which rule in plain words."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input

from app.tui import FlowMessage
from screens.base import KioskScreen, Place
from screens.widgets.field import Field
from screens.widgets.i18n import T, TButton

ORDER = ("current", "new", "again")


class ChangePasswordScreen(KioskScreen):
    AUTO_FOCUS = "#current"
    class Saved(FlowMessage):
        """The forced change is done (R19); a change the parent chose returns by itself."""

    def __init__(self, place: Place, *, forced: bool = False) -> None:
        super().__init__(place)
        self.forced = forced

    def compose_body(self) -> ComposeResult:
        yield T("label.password_title", classes="title")
        if self.forced:
            yield T("label.password_forced", classes="lead")
        yield T("label.password_rules", classes="muted")
        current = "label.password_initial" if self.forced else "label.password_current"
        yield Field("current_password", current, Input(id="current", password=True))
        yield Field("new_password", "label.password_new", Input(id="new", password=True))
        yield Field("new_password_again", "label.password_again", Input(id="again", password=True))
        with Horizontal(classes="actions"):
            yield TButton("label.password_save", id="save", variant="primary")
            if not self.forced:
                yield TButton("label.cancel", id="cancel")

    @on(Input.Submitted)
    def typed(self, event: Input.Submitted) -> None:
        self.enter_moves_on(ORDER, event, self.save)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.leave()

    @on(Button.Pressed, "#save")
    def save(self) -> None:
        if self.login is None:
            return
        self.clear_errors()
        self.call(self.services.accounts.change_password, self.login.account_id,
                  *(self.query_one(f"#{name}", Input).value for name in ORDER),
                  done=self.saved)  # fmt: skip

    def saved(self, _: object) -> None:
        self.notify(self.tr("label.password_saved"))
        if self.forced:
            self.tell(self.Saved())
        else:
            self.leave()
